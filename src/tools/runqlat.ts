// runqlat: run queue (scheduler) latency as a histogram, as bcc's tools/runqlat.py.
import {
  chooseMechanism, helpText, intOption, num, parseToolArgs, stdio, verboseReport, ToolUsageError, type Tool, type ToolIo,
} from './tool.js';
import { intervalCount, runHistTool } from './stat.js';

export const RUNQLAT_HELP = helpText(
  'sonde runqlat [-h] [-T] [-m] [-P] [-L] [-p PID] [-j] [-v] [interval [count]]',
  'Summarize run queue (scheduler) latency as a histogram',
  [
    { flags: '-T, --timestamp', help: 'include timestamp on output' },
    { flags: '-m, --milliseconds', help: 'millisecond histogram' },
    { flags: '-P, --pids', help: 'print a histogram per process ID' },
    { flags: '-L, --tids', help: 'print a histogram per thread ID' },
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-j, --json', help: 'one JSON object per histogram' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'interval', help: 'output interval, in seconds' },
    { flags: 'count', help: 'number of outputs' },
  ],
  `    sonde runqlat            # summarize run queue latency as a histogram
    sonde runqlat 1 10       # print 1 second summaries, 10 times
    sonde runqlat -mT 1      # 1s summaries, milliseconds, and timestamps
    sonde runqlat -P         # show each PID separately
    sonde runqlat -p 185     # trace PID 185 only
`,
);

export interface RunqlatOptions {
  ms?: boolean;
  by?: 'pid' | 'tid';
  pid?: number;
  interval?: number;
}

const tail = (o: RunqlatOptions): string =>
  o.interval !== undefined ? `\ninterval:s:${o.interval} { print(@dist); clear(@dist); }\nEND { clear(@qt); }` : '\nEND { clear(@qt); }';

/**
 * Raw tracepoints with the task pointers (what bcc uses): a task is queued when woken, or when
 * switched out still runnable (preempted); its latency ends when it is switched in.
 */
export function runqlatRawScript(o: RunqlatOptions): string {
  const f = (p: string): string => (o.pid !== undefined ? ` && ${p}->tgid == ${o.pid}` : '');
  const key = o.by === 'pid' ? '[$next->tgid]' : o.by === 'tid' ? '[$next->pid]' : '';
  return `rawtracepoint:sched_wakeup, rawtracepoint:sched_wakeup_new {
  $p = (struct task_struct *)arg0;
  if ($p->pid != 0${f('$p')}) { @qt[$p->pid] = nsecs; }
}
rawtracepoint:sched_switch {
  $prev = (struct task_struct *)arg1;
  $next = (struct task_struct *)arg2;
  if ($prev->__state == 0 && $prev->pid != 0${f('$prev')}) { @qt[$prev->pid] = nsecs; }
  $t = @qt[$next->pid];
  if ($t) {
    @dist${key} = hist((nsecs - $t) / ${o.ms ? 1000000 : 1000});
    delete(@qt[$next->pid]);
  }
}${tail(o)}`;
}

/** The sched tracepoints: the same events, but the woken task's process is not known (no -P, -p). */
export function runqlatTracepointScript(o: RunqlatOptions): string {
  if (o.by === 'pid' || o.pid !== undefined) throw new ToolUsageError('-P and -p need raw tracepoints (the task\'s process), which this kernel lacks');
  return `tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new /args->pid != 0/ { @qt[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
  if (args->prev_state == 0 && args->prev_pid != 0) { @qt[args->prev_pid] = nsecs; }
  $t = @qt[args->next_pid];
  if ($t) {
    @dist${o.by === 'tid' ? '[args->next_pid]' : ''} = hist((nsecs - $t) / ${o.ms ? 1000000 : 1000});
    delete(@qt[args->next_pid]);
  }
}${tail(o)}`;
}

export async function runqlat(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    timestamp: { type: 'boolean', short: 'T' }, milliseconds: { type: 'boolean', short: 'm' }, pids: { type: 'boolean', short: 'P' },
    tids: { type: 'boolean', short: 'L' }, pid: { type: 'string', short: 'p' }, json: { type: 'boolean', short: 'j' },
    verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(RUNQLAT_HELP);
    return 0;
  }
  if (v.pids && v.tids) throw new ToolUsageError('-P and -L cannot be used together');
  const { interval, count } = intervalCount(positionals);
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const o: RunqlatOptions = {
    ...(v.milliseconds ? { ms: true } : {}), ...(v.pids ? { by: 'pid' as const } : v.tids ? { by: 'tid' as const } : {}),
    ...(pid !== undefined ? { pid } : {}), ...(interval !== undefined ? { interval } : {}),
  };
  const chosen = chooseMechanism([
    { kind: 'rawtracepoint', note: 'raw tracepoints sched_wakeup, sched_wakeup_new, sched_switch with their task_struct pointers (bcc\'s choice)', build: runqlatRawScript },
    { kind: 'kprobe', note: 'kprobes on ttwu_do_wakeup / wake_up_new_task / finish_task_switch (bcc\'s fallback); no script' },
    { kind: 'tracepoint', note: 'sched:sched_wakeup, sched_wakeup_new, sched_switch (thread ids only: no -P or -p)', build: runqlatTracepointScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'runqlat', chosen, script);
  return runHistTool({
    script, io, verbose: v.verbose === true, hist: '@dist',
    banner: v.json ? '' : 'Tracing run queue latency... Hit Ctrl-C to end.\n',
    valType: o.ms ? 'msecs' : 'usecs',
    ...(o.by ? { section: { name: o.by, label: (k) => String(num(k)) } } : {}),
    ...(interval !== undefined ? { interval } : {}), ...(count !== undefined ? { count } : {}),
    timestamp: v.timestamp === true, json: v.json === true,
  });
}

export const runqlatTool: Tool = { name: 'runqlat', summary: 'run queue (scheduler) latency as a log2 histogram', run: runqlat };

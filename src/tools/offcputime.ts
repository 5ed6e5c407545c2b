// offcputime: time threads spend blocked, by stack trace, as bcc's tools/offcputime.py.
import {
  chooseMechanism, helpText, intOption, parseToolArgs, stdio, verboseReport, ToolUsageError, type Tool, type ToolIo,
} from './tool.js';
import { runStackTool } from './stat.js';

export const OFFCPUTIME_HELP = helpText(
  'sonde offcputime [-h] [-p PID | -t TID | -u | -k] [-U | -K] [-d] [-f] [-m MIN_BLOCK_TIME] [-M MAX_BLOCK_TIME] [--state STATE] [-j] [-v] [duration]',
  'Summarize off-CPU time by stack trace',
  [
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-t TID, --tid TID', help: 'trace this TID only' },
    { flags: '-u, --user-threads-only', help: 'user threads only (no kernel threads)' },
    { flags: '-k, --kernel-threads-only', help: 'kernel threads only (no user threads)' },
    { flags: '-U, --user-stacks-only', help: 'show stacks from user space only (no kernel space stacks)' },
    { flags: '-K, --kernel-stacks-only', help: 'show stacks from kernel space only (no user space stacks)' },
    { flags: '-d, --delimited', help: 'insert delimiter between kernel/user stacks' },
    { flags: '-f, --folded', help: 'output folded format' },
    { flags: '-m MIN_BLOCK_TIME, --min-block-time MIN_BLOCK_TIME', help: 'the amount of time in microseconds over which we store traces (default 1)' },
    { flags: '-M MAX_BLOCK_TIME, --max-block-time MAX_BLOCK_TIME', help: 'the amount of time in microseconds under which we store traces (default U64_MAX)' },
    { flags: '--state STATE', help: 'filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h' },
    { flags: '-j, --json', help: 'one JSON object per stack' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'duration', help: 'duration of trace, in seconds' },
  ],
  `    sonde offcputime             # trace off-CPU stack time until Ctrl-C
    sonde offcputime 5           # trace for 5 seconds only
    sonde offcputime -f 5        # 5 seconds, and output in folded format
    sonde offcputime -m 1000     # only blocks that last more than 1000 usec
    sonde offcputime -M 10000    # only blocks that last less than 10000 usec
    sonde offcputime -p 185      # only trace threads for PID 185
    sonde offcputime -t 188      # only trace thread 188
    sonde offcputime -u          # only trace user threads (no kernel)
    sonde offcputime -k          # only trace kernel threads (no user)
    sonde offcputime -U          # only show user space stacks (no kernel)
    sonde offcputime -K          # only show kernel space stacks (no user)
`,
);

export interface OffcputimeOptions {
  pid?: number;
  tid?: number;
  threads?: 'user' | 'kernel';
  state?: number;
  minUs: bigint;
  maxUs?: bigint;
  kernel: boolean;
  user: boolean;
}

const PF_KTHREAD = 0x00200000;

/**
 * At sched_switch the current task is the one leaving the CPU: its stacks and the time are kept
 * by thread id; when that thread is switched back in, the time it was away is added to its
 * stacks. (bcc does the same from finish_task_switch, where the current task is the one returning.)
 */
export function offcputimeScript(o: OffcputimeOptions): string {
  const f = ['args->prev_pid != 0'];
  if (o.pid !== undefined) f.push(`pid == ${o.pid}`);
  if (o.tid !== undefined) f.push(`tid == ${o.tid}`);
  if (o.threads === 'user') f.push(`!(curtask->flags & ${PF_KTHREAD})`);
  if (o.threads === 'kernel') f.push(`(curtask->flags & ${PF_KTHREAD})`);
  if (o.state !== undefined) f.push(o.state === 0 ? 'args->prev_state == 0' : `(args->prev_state & ${o.state})`);
  const save = [...(o.kernel ? ['@ks[args->prev_pid] = kstack;'] : []), ...(o.user ? ['@us[args->prev_pid] = ustack;'] : [])].join(' ');
  const key = [...(o.kernel ? ['@ks[args->next_pid]'] : []), ...(o.user ? ['@us[args->next_pid]'] : []), 'args->next_comm', 'args->next_pid'].join(', ');
  const range = [`$d >= ${o.minUs}`, ...(o.maxUs !== undefined ? [`$d <= ${o.maxUs}`] : [])].join(' && ');
  return `tracepoint:sched:sched_switch {
  if (${f.join(' && ')}) { ${save} @st[args->prev_pid] = nsecs; }
  $t = @st[args->next_pid];
  if ($t) {
    delete(@st[args->next_pid]);
    $d = (nsecs - $t) / 1000;
    if (${range}) { @[${key}] = sum($d); }
  }
}
END { clear(@st);${o.kernel ? ' clear(@ks);' : ''}${o.user ? ' clear(@us);' : ''} }`;
}

export async function offcputime(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, tid: { type: 'string', short: 't' }, 'user-threads-only': { type: 'boolean', short: 'u' },
    'kernel-threads-only': { type: 'boolean', short: 'k' }, 'user-stacks-only': { type: 'boolean', short: 'U' },
    'kernel-stacks-only': { type: 'boolean', short: 'K' }, delimited: { type: 'boolean', short: 'd' }, folded: { type: 'boolean', short: 'f' },
    'min-block-time': { type: 'string', short: 'm' }, 'max-block-time': { type: 'string', short: 'M' }, state: { type: 'string' },
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(OFFCPUTIME_HELP);
    return 0;
  }
  const threadOpts = [v.pid !== undefined, v.tid !== undefined, v['user-threads-only'], v['kernel-threads-only']].filter(Boolean).length;
  if (threadOpts > 1) throw new ToolUsageError('-p, -t, -u and -k are mutually exclusive');
  if (v['user-stacks-only'] && v['kernel-stacks-only']) throw new ToolUsageError('-U and -K cannot be used together');
  if (positionals.length > 1) throw new ToolUsageError(`unrecognized arguments: ${positionals.slice(1).join(' ')}`);
  const duration = intOption('duration', positionals[0], 1);
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const tid = intOption('-t', v.tid as string | undefined, 1);
  const state = intOption('--state', v.state as string | undefined, 0);
  const min = intOption('-m', v['min-block-time'] as string | undefined, 0);
  const max = intOption('-M', v['max-block-time'] as string | undefined, 0);
  const o: OffcputimeOptions = {
    minUs: BigInt(min ?? 1), kernel: !v['user-stacks-only'], user: !v['kernel-stacks-only'],
    ...(max !== undefined ? { maxUs: BigInt(max) } : {}),
    ...(pid !== undefined ? { pid } : {}), ...(tid !== undefined ? { tid } : {}), ...(state !== undefined ? { state } : {}),
    ...(v['user-threads-only'] ? { threads: 'user' as const } : v['kernel-threads-only'] ? { threads: 'kernel' as const } : {}),
  };
  const chosen = chooseMechanism([
    { kind: 'kprobe', note: 'kprobe on finish_task_switch (bcc); no script: the sched_switch tracepoint sees the same switches' },
    { kind: 'tracepoint', note: 'sched:sched_switch, stacks taken from the thread leaving the CPU', build: offcputimeScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'offcputime', chosen, script);
  const who = pid !== undefined ? `PID ${pid}` : tid !== undefined ? `TID ${tid}` : o.threads === 'user' ? 'user threads' : o.threads === 'kernel' ? 'kernel threads' : 'all threads';
  const stacks = o.kernel && o.user ? 'user + kernel' : o.user ? 'user' : 'kernel';
  const banner = `Tracing off-CPU time (us) of ${who} by ${stacks} stack${duration !== undefined ? ` for ${duration} secs.` : '... Hit Ctrl-C to end.'}\n`;
  return runStackTool({
    script, io, verbose: v.verbose === true, banner: v.json || v.folded ? '' : banner, ...(duration !== undefined ? { duration } : {}),
    kernel: o.kernel, user: o.user, folded: v.folded === true, delimited: v.delimited === true, annotate: false,
    json: v.json === true, valueName: 'usecs',
  });
}

export const offcputimeTool: Tool = { name: 'offcputime', summary: 'off-CPU time by stack trace (blocked threads)', run: offcputime };

// execsnoop: trace new processes via exec() syscalls, as bcc's tools/execsnoop.py.
import { readFileSync } from 'node:fs';
import {
  chooseMechanism, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, runScript, stdio, text, verboseReport,
  type Tool, type ToolIo,
} from './tool.js';

export const EXECSNOOP_HELP = helpText(
  'sonde execsnoop [-h] [-T] [-t] [-x] [-u UID] [-n NAME] [-l LINE] [--max-args MAX_ARGS] [-j] [-v]',
  'Trace exec() syscalls',
  [
    { flags: '-T, --time', help: 'include time column on output (HH:MM:SS)' },
    { flags: '-t, --timestamp', help: 'include timestamp on output' },
    { flags: '-x, --fails', help: 'include failed exec()s' },
    { flags: '-u UID, --uid UID', help: 'trace this UID only' },
    { flags: '-n NAME, --name NAME', help: 'only print commands matching this name (regex), any arg' },
    { flags: '-l LINE, --line LINE', help: 'only print commands where arg contains this line (regex)' },
    { flags: '--max-args MAX_ARGS', help: 'maximum number of arguments parsed and displayed, defaults to 20' },
    { flags: '-j, --json', help: 'one JSON object per line' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde execsnoop           # trace all exec() syscalls
    sonde execsnoop -x        # include failed exec()s
    sonde execsnoop -T        # include time (HH:MM:SS)
    sonde execsnoop -u 1000   # only trace UID 1000
    sonde execsnoop -t        # include timestamps
    sonde execsnoop -n main   # only print command lines containing "main"
    sonde execsnoop -l tpkg   # only print command where arguments contains "tpkg"
`,
);

/** One event per argument at entry (the language has no join() here), one with the result at exit. */
export function execsnoopScript(o: { uid?: number; maxArgs: number }): string {
  const pred = o.uid !== undefined ? ` /uid == ${o.uid}/` : '';
  return `tracepoint:syscalls:sys_enter_execve${pred} {
  $i = 0;
  while ($i < ${o.maxArgs}) { $a = args->argv[$i]; if ($a == 0) { break; } printf("%d %d %s\\n", tid, $i, str($a)); $i++; }
  @on[tid] = 1;
}
tracepoint:syscalls:sys_exit_execve /@on[tid]/ { printf("%d %d %d %s %d %llu %d\\n", tid, pid, uid, comm, args->ret, nsecs, @ppid[pid]); delete(@on[tid]); }
tracepoint:sched:sched_process_fork { @ppid[args->child_pid] = args->parent_pid; }
tracepoint:sched:sched_process_exit /pid == tid/ { delete(@ppid[pid]); }`;
}

function ppidOf(pid: number): number {
  try {
    return Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0');
  } catch {
    return 0;
  }
}

export async function execsnoop(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    time: { type: 'boolean', short: 'T' }, timestamp: { type: 'boolean', short: 't' }, fails: { type: 'boolean', short: 'x' },
    uid: { type: 'string', short: 'u' }, name: { type: 'string', short: 'n' }, line: { type: 'string', short: 'l' },
    'max-args': { type: 'string' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(EXECSNOOP_HELP);
    return 0;
  }
  const maxArgs = intOption('--max-args', v['max-args'] as string | undefined, 1) ?? 20;
  const uid = intOption('-u', v.uid as string | undefined, 0);
  const chosen = chooseMechanism([{ kind: 'tracepoint', note: 'syscalls:sys_enter/exit_execve; PPID from sched:sched_process_fork, else /proc', build: execsnoopScript }]);
  const script = chosen.build({ maxArgs, ...(uid !== undefined ? { uid } : {}) });
  if (v.verbose) verboseReport(io, 'execsnoop', chosen, script);
  const json = v.json === true;
  const nameRe = v.name !== undefined ? new RegExp(String(v.name)) : undefined;
  const lineRe = v.line !== undefined ? new RegExp(String(v.line)) : undefined;
  if (!json) io.out(`${v.time ? l('TIME', 9) : ''}${v.timestamp ? l('TIME(s)', 8) : ''}${l('PCOMM', 16)} ${l('PID', 7)} ${l('PPID', 7)} ${l('RET', 3)} ARGS\n`);
  const argsOf = new Map<number, string[]>();
  let t0: bigint | undefined;
  return runScript(script, { verbose: v.verbose === true, io, strlen: 128, banner: json ? '' : 'Tracing exec() syscalls... Hit Ctrl-C to end.\n' }, {
    onPrintf: (vals) => {
      if (vals.length === 3) {
        const tid = num(vals[0]);
        const list = argsOf.get(tid) ?? [];
        list[num(vals[1])] = text(vals[2]);
        argsOf.set(tid, list);
        return;
      }
      const [tidV, pidV, uidV, commV, retV, nsV, ppidV] = vals;
      const tid = num(tidV);
      const args = (argsOf.get(tid) ?? []).join(' ');
      argsOf.delete(tid);
      const ret = num(retV);
      if (ret !== 0 && !v.fails) return;
      const c = text(commV);
      if (nameRe && !nameRe.test(c)) return;
      if (lineRe && !lineRe.test(args)) return;
      const uidS = num(uidV);
      const nsS = typeof nsV === 'bigint' ? nsV : 0n;
      const pid = num(pidV);
      // Forked while tracing: the parent from sched_process_fork; else from /proc (may be gone).
      const ppid = num(ppidV) || ppidOf(pid);
      const ns = nsS;
      t0 ??= ns;
      const secs = (Number(ns - t0) / 1e9).toFixed(3);
      if (json) io.out(jsonLine({ time: hms(), uid: uidS, pcomm: c, pid, ppid, ret, args }));
      else io.out(`${v.time ? l(hms(), 9) : ''}${v.timestamp ? l(secs, 8) : ''}${l(c, 16)} ${l(pid, 7)} ${l(ppid, 7)} ${l(ret, 3)} ${args}\n`);
    },
  });
}

export const execsnoopTool: Tool = { name: 'execsnoop', summary: 'trace new processes: PCOMM PID PPID RET ARGS', run: execsnoop };

// execsnoop: trace new processes via exec() syscalls, as bcc's tools/execsnoop.py.
import { readFileSync } from 'node:fs';
import {
  chooseMechanism, hasTracepoint, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export const EXECSNOOP_HELP = helpText(
  'sonde execsnoop [-h] [-T] [-t] [-x] [-q] [-U] [-u USER] [-n NAME] [-l LINE] [-P PPID] [--max-args MAX_ARGS] [-j] [-v]',
  'Trace exec() syscalls',
  [
    { flags: '-T, --time', help: 'include time column on output (HH:MM:SS)' },
    { flags: '-t, --timestamp', help: 'include timestamp on output' },
    { flags: '-x, --fails', help: 'include failed exec()s' },
    { flags: '-q, --quote', help: 'add quotemarks (") around arguments' },
    { flags: '-U, --print-uid', help: 'print UID column' },
    { flags: '-u USER, --uid USER', help: 'trace this UID only (a number or a user name)' },
    { flags: '-P PPID, --ppid PPID', help: 'trace this parent PID only' },
    { flags: '-n NAME, --name NAME', help: 'only print commands matching this name (regex), any arg' },
    { flags: '-l LINE, --line LINE', help: 'only print commands where arg contains this line (regex)' },
    { flags: '--max-args MAX_ARGS', help: 'maximum number of arguments parsed and displayed, defaults to 20' },
    { flags: '-j, --json', help: 'one JSON object per line' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde execsnoop           # trace all exec() syscalls
    sonde execsnoop -x        # include failed exec()s
    sonde execsnoop -T        # include time (HH:MM:SS)
    sonde execsnoop -U        # include UID
    sonde execsnoop -u 1000   # only trace UID 1000
    sonde execsnoop -u user   # get user UID and trace only them
    sonde execsnoop -q        # add "quotemarks" around arguments
    sonde execsnoop -P 181    # only trace new processes whose parent PID is 181
    sonde execsnoop -t        # include timestamps
    sonde execsnoop -n main   # only print command lines containing "main"
    sonde execsnoop -l tpkg   # only commands whose arguments contain "tpkg"
`,
);

export interface ExecsnoopOptions {
  uid?: number;
  ppid?: number;
  maxArgs: number;
}

/**
 * One event per argument at entry (as bcc: any number of arguments, each its own str() buffer),
 * one with the result at exit; execve and execveat alike. The parent comes from the task
 * (real_parent, read through BTF) so that -P filters in the kernel.
 */
export function execsnoopScript(o: ExecsnoopOptions): string {
  const f = [...(o.uid !== undefined ? [`uid == ${o.uid}`] : []), ...(o.ppid !== undefined ? [`curtask->real_parent->tgid == ${o.ppid}`] : [])];
  const pred = f.length ? ` /${f.join(' && ')}/` : '';
  const calls = ['execve', 'execveat'].filter((c) => c === 'execve' || hasTracepoint('syscalls', `sys_enter_${c}`));
  const enters = calls.map((c) => `tracepoint:syscalls:sys_enter_${c}`).join(',\n');
  const exits = calls.map((c) => `tracepoint:syscalls:sys_exit_${c}`).join(',\n');
  return `${enters}${pred} {
  $i = 0;
  while ($i < ${o.maxArgs}) { $a = args->argv[$i]; if ($a == 0) { break; } printf("%d %d %s\\n", tid, $i, str($a)); $i++; }
  @on[tid] = 1;
}
${exits} /@on[tid]/ { printf("%d %d %d %s %d %llu %d\\n", tid, pid, uid, comm, args->ret, nsecs, curtask->real_parent->tgid); delete(@on[tid]); }`;
}

/** -u takes a UID or a user name (as bcc's execsnoop). */
function uidOf(user: string): number {
  if (/^\d+$/.test(user)) return Number(user);
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name === user && uid !== undefined) return Number(uid);
    }
  } catch { /* no passwd file: unknown user below */ }
  throw new ToolUsageError(`-u: no such user: ${user}`);
}

/** bcc's -q: each argument in double quotes, inner quotes escaped. */
function quoted(args: string[]): string {
  return args.map((a) => `"${a.replace(/"/g, '\\"')}"`).join(' ');
}

export async function execsnoop(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    time: { type: 'boolean', short: 'T' }, timestamp: { type: 'boolean', short: 't' }, fails: { type: 'boolean', short: 'x' },
    uid: { type: 'string', short: 'u' }, name: { type: 'string', short: 'n' }, line: { type: 'string', short: 'l' },
    quote: { type: 'boolean', short: 'q' }, 'print-uid': { type: 'boolean', short: 'U' }, ppid: { type: 'string', short: 'P' },
    'max-args': { type: 'string' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(EXECSNOOP_HELP);
    return 0;
  }
  const maxArgs = intOption('--max-args', v['max-args'] as string | undefined, 1) ?? 20;
  const uid = v.uid !== undefined ? uidOf(String(v.uid)) : undefined;
  const ppid = intOption('-P', v.ppid as string | undefined, 0);
  const chosen = chooseMechanism([
    { kind: 'fentry', note: 'bcc attaches to the execve syscall function; the stable tracepoints see the same calls' },
    { kind: 'kprobe', note: 'bcc attaches to the execve syscall function; the stable tracepoints see the same calls' },
    { kind: 'tracepoint', note: 'syscalls:sys_enter/exit_execve and execveat; PPID from the task\'s real_parent (BTF)', build: execsnoopScript },
  ]);
  const script = chosen.build({ maxArgs, ...(uid !== undefined ? { uid } : {}), ...(ppid !== undefined ? { ppid } : {}) });
  if (v.verbose) verboseReport(io, 'execsnoop', chosen, script);
  const json = v.json === true;
  const nameRe = v.name !== undefined ? new RegExp(String(v.name)) : undefined;
  const lineRe = v.line !== undefined ? new RegExp(String(v.line)) : undefined;
  const showUid = v['print-uid'] === true;
  if (!json) io.out(`${v.time ? l('TIME', 9) : ''}${v.timestamp ? l('TIME(s)', 8) : ''}${showUid ? l('UID', 6) : ''}${l('PCOMM', 16)} ${l('PID', 7)} ${l('PPID', 7)} ${l('RET', 3)} ARGS\n`);
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
      const list = argsOf.get(tid) ?? [];
      const args = v.quote ? quoted(list) : list.join(' ');
      argsOf.delete(tid);
      const ret = num(retV);
      if (ret !== 0 && !v.fails) return;
      const c = text(commV);
      if (nameRe && !nameRe.test(c)) return;
      if (lineRe && !lineRe.test(args)) return;
      const uidS = num(uidV);
      const nsS = typeof nsV === 'bigint' ? nsV : 0n;
      const pid = num(pidV);
      const ppid = num(ppidV);
      const ns = nsS;
      t0 ??= ns;
      const secs = (Number(ns - t0) / 1e9).toFixed(3);
      if (json) io.out(jsonLine({ time: hms(), uid: uidS, pcomm: c, pid, ppid, ret, args }));
      else io.out(`${v.time ? l(hms(), 9) : ''}${v.timestamp ? l(secs, 8) : ''}${showUid ? l(uidS, 6) : ''}${l(c, 16)} ${l(pid, 7)} ${l(ppid, 7)} ${l(ret, 3)} ${args}\n`);
    },
  });
}

export const execsnoopTool: Tool = { name: 'execsnoop', summary: 'trace new processes: PCOMM PID PPID RET ARGS', run: execsnoop };

// killsnoop: trace signals issued by kill(), tkill() and tgkill(), as bcc's tools/killsnoop.py.
import {
  chooseMechanism, helpText, hasTracepoint, hms, intOption, jsonLine, l, num, parseToolArgs, runScript, stdio, stopAfter, text,
  verboseReport, type Tool, type ToolIo,
} from './tool.js';

export const KILLSNOOP_HELP = helpText(
  'sonde killsnoop [-h] [-x] [-p PID] [-T PID] [-s SIGNAL] [-d DURATION] [-j] [-v]',
  'Trace signals issued by the kill() syscall (and tkill(), tgkill())',
  [
    { flags: '-x, --failed', help: 'only show failed kill syscalls' },
    { flags: '-p PID, --pid PID', help: 'trace this PID only (the sender)' },
    { flags: '-T PID, --tpid PID', help: 'trace this target PID only' },
    { flags: '-s SIGNAL, --signal SIGNAL', help: 'trace this signal only' },
    { flags: '-d DURATION, --duration DURATION', help: 'total duration of trace in seconds' },
    { flags: '-j, --json', help: 'one JSON object per line' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde killsnoop           # trace all kill() signals
    sonde killsnoop -x        # only show failed kills
    sonde killsnoop -p 181    # only trace PID 181
    sonde killsnoop -T 189    # only trace target PID 189
    sonde killsnoop -s 9      # only trace signal 9
`,
);

export interface KillsnoopOptions {
  pid?: number;
  /** -T: the target process. */
  tpid?: number;
  signal?: number;
  failed?: boolean;
}

/** Target and signal kept at entry (by thread), the event sent at exit with the result. */
export function killsnoopScript(o: KillsnoopOptions): string {
  const out: string[] = [];
  // kill(pid, sig), tkill(pid, sig), tgkill(tgid, pid, sig): the target shown is the pid argument.
  const calls: [string, string, string][] = [['kill', '(int32)args->pid', '(int32)args->sig'], ['tkill', '(int32)args->pid', '(int32)args->sig'], ['tgkill', '(int32)args->pid', '(int32)args->sig']];
  const present = calls.filter(([c]) => hasTracepoint('syscalls', `sys_enter_${c}`));
  for (const [c, tpid, sig] of present) {
    const f = [
      ...(o.pid !== undefined ? [`pid == ${o.pid}`] : []), ...(o.tpid !== undefined ? [`${tpid} == ${o.tpid}`] : []),
      ...(o.signal !== undefined ? [`${sig} == ${o.signal}`] : []),
    ];
    out.push(`tracepoint:syscalls:sys_enter_${c}${f.length ? ` /${f.join(' && ')}/` : ''} { @tpid[tid] = ${tpid}; @sig[tid] = ${sig}; @on[tid] = 1; }`);
  }
  const exits = present.map(([c]) => `tracepoint:syscalls:sys_exit_${c}`).join(',\n');
  out.push(`${exits} /@on[tid]${o.failed ? ' && args->ret < 0' : ''}/ {
  printf("%d %s %d %d %d\\n", pid, comm, @sig[tid], @tpid[tid], args->ret);
}`);
  out.push(`${exits} { delete(@on[tid]); delete(@tpid[tid]); delete(@sig[tid]); }`);
  return out.join('\n');
}

export async function killsnoop(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    failed: { type: 'boolean', short: 'x' }, pid: { type: 'string', short: 'p' }, signal: { type: 'string', short: 's' },
    tpid: { type: 'string', short: 'T' },
    duration: { type: 'string', short: 'd' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(KILLSNOOP_HELP);
    return 0;
  }
  const o: KillsnoopOptions = {
    ...(v.pid !== undefined ? { pid: intOption('-p', v.pid as string, 1)! } : {}),
    ...(v.tpid !== undefined ? { tpid: intOption('-T', v.tpid as string)! } : {}),
    ...(v.signal !== undefined ? { signal: intOption('-s', v.signal as string, 0)! } : {}),
    ...(v.failed ? { failed: true } : {}),
  };
  const duration = intOption('-d', v.duration as string | undefined, 1);
  const chosen = chooseMechanism([
    { kind: 'kprobe', note: 'kprobe/kretprobe on the kill syscall functions (bcc)' },
    { kind: 'tracepoint', note: 'syscalls:sys_enter/exit_kill, tkill, tgkill', build: killsnoopScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'killsnoop', chosen, script);
  const json = v.json === true;
  if (!json) io.out(`${l('TIME', 9)} ${l('PID', 7)} ${l('COMM', 16)} ${l('SIG', 4)} ${l('TPID', 7)} RESULT\n`);
  return runScript(script, { verbose: v.verbose === true, io, banner: json ? '' : 'Tracing kill() signals... Hit Ctrl-C to end.\n' }, {
    onStart: (t) => stopAfter(t, duration),
    onPrintf: ([pid, comm, sig, tpid, ret]) => {
      if (json) io.out(jsonLine({ time: hms(), pid: num(pid), comm: text(comm), sig: num(sig), tpid: num(tpid), result: num(ret) }));
      else io.out(`${l(hms(), 9)} ${l(num(pid), 7)} ${l(text(comm), 16)} ${l(num(sig), 4)} ${l(num(tpid), 7)} ${num(ret)}\n`);
    },
  });
}

export const killsnoopTool: Tool = { name: 'killsnoop', summary: 'trace signals sent with kill(): TIME PID COMM SIG TPID RESULT', run: killsnoop };

// gethostlatency: show latency for getaddrinfo/gethostbyname[2] calls, as bcc's tools/gethostlatency.py.
import {
  chooseMechanism, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, r, runScript, stdio, text, verboseReport,
  type Tool, type ToolIo,
} from './tool.js';

export const GETHOSTLATENCY_HELP = helpText(
  'sonde gethostlatency [-h] [-p PID] [-j] [-v]',
  'Show latency for getaddrinfo/gethostbyname[2] calls',
  [
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-j, --json', help: 'one JSON object per lookup' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde gethostlatency           # time getaddrinfo/gethostbyname[2] calls
    sonde gethostlatency -p 181    # only trace PID 181
    sonde gethostlatency -j        # one JSON object per lookup
`,
);

export const RESOLVER_FUNCTIONS = ['getaddrinfo', 'gethostbyname', 'gethostbyname2'] as const;

/** Entry: the host name pointer and the time, by thread; return: the latency and the name. */
export function gethostlatencyScript(o: { pid?: number; lib?: string }): string {
  const lib = o.lib ?? 'libc';
  const pred = o.pid !== undefined ? ` /pid == ${o.pid}/` : '';
  return `${RESOLVER_FUNCTIONS.map((f) => `uprobe:${lib}:${f}`).join(',\n')}${pred} {
  @start[tid] = nsecs;
  @host[tid] = arg0;
}
${RESOLVER_FUNCTIONS.map((f) => `uretprobe:${lib}:${f}`).join(',\n')} /@start[tid]/ {
  printf("%d %s %llu %s\\n", pid, comm, nsecs - @start[tid], str(@host[tid]));
  delete(@start[tid]);
  delete(@host[tid]);
}`;
}

export async function gethostlatency(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(GETHOSTLATENCY_HELP);
    return 0;
  }
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const chosen = chooseMechanism([
    { kind: 'uprobe', note: 'uprobes and uretprobes on libc getaddrinfo, gethostbyname, gethostbyname2 (as bcc)', build: gethostlatencyScript },
  ]);
  const script = chosen.build(pid !== undefined ? { pid } : {});
  if (v.verbose) verboseReport(io, 'gethostlatency', chosen, script);
  const json = v.json === true;
  if (!json) io.out(`${l('TIME', 9)} ${l('PID', 7)} ${l('COMM', 16)} ${r('LATms', 10)} HOST\n`);
  return runScript(script, { verbose: v.verbose === true, io, strlen: 80, ...(pid !== undefined ? { pid } : {}), banner: json ? '' : 'Tracing host name lookups... Hit Ctrl-C to end.\n' }, {
    onPrintf: (vals) => {
      const [p, comm, ns, host] = vals;
      const ms = num(ns) / 1e6;
      if (json) {
        io.out(jsonLine({ time: hms(), pid: num(p), comm: text(comm), lat_ms: ms, host: text(host) }));
        return;
      }
      io.out(`${l(hms(), 9)} ${l(num(p), 7)} ${l(text(comm), 16)} ${r(ms.toFixed(2), 10)} ${text(host)}\n`);
    },
  });
}

export const gethostlatencyTool: Tool = { name: 'gethostlatency', summary: 'latency of host name lookups (getaddrinfo, gethostbyname)', run: gethostlatency };

// funccount: count functions, tracepoints and USDT probes, as bcc's tools/funccount.py.
import type { Value } from '../output/index.js';
import { expandBccSpec, parseBccSpec, type ExpandedProbe } from './bccprobe.js';
import {
  aggNumber, chooseMechanism, helpText, hms, intOption, jsonLine, l, parseToolArgs, r, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export const FUNCCOUNT_HELP = helpText(
  'sonde funccount [-h] [-p PID] [-i INTERVAL] [-d DURATION] [-T] [-r] [-c CPU] [-j] [-v] pattern',
  'Count functions, tracepoints, and USDT probes',
  [
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-i INTERVAL, --interval INTERVAL', help: 'summary interval, seconds' },
    { flags: '-d DURATION, --duration DURATION', help: 'total duration of trace, seconds' },
    { flags: '-T, --timestamp', help: 'include timestamp on output' },
    { flags: '-r, --regexp', help: 'use regular expressions. Default is "*" wildcards only.' },
    { flags: '-c CPU, --cpu CPU', help: 'trace this CPU only' },
    { flags: '-j, --json', help: 'one JSON object per summary' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'pattern', help: 'search expression for events' },
  ],
  `    sonde funccount 'vfs_*'           # kernel fns "vfs*" (needs kprobes)
    sonde funccount -r '^vfs.*'       # same, as a regular expression
    sonde funccount -Ti 5 'vfs_*'     # output every 5 seconds, with timestamps
    sonde funccount -d 10 'vfs_*'     # trace for 10 seconds only
    sonde funccount -p 185 'vfs_*'    # count vfs calls for PID 185 only
    sonde funccount t:sched:sched_fork  # calls to the sched_fork tracepoint
    sonde funccount 't:sched:*'       # count every sched tracepoint
    sonde funccount -p 185 u:node:gc*   # GC USDT probes in node, PID 185
    sonde funccount c:malloc          # count all malloc() calls in libc
    sonde funccount 'c:str*'          # libc functions starting with "str"
    sonde funccount ./test:read*      # "read*" calls in the ./test binary
    sonde funccount -c 1 't:syscalls:*'  # syscall tracepoints on CPU 1 only
`,
);

export interface FunccountOptions {
  probes: ExpandedProbe[];
  pid?: number;
  cpu?: number;
  interval?: number;
}

/** One block on every match; the key is the probe's own name, shown as bcc shows the function. */
export function funccountScript(o: FunccountOptions): string {
  const f: string[] = [];
  if (o.pid !== undefined) f.push(`pid == ${o.pid}`);
  if (o.cpu !== undefined) f.push(`cpu == ${o.cpu}`);
  const lines = [`${o.probes.map((p) => p.attach).join(',\n')}${f.length ? ` /${f.join(' && ')}/` : ''} { @counts[probe] = count(); }`];
  if (o.interval !== undefined) lines.push(`interval:s:${o.interval} { print(@counts); clear(@counts); }`);
  return lines.join('\n');
}

export async function funccount(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, interval: { type: 'string', short: 'i' }, duration: { type: 'string', short: 'd' },
    timestamp: { type: 'boolean', short: 'T' }, regexp: { type: 'boolean', short: 'r' }, cpu: { type: 'string', short: 'c' },
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(FUNCCOUNT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new ToolUsageError(positionals.length ? `unrecognized arguments: ${positionals.slice(1).join(' ')}` : 'the following arguments are required: pattern');
  const pattern = positionals[0]!;
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const cpu = intOption('-c', v.cpu as string | undefined, 0);
  const duration = intOption('-d', v.duration as string | undefined, 1);
  // bcc: -d without -i prints once, at the end.
  const interval = intOption('-i', v.interval as string | undefined, 1) ?? duration;
  const spec = parseBccSpec(pattern, ['p', 't', 'u']);
  const probes = expandBccSpec(spec, pattern, { regex: v.regexp === true, ...(pid !== undefined ? { pid } : {}) });
  const o: FunccountOptions = { probes, ...(pid !== undefined ? { pid } : {}), ...(cpu !== undefined ? { cpu } : {}), ...(interval !== undefined ? { interval } : {}) };
  const kind = spec.type === 't' ? 'tracepoint' : spec.type === 'u' ? 'usdt' : spec.library ? 'uprobe' : 'kprobe';
  const chosen = chooseMechanism([
    ...(kind === 'kprobe' ? [{ kind: 'fentry' as const, note: 'fentry on the kernel functions' }] : []),
    { kind, note: `${kind} on each of the ${probes.length} match(es) of "${pattern}", counted in the kernel per probe`, build: funccountScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'funccount', chosen, script);
  const json = v.json === true;
  const names = new Map(probes.map((p) => [p.attach, p.display]));
  let probeNames: readonly string[] = [];
  // The key is the `probe` builtin: an index into the compiled script's probe names.
  const display = (k: Value | undefined): string => {
    const full = typeof k === 'object' && !Array.isArray(k) && k.kind === 'symbol' && k.what === 'probe' ? probeNames[Number(k.addr)] ?? '' : text(k);
    return names.get(full) ?? full;
  };
  let intervals = 0;
  let stop: (() => Promise<number>) | undefined;
  const summary = (entries: { key: unknown; value: Parameters<typeof aggNumber>[0] }[]): void => {
    const rows = entries.map((e) => ({ func: display(e.key as Value), count: aggNumber(e.value) })).filter((x) => x.count > 0n)
      .sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : a.func.localeCompare(b.func)));
    if (json) {
      io.out(jsonLine({ time: hms(), counts: rows.map((x) => ({ func: x.func, count: x.count })) }));
      return;
    }
    let s = '\n';
    if (v.timestamp) s += `${l(hms(), 8)}\n`;
    s += `${l('FUNC', 36)} ${r('COUNT', 8)}\n`;
    for (const x of rows) s += `${l(x.func, 36)} ${r(x.count, 8)}\n`;
    io.out(s);
  };
  const banner = json ? '' : `Tracing ${probes.length} functions for "${pattern}"... Hit Ctrl-C to end.\n`;
  const code = await runScript(script, { verbose: v.verbose === true, io, banner, ...(pid !== undefined ? { pid } : {}) }, {
    onStart: (t) => {
      stop = () => t.stop();
      probeNames = t.script.probeNames ?? [];
    },
    onMap: (name, e) => {
      if (name !== '@counts') return;
      if (e.when === 'print') {
        summary(e.entries);
        intervals++;
        if (duration !== undefined && interval !== undefined && intervals * interval >= duration) void stop?.();
        return;
      }
      // At the end: what the last (partial) interval counted; with -d it was printed already.
      if (duration !== undefined && interval !== undefined && intervals * interval >= duration) return;
      summary(e.entries);
    },
  });
  if (!json) io.out('Detaching...\n');
  return code;
}

export const funccountTool: Tool = { name: 'funccount', summary: 'count functions, tracepoints, USDT probes matching a pattern', run: funccount };

// funclatency: time functions and print latency as a histogram, as bcc's tools/funclatency.py.
import type { MergedAgg, Value } from '../output/index.js';
import { expandBccSpec, parseBccSpec, type ExpandedProbe } from './bccprobe.js';
import {
  aggNumber, chooseMechanism, helpText, hms, intOption, jsonLine, log2Hist, num, parseToolArgs, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export const FUNCLATENCY_HELP = helpText(
  'sonde funclatency [-h] [-p PID] [-i INTERVAL] [-d DURATION] [-T] [-u] [-m] [-F] [-r] [-l LEVEL] [-j] [-v] pattern',
  'Time functions and print latency as a histogram',
  [
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-i INTERVAL, --interval INTERVAL', help: 'summary interval, in seconds' },
    { flags: '-d DURATION, --duration DURATION', help: 'total duration of trace, in seconds' },
    { flags: '-T, --timestamp', help: 'include timestamp on output' },
    { flags: '-u, --microseconds', help: 'microsecond histogram' },
    { flags: '-m, --milliseconds', help: 'millisecond histogram' },
    { flags: '-F, --function', help: 'show a separate histogram per function' },
    { flags: '-r, --regexp', help: 'use regular expressions. Default is "*" wildcards only.' },
    { flags: '-l LEVEL, --level LEVEL', help: 'set the level of nested or recursive functions (default 64)' },
    { flags: '-j, --json', help: 'one JSON object per summary' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'pattern', help: 'search expression for functions' },
  ],
  `    sonde funclatency do_sys_open     # time do_sys_open() (needs kprobes)
    sonde funclatency c:read          # time the read() C library function
    sonde funclatency -u vfs_read     # time vfs_read(), in microseconds
    sonde funclatency -m do_nanosleep # time do_nanosleep(), in milliseconds
    sonde funclatency -i 2 -d 10 c:open  # output every 2 seconds, for 10s
    sonde funclatency -mTi 5 c:fsync  # output every 5 seconds, with timestamps
    sonde funclatency -p 181 c:read   # time process 181 only
    sonde funclatency 'c:*printf'     # time the *printf family of functions
    sonde funclatency -F 'c:str*'     # one histogram per matched function
`,
);

export interface FunclatencyOptions {
  probes: ExpandedProbe[];
  returns: ExpandedProbe[];
  pid?: number;
  /** ns per unit: 1, 1000 (-u), 1000000 (-m). */
  div: number;
  /** One histogram per function and process (bcc's need_key). */
  perFunction: boolean;
  /** Nesting depth timed (bcc's -l; deeper calls are counted in depth only). */
  level: number;
  interval?: number;
}

/**
 * Entry times by thread and nesting depth, so that a recursive or nested call is timed on its
 * own (bcc keeps one per thread unless -l); at return the latency goes into a log2 histogram
 * (and a sum and count for avg). Calls deeper than `level` are not timed.
 */
export function funclatencyScript(o: FunclatencyOptions): string {
  const pred = o.pid !== undefined ? ` /pid == ${o.pid}/` : '';
  const key = o.perFunction ? '[probe, pid]' : '';
  const lines = [
    `${o.probes.map((p) => p.attach).join(',\n')}${pred} {
  $d = @depth[tid] + 1;
  @depth[tid] = $d;
  if ($d <= ${o.level}) { @start[tid, $d] = nsecs; }
}`,
    `${o.returns.map((p) => p.attach).join(',\n')} /@depth[tid]/ {
  $d = @depth[tid];
  $t = @start[tid, $d];
  if ($d > 1) { @depth[tid] = $d - 1; } else { delete(@depth[tid]); }
  if ($t) {
    delete(@start[tid, $d]);
    $delta = nsecs - $t;
    @dist${key} = hist($delta${o.div > 1 ? ` / ${o.div}` : ''});
    @total = sum($delta);
    @calls = count();
  }
}`,
  ];
  if (o.interval !== undefined) lines.push(`interval:s:${o.interval} { print(@dist); print(@total); print(@calls); clear(@dist); clear(@total); clear(@calls); }`);
  return lines.join('\n');
}

export async function funclatency(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, interval: { type: 'string', short: 'i' }, duration: { type: 'string', short: 'd' },
    timestamp: { type: 'boolean', short: 'T' }, microseconds: { type: 'boolean', short: 'u' }, milliseconds: { type: 'boolean', short: 'm' },
    function: { type: 'boolean', short: 'F' }, regexp: { type: 'boolean', short: 'r' }, level: { type: 'string', short: 'l' },
    json: { type: 'boolean', short: 'j' },
    verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(FUNCLATENCY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new ToolUsageError(positionals.length ? `unrecognized arguments: ${positionals.slice(1).join(' ')}` : 'the following arguments are required: pattern');
  const pattern = positionals[0]!;
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const duration = intOption('-d', v.duration as string | undefined, 1);
  const interval = intOption('-i', v.interval as string | undefined, 1) ?? duration;
  const spec = parseBccSpec(pattern, ['p']);
  const ex = { regex: v.regexp === true, ...(pid !== undefined ? { pid } : {}) };
  const probes = expandBccSpec(spec, pattern, ex);
  const returns = expandBccSpec(spec, pattern, { ...ex, ret: true });
  const label = v.milliseconds ? 'msecs' : v.microseconds ? 'usecs' : 'nsecs';
  const div = v.milliseconds ? 1_000_000 : v.microseconds ? 1000 : 1;
  const o: FunclatencyOptions = {
    probes, returns, div, level: intOption('-l', v.level as string | undefined, 1) ?? 64, perFunction: v.function === true || (spec.library !== '' && pid === undefined),
    ...(pid !== undefined ? { pid } : {}), ...(interval !== undefined ? { interval } : {}),
  };
  const user = spec.library !== '';
  const chosen = chooseMechanism([
    ...(user ? [] : [{ kind: 'fentry' as const, note: 'fentry/fexit on the kernel functions' }]),
    { kind: user ? 'uprobe' as const : 'kprobe' as const, note: `${user ? 'uprobe/uretprobe' : 'kprobe/kretprobe'} on each of the ${probes.length} match(es) of "${pattern}"`, build: funclatencyScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'funclatency', chosen, script);
  const json = v.json === true;
  const names = new Map(returns.map((p) => [p.attach, p.display]));
  let probeNames: readonly string[] = [];
  const fname = (k: Value | undefined): string => {
    const full = typeof k === 'object' && !Array.isArray(k) && k.kind === 'symbol' && k.what === 'probe' ? probeNames[Number(k.addr)] ?? '' : text(k);
    return names.get(full) ?? full;
  };
  let dist: { key: Value | undefined; value: MergedAgg | Value }[] = [];
  let total = 0n;
  let calls = 0n;
  let atExit = false;
  let intervals = 0;
  let stop: (() => Promise<number>) | undefined;
  const summary = (calls: bigint): void => {
    // Histograms by key (merged: one entry per key, buckets in a Map).
    const groups = new Map<string, { name: string; pid?: number; buckets: Map<number, bigint> }>();
    for (const e of dist) {
      const k = Array.isArray(e.key) ? e.key : undefined;
      const name = k ? fname(k[0]) : '';
      const p = k ? num(k[1]) : undefined;
      const id = `${name} ${p ?? ''}`;
      const g = groups.get(id) ?? { name, ...(p !== undefined ? { pid: p } : {}), buckets: new Map<number, bigint>() };
      const val = e.value as MergedAgg;
      if ('buckets' in val) for (const [i, c] of val.buckets) g.buckets.set(i, (g.buckets.get(i) ?? 0n) + c);
      groups.set(id, g);
    }
    const scale = BigInt(div);
    const totalU = total / scale;
    if (json) {
      io.out(jsonLine({
        time: hms(), unit: label,
        histograms: [...groups.values()].map((g) => ({ ...(o.perFunction ? { function: g.name, pid: g.pid } : {}), buckets: Object.fromEntries([...g.buckets].sort(([a], [b]) => a - b)) })),
        ...(calls > 0n ? { avg: Number(totalU) / Number(calls), total: totalU, count: calls } : { count: 0 }),
      }));
      return;
    }
    let s = '\n';
    if (v.timestamp) s += `${hms().padEnd(8)}\n`;
    for (const g of [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.pid ?? 0) - (b.pid ?? 0))) {
      if (o.perFunction) s += `\nFunction = ${g.name}${user ? ` [${g.pid}]` : ''}\n`;
      s += log2Hist(g.buckets, label);
    }
    if (calls > 0n) s += `\navg = ${totalU / calls} ${label}, total: ${totalU} ${label}, count: ${calls}\n\n`;
    io.out(s);
  };
  const banner = json ? '' : `Tracing ${probes.length} functions for "${pattern}"... Hit Ctrl-C to end.\n`;
  const done = (e: { when: 'print' | 'exit' }): boolean => e.when === 'exit' && duration !== undefined && interval !== undefined && intervals * interval >= duration;
  const code = await runScript(script, { verbose: v.verbose === true, io, banner, ...(pid !== undefined ? { pid } : {}) }, {
    onStart: (t) => {
      stop = () => t.stop();
      probeNames = t.script.probeNames ?? [];
    },
    onMap: (name, e) => {
      if (done(e)) return;
      if (name === '@dist') dist = e.entries;
      else if (name === '@total') total = aggNumber(e.entries[0]?.value ?? 0n);
      else if (name === '@calls') calls = aggNumber(e.entries[0]?.value ?? 0n);
      else return;
      // print() sends @dist, @total, @calls in that order; at exit, the summary follows the run.
      if (name === '@calls' && e.when === 'print') {
        summary(calls);
        dist = [];
        total = 0n;
        calls = 0n;
        intervals++;
        if (duration !== undefined && interval !== undefined && intervals * interval >= duration) void stop?.();
      } else if (e.when === 'exit') atExit = true;
    },
  });
  if (atExit || !(duration !== undefined && interval !== undefined && intervals * interval >= duration)) summary(calls);
  if (!json) io.out('Detaching...\n');
  return code;
}

export const funclatencyTool: Tool = { name: 'funclatency', summary: 'time functions: latency as a log2 histogram', run: funclatency };

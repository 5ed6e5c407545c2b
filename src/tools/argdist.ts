// argdist: trace a function and display a distribution of its parameter values as a histogram
// or frequency count, as bcc's tools/argdist.py.
import type { MergedAgg, Value } from '../output/index.js';
import { BccProbeError, expandBccSpec, parseBccSpec, parseSignature, rewriteBccExpr, type BccSpec, type ExpandedProbe } from './bccprobe.js';
import {
  aggNumber, chooseMechanism, helpText, hms, intOption, jsonLine, log2Hist, parseToolArgs, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export const ARGDIST_HELP = helpText(
  'sonde argdist [-h] [-p PID] [-t TID] [-z STRING_SIZE] [-i INTERVAL] [-d DURATION] [-n COUNT] [-v] [-c] [-T TOP] [-H specifier] [-C specifier] [-j]',
  `Trace a function and display a summary of its parameter values.

Probe specifier syntax:
        {p,r,t,u}:{[library],category}:function(signature)[:type[,type...]:expr[,expr...][:filter]][#label]
Where:
        p,r,t,u    -- probe at function entry, function exit, kernel
                      tracepoint, or USDT probe
                      in exit probes: can use $retval, $entry(param), $latency
        library    -- the library that contains the function
                      (leave empty for kernel functions)
        category   -- the category of the kernel tracepoint (e.g. net, sched)
        function   -- the function name to trace (or tracepoint name)
        signature  -- the function's parameters, as in the C header
        type       -- the type of the expression to collect (supports multiple)
        expr       -- the expression to collect (supports multiple)
        filter     -- the filter that is applied to collected values
        label      -- the label for this probe in the resulting output`,
  [
    { flags: '-p PID, --pid PID', help: 'id of the process to trace (optional)' },
    { flags: '-t TID, --tid TID', help: 'id of the thread to trace (optional)' },
    { flags: '-z STRING_SIZE, --string-size STRING_SIZE', help: 'maximum string size to read from char* arguments' },
    { flags: '-i INTERVAL, --interval INTERVAL', help: 'output interval, in seconds (default 1 second)' },
    { flags: '-d DURATION, --duration DURATION', help: 'total duration of trace, in seconds' },
    { flags: '-n COUNT, --number COUNT', help: 'number of outputs' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: '-c, --cumulative', help: 'do not clear histograms and freq counts at each interval' },
    { flags: '-T TOP, --top TOP', help: 'number of top results to show (not applicable to histograms)' },
    { flags: '-H specifier, --histogram specifier', help: 'probe specifier to capture histogram of (see examples below)' },
    { flags: '-C specifier, --count specifier', help: 'probe specifier to capture count of (see examples below)' },
    { flags: '-j, --json', help: 'one JSON object per interval' },
  ],
  `    sonde argdist -H 'p::__kmalloc(u64 size):u64:size'     # needs kprobes
    sonde argdist -p 1005 -C 'p:c:malloc(size_t size):size_t:size:size==16'
                                # how many times process 1005 called malloc(16)
    sonde argdist -C 'r:c:gets():char*:(char*)$retval#snooped strings'
    sonde argdist -p 1005 -C 'p:c:write(int fd):int:fd' -T 5  # busiest fds
    sonde argdist -p 1005 -H 'r:c:read()'   # histogram of read() results
    sonde argdist -H 'p:c:write(int fd, void *buf, size_t n):size_t:n:fd==1'
                                # sizes of writes to STDOUT
    sonde argdist -C 'p:c:fork()#fork calls'              # count fork() calls
    sonde argdist -C 't:syscalls:sys_enter_openat():int:args->flags'
                                # openat() flags, by value
    sonde argdist -H 'r:./a.out:work(int n):u64:$latency/$entry(n)#ns per item'
`,
);

export interface ArgdistProbe {
  raw: string;
  kind: 'freq' | 'hist';
  spec: BccSpec;
  label?: string;
  /** Expressions as written (for the output) and rewritten. */
  shown: string[];
  exprs: string[];
  filter?: string;
  /** $entry(param) and $latency need an entry probe. */
  entryStores: { slot: string; value: string }[];
  latency: boolean;
  probes: ExpandedProbe[];
  entries: ExpandedProbe[];
  /** No expression given: calls are counted (p), or the return value (r). */
  defaultExpr: boolean;
}

/** Splits bcc's specifier at its ':' (not inside the signature's parentheses). */
function splitSpec(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseArgdistProbe(raw: string, kind: 'freq' | 'hist', index: number, o: { pid?: number } = {}): ArgdistProbe {
  const hash = raw.indexOf('#');
  const label = hash >= 0 ? raw.slice(hash + 1) : undefined;
  const parts = splitSpec((hash >= 0 ? raw.slice(0, hash) : raw).trim());
  if (parts.length < 3) throw new BccProbeError(`error parsing probe '${raw}': at least the probe type, library, and function signature must be specified`);
  if (parts.length > 6) throw new BccProbeError(`error parsing probe '${raw}': extraneous ':'-separated parts detected`);
  const type = parts[0]!;
  if (!['p', 'r', 't', 'u'].includes(type)) throw new BccProbeError(`error parsing probe '${raw}': probe type must be 'p', 'r', 't', or 'u' but got '${type}'`);
  const fm = /^\s*([^(\s]+)\s*\((.*)\)\s*$/s.exec(parts[2]!);
  if (!fm) throw new BccProbeError(`error parsing probe '${raw}': function signature '${parts[2]}' has an invalid format`);
  const spec = parseBccSpec(`${type}:${parts[1]}:${fm[1]}`);
  const params = parseSignature(fm[2]!).map((p) => p.name);
  const defaultExpr = parts.length < 5;
  const types = defaultExpr ? [] : parts[3]!.split(',').map((x) => x.trim());
  const shown = defaultExpr ? [] : parts[4]!.split(',').map((x) => x.trim());
  if (types.length !== shown.length) throw new BccProbeError(`error parsing probe '${raw}': mismatched # of exprs and types`);
  if (kind === 'hist' && shown.length > 1) throw new BccProbeError(`error parsing probe '${raw}': histograms take one expression`);
  const entryStores: { slot: string; value: string }[] = [];
  let latency = false;
  const rewrite = (e: string): string => {
    let x = e.replace(/\$entry\(\s*(\w+)\s*\)/g, (_m, p: string) => {
      const i = params.indexOf(p);
      if (i < 0) throw new BccProbeError(`error parsing probe '${raw}': $entry(${p}): no parameter ${p} in the signature`);
      const slot = `@e${index}_${p}`;
      if (!entryStores.some((s) => s.slot === slot)) entryStores.push({ slot, value: `arg${i}` });
      return `${slot}[tid]`;
    });
    x = x.replace(/\$latency\b/g, () => {
      latency = true;
      return `(nsecs - @ts${index}[tid])`;
    });
    // A char* cast is how bcc reads a string; the value is str() here.
    x = x.replace(/\(\s*(const\s+)?char\s*\*\s*\)/g, '');
    return rewriteBccExpr(x, params);
  };
  const exprs = shown.map((e, i) => {
    const x = rewrite(e);
    return /^(const\s+)?char\s*\*$/.test(types[i]!.replace(/\s+/g, ' ').replace(' *', '*')) || types[i] === 'char*' ? `str(${x})` : x;
  });
  const filter = parts[5] !== undefined && parts[5].trim() !== '' ? rewrite(parts[5]) : undefined;
  const needsEntry = entryStores.length > 0 || latency;
  if (needsEntry && spec.type !== 'r') throw new BccProbeError(`error parsing probe '${raw}': $entry and $latency are for return probes (r:)`);
  const ex = { ...(o.pid !== undefined ? { pid: o.pid } : {}) };
  const probes = expandBccSpec(spec, raw, ex);
  const entries = needsEntry ? expandBccSpec({ ...spec, type: 'p' }, raw, ex) : [];
  return {
    raw, kind, spec, ...(label !== undefined ? { label } : {}), shown, exprs, ...(filter !== undefined ? { filter } : {}),
    entryStores, latency, probes, entries, defaultExpr,
  };
}

export interface ArgdistOptions {
  probes: ArgdistProbe[];
  pid?: number;
  tid?: number;
  interval: number;
  cumulative?: boolean;
}

export function argdistScript(o: ArgdistOptions): string {
  const who: string[] = [];
  if (o.pid !== undefined) who.push(`pid == ${o.pid}`);
  if (o.tid !== undefined) who.push(`tid == ${o.tid}`);
  const pred = (extra: string[]): string => (extra.length + who.length ? ` /${[...who, ...extra].join(' && ')}/` : '');
  const lines: string[] = [];
  o.probes.forEach((p, i) => {
    const map = `@${p.kind === 'freq' ? 'c' : 'h'}${i}`;
    const needsEntry = p.entries.length > 0;
    if (needsEntry) {
      lines.push(`${p.entries.map((x) => x.attach).join(',\n')}${pred([])} { @ts${i}[tid] = nsecs;${p.entryStores.map((s) => ` ${s.slot}[tid] = ${s.value};`).join('')} }`);
    }
    const exprs = p.defaultExpr ? (p.spec.type === 'r' ? ['retval'] : []) : p.exprs;
    const update = p.kind === 'freq'
      ? `${map}${exprs.length ? `[${exprs.join(', ')}]` : ''} = count();`
      : `${map} = hist(${exprs[0] ?? '1'});`;
    const body = p.filter !== undefined ? `if (${p.filter}) { ${update} }` : update;
    const cleanup = needsEntry ? ` delete(@ts${i}[tid]);${p.entryStores.map((s) => ` delete(${s.slot}[tid]);`).join('')}` : '';
    lines.push(`${p.probes.map((x) => x.attach).join(',\n')}${pred(needsEntry ? [`@ts${i}[tid]`] : [])} {
  ${body}${cleanup}
}`);
  });
  const maps = o.probes.map((p, i) => `@${p.kind === 'freq' ? 'c' : 'h'}${i}`);
  lines.push(`interval:s:${o.interval} { ${maps.map((m) => `print(${m});`).join(' ')}${o.cumulative ? '' : ` ${maps.map((m) => `clear(${m});`).join(' ')}`} }`);
  return lines.join('\n');
}

const valueText = (v: Value | undefined): string => text(v);

export async function argdist(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, tid: { type: 'string', short: 't' }, 'string-size': { type: 'string', short: 'z' },
    interval: { type: 'string', short: 'i' }, duration: { type: 'string', short: 'd' }, number: { type: 'string', short: 'n' },
    verbose: { type: 'boolean', short: 'v' }, cumulative: { type: 'boolean', short: 'c' }, top: { type: 'string', short: 'T' },
    histogram: { type: 'string', short: 'H', multiple: true }, count: { type: 'string', short: 'C', multiple: true },
    json: { type: 'boolean', short: 'j' },
  });
  if (v.help) {
    io.out(ARGDIST_HELP);
    return 0;
  }
  if (positionals.length) throw new ToolUsageError(`unrecognized arguments: ${positionals.join(' ')}`);
  const hists = (v.histogram as string[] | undefined) ?? [];
  const counts = (v.count as string[] | undefined) ?? [];
  if (hists.length + counts.length === 0) throw new ToolUsageError('at least one specifier is needed: -H or -C');
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const tid = intOption('-t', v.tid as string | undefined, 1);
  const interval = intOption('-i', v.interval as string | undefined, 1) ?? 1;
  const duration = intOption('-d', v.duration as string | undefined, 1);
  const number = intOption('-n', v.number as string | undefined, 1);
  const top = intOption('-T', v.top as string | undefined, 1);
  const strlen = intOption('-z', v['string-size'] as string | undefined, 1);
  const specs: [string, 'freq' | 'hist'][] = [...hists.map((h) => [h, 'hist'] as [string, 'hist']), ...counts.map((c) => [c, 'freq'] as [string, 'freq'])];
  const probes = specs.map(([s, k], i) => parseArgdistProbe(s, k, i, pid !== undefined ? { pid } : {}));
  const o: ArgdistOptions = { probes, interval, ...(pid !== undefined ? { pid } : {}), ...(tid !== undefined ? { tid } : {}), ...(v.cumulative ? { cumulative: true } : {}) };
  const kinds = [...new Set(probes.map((p) => (p.spec.type === 't' ? 'tracepoint' : p.spec.type === 'u' ? 'usdt' : p.spec.library ? 'uprobe' : 'kprobe')))];
  const chosen = chooseMechanism([{ kind: kinds[0] as 'uprobe', note: `${kinds.join(', ')} probes, as the specifiers ask; values aggregated in the kernel`, build: argdistScript }]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'argdist', chosen, script);
  const json = v.json === true;
  const mapName = (p: ArgdistProbe, i: number): string => `@${p.kind === 'freq' ? 'c' : 'h'}${i}`;
  const latest = new Map<string, { key: Value | undefined; value: MergedAgg | Value }[]>();
  let printed = 0;
  let stop: (() => Promise<number>) | undefined;
  const display = (): void => {
    const out: Record<string, unknown>[] = [];
    let s = `[${hms()}]\n`;
    probes.forEach((p, i) => {
      const entries = latest.get(mapName(p, i)) ?? [];
      const title = p.label ?? p.raw;
      if (p.kind === 'freq') {
        let rows = entries.map((e) => {
          const key = e.key === undefined ? [] : Array.isArray(e.key) && p.shown.length > 1 ? e.key : [e.key];
          const ev = p.defaultExpr ? (p.spec.type === 'r' ? `retval = ${valueText(key[0])}` : 'total calls') : p.shown.map((x, k) => `${x} = ${valueText(key[k])}`).join(', ');
          return { event: ev, count: aggNumber(e.value) };
        }).filter((x) => x.count > 0n).sort((a, b) => (a.count < b.count ? -1 : a.count > b.count ? 1 : a.event.localeCompare(b.event)));
        if (top !== undefined) rows = rows.slice(-top);
        out.push({ probe: title, counts: rows });
        s += `${title}\n\t${'COUNT'.padEnd(10)} EVENT\n`;
        for (const row of rows) s += `\t${String(row.count).padEnd(10)} ${row.event}\n`;
      } else {
        const buckets = new Map<number, bigint>();
        for (const e of entries) {
          const val = e.value as MergedAgg;
          if ('buckets' in val) for (const [b, c] of val.buckets) buckets.set(b, (buckets.get(b) ?? 0n) + c);
        }
        out.push({ probe: title, buckets: Object.fromEntries([...buckets].sort(([a], [b]) => a - b)) });
        s += log2Hist(buckets, p.label ?? (p.defaultExpr ? 'retval' : p.shown[0]!));
      }
    });
    io.out(json ? jsonLine({ time: hms(), probes: out }) : s);
  };
  const last = mapName(probes.at(-1)!, probes.length - 1);
  let finished = false;
  let exitSeen = false;
  const code = await runScript(script, { verbose: v.verbose === true, io, ...(strlen ? { strlen: strlen + 1 } : {}), ...(pid !== undefined ? { pid } : {}), banner: json ? '' : `Tracing ${probes.length} probe${probes.length === 1 ? '' : 's'}... Hit Ctrl-C to end.\n` }, {
    onStart: (t) => {
      stop = () => t.stop();
    },
    onMap: (name, e) => {
      if (finished || !/^@[ch]\d+$/.test(name)) return;
      latest.set(name, e.entries);
      if (e.when === 'exit') {
        exitSeen = true;
        return;
      }
      if (name !== last) return;
      display();
      printed++;
      if ((number !== undefined && printed >= number) || (duration !== undefined && printed * interval >= duration)) {
        finished = true;
        void stop?.();
      }
    },
  });
  // Ctrl-C: what was gathered since the last interval (bcc drops it; a short run would show nothing).
  if (!finished && exitSeen && [...latest.values()].some((x) => x.length > 0)) display();
  return code;
}

export const argdistTool: Tool = { name: 'argdist', summary: 'histograms (-H) and counts (-C) of arguments, return values', run: argdist };

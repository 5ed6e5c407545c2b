// The default renderer: kernel bytes → bpftrace 0.17's text and typed values, through src/output.
import type { CompiledScript, MapDef } from '../lang/spec.js';
import type { SType } from '../lang/types.js';
import type { BpfMap } from '../bpf/map.js';
import {
  decodeValue, decodeEventArgs, formatPrintf, formatMergedMap, formatValue, formatTime, parseFormat, orderMap,
  jsonAttached, jsonCat, jsonJoin, jsonLost, jsonLostMessage, jsonMergedMap, jsonPrintf, jsonSyscall, jsonTime, jsonValue,
  formatHelperError, jsonHelperError,
  type FormatSpec, type MapRow, type MergedAgg, type Resolver, type Value,
} from '../output/index.js';
import type { Renderer, EventRecord, FormatEventDef } from './script.js';
import type { RawMapEntry } from './map-read.js';
import { systemResolver } from './resolver.js';

/** One entry of a map as the library API gives it. */
export interface MapEntryValue {
  /** The decoded key: undefined for a scalar map (`@x`), an array for `@m[a, b]`. */
  key: Value | undefined;
  /** Aggregations merged across CPUs (hist/lhist: counts by bucket index), else the decoded value. */
  value: MergedAgg | Value;
}

export type BpftraceRenderer = Renderer<Value, MapEntryValue>;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export interface RendererOptions {
  /** bpftrace's -f json: one JSON object a line. */
  format?: 'text' | 'json';
  /** Default: symbols, stacks, users and probe names from the running system. */
  resolver?: Partial<Resolver>;
  /** Processes known at start (-p, -c) whose memory maps the default resolver keeps (resolver.ts). */
  watch?: readonly { pid: number; awaitExec?: boolean }[];
}

export function bpftraceRenderer(script: CompiledScript, maps: ReadonlyMap<string, BpfMap>, opts: RendererOptions = {}): BpftraceRenderer {
  const json = opts.format === 'json';
  const r = opts.resolver ?? systemResolver({
    ...(script.probeNames ? { probeNames: script.probeNames } : {}), stackMap: (v) => maps.get(`.stacks_${v.limit}`), ...(opts.watch ? { watch: opts.watch } : {}),
    ...(script.strftimeFormats ? { strftimeFormats: script.strftimeFormats } : {}), ...(script.cgroupPathFilters ? { cgroupPathFilters: script.cgroupPathFilters } : {}),
  });
  const specs = new Map<string, FormatSpec>();
  const spec = (format: string, fn: string): FormatSpec => {
    let s = specs.get(format);
    if (!s) {
      s = parseFormat(format, fn);
      specs.set(format, s);
    }
    return s;
  };
  const args = (def: { args: FormatEventDef['args'] }, rec: EventRecord): Value[] => decodeEventArgs(def.args, rec.view, rec.offset);
  return {
    format(def, rec) {
      const values = args(def, rec);
      const text = formatPrintf(spec(def.format, def.kind), values, def.args.map((a) => a.type), r);
      // system() and cat() get their command / path here; their output is wrapped by output().
      // join() is an event of its own in JSON, its text without the newline.
      const jsonText = (): string => ('join' in def && def.join ? jsonJoin(text.replace(/\n$/, '')) : jsonPrintf(text));
      return { text: json && def.kind === 'printf' ? jsonText() : text, values };
    },
    printValue(def, rec) {
      const a = def.args[0];
      if (!a) return { text: '\n', value: '' };
      const value = decodeValue(a.type, rec.view, rec.offset + a.offset);
      return { text: json ? jsonValue(a.type, value, r) : formatValue(a.type, value, r), value };
    },
    map(def: MapDef, entries: RawMapEntry[], o) {
      const fo = { top: o.top, div: o.div, resolver: r };
      const text = json ? jsonMergedMap(def, entries, fo) : formatMergedMap(def, entries, fo);
      const typed = typedEntries(def, entries, o.top);
      if (hasStack(def.key) || hasStack(def.value)) for (const e of typed) withFrames(e.key, r), withFrames(e.value as Value, r);
      return { text, entries: typed };
    },
    time(format, at) {
      const text = formatTime(format, at);
      return json ? jsonTime(text) : text;
    },
    attached: (n) => (json ? jsonAttached(n) : `Attaching ${n} probe${n === 1 ? '' : 's'}...\n`),
    lost: (n) => (json ? jsonLost(n) : `Lost ${n} events\n`),
    message: (text) => (json ? jsonLostMessage(text) : `${text}\n`),
    helperError: (f) => (json ? jsonHelperError(f) : formatHelperError(f, script.file, script.source)),
    output: (kind, text) => (!json ? text : kind === 'system' ? jsonSyscall(text) : jsonCat(text)),
  };
}

function hasStack(t: SType): boolean {
  return t.kind === 'stack' || (t.kind === 'tuple' && t.elems.some(hasStack));
}

/** Stack values get their frames while the stack maps are open (the API reads them later). */
function withFrames(v: Value | undefined, r: Partial<Resolver>): void {
  if (Array.isArray(v)) for (const x of v) withFrames(x, r);
  else if (typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'stack' && v.mode !== 'raw') {
    const addrs = r.stack?.(v) ?? [];
    v.frames = addrs.slice(0, v.limit > 0 ? v.limit : addrs.length).map((addr) => ({
      addr,
      sym: v.space === 'kernel' ? (r.ksym?.(addr, false) ?? '') : (r.usym?.(addr, v.pid, false, false) ?? ''),
    }));
  }
}

/** A map's entries decoded, in the order bpftrace prints them (print()'s `top` applied). */
export function typedEntries(def: MapDef, entries: RawMapEntry[], top = 0): MapEntryValue[] {
  const key = (row: MapRow): Value | undefined => (def.key.kind === 'void' ? undefined : row.key);
  const value = (v: MergedAgg | Uint8Array): MergedAgg | Value => (v instanceof Uint8Array ? decodeValue(def.value, view(v), 0) : v);
  const o = orderMap(def, entries, top);
  switch (o.kind) {
    case 'plain': return o.rows.map((row) => ({ key: key(row), value: value(row.value) }));
    case 'hist': return o.groups.map(({ row }) => ({ key: key(row), value: value(row.value) }));
    case 'stats': return o.items.map(({ row, m }) => ({ key: key(row), value: m }));
  }
}

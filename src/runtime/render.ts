// The default renderer: kernel bytes → bpftrace 0.17's text and typed values, through src/output.
import type { CompiledScript, MapDef } from '../lang/spec.js';
import type { BpfMap } from '../bpf/map.js';
import {
  decodeValue, formatPrintf, formatMergedMap, formatValue, formatTime, parseFormat, userKeySize,
  type FormatSpec, type MergedAgg, type Resolver, type Value,
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

/** Stack-trace maps of a script by the space they serve (names chosen by the compiler). */
function stackMaps(script: CompiledScript, maps: ReadonlyMap<string, BpfMap>): { kernel?: BpfMap; user?: BpfMap } {
  const defs = script.maps.filter((m) => m.kind === 'stack_trace');
  const pick = (re: RegExp): BpfMap | undefined => {
    const d = defs.find((m) => re.test(m.name)) ?? (defs.length === 1 ? defs[0] : undefined);
    return d ? maps.get(d.name) : undefined;
  };
  const kernel = pick(/k/i);
  const user = pick(/u/i);
  return { ...(kernel ? { kernel } : {}), ...(user ? { user } : {}) };
}

export function bpftraceRenderer(script: CompiledScript, maps: ReadonlyMap<string, BpfMap>, resolver?: Partial<Resolver>): BpftraceRenderer {
  const r = resolver ?? systemResolver({ ...(script.probeNames ? { probeNames: script.probeNames } : {}), stacks: stackMaps(script, maps) });
  const specs = new Map<string, FormatSpec>();
  const spec = (format: string, fn: string): FormatSpec => {
    let s = specs.get(format);
    if (!s) {
      s = parseFormat(format, fn);
      specs.set(format, s);
    }
    return s;
  };
  const args = (def: { args: FormatEventDef['args'] }, rec: EventRecord): Value[] =>
    // EventArg offsets count from the start of the record (spec.ts).
    def.args.map((a) => decodeValue(a.type, rec.view, rec.offset + a.offset));
  return {
    format(def, rec) {
      const values = args(def, rec);
      const text = formatPrintf(spec(def.format, def.kind), values, def.args.map((a) => a.type), r);
      return { text, values };
    },
    printValue(def, rec) {
      const a = def.args[0];
      if (!a) return { text: '\n', value: '' };
      const value = decodeValue(a.type, rec.view, rec.offset + a.offset);
      return { text: formatValue(a.type, value, r), value };
    },
    map(def: MapDef, entries: RawMapEntry[], opts) {
      const text = formatMergedMap(def, entries, { top: opts.top, div: opts.div, resolver: r });
      const n = userKeySize(def);
      const typed = entries.map((e): MapEntryValue => ({
        key: def.key.kind === 'void' ? undefined : decodeValue(def.key, view(e.key.subarray(0, n)), 0),
        value: e.value instanceof Uint8Array ? decodeValue(def.value, view(e.value), 0) : e.value,
      }));
      return { text, entries: typed };
    },
    time(format, at) {
      return formatTime(format, at);
    },
  };
}

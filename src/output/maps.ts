/**
 * Printing maps as bpftrace 0.17 prints them at exit and for print(@m, top, div)
 * (BPFtrace::print_map / print_map_hist / print_map_stats and TextOutput).
 *
 * Order of entries:
 * - hist/lhist (by the sum of all buckets) and avg/stats (by the average): bpftrace groups the
 *   entries in a std::map, i.e. in the byte order of the key (little-endian: key 256 before 1),
 *   then std::sorts them. Same here, with a step-for-step port of libstdc++'s std::sort, so ties
 *   come out exactly as bpftrace's, even past 16 entries where std::sort stops being stable.
 * - any other value that is not a number (strings, tuples, pointers, symbols…): stable-sorted by
 *   key, last key part first: integers as unsigned 64-bit, strings bytewise; other key types
 *   keep the order the entries were given in (bpftrace: the map's iteration order).
 * - count/sum/min/max and integer values: ascending by value. Deliberate difference: bpftrace
 *   std::sorts them from the kernel's hash order, which has a random seed per map, so its ties
 *   come out in a different order from run to run; sonde breaks ties by key (the order above).
 */
import type { MapDef } from '../lang/spec.js';
import { sizeOf, isBucketedAgg } from '../lang/types.js';
import type { AggType, SType } from '../lang/types.js';
import { mergeAgg } from './agg.js';
import type { MergedAgg } from './agg.js';
import { decodeAggSlots, decodeKey, decodeValue, DecodeError, isBucketed, userKeySize } from './decode.js';
import { histText, histBuckets, lhistBuckets, lhistText, boundsText } from './hist.js';
import { withFallback } from './resolve.js';
import type { Resolver } from './resolve.js';
import { stableSort, stdSort } from './std-sort.js';
import { asInt, keyText, valueText } from './text.js';
import { NONE } from './value.js';
import type { Value } from './value.js';

/** A map entry as the kernel holds it. */
export interface MapEntry {
  /** The key as stored in the map (hist/lhist: user key + u64 bucket index). */
  key: Uint8Array;
  /** One value per possible CPU for per-CPU maps, else one. */
  values: Uint8Array[];
}

/**
 * A map entry already merged (the runtime's reader, src/runtime/map-read.ts, gives these):
 * the user key's bytes (no bucket word; a scalar map's may be empty) and either the merged
 * aggregation (hist/lhist: all buckets of the key) or the value's bytes.
 */
export interface MergedMapEntry {
  key: Uint8Array;
  value: MergedAgg | Uint8Array;
}

export interface FormatMapOptions {
  /** print(@m, top): only the `top` largest entries (still printed in ascending order). 0 = all. */
  top?: number;
  /** print(@m, top, div): divide printed values by `div` (integer division). 0 = 1. */
  div?: number;
  resolver?: Partial<Resolver>;
}

/**
 * A whole map as bpftrace prints it: one line per entry (`@m[1, abc]: 5`), a histogram block per
 * key for hist/lhist, then a newline — so an empty map prints as a bare "\n" (stats/avg: "\n\n",
 * hist/lhist blocks end with a blank line), exactly as bpftrace does.
 */
export function formatMap(def: MapDef, entries: readonly MapEntry[], opts: FormatMapOptions = {}): string {
  return formatMergedMap(def, mergeEntries(def, entries), opts);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Merges raw entries: per-CPU slots of aggregations combined, hist/lhist bucket entries gathered
 * under their user key (in first-seen order), integers summed across CPUs in their own width.
 */
export function mergeEntries(def: MapDef, entries: readonly MapEntry[]): MergedMapEntry[] {
  const t = def.value;
  const out: MergedMapEntry[] = [];
  const byKey = new Map<string, { key: Uint8Array; value: { fn: 'hist' | 'lhist' | 'llhist' | 'bhist'; buckets: Map<number, bigint> } }>();
  for (const e of entries) {
    if (t.kind === 'agg') {
      const m = mergeAgg(t, decodeAggSlots(t, e.values), isBucketed(def) ? decodeKey(def, e.key).bucket : 0);
      if ('buckets' in m) {
        const user = e.key.subarray(0, e.key.length - 8);
        const id = Buffer.from(user).toString('hex');
        let g = byKey.get(id);
        if (!g) {
          g = { key: user.slice(), value: { fn: m.fn, buckets: new Map() } };
          byKey.set(id, g);
          out.push(g);
        }
        for (const [b, c] of m.buckets) g.value.buckets.set(b, (g.value.buckets.get(b) ?? 0n) + c);
      } else {
        out.push({ key: e.key, value: m });
      }
    } else if (t.kind === 'int' && e.values.length > 1) {
      // bpftrace sums an integer's per-CPU copies in the integer's own width.
      const total = e.values.reduce((acc, b) => acc + asInt(decodeValue(t, view(b), 0)), 0n);
      const bytes = new Uint8Array(t.size);
      const u = BigInt.asUintN(t.size * 8, total);
      for (let i = 0; i < t.size; i++) bytes[i] = Number((u >> BigInt(8 * i)) & 0xffn);
      out.push({ key: e.key, value: bytes });
    } else {
      const first = e.values[0];
      if (!first) throw new DecodeError(`an entry of ${def.name} has no value`, t.kind, 0, sizeOf(t), 0);
      out.push({ key: e.key, value: first });
    }
  }
  return out;
}

/** Like formatMap, for entries already merged (MergedMapEntry). */
export function formatMergedMap(def: MapDef, entries: readonly MergedMapEntry[], opts: FormatMapOptions = {}): string {
  const r = withFallback(opts.resolver);
  const div = BigInt(Math.trunc(opts.div ?? 0) || 1);
  const o = orderMap(def, entries, opts.top);
  switch (o.kind) {
    case 'plain': return formatPlainMap(def, o.rows, div, r);
    case 'hist': return formatHistMap(def, o.agg, o.groups, div, r);
    case 'stats': return formatStatsMap(def, o.agg, o.items, div, r);
  }
}

/** A map entry with its user key decoded; `raw` is the key's bytes (no hist bucket word). */
export interface MapRow { key: Value; raw: Uint8Array; value: MergedAgg | Uint8Array }

export type StatsAgg = Extract<MergedAgg, { fn: 'avg' | 'stats' }>;

/**
 * A map's entries in the order bpftrace prints them, print()'s `top` applied: what the text
 * (formatMergedMap) and JSON (json.ts) printers share. A hist/lhist group has one count per
 * bucket index (absent buckets 0).
 */
export type OrderedMap =
  | { kind: 'plain'; rows: MapRow[] }
  | { kind: 'hist'; agg: AggType; groups: { row: MapRow; counts: bigint[] }[] }
  | { kind: 'stats'; agg: AggType; items: { row: MapRow; m: StatsAgg }[] };

export function orderMap(def: MapDef, entries: readonly MergedMapEntry[], top = 0): OrderedMap {
  const rows = entries.map((e) => toRow(def, e));
  const n = Math.max(0, Math.trunc(top));
  const v = def.value;
  if (v.kind === 'agg') {
    if (isBucketedAgg(v.fn)) return { kind: 'hist', agg: v, groups: orderHist(def, v, rows, n) };
    if (v.fn === 'avg' || v.fn === 'stats') return { kind: 'stats', agg: v, items: orderStats(def, v, rows, n) };
  }
  return { kind: 'plain', rows: orderPlain(def, rows, n) };
}

function toRow(def: MapDef, e: MergedMapEntry): MapRow {
  if (def.key.kind === 'void') return { key: NONE, raw: new Uint8Array(0), value: e.value };
  const n = userKeySize(def);
  if (e.key.length < n) {
    throw new DecodeError(`a key of ${def.name} has ${e.key.length} bytes, needs ${n}`, def.key.kind, 0, n, e.key.length);
  }
  const raw = e.key.subarray(0, n);
  return { key: decodeValue(def.key, view(raw), 0), raw, value: e.value };
}

function agg<F extends MergedAgg['fn']>(row: MapRow, fns: readonly F[], name: string): Extract<MergedAgg, { fn: F }> {
  const v = row.value;
  if (v instanceof Uint8Array || !(fns as readonly string[]).includes(v.fn)) {
    throw new DecodeError(`an entry of ${name} is not a merged ${fns.join('/')} value`, fns.join('/'), 0, 0, 0);
  }
  return v as Extract<MergedAgg, { fn: F }>;
}

/** Drops all but the last `top` of the sorted items, as bpftrace's print() does. */
function keepTop<T>(sorted: T[], top: number): T[] {
  return top && sorted.length > top ? sorted.slice(sorted.length - top) : sorted;
}

function orderPlain(def: MapDef, rows: MapRow[], top: number): MapRow[] {
  const sorted = sortByKey(def.key, rows, (row) => row.key);
  if (!sortsByValue(def.value)) return keepTop(sorted, top);
  // Ties: bpftrace std::sorts the kernel's hash order (random per map), so its tie order changes
  // from run to run; sonde puts ties in key order (test/conformance/KNOWN-DIFFERENCES.md).
  const byValue = sorted.map((row) => ({ row, value: plainNumber(def, row, 1n)! }));
  stableSort(byValue, (a, b) => a.value < b.value);
  return keepTop(byValue.map((x) => x.row), top);
}

function formatPlainMap(def: MapDef, rows: MapRow[], div: bigint, r: Resolver): string {
  const t = def.value;
  const delim = t.kind === 'stack' || (t.kind === 'symbol' && ['ksym', 'usym', 'inet', 'func'].includes(t.what)) ? '' : '\n';
  return rows.map((row) => {
    const text = plainNumber(def, row, div)?.toString() ?? valueText(t, rowValue(def, row), r);
    return `${keyText(def.name, def.key, row.key, r)}: ${text}`;
  }).join(delim) + '\n';
}

/** count/sum/min/max and integers sort by value; bpftrace's kaddr() is an integer too. */
function sortsByValue(t: SType): boolean {
  return (t.kind === 'agg' && ['count', 'sum', 'min', 'max'].includes(t.fn))
    || t.kind === 'int' || (t.kind === 'symbol' && t.what === 'kaddr');
}

/**
 * The number a count/sum/min/max, integer or kaddr entry of a plain map prints, print()'s `div`
 * applied (integers keep their width and sign); undefined for values that print as text.
 */
export function plainNumber(def: MapDef, row: MapRow, div: bigint): bigint | undefined {
  const t = def.value;
  if (t.kind === 'agg') {
    const m = agg(row, ['count', 'sum', 'min', 'max'] as const, def.name);
    const value = m.fn === 'count' ? m.count : m.fn === 'sum' ? m.sum : m.value;
    return value / div;
  }
  if ((t.kind === 'int' && !t.bool) || (t.kind === 'symbol' && t.what === 'kaddr')) {
    const value = asInt(rowValue(def, row));
    const bits = t.kind === 'int' ? t.size * 8 : 64;
    const q = value / div;
    return t.kind === 'int' && t.signed ? BigInt.asIntN(bits, q) : BigInt.asUintN(bits, q);
  }
  return undefined;
}

/** The decoded value of an entry of a plain (non-aggregation) map. */
export function rowValue(def: MapDef, row: MapRow): Value {
  const bytes = row.value;
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`an entry of ${def.name} holds an aggregation`, def.value.kind, 0, 0, 0);
  return decodeValue(def.value, view(bytes), 0);
}

const utf8 = new TextEncoder();

/** bpftrace's sort_by_key: stable sorts by each key part, last part first. */
function sortByKey<T>(keyType: SType, items: T[], keyOf: (x: T) => Value): T[] {
  const parts: { t: SType; get: (k: Value) => Value }[] = keyType.kind === 'tuple'
    ? keyType.elems.map((t, i) => ({ t, get: (k: Value) => (k as Value[])[i]! }))
    : keyType.kind === 'void' ? [] : [{ t: keyType, get: (k: Value) => k }];
  for (let i = parts.length - 1; i >= 0; i--) {
    const { t, get } = parts[i]!;
    if (t.kind === 'int' || (t.kind === 'symbol' && t.what === 'kaddr')) {
      const u = (x: T): bigint => BigInt.asUintN(64, asInt(get(keyOf(x))));
      stableSort(items, (a, b) => u(a) < u(b));
    } else if (t.kind === 'string') {
      const s = (x: T): Uint8Array => utf8.encode(get(keyOf(x)) as string);
      stableSort(items, (a, b) => Buffer.compare(s(a), s(b)) < 0);
    }
  }
  return items;
}

/** Key bytes in the order of bpftrace's std::map<std::vector<uint8_t>, …> (byte by byte). */
function byKeyBytes(a: MapRow, b: MapRow): number {
  return Buffer.compare(a.raw, b.raw);
}

function orderHist(def: MapDef, t: AggType, rows: MapRow[], top: number): { row: MapRow; counts: bigint[] }[] {
  if (t.fn === 'lhist' && !t.lhist) throw new DecodeError(`lhist map ${def.name} has no lhist range in its type`, 'lhist', 0, 0, 0);
  const groups = rows.sort(byKeyBytes).map((row) => {
    const m = agg(row, ['hist', 'lhist', 'llhist', 'bhist'] as const, def.name);
    const size = t.fn === 'hist' ? histBuckets(t.histBits ?? 0) : t.fn === 'lhist' ? lhistBuckets(t.lhist!) + 2 : t.bounds!.length + 1;
    const counts = new Array<bigint>(Math.max(size, ...[...m.buckets.keys()].map((b) => b + 1))).fill(0n);
    for (const [b, c] of m.buckets) counts[b] = c;
    return { row, counts, total: BigInt.asIntN(64, counts.reduce((a, b) => a + b, 0n)) };
  });
  stdSort(groups, (a, b) => a.total < b.total);
  return keepTop(groups, top).map(({ row, counts }) => ({ row, counts }));
}

function formatHistMap(def: MapDef, t: AggType, groups: { row: MapRow; counts: bigint[] }[], div: bigint, r: Resolver): string {
  return groups.map((g) => {
    // bpftrace divides hist counts by print()'s div, not lhist's.
    const body = t.fn === 'hist' ? histText(g.counts, div, t.histBits ?? 0)
      : t.fn === 'lhist' ? lhistText(g.counts, t.lhist!) : boundsText(g.counts, t.bounds!, div);
    return `${keyText(def.name, def.key, g.row.key, r)}: \n${body}`;
  }).join('\n') + '\n';
}

function orderStats(def: MapDef, t: AggType, rows: MapRow[], top: number): { row: MapRow; m: StatsAgg }[] {
  const items = rows.sort(byKeyBytes).map((row) => ({ row, m: agg(row, ['avg', 'stats'] as const, def.name) }));
  stdSort(items, (a, b) => a.m.average < b.m.average);
  // bpftrace applies print()'s top and div to avg() maps only; stats() ignores both.
  return t.fn === 'avg' ? keepTop(items, top) : items;
}

function formatStatsMap(def: MapDef, t: AggType, items: { row: MapRow; m: StatsAgg }[], div: bigint, r: Resolver): string {
  return items.map(({ row, m }) => {
    const text = t.fn === 'avg'
      ? (m.average / div).toString()
      : `count ${BigInt.asIntN(64, m.count)}, average ${m.average}, total ${m.total}`;
    return `${keyText(def.name, def.key, row.key, r)}: ${text}`;
  }).join('\n') + '\n\n';
}

/** bpftrace's print_maps (SIGUSR1, and at exit after a blank line pair): every user map by name. */
export function formatMaps(maps: readonly { def: MapDef; entries: readonly MapEntry[] }[], resolver?: Partial<Resolver>): string {
  return userMapsByName(maps).map((m) => formatMap(m.def, m.entries, resolver ? { resolver } : {})).join('');
}

/** The maps bpftrace prints (user maps, not '.events' and the like) in its order: by name, bytewise. */
export function userMapsByName<M extends { def: MapDef }>(maps: readonly M[]): M[] {
  return maps.filter((m) => m.def.user).sort((a, b) => Buffer.compare(utf8.encode(a.def.name), utf8.encode(b.def.name)));
}

/** The maps bpftrace prints when the script ends: a blank line pair, then every user map by name. */
export function formatExitMaps(maps: readonly { def: MapDef; entries: readonly MapEntry[] }[], resolver?: Partial<Resolver>): string {
  return '\n\n' + formatMaps(maps, resolver);
}

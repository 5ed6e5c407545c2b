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
import type { AggType, SType } from '../lang/types.js';
import { mergeAgg } from './agg.js';
import type { MergedAgg } from './agg.js';
import { decodeAggSlots, decodeKey, decodeValue, DecodeError } from './decode.js';
import { histText, lhistBuckets, lhistText } from './hist.js';
import { withFallback } from './resolve.js';
import type { Resolver } from './resolve.js';
import { stableSort, stdSort } from './std-sort.js';
import { asInt, keyText, valueText } from './text.js';
import type { Value } from './value.js';

export interface MapEntry {
  /** The key as stored in the map (hist/lhist: user key + u64 bucket index). */
  key: Uint8Array;
  /** One value per possible CPU for per-CPU maps, else one. */
  values: Uint8Array[];
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
  const r = withFallback(opts.resolver);
  const top = Math.max(0, Math.trunc(opts.top ?? 0));
  const div = BigInt(Math.trunc(opts.div ?? 0) || 1);
  const v = def.value;
  if (v.kind === 'agg') {
    if (v.fn === 'hist' || v.fn === 'lhist') return formatHistMap(def, v, entries, top, div, r);
    if (v.fn === 'avg' || v.fn === 'stats') return formatStatsMap(def, v, entries, top, div, r);
  }
  return formatPlainMap(def, entries, top, div, r);
}

/** Drops all but the last `top` of `n` sorted items, as bpftrace's print() does. */
function keepTop<T>(sorted: T[], top: number): T[] {
  return top && sorted.length > top ? sorted.slice(sorted.length - top) : sorted;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

interface Row { key: Value; raw: Uint8Array; sortValue: bigint; text: string }

function formatPlainMap(def: MapDef, entries: readonly MapEntry[], top: number, div: bigint, r: Resolver): string {
  const t = def.value;
  const rows: Row[] = entries.map((e) => {
    const k = decodeKey(def, e.key);
    const { sortValue, text } = plainValue(t, e.values, div, r);
    return { key: k.key, raw: k.raw, sortValue, text };
  });
  const sorted = sortByKey(def.key, rows);
  // Ties: bpftrace std::sorts the kernel's hash order (random per map), so its tie order changes
  // from run to run; sonde puts ties in key order (test/conformance/KNOWN-DIFFERENCES.md).
  if (sortsByValue(t)) stableSort(sorted, (a, b) => a.sortValue < b.sortValue);
  const delim = t.kind === 'stack' || (t.kind === 'symbol' && ['ksym', 'usym', 'inet', 'func'].includes(t.what)) ? '' : '\n';
  return keepTop(sorted, top).map((row) => `${keyText(def.name, def.key, row.key, r)}: ${row.text}`).join(delim) + '\n';
}

/** count/sum/min/max and integers sort by value; bpftrace's kaddr() is an integer too. */
function sortsByValue(t: SType): boolean {
  return (t.kind === 'agg' && ['count', 'sum', 'min', 'max'].includes(t.fn))
    || t.kind === 'int' || (t.kind === 'symbol' && t.what === 'kaddr');
}

function plainValue(t: SType, values: Uint8Array[], div: bigint, r: Resolver): { sortValue: bigint; text: string } {
  if (t.kind === 'agg') {
    const m = mergeAgg(t, decodeAggSlots(t, values));
    const value = m.fn === 'count' || m.fn === 'sum' || m.fn === 'min' || m.fn === 'max' ? m.value : 0n;
    return { sortValue: value, text: (value / div).toString() };
  }
  if (t.kind === 'int' || (t.kind === 'symbol' && t.what === 'kaddr')) {
    // bpftrace sums an integer's per-CPU copies in the integer's own width.
    const size = t.kind === 'int' ? t.size : 8;
    const signed = t.kind === 'int' ? t.signed : false;
    const wrap = (x: bigint): bigint => (signed ? BigInt.asIntN(size * 8, x) : BigInt.asUintN(size * 8, x));
    const value = wrap(values.reduce((acc, b) => acc + asInt(decodeValue(t, view(b), 0)), 0n));
    return { sortValue: value, text: wrap(value / div).toString() };
  }
  const first = values[0];
  if (!first) throw new DecodeError(`map entry without a value`, t.kind, 0, 1, 0);
  return { sortValue: 0n, text: valueText(t, decodeValue(t, view(first), 0), r) };
}

const utf8 = new TextEncoder();

/** bpftrace's sort_by_key: stable sorts by each key part, last part first. */
function sortByKey(keyType: SType, rows: Row[]): Row[] {
  const parts: { t: SType; get: (k: Value) => Value }[] = keyType.kind === 'tuple'
    ? keyType.elems.map((t, i) => ({ t, get: (k: Value) => (k as Value[])[i]! }))
    : keyType.kind === 'void' ? [] : [{ t: keyType, get: (k: Value) => k }];
  for (let i = parts.length - 1; i >= 0; i--) {
    const { t, get } = parts[i]!;
    if (t.kind === 'int' || (t.kind === 'symbol' && t.what === 'kaddr')) {
      stableSort(rows, (a, b) => BigInt.asUintN(64, asInt(get(a.key))) < BigInt.asUintN(64, asInt(get(b.key))));
    } else if (t.kind === 'string') {
      stableSort(rows, (a, b) => Buffer.compare(utf8.encode(get(a.key) as string), utf8.encode(get(b.key) as string)) < 0);
    }
  }
  return rows;
}

/** Byte order of keys: the order of bpftrace's std::map<std::vector<uint8_t>, …>. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

interface Group { key: Value; raw: Uint8Array; counts: bigint[]; total: bigint }

function formatHistMap(def: MapDef, t: AggType, entries: readonly MapEntry[], top: number, div: bigint, r: Resolver): string {
  const byKey = new Map<string, Group>();
  for (const e of entries) {
    const k = decodeKey(def, e.key);
    const id = Buffer.from(k.raw).toString('hex');
    let g = byKey.get(id);
    if (!g) byKey.set(id, (g = { key: k.key, raw: k.raw.slice(), counts: [], total: 0n }));
    const m = mergeAgg(t, decodeAggSlots(t, e.values)) as Extract<MergedAgg, { fn: 'hist' | 'lhist' }>;
    const bucket = k.bucket ?? 0;
    while (g.counts.length <= bucket) g.counts.push(0n);
    g.counts[bucket] = m.count;
  }
  const groups = [...byKey.values()].sort((a, b) => compareBytes(a.raw, b.raw));
  for (const g of groups) g.total = BigInt.asIntN(64, g.counts.reduce((a, b) => a + b, 0n));
  stdSort(groups, (a, b) => a.total < b.total);
  const range = t.lhist;
  if (t.fn === 'lhist' && !range) throw new DecodeError(`lhist map ${def.name} has no lhist range in its type`, 'lhist', 0, 0, 0);
  return keepTop(groups, top).map((g) => {
    const body = t.fn === 'hist' ? histText(g.counts, div) : lhistText(padTo(g.counts, lhistBuckets(range!) + 2), range!);
    return `${keyText(def.name, def.key, g.key, r)}: \n${body}`;
  }).join('\n') + '\n';
}

function padTo(counts: bigint[], n: number): bigint[] {
  const out = counts.slice();
  while (out.length < n) out.push(0n);
  return out;
}

function formatStatsMap(def: MapDef, t: AggType, entries: readonly MapEntry[], top: number, div: bigint, r: Resolver): string {
  const rows = entries.map((e) => {
    const k = decodeKey(def, e.key);
    const m = mergeAgg(t, decodeAggSlots(t, e.values)) as Extract<MergedAgg, { fn: 'avg' | 'stats' }>;
    return { key: k.key, raw: k.raw, m };
  }).sort((a, b) => compareBytes(a.raw, b.raw));
  stdSort(rows, (a, b) => a.m.average < b.m.average);
  // bpftrace applies print()'s top and div to avg() maps only; stats() ignores both.
  const shown = t.fn === 'avg' ? keepTop(rows, top) : rows;
  return shown.map(({ key, m }) => {
    const text = t.fn === 'avg'
      ? (m.average / div).toString()
      : `count ${BigInt.asIntN(64, m.count)}, average ${m.average}, total ${m.total}`;
    return `${keyText(def.name, def.key, key, r)}: ${text}`;
  }).join('\n') + '\n\n';
}

/** The maps bpftrace prints when the script ends: a blank line pair, then every user map by name. */
export function formatExitMaps(maps: readonly { def: MapDef; entries: readonly MapEntry[] }[], resolver?: Partial<Resolver>): string {
  const shown = maps.filter((m) => m.def.user).sort((a, b) => compareBytes(utf8.encode(a.def.name), utf8.encode(b.def.name)));
  return '\n\n' + shown.map((m) => formatMap(m.def, m.entries, resolver ? { resolver } : {})).join('');
}

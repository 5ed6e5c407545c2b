/**
 * bpftrace 0.17's `-f json` output: one JSON object a line (NDJSON), written by hand the way
 * bpftrace's JsonOutput writes it — `{"type": "<kind>", "data": <data>}` with a space after every
 * colon and comma, then "\n". Each function returns the exact line(s) bpftrace prints.
 *
 *   jsonAttached(n)                 {"type": "attached_probes", "data": {"probes": n}}
 *   jsonLost(n)                     {"type": "lost_events", "data": {"events": n}}
 *   jsonLostMessage(text)           {"type": "lost_events", "data": "<text>"}
 *   jsonPrintf(text)                {"type": "printf", "data": "<text>"}   (text from formatPrintf)
 *   jsonTime(text)                  {"type": "time", "data": "<text>"}     (text from formatTime)
 *   jsonSyscall(text)               {"type": "syscall", "data": "<text>"}  (system()'s output)
 *   jsonCat(text)                   {"type": "cat", "data": "<text>"}      (cat()'s file text)
 *   jsonJoin(text)                  {"type": "join", "data": "<text>"}     (join()'s joined text)
 *   jsonValue(t, v, resolver?)      {"type": "value", "data": <value>}     (print() of a non-map value)
 *   jsonMap(def, entries, opts?)    one map, kernel entries (MapEntry, as formatMap); opts: top, div, resolver
 *   jsonMergedMap(def, entries, opts?)  the same from merged entries (MergedMapEntry, as formatMergedMap)
 *   jsonMaps(maps, resolver?)       every user map by name (SIGUSR1)
 *   jsonExitMaps(maps, resolver?)   at exit: "\n\n", then jsonMaps — bpftrace prints the two
 *                                   empty lines in JSON mode too, so its output is not pure NDJSON
 *   jsonEscape(s), jsonValueText(t, v, resolver?)  the pieces
 *
 * Maps: `{"type": "map"|"hist"|"stats", "data": {"@name": <entries>}}` — "map" for plain values
 * and count/sum/min/max, "hist" for hist and lhist, "stats" for avg and stats. A scalar map's
 * <entries> is its value; a keyed map's is `{"k1": v1, "k2": v2}` in the text output's order, the
 * key parts printed as the text output prints them and joined by "," with no space (`"1,x"`).
 * An empty map prints nothing (no line at all); a zeroed hist/lhist prints `[]`.
 *   hist bucket:   {"min": 2, "max": 3, "count": 1}; `(..., 0)` is {"max": -1, "count": n}
 *   lhist bucket:  {"min": lo, "max": hi - 1, "count": n}; below min {"max": min - 1, …},
 *                  at/above max {"min": max, …}. Only the non-empty range is listed, as in text.
 *   stats:         {"count": c, "average": a, "total": t};  avg: the average alone
 * print(@m, top, div) as in text: hist counts are divided (integer division), lhist and stats
 * ignore div, stats ignores top.
 *
 * Values: strings, buffers (as %r text), stacks, ksym/usym/func, probe, username and inet are
 * quoted; integers, pointers (signed decimal), kaddr/uaddr and aggregations are bare numbers;
 * tuples and arrays are `[a,b]` (no space); records `{ "a": 1, "b": "x" }`.
 *
 * bpftrace quirks reproduced:
 * - Escaping is bpftrace's json_escape over the UTF-8 bytes: `"` `\` and \n \r \t as two
 *   characters, other bytes below 0x20 as \u00XX (lower-case hex; \b and \f too), 0x7f as is —
 *   and every byte >= 0x80 as `\uffffffXX` (a signed char widened to int), so "é" prints as
 *   `\uffffffc3\uffffffa9`. That parses (as U+FFFF then "ffc3"…) but does not round-trip. Text that
 *   was not valid UTF-8 reached sonde as U+FFFD and prints as that character's three bytes.
 * - Map names and key text go through the same escaping; record field names do not.
 *
 * Deliberate differences from bpftrace 0.17 (it prints invalid JSON or wrong numbers there):
 * - strftime() timestamps, strerror(), cgroup_path() and macaddr() values are quoted; bpftrace
 *   prints them bare (`"data": No such file or directory`), which no JSON parser accepts.
 * - hist buckets from 2^31 up print their true bounds (bucket [2^31, 2^32) is
 *   {"min": 2147483648, "max": 4294967295}); bpftrace computes the bounds in 32-bit int and prints
 *   {"min": -2147483648, "max": 0} for that bucket (and puts every value >= 2^31 in it).
 */
import type { MapDef } from '../lang/spec.js';
import type { AggType, SType } from '../lang/types.js';
import { histBucketMin, histShown, lhistBuckets, lhistShown } from './hist.js';
import { mergeEntries, orderMap, plainNumber, rowValue, userMapsByName } from './maps.js';
import type { FormatMapOptions, MapEntry, MapRow, MergedMapEntry, StatsAgg } from './maps.js';
import { withFallback } from './resolve.js';
import type { Resolver } from './resolve.js';
import { keyPartText, ValueShapeError, valueText } from './text.js';
import { isTagged } from './value.js';
import type { Value } from './value.js';

const utf8 = new TextEncoder();

/** bpftrace's JsonOutput::json_escape, byte for byte (see the quirks above). */
export function jsonEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80) {
      for (const b of utf8.encode(ch)) out += `\\uffffff${b.toString(16)}`;
    } else if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c <= 0x1f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

const quote = (s: string): string => `"${jsonEscape(s)}"`;

/** bpftrace's message(type, text): a string payload. */
function message(type: string, text: string): string {
  return `{"type": "${type}", "data": ${quote(text)}}\n`;
}

/** bpftrace's message(type, field, value): a one-field object payload. */
function counter(type: string, field: string, n: number | bigint): string {
  return `{"type": "${type}", "data": {"${field}": ${BigInt(n)}}}\n`;
}

/** "Attaching N probes..." in JSON. */
export function jsonAttached(n: number | bigint): string {
  return counter('attached_probes', 'probes', n);
}

/** Events the kernel could not hand over (the perf/ring buffer was full). */
export function jsonLost(n: number | bigint): string {
  return counter('lost_events', 'events', n);
}

/** bpftrace's message of type lost_events with a text (a watchpoint it could not set). */
export function jsonLostMessage(text: string): string {
  return message('lost_events', text);
}

/** printf()'s formatted text (formatPrintf), newlines and all. */
export function jsonPrintf(text: string): string {
  return message('printf', text);
}

/** time()'s formatted text (formatTime). */
export function jsonTime(text: string): string {
  return message('time', text);
}

/** system(): the command's output. */
export function jsonSyscall(text: string): string {
  return message('syscall', text);
}

/** cat(): the file's text. */
export function jsonCat(text: string): string {
  return message('cat', text);
}

/** join(): the joined arguments (without the newline the text output adds). */
export function jsonJoin(text: string): string {
  return message('join', text);
}

/** Symbol kinds bpftrace quotes; sonde also quotes the ones bpftrace leaves bare (see above). */
const BARE_SYMBOLS: readonly string[] = ['kaddr', 'uaddr'];

/** A value as bpftrace's JsonOutput::value_to_str prints it (map values, print(value)). */
export function jsonValueText(t: SType, v: Value, resolver?: Partial<Resolver>): string {
  const r = withFallback(resolver);
  const list = (x: Value): Value[] => {
    if (Array.isArray(x)) return x;
    throw new ValueShapeError('a tuple or array', x);
  };
  switch (t.kind) {
    case 'array': return `[${list(v).map((e) => jsonValueText(t.of, e, r)).join(',')}]`;
    case 'tuple': return `[${list(v).map((e, i) => jsonValueText(t.elems[i]!, e, r)).join(',')}]`;
    case 'record': {
      if (!isTagged(v) || v.kind !== 'record') throw new ValueShapeError('a record', v);
      const fields = v.fields.map((f, i) => `"${f.name}": ${jsonValueText(t.fields[i]?.type ?? { kind: 'void' }, f.value, r)}`);
      return `{ ${fields.join(', ')} }`;
    }
    case 'string': case 'buffer': case 'stack': return quote(valueText(t, v, r));
    case 'symbol': return BARE_SYMBOLS.includes(t.what) ? valueText(t, v, r) : quote(valueText(t, v, r));
    default: return valueText(t, v, r);
  }
}

/** print(value) of a non-map value. */
export function jsonValue(t: SType, v: Value, resolver?: Partial<Resolver>): string {
  return `{"type": "value", "data": ${jsonValueText(t, v, resolver)}}\n`;
}

/** One map as bpftrace prints it for print(@m, top, div) or at exit; '' for an empty map. */
export function jsonMap(def: MapDef, entries: readonly MapEntry[], opts: FormatMapOptions = {}): string {
  return jsonMergedMap(def, mergeEntries(def, entries), opts);
}

/** Like jsonMap, for entries already merged (MergedMapEntry). */
export function jsonMergedMap(def: MapDef, entries: readonly MergedMapEntry[], opts: FormatMapOptions = {}): string {
  if (entries.length === 0) return '';
  const r = withFallback(opts.resolver);
  const div = BigInt(Math.trunc(opts.div ?? 0) || 1);
  const o = orderMap(def, entries, opts.top);
  let type: string;
  let elems: { row: MapRow; data: string }[];
  switch (o.kind) {
    case 'plain':
      type = 'map';
      elems = o.rows.map((row) => ({ row, data: plainNumber(def, row, div)?.toString() ?? jsonValueText(def.value, rowValue(def, row), r) }));
      break;
    case 'hist':
      type = 'hist';
      elems = o.groups.map(({ row, counts }) => ({ row, data: histJson(o.agg, counts, div) }));
      break;
    case 'stats':
      type = 'stats';
      elems = o.items.map(({ row, m }) => ({ row, data: statsJson(o.agg, m, div) }));
      break;
  }
  const keyed = def.key.kind !== 'void';
  const body = elems.map((e) => (keyed ? `${quote(keyJoined(def.key, e.row.key, r))}: ${e.data}` : e.data)).join(', ');
  return `{"type": "${type}", "data": {${quote(def.name)}: ${keyed ? `{${body}}` : body}}}\n`;
}

/** bpftrace's JSON map key: the key parts as the text output prints them, joined by ",". */
function keyJoined(keyType: SType, key: Value, r: Resolver): string {
  if (keyType.kind !== 'tuple') return keyPartText(keyType, key, r);
  if (!Array.isArray(key)) throw new ValueShapeError('a multi-part key', key);
  return key.map((p, i) => keyPartText(keyType.elems[i]!, p, r)).join(',');
}

function bucket(bounds: string, count: bigint): string {
  return `{${bounds}"count": ${count}}`;
}

/** hist()/lhist() buckets; hist counts are divided by print()'s div, lhist's are not (as bpftrace). */
function histJson(t: AggType, counts: readonly bigint[], div: bigint): string {
  const out: string[] = [];
  if (t.fn === 'hist') {
    const k = t.histBits ?? 0;
    const shown = histShown(counts);
    for (let i = shown?.first ?? 0; shown && i <= shown.last; i++) {
      const bounds = i === 0 ? '"max": -1, ' : `"min": ${histBucketMin(i, k)}, "max": ${histBucketMin(i + 1, k) - 1n}, `;
      out.push(bucket(bounds, (counts[i] ?? 0n) / div));
    }
  } else if (t.fn === 'llhist' || t.fn === 'bhist') {
    const b = t.bounds!;
    const shown = histShown(counts);
    for (let i = shown?.first ?? 0; shown && i <= shown.last; i++) {
      const bounds = i === 0 ? `"max": ${b[0]! - 1n}, ` : i === b.length ? `"min": ${b[i - 1]}, ` : `"min": ${b[i - 1]}, "max": ${b[i]! - 1n}, `;
      out.push(bucket(bounds, (counts[i] ?? 0n) / div));
    }
  } else {
    const range = t.lhist!;
    const buckets = lhistBuckets(range);
    const shown = lhistShown(counts, range);
    for (let i = shown?.first ?? 0; shown && i <= shown.last; i++) {
      const lo = range.min + BigInt(i - 1) * range.step;
      const bounds = i === 0 ? `"max": ${range.min - 1n}, `
        : i === buckets + 1 ? `"min": ${range.max}, `
        : `"min": ${lo}, "max": ${lo + range.step - 1n}, `;
      out.push(bucket(bounds, counts[i] ?? 0n));
    }
  }
  return `[${out.join(', ')}]`;
}

/** avg: the average (divided by print()'s div); stats: count, average, total (div ignored). */
function statsJson(t: AggType, m: StatsAgg, div: bigint): string {
  if (t.fn === 'avg') return (m.average / div).toString();
  return `{"count": ${BigInt.asIntN(64, m.count)}, "average": ${m.average}, "total": ${m.total}}`;
}

type MapsArg = readonly { def: MapDef; entries: readonly MapEntry[] }[];

/** bpftrace's print_maps in JSON (SIGUSR1): every non-empty user map, by name. */
export function jsonMaps(maps: MapsArg, resolver?: Partial<Resolver>): string {
  return userMapsByName(maps).map((m) => jsonMap(m.def, m.entries, resolver ? { resolver } : {}))
    .join('');
}

/** What bpftrace prints in JSON mode when the script ends: two empty lines, then jsonMaps. */
export function jsonExitMaps(maps: MapsArg, resolver?: Partial<Resolver>): string {
  return '\n\n' + jsonMaps(maps, resolver);
}

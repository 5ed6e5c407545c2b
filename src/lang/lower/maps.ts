/**
 * How each script map lives in the kernel: map kind, key and value layout. Aggregations use
 * per-CPU maps so an update is a plain load/add/store on this CPU's slot (no atomics, no
 * lookup-copy-update race): a scalar aggregation is a one-entry per-CPU array, a keyed one a
 * per-CPU hash. Histograms (hist, lhist, llhist, bhist) count per bucket: without a map key, in a
 * per-CPU array indexed by the bucket (a lookup the kernel inlines as a bounds check and an add,
 * and which never misses); with one, in a per-CPU hash keyed by the user key and the bucket. Plain
 * values (`@x = 5`) are hash maps, so that "never assigned" and delete() keep bpftrace's meaning.
 */
import type { MapInfo } from '../sema/analyze.js';
import { TID_SLOT_SIZE, aggSlotSize } from './tidmaps.js';
import type { MapDef, MapKindName } from '../spec.js';
import { AGG_LAYOUT, VOID, sizeOf, tupleType, isBucketedAgg, type AggType, type SType } from '../types.js';

/** bpftrace's default BPFTRACE_MAP_KEYS_MAX. */
export const MAP_KEYS_MAX = 4096;
/** Ring buffer size for events (a power-of-two multiple of the page size). */
export const EVENTS_RING_BYTES = 1 << 20;

export interface MapLayout {
  def: MapDef;
  /** Key parts and where each starts in the key (empty for a scalar map). */
  keyParts: SType[];
  keyOffsets: number[];
  /** Where the hist/lhist bucket index (u64; u32 in a bucket array) sits in the key. */
  bucketOffset?: number;
  /** A keyless histogram: a per-CPU array indexed by the bucket (see bucketCount). */
  bucketArray: boolean;
  /** A scalar map keyed by a u32 0 (array and plain scalar maps). */
  scalarKey: boolean;
  perCpu: boolean;
  array: boolean;
  /** A tid-indexed map: tids below `slots` in the array map `array` (src/lang/lower/tidmaps.ts). */
  tidSlots?: { slots: number; array: string };
  /** A pid/tid-indexed aggregation: keys below `slots` in the per-CPU array map `array` (src/lang/lower/tidmaps.ts). */
  aggSlots?: { slots: number; array: string; builtin: 'pid' | 'tid' };
}

const round8 = (n: number) => (n + 7) & ~7;

export function layoutMap(m: MapInfo, kernelName: string, maxKeys = MAP_KEYS_MAX): MapLayout {
  const keys = m.keys ?? [];
  const value = m.value ?? VOID;
  const agg = value.kind === 'agg' ? value : undefined;
  const bucketed = agg !== undefined && isBucketedAgg(agg.fn);
  let keyType: SType = VOID;
  let keyOffsets: number[] = [];
  let userKeySize = 0;
  if (keys.length === 1) {
    keyType = keys[0]!;
    keyOffsets = [0];
    userKeySize = sizeOf(keyType);
  } else if (keys.length > 1) {
    const t = tupleType(keys);
    keyType = t;
    keyOffsets = t.offsets;
    userKeySize = t.size;
  }
  let kind: MapKindName;
  let keySize: number;
  let bucketOffset: number | undefined;
  let scalarKey = false;
  const buckets = agg ? bucketCount(agg) : undefined;
  const bucketArray = keys.length === 0 && buckets !== undefined && buckets <= BUCKET_ARRAY_MAX;
  if (bucketArray) {
    kind = 'percpu_array';
    bucketOffset = 0;
    keySize = 4;
  } else if (bucketed) {
    kind = 'percpu_hash';
    bucketOffset = round8(userKeySize);
    keySize = bucketOffset + 8;
  } else if (keys.length === 0) {
    kind = agg ? 'percpu_array' : 'hash';
    keySize = 4;
    scalarKey = true;
  } else {
    kind = agg ? 'percpu_hash' : 'hash';
    keySize = userKeySize;
  }
  const valueSize = agg ? AGG_LAYOUT[agg.fn].words * 8 : Math.max(1, sizeOf(value));
  let maxEntries = bucketArray ? buckets! : kind === 'percpu_array' || (kind === 'hash' && scalarKey) ? 1 : maxKeys;
  // `let @m = lruhash(N);` (newer bpftrace): N entries, LRU eviction. Whether the map is per-CPU
  // stays sonde's choice (aggregations are, plain values are not: sema checked the declaration).
  if (m.decl && (kind === 'hash' || kind === 'percpu_hash') && !scalarKey) {
    maxEntries = m.decl.maxEntries;
    if (m.decl.kind.includes('lru')) kind = kind === 'hash' ? 'lru_hash' : 'lru_percpu_hash';
  }
  const def: MapDef = {
    name: m.name, kernelName, kind, keySize, valueSize, maxEntries, key: keyType, value, user: true,
    span: m.valueSpan ?? m.firstSpan,
  };
  const out: MapLayout = {
    def, keyParts: keys, keyOffsets, scalarKey, perCpu: kind.includes('percpu'), array: kind === 'percpu_array', bucketArray,
  };
  if (bucketOffset !== undefined) out.bucketOffset = bucketOffset;
  return out;
}

/**
 * The array of a tid-indexed map `def` (src/lang/lower/tidmaps.ts): u32 tid → { u64 present,
 * u64 value }, one slot per tid below `slots`; an internal map, printed through `def`.
 */
export function tidSlotArray(def: MapDef, name: string, kernelName: string, slots: number): MapDef {
  const u64: SType = { kind: 'int', size: 8, signed: false };
  return {
    name, kernelName, kind: 'array', keySize: 4, valueSize: TID_SLOT_SIZE, maxEntries: slots,
    key: { kind: 'int', size: 4, signed: false }, value: tupleType([u64, def.value]), user: false,
    ...(def.span ? { span: def.span } : {}),
  };
}

/**
 * The per-CPU array of a pid/tid-indexed aggregation `def` (src/lang/lower/tidmaps.ts): u32 key →
 * the aggregation's words (sum: [sum, touched]), one slot per key below `slots`; an internal map,
 * printed through `def`.
 */
export function aggSlotArray(def: MapDef, name: string, kernelName: string, slots: number): MapDef {
  const fn = def.value.kind === 'agg' ? def.value.fn : 'sum';
  const size = aggSlotSize(fn);
  return {
    name, kernelName, kind: 'percpu_array', keySize: 4, valueSize: size, maxEntries: slots,
    key: { kind: 'int', size: 4, signed: false }, value: { kind: 'array', of: { kind: 'int', size: 8, signed: false }, length: size / 8 }, user: false,
    ...(def.span ? { span: def.span } : {}),
  };
}

/** Largest bucket array (entries × 8 bytes × CPUs); a finer histogram stays a per-CPU hash of the buckets it hit. */
export const BUCKET_ARRAY_MAX = 1024;

/**
 * How many buckets a bucketed aggregation can fill (undefined for the others): one more than its
 * largest bucket index. hist: 0 for negatives, 1 for 0, 2 + floor(log2 v) for v >= 1, at most
 * 2 + 62 for a positive signed 64-bit value; hist(v, k): v + 1 below 2 << k, else
 * ((2 + log2 v - 1 - k) << k | the k bits after the top one) + 1, at most (64 - k) << k;
 * lhist: 0 below min, 1 + (v - min) / step, 1 + (max - min) / step at max and above;
 * llhist/bhist: the number of bounds <= v.
 */
export function bucketCount(agg: AggType): number | undefined {
  switch (agg.fn) {
    case 'hist': {
      const k = agg.histBits ?? 0;
      return ((64 - k) << k) + 1;
    }
    case 'lhist': {
      if (!agg.lhist || agg.lhist.step <= 0n) return undefined;
      const n = 2n + (agg.lhist.max - agg.lhist.min) / agg.lhist.step;
      return n > 0n ? Number(n) : undefined;
    }
    case 'llhist':
    case 'bhist':
      return agg.bounds ? agg.bounds.length + 1 : undefined;
    default:
      return undefined;
  }
}

/** Kernel map names: ≤ 15 chars of [A-Za-z0-9_.], unique, recognisable (`AT_name` as bpftrace). */
export function kernelMapNames(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const n of names) {
    const base = n.startsWith('@') ? `AT_${n.slice(1)}` : n;
    let k = base.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
    for (let i = 1; used.has(k); i++) {
      const suffix = `_${i}`;
      k = base.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15 - suffix.length) + suffix;
    }
    used.add(k);
    out.set(n, k);
  }
  return out;
}

export function internalMaps(uses: Set<string>, needEvents: boolean, stackLimits: Iterable<number> = [], recordBytes = 0): MapDef[] {
  const out: MapDef[] = [];
  const u64: SType = { kind: 'int', size: 8, signed: false };
  if (recordBytes > 0) {
    // Flight recorder: a perf ring per CPU (maxEntries 0 = one slot per possible CPU) and the
    // per-CPU scratch value each record is built in (records may exceed the 512-byte stack).
    out.push({ name: '.recorder', kernelName: '.recorder', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0, key: VOID, value: VOID, user: false });
    out.push({
      name: '.recbuf', kernelName: '.recbuf', kind: 'percpu_array', keySize: 4, valueSize: (recordBytes + 7) & ~7, maxEntries: 1, key: VOID,
      value: { kind: 'array', of: { kind: 'int', size: 1, signed: false }, length: (recordBytes + 7) & ~7 }, user: false,
    });
  }
  if (needEvents) {
    out.push({ name: '.events', kernelName: '.events', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: EVENTS_RING_BYTES, key: VOID, value: VOID, user: false });
    out.push({ name: '.lost', kernelName: '.lost', kind: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1, key: VOID, value: u64, user: false });
  }
  if (uses.has('elapsed')) {
    out.push({ name: '.elapsed', kernelName: '.elapsed', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1, key: VOID, value: u64, user: false });
  }
  for (const limit of [...stackLimits].sort((a, b) => a - b)) {
    // kstack and ustack share a map per frame limit (ids of user stacks come with BPF_F_USER_STACK).
    out.push({
      name: `.stacks_${limit}`, kernelName: `.stacks_${limit}`.slice(0, 15), kind: 'stack_trace', keySize: 4, valueSize: 8 * limit,
      maxEntries: MAP_KEYS_MAX, key: { kind: 'int', size: 4, signed: false }, value: { kind: 'array', of: u64, length: limit }, user: false,
    });
  }
  if (uses.has('cpid')) {
    out.push({ name: '.cpid', kernelName: '.cpid', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1, key: VOID, value: u64, user: false });
  }
  return out;
}

// Reading a script's map out of the kernel: per-CPU slots merged, hist/lhist bucket entries
// gathered under their user key, aggregation words turned into numbers (layouts: AGG_LAYOUT in
// src/lang/types.ts). Keys and plain values stay raw bytes here; decoding them into script
// values is the output layer's job.
import type { BpfMap } from '../bpf/map.js';
import { isPerCpu } from '../bpf/map.js';
import type { MapDef } from '../lang/spec.js';
import type { AggType } from '../lang/types.js';

/** An aggregation's merged value. */
export type AggValue =
  | { fn: 'count'; count: bigint }
  | { fn: 'sum'; sum: bigint }
  /** min/max: `set` is false while no CPU has stored a value. */
  | { fn: 'min' | 'max'; value: bigint; set: boolean }
  /** avg/stats: `average` truncates toward zero, as bpftrace's integer division does. */
  | { fn: 'avg' | 'stats'; total: bigint; count: bigint; average: bigint }
  /** hist/lhist: counts by bucket index (see AGG_LAYOUT); absent buckets are zero. */
  | { fn: 'hist' | 'lhist'; buckets: Map<number, bigint> };

/** One entry as read: the user key's bytes (empty for a scalar map) and the value. */
export interface RawMapEntry {
  key: Uint8Array;
  /** For aggregation maps the merged aggregation, else the value's bytes. */
  value: AggValue | Uint8Array;
}

const word = (b: Uint8Array, i: number): bigint =>
  new DataView(b.buffer, b.byteOffset + i * 8, 8).getBigUint64(0, true);

function signedIf(v: bigint, signed: boolean): bigint {
  return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
}

/** Merges the per-CPU slots of one aggregation value (one slot when the map is not per-CPU). */
export function mergeAgg(agg: AggType, slots: readonly Uint8Array[]): AggValue {
  switch (agg.fn) {
    case 'count': {
      let n = 0n;
      for (const s of slots) n += word(s, 0);
      return { fn: 'count', count: BigInt.asUintN(64, n) };
    }
    case 'sum': {
      let n = 0n;
      for (const s of slots) n += signedIf(word(s, 0), agg.signed);
      return { fn: 'sum', sum: signedIf(n, agg.signed) };
    }
    case 'min':
    case 'max': {
      let best: bigint | undefined;
      for (const s of slots) {
        if (word(s, 1) === 0n) continue;
        const v = signedIf(word(s, 0), agg.signed);
        if (best === undefined || (agg.fn === 'min' ? v < best : v > best)) best = v;
      }
      return { fn: agg.fn, value: best ?? 0n, set: best !== undefined };
    }
    case 'avg':
    case 'stats': {
      let total = 0n;
      let count = 0n;
      for (const s of slots) {
        total += signedIf(word(s, 0), agg.signed);
        count += word(s, 1);
      }
      total = signedIf(total, agg.signed);
      return { fn: agg.fn, total, count, average: count === 0n ? 0n : total / count };
    }
    case 'hist':
    case 'lhist':
      throw new Error(`mergeAgg: ${agg.fn} values are merged per bucket (readMap)`);
  }
}

function slotsOf(map: BpfMap, value: Uint8Array): Uint8Array[] {
  return isPerCpu(map.spec.kind) ? map.perCpu(value) : [value];
}

/**
 * All entries of a script map, in the kernel's iteration order. For a scalar array map (key
 * void) the single slot is returned even when zero, as bpftrace prints `@x: 0` for it.
 */
export function readMap(map: BpfMap, def: MapDef): RawMapEntry[] {
  const agg = def.value.kind === 'agg' ? def.value : undefined;
  const raw = map.entries();
  if (agg && (agg.fn === 'hist' || agg.fn === 'lhist')) {
    // The kernel key is the user key followed by a u64 bucket index.
    const userSize = def.keySize - 8;
    const byKey = new Map<string, RawMapEntry & { value: { fn: 'hist' | 'lhist'; buckets: Map<number, bigint> } }>();
    for (const [k, v] of raw) {
      const user = k.subarray(0, userSize);
      const id = Buffer.from(user).toString('hex');
      const bucket = Number(new DataView(k.buffer, k.byteOffset + userSize, 8).getBigUint64(0, true));
      let n = 0n;
      for (const s of slotsOf(map, v)) n += word(s, 0);
      let e = byKey.get(id);
      if (!e) {
        e = { key: user.slice(), value: { fn: agg.fn, buckets: new Map() } };
        byKey.set(id, e);
      }
      e.value.buckets.set(bucket, (e.value.buckets.get(bucket) ?? 0n) + n);
    }
    return [...byKey.values()];
  }
  const out: RawMapEntry[] = [];
  const scalar = def.key.kind === 'void';
  for (const [k, v] of raw) {
    const key = scalar ? new Uint8Array(0) : k;
    if (agg) {
      out.push({ key, value: mergeAgg(agg, slotsOf(map, v)) });
    } else {
      // A plain value in a per-CPU map has one meaningful slot per CPU; the script sees CPU 0's.
      out.push({ key, value: slotsOf(map, v)[0]!.slice() });
    }
  }
  return out;
}

/** Empties a map the way clear() does: hash maps lose their keys, array slots become zero. */
export function clearMap(map: BpfMap): void {
  map.clear();
}

/** zero(): every value becomes zero; keys stay. */
export function zeroMap(map: BpfMap): void {
  const zero = new Uint8Array(map.lookupSize);
  for (const k of [...map.keys()]) {
    try {
      map.update(k, zero);
    } catch {
      // The key went away between listing and update: nothing to zero.
    }
  }
}

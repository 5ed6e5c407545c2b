/**
 * Merging the per-CPU slots of an aggregation (AGG_LAYOUT in src/lang/types.ts) into one value,
 * the way bpftrace's reduce_value() does: words are summed with 64-bit wrap-around, then read
 * signed or unsigned as the aggregation's type says.
 */
import type { AggType } from '../lang/types.js';
import type { AggSlot } from './value.js';

/**
 * A merged aggregation value. The same shape as the runtime's reader gives (src/runtime/map-read.ts
 * AggValue), so its entries can be printed as they are (formatMergedMap).
 */
export type MergedAgg =
  | { fn: 'count'; count: bigint }
  | { fn: 'sum'; sum: bigint }
  /** `set` is false when no CPU ever stored a value (e.g. after zero()): prints 0. */
  | { fn: 'min' | 'max'; value: bigint; set: boolean }
  /** `average` truncates toward zero, like the C int64 division bpftrace uses. */
  | { fn: 'avg' | 'stats'; total: bigint; count: bigint; average: bigint }
  /** Counts by bucket index (AGG_LAYOUT); absent buckets are zero. */
  | { fn: 'hist' | 'lhist' | 'llhist' | 'bhist'; buckets: Map<number, bigint> };

export class AggLayoutError extends Error {
  override readonly name = 'AggLayoutError';
  constructor(message: string, readonly fn: AggType['fn'], readonly words: number) {
    super(message);
  }
}

function word(s: AggSlot, i: number): bigint {
  const w = s.words[i];
  if (w === undefined) {
    throw new AggLayoutError(`${s.fn}() slot has ${s.words.length} words, needs ${i + 1}`, s.fn, s.words.length);
  }
  return w;
}

/** Merges one value's per-CPU slots; for hist/lhist, `bucket` is the entry's bucket index. */
export function mergeAgg(t: AggType, slots: readonly AggSlot[], bucket = 0): MergedAgg {
  const wrap = (v: bigint): bigint => (t.signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
  const sum = (i: number): bigint => slots.reduce((acc, s) => acc + word(s, i), 0n);
  switch (t.fn) {
    case 'count':
      return { fn: 'count', count: BigInt.asUintN(64, sum(0)) };
    case 'sum':
      return { fn: 'sum', sum: wrap(sum(0)) };
    case 'hist':
    case 'lhist':
    case 'llhist':
    case 'bhist':
      return { fn: t.fn, buckets: new Map([[bucket, BigInt.asUintN(64, sum(0))]]) };
    case 'min':
    case 'max': {
      let value = 0n;
      let set = false;
      for (const s of slots) {
        if (word(s, 1) === 0n) continue;
        const v = wrap(word(s, 0));
        if (!set || (t.fn === 'min' ? v < value : v > value)) value = v;
        set = true;
      }
      return { fn: t.fn, value, set };
    }
    case 'avg':
    case 'stats': {
      const total = wrap(sum(0));
      const count = BigInt.asUintN(64, sum(1));
      const average = count === 0n ? 0n : total / count;
      return { fn: t.fn, total, count, average };
    }
  }
}

/** The number bpftrace sorts and prints for a merged count/sum/min/max/avg (hist: the total). */
export function aggScalar(m: MergedAgg): bigint {
  switch (m.fn) {
    case 'count': return m.count;
    case 'sum': return m.sum;
    case 'min': case 'max': return m.value;
    case 'avg': case 'stats': return m.average;
    case 'hist': case 'lhist': case 'llhist': case 'bhist': return [...m.buckets.values()].reduce((a, b) => a + b, 0n);
  }
}

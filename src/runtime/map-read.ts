// Reading a script's map out of the kernel: every entry with its per-CPU slots, merged the way
// bpftrace merges them (src/output's mergeEntries: aggregations per AGG_LAYOUT, hist/lhist
// buckets gathered under their user key, per-CPU integers summed). Keys and plain values stay
// bytes; decoding them is the output layer's job.
import type { BpfMap } from '../bpf/map.js';
import { isPerCpu } from '../bpf/map.js';
import type { MapDef } from '../lang/spec.js';
import { mergeEntries, type MergedAgg, type MergedMapEntry } from '../output/index.js';

/** An aggregation's merged value (hist/lhist: counts by bucket index). */
export type AggValue = MergedAgg;

/** One entry: the user key's bytes (no bucket word) and the merged aggregation or the value's bytes. */
export type RawMapEntry = MergedMapEntry;

/**
 * All entries of a script map, in the kernel's iteration order. A scalar array map (key void)
 * always has its one slot, even when zero, as bpftrace prints `@x: 0` for it.
 */
export function readMap(map: BpfMap, def: MapDef): RawMapEntry[] {
  const perCpu = isPerCpu(map.spec.kind);
  return mergeEntries(def, map.entries().map(([key, v]) => ({ key, values: perCpu ? map.perCpu(v) : [v] })));
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

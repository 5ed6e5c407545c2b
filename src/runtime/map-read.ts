// Reading a script's map out of the kernel: every entry with its per-CPU slots, merged the way
// bpftrace merges them (src/output's mergeEntries: aggregations per AGG_LAYOUT, hist/lhist
// buckets gathered under their user key, per-CPU integers summed). Keys and plain values stay
// bytes; decoding them is the output layer's job.
import type { BpfMap } from '../bpf/map.js';
import { isPerCpu } from '../bpf/map.js';
import type { MapDef } from '../lang/spec.js';
import { isBucketedAgg } from '../lang/types.js';
import { mergeEntries, type MergedAgg, type MergedMapEntry } from '../output/index.js';

/** An aggregation's merged value (hist/lhist: counts by bucket index). */
export type AggValue = MergedAgg;

/** One entry: the user key's bytes (no bucket word) and the merged aggregation or the value's bytes. */
export type RawMapEntry = MergedMapEntry;

/**
 * All entries of a script map, in the kernel's iteration order. A scalar array map (key void)
 * always has its one slot, even when zero, as bpftrace prints `@x: 0` for it.
 */
export function readMap(map: BpfMap, def: MapDef, maps?: ReadonlyMap<string, BpfMap>): RawMapEntry[] {
  const perCpu = isPerCpu(map.spec.kind);
  const entries = map.entries().map(([key, v]) => ({ key, values: perCpu ? map.perCpu(v) : [v] }));
  if (def.tidSlots) {
    const array = maps?.get(def.tidSlots.array);
    if (!array) throw new Error(`map ${def.name}: its tid slots (${def.tidSlots.array}) were not created`);
    entries.push(...tidSlotEntries(array, def));
  }
  if (def.aggSlots) {
    const array = maps?.get(def.aggSlots.array);
    if (!array) throw new Error(`map ${def.name}: its slots (${def.aggSlots.array}) were not created`);
    entries.push(...aggSlotEntries(array, def));
  }
  return mergeEntries(def, isBucketArray(def) ? bucketArrayEntries(map, entries) : entries);
}

/**
 * The present slots of a tid-indexed map's array (src/lang/lower/tidmaps.ts), as the entries the
 * hash would hold for them: the tid as the map's key, the slot's value word as its value.
 */
function tidSlotEntries(array: BpfMap, def: MapDef): { key: Uint8Array; values: Uint8Array[] }[] {
  const out: { key: Uint8Array; values: Uint8Array[] }[] = [];
  for (const [k, v] of array.entries(nonZeroWord0)) {
    const tid = new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true);
    const key = new Uint8Array(def.keySize);
    const kv = new DataView(key.buffer);
    if (def.keySize === 8) kv.setBigUint64(0, BigInt(tid), true);
    else kv.setUint32(0, tid, true);
    out.push({ key, values: [v.slice(8, 8 + def.valueSize)] });
  }
  return out;
}

/** Whether the 8 bytes at `off` are all zero. */
function zeroWord(v: Uint8Array, off: number): boolean {
  for (let i = off; i < off + 8; i++) if (v[i] !== 0) return false;
  return true;
}

/** A tid slot is present when its first word (the value's presence word) is non-zero. */
const nonZeroWord0 = (v: Uint8Array): boolean => !zeroWord(v, 0);

/**
 * The touched slots of a pid/tid-indexed aggregation's per-CPU array (src/lang/lower/tidmaps.ts),
 * as the entries its per-CPU hash would hold for them: the index as the map's key, every CPU's
 * part (the aggregation's words, without sum's touched word) as its values.
 */
function aggSlotEntries(array: BpfMap, def: MapDef): { key: Uint8Array; values: Uint8Array[] }[] {
  // Touched: count's word 0; sum's touched word, avg/stats' count, min/max's isSet: word 1.
  const present = def.value.kind === 'agg' && def.value.fn === 'count' ? 0 : 8;
  const out: { key: Uint8Array; values: Uint8Array[] }[] = [];
  const touched = (v: Uint8Array): boolean => array.perCpu(v).some((c) => !zeroWord(c, present));
  for (const [k, v] of array.entries(touched)) {
    const cpus = array.perCpu(v);
    const index = new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true);
    const key = new Uint8Array(def.keySize);
    const kv = new DataView(key.buffer);
    if (def.keySize === 8) kv.setBigUint64(0, BigInt(index), true);
    else kv.setUint32(0, index, true);
    out.push({ key, values: cpus.map((c) => c.slice(0, def.valueSize)) });
  }
  return out;
}

/**
 * A keyless hist/lhist lives in a per-CPU array indexed by the bucket (src/lang/lower/maps.ts).
 * Read, it looks like the per-CPU hash of a keyed one: a u64 bucket key per bucket that was hit,
 * none for a bucket never hit. One thing an array cannot tell: a hist zero()ed after it was hit
 * still exists (bpftrace prints `@h: ` and an empty line for it, not just an empty line), so
 * zeroMap remembers that, until clear().
 */
function bucketArrayEntries(map: BpfMap, entries: { key: Uint8Array; values: Uint8Array[] }[]): { key: Uint8Array; values: Uint8Array[] }[] {
  const out: { key: Uint8Array; values: Uint8Array[] }[] = [];
  for (const e of entries) {
    if (e.values.every((v) => v.every((byte) => byte === 0))) continue;
    out.push({ key: bucketKey(new DataView(e.key.buffer, e.key.byteOffset, 4).getUint32(0, true)), values: e.values });
  }
  if (out.length === 0 && zeroedBucketArrays.has(map) && entries[0]) out.push({ key: bucketKey(0), values: entries[0].values });
  return out;
}

function bucketKey(bucket: number): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setBigUint64(0, BigInt(bucket), true);
  return k;
}

const isBucketArray = (def: MapDef) => def.kind === 'percpu_array' && def.value.kind === 'agg' && isBucketedAgg(def.value.fn);

/** Bucket arrays zero()ed while they had counts: they print as existing, empty hists. */
const zeroedBucketArrays = new WeakSet<BpfMap>();

/** Empties a map the way clear() does: hash maps lose their keys, array slots become zero. */
export function clearMap(map: BpfMap): void {
  zeroedBucketArrays.delete(map);
  map.clear();
}

/** zero(): every value becomes zero; keys stay. */
export function zeroMap(map: BpfMap, def?: MapDef): void {
  if (def && isBucketArray(def) && map.entries().some(([, v]) => map.perCpu(v).some((s) => s.some((byte) => byte !== 0)))) {
    zeroedBucketArrays.add(map);
  }
  const zero = new Uint8Array(map.lookupSize);
  for (const k of [...map.keys()]) {
    try {
      map.update(k, zero);
    } catch {
      // The key went away between listing and update: nothing to zero.
    }
  }
}

// A tiny little-endian encoder for building map entries and event records in tests, and a
// simulated aggregation map that spreads updates over 2 CPUs the way per-CPU maps hold them.
import { AGG_LAYOUT, sizeOf, tupleType } from '../../src/lang/types.js';
import type { AggType, IntType, SType, StringType } from '../../src/lang/types.js';
import type { MapDef } from '../../src/lang/spec.js';
import type { MapEntry, Value } from '../../src/output/index.js';

export const I64: IntType = { kind: 'int', size: 8, signed: true };
export const U64: IntType = { kind: 'int', size: 8, signed: false };
export const I32: IntType = { kind: 'int', size: 4, signed: true };
export const U32: IntType = { kind: 'int', size: 4, signed: false };
export const I16: IntType = { kind: 'int', size: 2, signed: true };
export const U16: IntType = { kind: 'int', size: 2, signed: false };
export const I8: IntType = { kind: 'int', size: 1, signed: true };
export const U8: IntType = { kind: 'int', size: 1, signed: false };
export const S: StringType = { kind: 'string', size: 64 };
export const PTR: SType = { kind: 'pointer', to: U8, space: 'kernel' };
export const tuple = (...elems: SType[]): SType => tupleType(elems);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u64s(...words: bigint[]): Uint8Array {
  const b = new Uint8Array(8 * words.length);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, w), true));
  return b;
}

/** Encodes `v` as type `t` (ints, strings, pointers, tuples, arrays, records, buffers, symbols). */
export function encode(t: SType, v: Value): Uint8Array {
  const out = new Uint8Array(sizeOf(t));
  const dv = new DataView(out.buffer);
  switch (t.kind) {
    case 'int': {
      const x = BigInt.asUintN(t.size * 8, v as bigint);
      for (let i = 0; i < t.size; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
      break;
    }
    case 'pointer':
      dv.setBigUint64(0, BigInt.asUintN(64, v as bigint), true);
      break;
    case 'string':
      out.set(new TextEncoder().encode(v as string).subarray(0, t.size - 1));
      break;
    case 'tuple':
      t.elems.forEach((e, i) => out.set(encode(e, (v as Value[])[i]!), t.offsets[i]!));
      break;
    case 'array':
      (v as Value[]).forEach((e, i) => out.set(encode(t.of, e), i * sizeOf(t.of)));
      break;
    case 'record':
      t.fields.forEach((f, i) => {
        const fv = (v as { fields: { value: Value }[] }).fields[i]!.value;
        out.set(encode(f.type, fv), f.offset);
      });
      break;
    case 'buffer': {
      const bytes = (v as { bytes: Uint8Array }).bytes;
      dv.setUint32(0, bytes.length, true);
      out.set(bytes, 4);
      break;
    }
    case 'symbol': {
      const s = v as { addr: bigint; bytes?: Uint8Array };
      if (s.bytes) out.set(s.bytes.subarray(0, out.length));
      else dv.setBigUint64(0, BigInt.asUintN(64, s.addr), true);
      break;
    }
    default:
      throw new Error(`encode: ${t.kind} not supported`);
  }
  return out;
}

export function mapDef(name: string, key: SType, value: SType, kind: MapDef['kind'] = 'hash'): MapDef {
  const hist = value.kind === 'agg' && (value.fn === 'hist' || value.fn === 'lhist');
  const keySize = (key.kind === 'void' ? (hist ? 0 : 4) : sizeOf(key)) + (hist ? 8 : 0);
  return { name, kernelName: name.replace('@', 'AT_'), kind, keySize, valueSize: sizeOf(value), maxEntries: 4096, key, value, user: true };
}

export const agg = (fn: AggType['fn'], signed = true, lhist?: AggType['lhist']): AggType =>
  ({ kind: 'agg', fn, signed, ...(lhist ? { lhist } : {}) });

/** A plain (non-aggregation) map's entries, one value each, in the order given. */
export function plainEntries(def: MapDef, rows: [Value, Value][]): MapEntry[] {
  return rows.map(([k, v]) => ({ key: keyBytes(def, k), values: [encode(def.value, v)] }));
}

export function keyBytes(def: MapDef, k: Value): Uint8Array {
  return def.key.kind === 'void' ? new Uint8Array(def.kind.includes('array') ? 4 : 8) : encode(def.key, k);
}

/** hist() bucket as sonde's AGG_LAYOUT defines it (true 64-bit log2). */
export function histBucket(v: bigint): number {
  if (v < 0n) return 0;
  if (v === 0n) return 1;
  return 2 + v.toString(2).length - 1;
}

/** hist() bucket as bpftrace 0.17 computes it: its log2 shifts at most 31 bits, so 2^31+ land in [2G, 4G). */
export function histBucket017(v: bigint): number {
  return Math.min(histBucket(v), 33);
}

/** lhist() bucket as bpftrace's linear(): 0 below min, (max-min)/step + 1 above max. */
export function lhistBucket(v: bigint, r: { min: bigint; max: bigint; step: bigint }): number {
  if (v < r.min) return 0;
  if (v > r.max) return Number((r.max - r.min) / r.step) + 1;
  return Number((v - r.min) / r.step) + 1;
}

export const NCPU = 2;

/**
 * An aggregation map as a BPF program would leave it: each update lands on the next CPU in turn,
 * so every multi-update entry has to be merged across 2 per-CPU slots. Entries come out in the
 * order their keys were first created (or reversed, to show order does not matter where it must not).
 */
export class AggMap {
  private slots = new Map<string, { key: Uint8Array; words: bigint[][] }>();
  private cpu = 0;

  constructor(readonly def: MapDef, private readonly bucket: (v: bigint) => number = histBucket017) {}

  add(key: Value, v = 0n): this {
    const t = this.def.value as AggType;
    let kb = keyBytes(this.def, key);
    if (t.fn === 'hist' || t.fn === 'lhist') {
      if (this.def.key.kind === 'void') kb = new Uint8Array(0);
      kb = concat(kb, u64s(BigInt(t.fn === 'hist' ? this.bucket(v) : lhistBucket(v, t.lhist!))));
    }
    const id = Buffer.from(kb).toString('hex');
    let e = this.slots.get(id);
    if (!e) {
      e = { key: kb, words: Array.from({ length: NCPU }, () => new Array<bigint>(AGG_LAYOUT[t.fn].words).fill(0n)) };
      this.slots.set(id, e);
    }
    const w = e.words[this.cpu]!;
    this.cpu = (this.cpu + 1) % NCPU;
    switch (t.fn) {
      case 'count': case 'hist': case 'lhist': w[0]! += 1n; break;
      case 'sum': w[0] = BigInt.asUintN(64, w[0]! + v); break;
      case 'min': case 'max': {
        const cur = t.signed ? BigInt.asIntN(64, w[0]!) : w[0]!;
        if (w[1] === 0n || (t.fn === 'min' ? v < cur : v > cur)) w[0] = BigInt.asUintN(64, v);
        w[1] = 1n;
        break;
      }
      case 'avg': case 'stats':
        w[0] = BigInt.asUintN(64, w[0]! + v);
        w[1]! += 1n;
        break;
    }
    return this;
  }

  /** Sets every slot of every entry to zero, as zero(@m) does. */
  zero(): this {
    for (const e of this.slots.values()) for (const w of e.words) w.fill(0n);
    return this;
  }

  entries(order: 'created' | 'reversed' = 'created'): MapEntry[] {
    const list = [...this.slots.values()].map((e) => ({ key: e.key, values: e.words.map((w) => u64s(...w)) }));
    return order === 'reversed' ? list.reverse() : list;
  }
}

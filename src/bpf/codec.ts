// Key/value codecs over raw bytes (little-endian, C layout), and a typed view of a map.
import type { BpfMap } from './map.js';

export interface Codec<T> {
  readonly size: number;
  readonly align: number;
  write(v: T, b: DataView, off: number): void;
  read(b: DataView, off: number): T;
}

function int(size: 1 | 2 | 4, signed: boolean): Codec<number> {
  return {
    size, align: size,
    write(v, b, o) {
      if (size === 1) signed ? b.setInt8(o, v) : b.setUint8(o, v);
      else if (size === 2) signed ? b.setInt16(o, v, true) : b.setUint16(o, v, true);
      else signed ? b.setInt32(o, v, true) : b.setUint32(o, v, true);
    },
    read(b, o) {
      if (size === 1) return signed ? b.getInt8(o) : b.getUint8(o);
      if (size === 2) return signed ? b.getInt16(o, true) : b.getUint16(o, true);
      return signed ? b.getInt32(o, true) : b.getUint32(o, true);
    },
  };
}

export const u8 = int(1, false);
export const i8 = int(1, true);
export const u16 = int(2, false);
export const i16 = int(2, true);
export const u32 = int(4, false);
export const i32 = int(4, true);
export const u64: Codec<bigint> = {
  size: 8, align: 8,
  write: (v, b, o) => b.setBigUint64(o, v, true),
  read: (b, o) => b.getBigUint64(o, true),
};
export const i64: Codec<bigint> = {
  size: 8, align: 8,
  write: (v, b, o) => b.setBigInt64(o, v, true),
  read: (b, o) => b.getBigInt64(o, true),
};

/** A fixed-size NUL-padded string (like char comm[16]); reads stop at the first NUL. */
export function cstring(size: number): Codec<string> {
  return {
    size, align: 1,
    write(v, b, o) {
      const bytes = Buffer.from(v, 'utf8');
      for (let i = 0; i < size; i++) b.setUint8(o + i, i < bytes.length && i < size - 1 ? bytes[i]! : 0);
    },
    read(b, o) {
      const u = new Uint8Array(b.buffer, b.byteOffset + o, size);
      const end = u.indexOf(0);
      return Buffer.from(u.subarray(0, end < 0 ? size : end)).toString('utf8');
    },
  };
}

export function bytes(size: number): Codec<Uint8Array> {
  return {
    size, align: 1,
    write: (v, b, o) => new Uint8Array(b.buffer, b.byteOffset + o, size).set(v.subarray(0, size)),
    read: (b, o) => new Uint8Array(b.buffer, b.byteOffset + o, size).slice(),
  };
}

type Fields = Record<string, Codec<unknown>>;
type StructOf<F extends Fields> = { [K in keyof F]: F[K] extends Codec<infer T> ? T : never };

/** A C struct laid out with natural alignment, fields in declaration order. */
export function struct<F extends Fields>(fields: F): Codec<StructOf<F>> & { offsets: Record<keyof F, number> } {
  let off = 0;
  let align = 1;
  const offsets = {} as Record<keyof F, number>;
  for (const [name, c] of Object.entries(fields)) {
    off = (off + c.align - 1) & ~(c.align - 1);
    offsets[name as keyof F] = off;
    off += c.size;
    align = Math.max(align, c.align);
  }
  const size = (off + align - 1) & ~(align - 1);
  return {
    size, align, offsets,
    write(v, b, o) {
      for (const [name, c] of Object.entries(fields)) c.write(v[name], b, o + offsets[name as keyof F]);
    },
    read(b, o) {
      const out = {} as Record<string, unknown>;
      for (const [name, c] of Object.entries(fields)) out[name] = c.read(b, o + offsets[name as keyof F]);
      return out as StructOf<F>;
    },
  };
}

export function encode<T>(c: Codec<T>, v: T): Uint8Array {
  const b = new Uint8Array(c.size);
  c.write(v, new DataView(b.buffer), 0);
  return b;
}

export function decode<T>(c: Codec<T>, b: Uint8Array, off = 0): T {
  return c.read(new DataView(b.buffer, b.byteOffset, b.byteLength), off);
}

/** A map seen through key and value codecs. Per-CPU maps return one value per possible CPU. */
export class TypedMap<K, V> {
  constructor(readonly map: BpfMap, readonly key: Codec<K>, readonly value: Codec<V>) {
    if (key.size !== map.spec.keySize) throw new Error(`TypedMap ${map.name}: key codec is ${key.size} bytes, map key is ${map.spec.keySize}`);
    if (value.size !== map.spec.valueSize) throw new Error(`TypedMap ${map.name}: value codec is ${value.size} bytes, map value is ${map.spec.valueSize}`);
  }
  get(k: K): V | undefined {
    const v = this.map.lookupView(encode(this.key, k));
    return v ? decode(this.value, v) : undefined;
  }
  getPerCpu(k: K): V[] | undefined {
    const v = this.map.lookupView(encode(this.key, k));
    return v ? this.map.perCpu(v).map((s) => decode(this.value, s)) : undefined;
  }
  set(k: K, v: V, flags?: number): void {
    if (this.map.nCpus > 1 && this.map.lookupSize !== this.value.size) {
      throw new Error(`TypedMap ${this.map.name}: use setPerCpu on a per-CPU map`);
    }
    this.map.update(encode(this.key, k), encode(this.value, v), flags);
  }
  setPerCpu(k: K, vs: V[]): void {
    const stride = (this.value.size + 7) & ~7;
    const buf = new Uint8Array(this.map.lookupSize);
    const dv = new DataView(buf.buffer);
    vs.forEach((v, i) => this.value.write(v, dv, i * stride));
    this.map.update(encode(this.key, k), buf);
  }
  delete(k: K): boolean {
    return this.map.delete(encode(this.key, k));
  }
  entries(): [K, V][] {
    return this.map.entries().map(([k, v]) => [decode(this.key, k), decode(this.value, v)]);
  }
  entriesPerCpu(): [K, V[]][] {
    return this.map.entries().map(([k, v]) => [decode(this.key, k), this.map.perCpu(v).map((s) => decode(this.value, s))]);
  }
}

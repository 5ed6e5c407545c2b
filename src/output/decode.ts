/**
 * Bytes from BPF maps and ring-buffer records → Values. Everything little-endian (the layouts in
 * src/lang/types.ts); sizes come from the SType, never from the data.
 */
import { AGG_LAYOUT, sizeOf, typeName, isBucketedAgg } from '../lang/types.js';
import type { AggType, IntType, SType } from '../lang/types.js';
import type { EventArg, MapDef } from '../lang/spec.js';
import { NONE } from './value.js';
import type { AggSlot, Value } from './value.js';

/** Raised when the bytes are too short for the type they are said to hold. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    readonly type: string,
    readonly offset: number,
    readonly needed: number,
    readonly available: number,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8');

function need(t: SType, view: DataView, offset: number, size: number): void {
  if (offset < 0 || offset + size > view.byteLength) {
    throw new DecodeError(
      `cannot decode ${typeName(t)}: needs ${size} bytes at offset ${offset}, have ${view.byteLength}`,
      typeName(t), offset, size, view.byteLength,
    );
  }
}

export function readInt(view: DataView, offset: number, size: 1 | 2 | 4 | 8, signed: boolean): bigint {
  switch (size) {
    case 1: return BigInt(signed ? view.getInt8(offset) : view.getUint8(offset));
    case 2: return BigInt(signed ? view.getInt16(offset, true) : view.getUint16(offset, true));
    case 4: return BigInt(signed ? view.getInt32(offset, true) : view.getUint32(offset, true));
    case 8: return signed ? view.getBigInt64(offset, true) : view.getBigUint64(offset, true);
  }
}

/** Bytes up to the first NUL (or the whole buffer), as UTF-8. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Decodes one value of type `t` at `offset`. Aggregations give one CPU's slot (AggSlot). */
export function decodeValue(t: SType, view: DataView, offset = 0): Value {
  const size = sizeOf(t);
  need(t, view, offset, size);
  const bytes = (n: number, at = offset): Uint8Array => new Uint8Array(view.buffer, view.byteOffset + at, n);
  switch (t.kind) {
    case 'void':
      return NONE;
    case 'int':
      return readInt(view, offset, t.size, t.signed);
    case 'pointer':
      return view.getBigUint64(offset, true);
    case 'string':
      return cString(bytes(t.size));
    case 'buffer': {
      // u32 length, then `size` bytes; a length beyond the buffer is clamped.
      const len = Math.min(view.getUint32(offset, true), t.size);
      return { kind: 'buffer', bytes: bytes(len, offset + 4).slice(), full: bytes(t.size, offset + 4).slice() };
    }
    case 'array': {
      const es = sizeOf(t.of);
      const out: Value[] = [];
      for (let i = 0; i < t.length; i++) out.push(decodeValue(t.of, view, offset + i * es));
      return out;
    }
    case 'tuple':
      return t.elems.map((e, i) => decodeValue(e, view, offset + t.offsets[i]!));
    case 'record':
      return {
        kind: 'record',
        name: t.name,
        fields: t.fields.map((f) => ({
          name: f.name,
          value: f.bitWidth !== undefined && f.type.kind === 'int'
            ? readBitfield(view, offset + f.offset, f.type, f.bitOffset ?? 0, f.bitWidth)
            : decodeValue(f.type, view, offset + f.offset),
        })),
      };
    case 'stack': {
      // The low 32 bits of the first word are the (signed) stack id; a ustack slot has the pid in
      // the second word (bpftrace packs it into the high half of the first; both are accepted).
      const w0 = view.getBigUint64(offset, true);
      const id = Number(BigInt.asIntN(32, w0));
      let pid = Number(w0 >> 32n);
      if (t.space === 'user' && size >= 16) pid = Number(view.getBigUint64(offset + 8, true) & 0xffffffffn);
      return { kind: 'stack', space: t.space, mode: t.mode, limit: t.limit, id, pid };
    }
    case 'symbol': {
      const raw = bytes(size).slice();
      const addr = size >= 8 ? view.getBigUint64(offset, true) : size > 0 ? readSmall(raw) : 0n;
      const sym = { kind: 'symbol' as const, what: t.what, addr, bytes: raw };
      return size >= 16 && (t.what === 'usym' || t.what === 'func')
        ? { ...sym, pid: view.getBigUint64(offset + 8, true) }
        : sym;
    }
    case 'agg': {
      const words: bigint[] = [];
      for (let i = 0; i < AGG_LAYOUT[t.fn].words; i++) words.push(view.getBigUint64(offset + 8 * i, true));
      return { kind: 'agg', fn: t.fn, words };
    }
  }
}

function readSmall(raw: Uint8Array): bigint {
  let v = 0n;
  for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
  return v;
}

function readBitfield(view: DataView, offset: number, t: IntType, bitOffset: number, bitWidth: number): bigint {
  // The containing unit is the field type's size; clamp to the bytes that exist (a bitfield at
  // the end of a packed record may have a shorter unit).
  const n = Math.min(t.size, view.byteLength - offset);
  let unit = 0n;
  for (let i = n - 1; i >= 0; i--) unit = (unit << 8n) | BigInt(view.getUint8(offset + i));
  const v = (unit >> BigInt(bitOffset)) & ((1n << BigInt(bitWidth)) - 1n);
  return t.signed ? BigInt.asIntN(bitWidth, v) : v;
}

/** The parts of a map key: the user key (NONE for a scalar map) and, for hist/lhist, the bucket. */
export interface DecodedKey {
  key: Value;
  /** hist/lhist maps only: the bucket index stored after the user key. */
  bucket?: number;
  /** The user key's bytes (without the bucket): what bpftrace orders hist/stats entries by. */
  raw: Uint8Array;
}

/** Size of the user part of a map key (what precedes the hist/lhist bucket word). */
export function userKeySize(def: MapDef): number {
  return def.key.kind === 'void' ? 0 : sizeOf(def.key);
}

export function isBucketed(def: MapDef): boolean {
  return def.value.kind === 'agg' && isBucketedAgg(def.value.fn);
}

/**
 * Decodes a map key. Multi-part keys (@m[a, b]) have a tuple key type and decode to an array;
 * scalar maps (void key, stored as a u32 0 in an array map) decode to NONE; hist/lhist maps carry
 * a u64 bucket index in the last 8 bytes.
 */
export function decodeKey(def: MapDef, bytes: Uint8Array): DecodedKey {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = userKeySize(def);
  const raw = bytes.subarray(0, Math.min(n, bytes.length));
  const key = def.key.kind === 'void' ? NONE : decodeValue(def.key, view, 0);
  if (!isBucketed(def)) return { key, raw };
  const at = bytes.length - 8;
  if (at < n) {
    throw new DecodeError(
      `cannot decode the key of ${def.name}: ${bytes.length} bytes, needs ${n} + 8 for the bucket`,
      typeName(def.key), n, n + 8, bytes.length,
    );
  }
  return { key, bucket: Number(view.getBigUint64(at, true)), raw };
}

/** Decodes every CPU's slot of an aggregation value (one Uint8Array per CPU). */
export function decodeAggSlots(t: AggType, values: Uint8Array[]): AggSlot[] {
  return values.map((b) => decodeValue(t, new DataView(b.buffer, b.byteOffset, b.byteLength), 0) as AggSlot);
}

/** Bytes before the arguments of every '.events' record: u32 event id, u32 reserved. */
export const EVENT_HEADER_SIZE = 8;

/**
 * The arguments of a ring-buffer record (printf, print_value, system, cat): the record starts at
 * `recordOffset` in `record`; EventArg offsets count from the start of the record, whose first
 * EVENT_HEADER_SIZE bytes are the header (so the first argument is at offset 8 or more).
 */
export function decodeEventArgs(args: readonly EventArg[], record: DataView, recordOffset = 0): Value[] {
  return args.map((a) => decodeValue(a.type, record, recordOffset + a.offset));
}

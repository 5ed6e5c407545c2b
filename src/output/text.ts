/**
 * Values as bpftrace prints them: as a map value / print() argument (bpftrace's value_to_str)
 * and as a part of a map key (MapKey::argument_value). The two differ: a pointer value prints as
 * a signed decimal but a pointer key as 0x hex; a record value is `{ .a = 1, .b = 2 }` but a
 * record key `{.a=1,.b=2}`; an integer key always prints as a signed 64-bit number.
 */
import type { SType, SymbolType } from '../lang/types.js';
import { aggScalar, mergeAgg } from './agg.js';
import { fallbackResolver, inetText, macText, pointerText, stackText, strerrorText } from './resolve.js';
import type { Resolver } from './resolve.js';
import { isTagged } from './value.js';
import type { BufferValue, RecordValue, StackValue, SymbolValue, Value } from './value.js';

/** Raised when a value does not have the shape its type says (a caller's bug). */
export class ValueShapeError extends Error {
  override readonly name = 'ValueShapeError';
  constructor(readonly expected: string, readonly got: Value) {
    super(`expected ${expected}, got ${describe(got)}`);
  }
}

function describe(v: Value): string {
  if (typeof v === 'bigint') return `integer ${v}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `array of ${v.length}`;
  return v.kind;
}

export function asInt(v: Value): bigint {
  if (typeof v === 'bigint') return v;
  if (isTagged(v) && v.kind === 'symbol') return v.addr;
  throw new ValueShapeError('an integer', v);
}

function asString(v: Value): string {
  if (typeof v === 'string') return v;
  throw new ValueShapeError('a string', v);
}

function asList(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  throw new ValueShapeError('a tuple or array', v);
}

function asTagged<K extends 'buffer' | 'record' | 'symbol' | 'stack'>(v: Value, kind: K):
  Extract<BufferValue | RecordValue | SymbolValue | StackValue, { kind: K }> {
  if (isTagged(v) && v.kind === kind) return v as Extract<BufferValue | RecordValue | SymbolValue | StackValue, { kind: K }>;
  throw new ValueShapeError(`a ${kind}`, v);
}

/**
 * bpftrace's hex_format_buffer(): printable ASCII kept (unless !keepAscii), other bytes as \xNN
 * (or, with !escapeHex, bare two-digit hex separated by spaces: %rh).
 */
export function hexFormatBuffer(bytes: Uint8Array, keepAscii = true, escapeHex = true): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (keepAscii && b >= 32 && b <= 126) s += String.fromCharCode(b);
    else if (escapeHex) s += `\\x${b.toString(16).padStart(2, '0')}`;
    else s += b.toString(16).padStart(2, '0') + (i === bytes.length - 1 ? '' : ' ');
  }
  return s;
}

/** Text of a symbol-like value (ksym, usym, inet, …) as a value or printf %s argument. */
export function symbolText(what: SymbolType['what'], v: SymbolValue, r: Resolver): string {
  switch (what) {
    case 'ksym': return r.ksym(v.addr, false);
    case 'usym': return r.usym(v.addr, Number(v.pid ?? 0n), false, false);
    case 'func': return v.pid !== undefined ? r.usym(v.addr, Number(v.pid), false, false) : r.ksym(v.addr, false);
    case 'kaddr': case 'uaddr': return BigInt.asUintN(64, v.addr).toString();
    case 'probe': return r.probe(v.addr);
    case 'username': return r.username(v.addr);
    case 'timestamp': return r.timestamp(v);
    case 'strerror': return strerrorText(v);
    case 'inet': return inetText(v);
    case 'cgroup_path': return r.cgroupPath(v);
    case 'macaddr': return macText(v);
  }
}

/** A value as bpftrace's value_to_str() prints it (map values, print(value), tuple elements). */
export function valueText(t: SType, v: Value, r: Resolver = fallbackResolver): string {
  switch (t.kind) {
    case 'void': return '';
    case 'int': return t.bool ? (asInt(v) !== 0n ? 'true' : 'false') : asInt(v).toString();
    // bpftrace prints pointer values through its int64 fallback: signed decimal.
    case 'pointer': return BigInt.asIntN(64, asInt(v)).toString();
    case 'string': return asString(v);
    case 'buffer': return hexFormatBuffer(asTagged(v, 'buffer').bytes);
    case 'array': return `[${asList(v).map((e) => valueText(t.of, e, r)).join(',')}]`;
    case 'tuple': return `(${asList(v).map((e, i) => valueText(t.elems[i]!, e, r)).join(', ')})`;
    case 'record': {
      const rec = asTagged(v, 'record');
      return `{ ${rec.fields.map((f, i) => `.${f.name} = ${valueText(t.fields[i]?.type ?? { kind: 'void' }, f.value, r)}`).join(', ')} }`;
    }
    case 'stack': return stackText(asTagged(v, 'stack'), 8, r);
    case 'symbol': return symbolText(t.what, asTagged(v, 'symbol'), r);
    case 'agg': {
      if (isTagged(v) && v.kind === 'agg') return aggScalar(mergeAgg(t, [v])).toString();
      throw new ValueShapeError('an aggregation slot', v);
    }
  }
}

/** One part of a map key as bpftrace's MapKey::argument_value() prints it. */
export function keyPartText(t: SType, v: Value, r: Resolver = fallbackResolver): string {
  switch (t.kind) {
    case 'void': return '';
    // bpftrace widens key integers to 64 bits (sign- or zero-extending by type) and prints them
    // as int64: (uint64)-2 prints as -2, (uint8)255 as 255.
    case 'int': return BigInt.asIntN(64, asInt(v)).toString();
    case 'pointer': return pointerText(asInt(v));
    case 'string': return asString(v);
    case 'buffer': {
      const b = asTagged(v, 'buffer');
      return hexFormatBuffer(b.full ?? b.bytes);
    }
    case 'array': return `[${asList(v).map((e) => keyPartText(t.of, e, r)).join(',')}]`;
    case 'tuple': return `(${asList(v).map((e, i) => keyPartText(t.elems[i]!, e, r)).join(', ')})`;
    case 'record': {
      const rec = asTagged(v, 'record');
      return `{${rec.fields.map((f, i) => `.${f.name}=${keyPartText(t.fields[i]?.type ?? { kind: 'void' }, f.value, r)}`).join(',')}}`;
    }
    case 'stack': return stackText(asTagged(v, 'stack'), 4, r);
    case 'symbol': {
      const s = asTagged(v, 'symbol');
      if (t.what === 'kaddr') return BigInt.asIntN(64, s.addr).toString();
      if (t.what === 'uaddr') return pointerText(s.addr);
      return symbolText(t.what, s, r);
    }
    case 'agg': return valueText(t, v, r);
  }
}

/**
 * `@name[k1, k2]` — the map name and its key as bpftrace prints it. A tuple key type is a
 * multi-part key (@m[a, b]); a void key prints no brackets.
 */
export function keyText(name: string, keyType: SType, key: Value, r: Resolver = fallbackResolver): string {
  if (keyType.kind === 'void') return name;
  if (keyType.kind === 'tuple') {
    const parts = asList(key);
    return `${name}[${parts.map((p, i) => keyPartText(keyType.elems[i]!, p, r)).join(', ')}]`;
  }
  return `${name}[${keyPartText(keyType, key, r)}]`;
}

/** print(value) of a non-map value: the value's text and a newline. */
export function formatValue(t: SType, v: Value, r?: Partial<Resolver>): string {
  return `${valueText(t, v, r ? { ...fallbackResolver, ...r } : fallbackResolver)}\n`;
}

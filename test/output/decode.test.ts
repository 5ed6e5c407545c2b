// Decoding values and map keys from little-endian bytes, by type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAggSlots, decodeEventArgs, decodeKey, decodeValue, DecodeError, mergeAgg, NONE } from '../../src/output/index.js';
import type { SType } from '../../src/lang/types.js';
import { agg, concat, encode, I16, I32, I64, I8, mapDef, S, tuple, U16, U32, U64, u64s, U8 } from './encode.js';

const dv = (...bytes: number[]): DataView => new DataView(new Uint8Array(bytes).buffer);
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

test('integers: every size, signed and unsigned, little-endian, at an offset', () => {
  const b = dv(0xaa, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
  assert.equal(decodeValue(I8, b, 1), -1n);
  assert.equal(decodeValue(U8, b, 1), 255n);
  assert.equal(decodeValue(I16, b, 1), -257n);
  assert.equal(decodeValue(U16, b, 1), 0xfeffn);
  assert.equal(decodeValue(I32, b, 1), -257n);
  assert.equal(decodeValue(U32, b, 1), 0xfffffeffn);
  assert.equal(decodeValue(I64, b, 1), -257n);
  assert.equal(decodeValue(U64, b, 1), 0xfffffffffffffeffn);
  assert.equal(decodeValue({ kind: 'pointer', to: { kind: 'void' }, space: 'user' }, b, 1), 0xfffffffffffffeffn);
});

test('strings stop at the first NUL, or fill their buffer; UTF-8 is decoded', () => {
  const s4: SType = { kind: 'string', size: 4 };
  assert.equal(decodeValue(s4, dv(0x61, 0x62, 0, 0x63)), 'ab');
  assert.equal(decodeValue(s4, dv(0x61, 0x62, 0x63, 0x64, 0x65)), 'abcd');
  assert.equal(decodeValue(s4, dv(0xc3, 0xa9, 0, 0)), 'é');
  assert.equal(decodeValue(S, view(encode(S, 'hello'))), 'hello');
});

test('buffers: u32 length then data; the length is clamped to the buffer', () => {
  const B: SType = { kind: 'buffer', size: 4 };
  const v = decodeValue(B, dv(2, 0, 0, 0, 0x61, 0x62, 0x63, 0x64));
  assert.deepEqual(v, { kind: 'buffer', bytes: new Uint8Array([0x61, 0x62]), full: new Uint8Array([0x61, 0x62, 0x63, 0x64]) });
  const long = decodeValue(B, dv(99, 0, 0, 0, 1, 2, 3, 4));
  assert.deepEqual(long, { kind: 'buffer', bytes: new Uint8Array([1, 2, 3, 4]), full: new Uint8Array([1, 2, 3, 4]) });
});

test('tuples use their offsets (C alignment), arrays their element size', () => {
  const t = tuple(I8, I64, S, U16);
  assert.deepEqual((t as { offsets: number[] }).offsets, [0, 8, 16, 80]);
  assert.deepEqual(decodeValue(t, view(encode(t, [-1n, 1n << 40n, 'x', 65535n]))), [-1n, 1n << 40n, 'x', 65535n]);
  const a: SType = { kind: 'array', of: I16, length: 3 };
  assert.deepEqual(decodeValue(a, dv(1, 0, 0xff, 0xff, 3, 0)), [1n, -1n, 3n]);
});

test('records: fields by offset, bitfields extracted and sign-extended', () => {
  const r: SType = {
    kind: 'record', name: 'struct s', size: 8, align: 4, union: false,
    fields: [
      { name: 'a', type: U32, offset: 0 },
      { name: 'lo', type: U32, offset: 4, bitOffset: 0, bitWidth: 3 },
      { name: 'mid', type: I32, offset: 4, bitOffset: 3, bitWidth: 5 },
      { name: 'hi', type: U32, offset: 4, bitOffset: 8, bitWidth: 24 },
    ],
  };
  // word 2 = 0x123456_f5: lo = 0b101 = 5, mid = 0b11110 = -2 as 5-bit signed, hi = 0x123456
  const bytes = concat(encode(U32, 7n), encode(U32, 0x123456f5n));
  assert.deepEqual(decodeValue(r, view(bytes)), {
    kind: 'record', name: 'struct s',
    fields: [{ name: 'a', value: 7n }, { name: 'lo', value: 5n }, { name: 'mid', value: -2n }, { name: 'hi', value: 0x123456n }],
  });
});

test('stacks, symbols and aggregation slots', () => {
  const KS: SType = { kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 5 };
  assert.deepEqual(decodeValue(KS, view(u64s(BigInt.asUintN(64, -14n)))), { kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 5, id: -14, pid: 4294967295 });
  const US: SType = { kind: 'stack', space: 'user', mode: 'perf', limit: 8 };
  assert.deepEqual(decodeValue(US, view(u64s(7n, 4242n))), { kind: 'stack', space: 'user', mode: 'perf', limit: 8, id: 7, pid: 4242 });
  const usym = decodeValue({ kind: 'symbol', what: 'usym', size: 16 }, view(u64s(0x401000n, 99n)));
  assert.deepEqual(usym, { kind: 'symbol', what: 'usym', addr: 0x401000n, pid: 99n, bytes: u64s(0x401000n, 99n) });
  const ksym = decodeValue({ kind: 'symbol', what: 'ksym', size: 8 }, view(u64s(0xffffffff81000000n)));
  assert.deepEqual(ksym, { kind: 'symbol', what: 'ksym', addr: 0xffffffff81000000n, bytes: u64s(0xffffffff81000000n) });
  assert.deepEqual(decodeValue(agg('stats'), view(u64s(-5n, 2n))), { kind: 'agg', fn: 'stats', words: [BigInt.asUintN(64, -5n), 2n] });
  assert.deepEqual(decodeValue({ kind: 'void' }, dv()), NONE);
});

test('merging per-CPU slots', () => {
  const slots = (t: ReturnType<typeof agg>, ...cpu: bigint[][]) => mergeAgg(t, decodeAggSlots(t, cpu.map((w) => u64s(...w))));
  assert.deepEqual(slots(agg('count', false), [3n], [4n]), { fn: 'count', count: 7n });
  assert.deepEqual(slots(agg('sum'), [-5n], [2n]), { fn: 'sum', sum: -3n });
  assert.deepEqual(slots(agg('sum', false), [-5n], [2n]), { fn: 'sum', sum: 2n ** 64n - 3n });
  assert.deepEqual(slots(agg('min'), [-9n, 0n], [4n, 1n], [-2n, 1n]), { fn: 'min', value: -2n, set: true });
  assert.deepEqual(slots(agg('max'), [-9n, 1n], [-20n, 1n]), { fn: 'max', value: -9n, set: true });
  assert.deepEqual(slots(agg('max'), [0n, 0n], [0n, 0n]), { fn: 'max', value: 0n, set: false });
  assert.deepEqual(slots(agg('avg'), [-7n, 1n], [2n, 1n]), { fn: 'avg', total: -5n, count: 2n, average: -2n });
  assert.deepEqual(slots(agg('stats'), [0n, 0n]), { fn: 'stats', total: 0n, count: 0n, average: 0n });
  assert.deepEqual(mergeAgg(agg('hist'), decodeAggSlots(agg('hist'), [u64s(1n), u64s(2n)]), 4), { fn: 'hist', buckets: new Map([[4, 3n]]) });
});

test('map keys: scalar, single, multi-part, and hist/lhist with the bucket word', () => {
  const scalar = mapDef('@x', { kind: 'void' }, I64, 'array');
  assert.deepEqual(decodeKey(scalar, new Uint8Array(4)), { key: NONE, raw: new Uint8Array(0) });
  const single = mapDef('@m', I64, I64);
  assert.equal(decodeKey(single, encode(I64, -3n)).key, -3n);
  const multi = mapDef('@m', tuple(I64, S), I64);
  assert.deepEqual(decodeKey(multi, encode(multi.key, [1n, 'abc'])).key, [1n, 'abc']);
  const h = mapDef('@h', tuple(S, I32), agg('hist'));
  const k = decodeKey(h, concat(encode(h.key, ['x', 7n]), u64s(5n)));
  assert.deepEqual([k.key, k.bucket, k.raw.length], [['x', 7n], 5, 68]);
  const hv = mapDef('@h', { kind: 'void' }, agg('lhist', true, { min: 0n, max: 10n, step: 1n }));
  assert.deepEqual(decodeKey(hv, u64s(11n)), { key: NONE, bucket: 11, raw: new Uint8Array(0) });
});

test('too few bytes is a DecodeError naming the type and the sizes', () => {
  assert.throws(() => decodeValue(I64, dv(1, 2, 3), 0), (e: unknown) =>
    e instanceof DecodeError && e.type === 'int64' && e.needed === 8 && e.available === 3 &&
    e.message === 'cannot decode int64: needs 8 bytes at offset 0, have 3');
  const h = mapDef('@h', I64, agg('hist'));
  assert.throws(() => decodeKey(h, encode(I64, 1n)), DecodeError);
});

test('event argument offsets count from the record start, after its 8-byte header', () => {
  const args = [{ type: I64, offset: 8 }, { type: S, offset: 16 }, { type: U8, offset: 80 }];
  const rec = concat(new Uint8Array(4), u64s(3n).subarray(0, 4), encode(I64, -7n), encode(S, 'comm'), encode(U8, 200n));
  // At an offset inside a larger buffer, as a ring buffer hands records out.
  const buf = concat(new Uint8Array(16), rec);
  assert.deepEqual(decodeEventArgs(args, view(buf), 16), [-7n, 'comm', 200n]);
});

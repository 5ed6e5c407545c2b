import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf, BtfError, type BtfType } from '../../src/btf/index.js';
import { BtfBuilder } from './builder.js';
import { buildFixture } from './fixture.js';

function throwsBtf(fn: () => unknown, code: string, message: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BtfError, `expected BtfError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('every kind inflates to the exact record', () => {
  const f = buildFixture();
  const btf = Btf.parse(f.b.encode());
  const want: Record<number, BtfType> = {
    [f.int]: { kind: 'int', id: f.int, name: 'int', size: 4, signed: true, char: false, bool: false, bits: 32, bitOffset: 0 },
    [f.char]: { kind: 'int', id: f.char, name: 'char', size: 1, signed: true, char: true, bool: false, bits: 8, bitOffset: 0 },
    [f.bool]: { kind: 'int', id: f.bool, name: '_Bool', size: 1, signed: false, char: false, bool: true, bits: 8, bitOffset: 0 },
    [f.int4]: { kind: 'int', id: f.int4, name: 'int', size: 4, signed: true, char: false, bool: false, bits: 4, bitOffset: 2 },
    [f.charPtr]: { kind: 'ptr', id: f.charPtr, name: '', type: f.char },
    [f.charArr]: { kind: 'array', id: f.charArr, name: '', type: f.char, indexType: f.int, nelems: 16 },
    [f.inner]: {
      kind: 'struct', id: f.inner, name: 'inner', size: 8,
      members: [{ name: 'a', type: f.int, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: f.char, bitOffset: 32, bitfieldSize: 0 }],
    },
    [f.anonUnion]: {
      kind: 'union', id: f.anonUnion, name: '', size: 8,
      members: [{ name: '', type: f.anonStruct, bitOffset: 0, bitfieldSize: 0 }, { name: 'whole', type: f.ull, bitOffset: 0, bitfieldSize: 0 }],
    },
    [f.legacy]: {
      kind: 'struct', id: f.legacy, name: 'legacy', size: 4,
      members: [{ name: 'nib', type: f.int4, bitOffset: 10, bitfieldSize: 4 }, { name: 'whole', type: f.int, bitOffset: 0, bitfieldSize: 0 }],
    },
    [f.color]: {
      kind: 'enum', id: f.color, name: 'color', size: 4, signed: true,
      values: [{ name: 'RED', value: 0n }, { name: 'GREEN', value: 5n }, { name: 'BLUE', value: -1n }],
    },
    [f.flags32]: { kind: 'enum', id: f.flags32, name: 'flags32', size: 4, signed: false, values: [{ name: 'ALL', value: 0xffffffffn }] },
    [f.big]: { kind: 'enum64', id: f.big, name: 'big', size: 8, signed: false, values: [{ name: 'HUGE', value: 0xffffffffffffffffn }] },
    [f.neg64]: { kind: 'enum64', id: f.neg64, name: 'neg64', size: 8, signed: true, values: [{ name: 'NEG', value: -2n }] },
    [f.fwd]: { kind: 'fwd', id: f.fwd, name: 'outer', fwdKind: 'struct' },
    [f.fwdUnion]: { kind: 'fwd', id: f.fwdUnion, name: 'maybe', fwdKind: 'union' },
    [f.u32]: { kind: 'typedef', id: f.u32, name: 'u32', type: f.uint },
    [f.vol]: { kind: 'volatile', id: f.vol, name: '', type: f.myu32 },
    [f.cvol]: { kind: 'const', id: f.cvol, name: '', type: f.vol },
    [f.restrictPtr]: { kind: 'restrict', id: f.restrictPtr, name: '', type: f.charPtr },
    [f.userTag]: { kind: 'type_tag', id: f.userTag, name: 'user', type: f.int, attribute: false },
    [f.myfunc]: { kind: 'func', id: f.myfunc, name: 'myfunc', type: f.myfuncProto, linkage: 'global' },
    [f.logf]: { kind: 'func', id: f.logf, name: 'logf', type: f.logProto, linkage: 'static' },
    [f.myfuncProto]: {
      kind: 'func_proto', id: f.myfuncProto, name: '', returnType: f.int,
      params: [{ name: 'a', type: f.int }, { name: 's', type: f.constCharPtr }], variadic: false,
    },
    [f.logProto]: {
      kind: 'func_proto', id: f.logProto, name: '', returnType: f.int, params: [{ name: 'fmt', type: f.constCharPtr }], variadic: true,
    },
    [f.counter]: { kind: 'var', id: f.counter, name: 'counter', type: f.int, linkage: 'global' },
    [f.data]: { kind: 'datasec', id: f.data, name: '.data', size: 4, vars: [{ type: f.counter, offset: 0, size: 4 }] },
    [f.f32]: { kind: 'float', id: f.f32, name: 'float', size: 4 },
    [f.hot]: { kind: 'decl_tag', id: f.hot, name: 'hot', type: f.myfunc, componentIdx: -1, attribute: false },
    [f.argTag]: { kind: 'decl_tag', id: f.argTag, name: 'nonnull', type: f.myfunc, componentIdx: 1, attribute: true },
  };
  for (const [id, t] of Object.entries(want)) {
    assert.deepEqual(btf.typeById(Number(id)), t, `type #${id}`);
    assert.equal(btf.kindOf(Number(id)), t.kind);
    assert.equal(btf.nameOf(Number(id)), t.name);
  }
  // The struct with the bitfields: kind_flag member encoding.
  const outer = btf.typeById(f.outer);
  assert.equal(outer.kind, 'struct');
  assert.deepEqual(outer.members.slice(1, 3), [
    { name: 'flags', type: f.uint, bitOffset: 32, bitfieldSize: 3 },
    { name: 'mode', type: f.uint, bitOffset: 35, bitfieldSize: 5 },
  ]);
  assert.deepEqual(btf.typeById(0), { kind: 'void', id: 0, name: '' });
  assert.equal(btf.typeCount, f.b.nextId - 1);
  assert.equal(btf.firstId, 1);
});

test('inflated types are cached and frozen', () => {
  const f = buildFixture();
  const btf = Btf.parse(f.b.encode());
  assert.equal(btf.typeById(f.outer), btf.typeById(f.outer));
  assert.ok(Object.isFrozen(btf.typeById(f.outer)));
});

test('big-endian, unaligned, long-header and strings-first blobs read the same as the plain one', () => {
  const f = buildFixture();
  const plain = Btf.parse(f.b.encode());
  const be = Btf.parse(f.b.encode({ bigEndian: true }));
  assert.equal(be.littleEndian, false);
  assert.equal(plain.littleEndian, true);
  const bytes = f.b.encode({ headerPad: 8 });
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const unaligned = Btf.parse(shifted.subarray(1));
  const stringsFirst = Btf.parse(f.b.encode({ stringsFirst: true }));
  for (let id = 1; id < plain.nextId; id++) {
    const t = plain.typeById(id);
    assert.deepEqual(be.typeById(id), t);
    assert.deepEqual(unaligned.typeById(id), t);
    assert.deepEqual(stringsFirst.typeById(id), t);
  }
});

test('header problems are reported plainly', () => {
  const good = buildFixture().b.encode();
  const patch = (at: number, v: number, width: 1 | 2 | 4 = 4): Uint8Array => {
    const c = good.slice();
    const dv = new DataView(c.buffer);
    if (width === 1) c[at] = v;
    else if (width === 2) dv.setUint16(at, v, true);
    else dv.setUint32(at, v, true);
    return c;
  };
  throwsBtf(() => Btf.parse(good.subarray(0, 10)), 'malformed', 'this BTF is malformed: 10 bytes is too short for a BTF header');
  throwsBtf(() => Btf.parse(patch(0, 0x1234, 2)), 'malformed', 'this BTF is malformed: magic is 0x1234, not 0xeb9f');
  throwsBtf(() => Btf.parse(patch(2, 2, 1)), 'malformed', 'this BTF is malformed: version 2, only version 1 is known');
  throwsBtf(() => Btf.parse(patch(4, 8)), 'malformed', /header length 8 is invalid/);
  throwsBtf(() => Btf.parse(patch(12, 0x7ffffff0)), 'malformed', /type section runs past the end/);
  throwsBtf(() => Btf.parse(patch(12, 6)), 'malformed', /not 4-byte aligned/);
  throwsBtf(() => Btf.parse(patch(20, 0x7fffff)), 'malformed', /string section runs past the end/);
  throwsBtf(() => Btf.parse(good, undefined, { name: 'vmlinux' }).typeById(99999), 'bad-id', /type id 99999 does not exist in vmlinux BTF/);
  // Last string byte not NUL.
  const noNul = good.slice();
  noNul[noNul.length - 1] = 0x41;
  throwsBtf(() => Btf.parse(noNul), 'malformed', /does not end with a NUL/);
});

test('type-section problems name the type id', () => {
  const unknown = new BtfBuilder();
  unknown.int('int', 4);
  unknown.raw(0, 25 << 24, 0);
  throwsBtf(() => Btf.parse(unknown.encode()), 'malformed', /type #2 has unknown kind 25/);

  const truncated = new BtfBuilder();
  truncated.int('int', 4);
  truncated.raw(0, (4 << 24) | 2, 8, 0, 1, 0); // struct claiming 2 members, holding 1
  throwsBtf(() => Btf.parse(truncated.encode()), 'malformed', /type #2 runs past the end of the type section/);

  const kindZero = new BtfBuilder();
  kindZero.raw(0, 0, 0);
  throwsBtf(() => Btf.parse(kindZero.encode()), 'malformed', /type #1 has unknown kind 0/);
});

test('opening is lazy: a bad name offset only fails when that type is inflated', () => {
  const b = new BtfBuilder();
  const good = b.int('int', 4, { signed: true });
  const bad = b.raw(0x7fff, 2 << 24, good); // ptr whose name offset is past the strings
  const btf = Btf.parse(b.encode());
  assert.equal(btf.typeById(good).name, 'int');
  assert.equal(btf.kindOf(bad), 'ptr');
  throwsBtf(() => btf.typeById(bad), 'malformed', /string offset 32767 is outside the string section/);
});

test('non-ASCII names decode as UTF-8', () => {
  const b = new BtfBuilder();
  const id = b.struct('größe', 0, []);
  const btf = Btf.parse(b.encode());
  assert.equal(btf.typeById(id).name, 'größe');
  assert.deepEqual(btf.find('größe'), [id]);
});

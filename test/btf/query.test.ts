import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf, BtfError } from '../../src/btf/index.js';
import { BtfBuilder } from './builder.js';
import { buildFixture } from './fixture.js';

const f = buildFixture();
const btf = Btf.parse(f.b.encode(), undefined, { name: 'fixture' });

function throwsBtf(fn: () => unknown, code: string, message: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BtfError, `expected BtfError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('find: by name, by kind, all duplicates in id order', () => {
  assert.deepEqual(btf.find('outer'), [f.outer, f.fwd]);
  assert.deepEqual(btf.find('outer', 'struct'), [f.outer]);
  assert.deepEqual(btf.find('outer', 'fwd'), [f.fwd]);
  assert.deepEqual(btf.find('outer', ['union', 'fwd']), [f.fwd]);
  assert.deepEqual(btf.find('int'), [f.int, f.int4]);
  assert.deepEqual(btf.find('int', 'int'), [f.int, f.int4]);
  assert.deepEqual(btf.find('nosuch'), []);
  assert.deepEqual(btf.find(''), []); // anonymous types are not indexed
  assert.deepEqual(btf.find('myfunc', 'func'), [f.myfunc]);
  assert.deepEqual(btf.find('counter', 'var'), [f.counter]);
  assert.deepEqual(btf.find('.data', 'datasec'), [f.data]);
  assert.equal(btf.findOne('u32', 'typedef'), f.u32);
  throwsBtf(() => btf.findOne('nosuch', 'struct'), 'not-found', "no struct named 'nosuch' in fixture BTF");
  throwsBtf(() => btf.findOne('nosuch', ['struct', 'union']), 'not-found', "no struct or union named 'nosuch' in fixture BTF");
});

test('resolve skips typedef, const, volatile, restrict, type_tag', () => {
  assert.equal(btf.resolve(f.cvu32), f.uint);
  assert.equal(btf.resolve(f.userTag), f.int);
  assert.equal(btf.resolve(f.restrictPtr), f.charPtr);
  assert.equal(btf.resolve(f.outerT), f.outer);
  assert.equal(btf.resolve(f.outerPtr), f.outerPtr); // pointers are not skipped
  assert.equal(btf.resolve(0), 0);
});

test('sizeof and alignof follow C', () => {
  const sizes: [number, number, number][] = [
    [f.outer, 104, 8], [f.inner, 8, 4], [f.pk, 5, 1], [f.anonUnion, 8, 8], [f.anonStruct, 8, 4],
    [f.cvu32, 4, 4], [f.charArr, 16, 1], [f.llGrid, 48, 8], [f.outerPtr, 8, 8], [f.cbPtr, 8, 8],
    [f.color, 4, 4], [f.big, 8, 8], [f.f32, 4, 4], [f.bool, 1, 1], [f.outerT, 104, 8], [f.counter, 4, 4],
  ];
  for (const [id, size, align] of sizes) {
    assert.equal(btf.sizeof(id), size, `sizeof ${btf.typeName(id)}`);
    assert.equal(btf.alignof(id), align, `alignof ${btf.typeName(id)}`);
  }
  assert.equal(btf.pointerSize, 8);
  throwsBtf(() => btf.sizeof(0), 'no-size', 'sizeof(void) is not defined');
  throwsBtf(() => btf.sizeof(f.fwd), 'no-size', 'struct outer is only forward-declared in BTF, so its sizeof is unknown');
  throwsBtf(() => btf.sizeof(f.myfunc), 'no-size', /is a function; a function has no sizeof/);
  throwsBtf(() => btf.alignof(f.cbProto), 'no-size', 'int (int, char *) is a function; a function has no alignof');
});

test('pointer size comes from long', () => {
  const b = new BtfBuilder();
  b.int('long int', 4, { signed: true });
  const p = b.ptr(0);
  assert.equal(Btf.parse(b.encode()).sizeof(p), 4);
});

test('member: direct, bitfield, and through nested anonymous union/struct', () => {
  assert.deepEqual(btf.member(f.outer, 'x'), { name: 'x', type: f.int, bitOffset: 0, bitfieldSize: 0, byteOffset: 0, via: [] });
  assert.deepEqual(btf.member(f.outer, 'flags'), { name: 'flags', type: f.uint, bitOffset: 32, bitfieldSize: 3, byteOffset: 4, via: [] });
  assert.deepEqual(btf.member(f.outer, 'mode'), { name: 'mode', type: f.uint, bitOffset: 35, bitfieldSize: 5, byteOffset: 4, via: [] });
  assert.deepEqual(btf.member(f.outer, 'lo'), {
    name: 'lo', type: f.u32, bitOffset: 64, bitfieldSize: 0, byteOffset: 8, via: [f.anonUnion, f.anonStruct],
  });
  assert.equal(btf.member(f.outer, 'hi').byteOffset, 12);
  assert.deepEqual(btf.member(f.outer, 'whole').via, [f.anonUnion]);
  assert.equal(btf.member(f.outer, 'whole').byteOffset, 8);
  assert.equal(btf.member(f.outer, 'next').byteOffset, 40);
  assert.equal(btf.member(f.outer, 'cb').byteOffset, 48);
  // Through a typedef to the struct.
  assert.equal(btf.member(f.outerT, 'arr2').byteOffset, 56);
  // Legacy (kind_flag 0) int bitfield.
  assert.deepEqual(btf.member(f.legacy, 'nib'), { name: 'nib', type: f.int4, bitOffset: 10, bitfieldSize: 4, byteOffset: 1, via: [] });
  assert.equal(btf.findMember(f.outer, 'nope'), undefined);
  throwsBtf(() => btf.member(f.outer, 'nope'), 'no-member', "struct outer has no member 'nope'");
  throwsBtf(() => btf.member(f.outerT, 'nope'), 'no-member', "struct outer has no member 'nope'");
  throwsBtf(() => btf.member(f.anonUnion, 'nope'), 'no-member', "union (anon) has no member 'nope'");
  throwsBtf(() => btf.member(f.int, 'x'), 'not-aggregate', "int is not a struct or union, so it has no member 'x'");
  throwsBtf(() => btf.member(f.outerPtr, 'x'), 'not-aggregate', "struct outer * is a pointer, not a struct or union; dereference it to reach member 'x'");
  throwsBtf(() => btf.member(f.fwd, 'x'), 'not-aggregate', "struct outer is only forward-declared in BTF, so member 'x' cannot be found");
});

test('memberPath: nested members and array indexing, offsets summed', () => {
  assert.deepEqual(btf.memberPath(f.outer, 'in.b'), { name: 'in.b', type: f.char, bitOffset: 160, bitfieldSize: 0, byteOffset: 20, via: [] });
  assert.equal(btf.memberPath(f.outer, 'comm[3]').byteOffset, 27);
  assert.equal(btf.memberPath(f.outer, 'comm[3]').type, f.char);
  const cell = btf.memberPath(f.outer, 'arr2[1][2]');
  assert.equal(cell.byteOffset, 56 + 24 + 16);
  assert.equal(cell.type, f.ll);
  assert.equal(btf.memberPath(f.outer, 'arr2[1]').type, f.llRow);
  assert.deepEqual(btf.memberPath(f.outer, 'lo'), btf.member(f.outer, 'lo'));
  assert.deepEqual(btf.memberPath(f.outer, 'mode').bitfieldSize, 5);
  throwsBtf(() => btf.memberPath(f.outer, 'in.zz'), 'no-member', "struct inner (struct outer.in) has no member 'zz'");
  throwsBtf(() => btf.memberPath(f.outer, 'x.y'), 'not-aggregate', "int is not a struct or union, so it has no member 'y'");
  throwsBtf(() => btf.memberPath(f.outer, 'next.x'), 'not-aggregate', /is a pointer/);
  throwsBtf(() => btf.memberPath(f.outer, 'comm[16]'), 'wrong-kind', 'index 16 is out of bounds for struct outer.comm (char[16])');
  throwsBtf(() => btf.memberPath(f.outer, 'x[0]'), 'wrong-kind', 'struct outer.x is int, not an array; it cannot be indexed');
  throwsBtf(() => btf.memberPath(f.outer, 'in..b'), 'no-member', /is not a member path/);
});

test('funcProto: FUNC id, prototype, parameter names', () => {
  assert.deepEqual(btf.funcProto('myfunc'), {
    funcId: f.myfunc, protoId: f.myfuncProto, name: 'myfunc', linkage: 'global', returnType: f.int,
    params: [{ name: 'a', type: f.int }, { name: 's', type: f.constCharPtr }], variadic: false,
  });
  const logf = btf.funcProto('logf');
  assert.equal(logf.variadic, true);
  assert.equal(logf.linkage, 'static');
  assert.deepEqual(logf.params, [{ name: 'fmt', type: f.constCharPtr }]);
  throwsBtf(() => btf.funcProto('outer'), 'not-found', "no func named 'outer' in fixture BTF");
});

test('enumValue: across enums, signedness and 64-bit values exact', () => {
  assert.deepEqual(btf.enumValue('GREEN'), { name: 'GREEN', value: 5n, enumId: f.color, signed: true, size: 4 });
  assert.equal(btf.enumValue('BLUE').value, -1n);
  assert.equal(btf.enumValue('RED').value, 0n);
  assert.deepEqual(btf.enumValue('ALL'), { name: 'ALL', value: 4294967295n, enumId: f.flags32, signed: false, size: 4 });
  assert.deepEqual(btf.enumValue('HUGE'), { name: 'HUGE', value: 18446744073709551615n, enumId: f.big, signed: false, size: 8 });
  assert.equal(btf.enumValue('NEG').value, -2n);
  assert.equal(btf.findEnumValue('outer'), undefined);
  throwsBtf(() => btf.enumValue('TASK_RUNNING'), 'not-found', /no enum constant named 'TASK_RUNNING' in fixture BTF/);
});

test('typeName spells C', () => {
  const names: [number, string][] = [
    [0, 'void'], [f.int, 'int'], [f.uint, 'unsigned int'], [f.u32, 'u32'], [f.cvu32, 'cvu32'],
    [f.cvol, 'const volatile myu32'], [f.charArr, 'char[16]'], [f.outerPtr, 'struct outer *'],
    [f.charPtr, 'char *'], [f.constCharPtr, 'const char *'], [f.constPtr, 'char *const'],
    [f.restrictPtr, 'char *restrict'], [f.cbPtr, 'int (*)(int, char *)'], [f.llGrid, 'long long[2][3]'],
    [f.ptrToArr, 'char (*)[16]'], [f.arrOfPtr, 'char *[4]'], [f.anonUnion, 'union (anon)'],
    [f.fwd, 'struct outer'], [f.fwdUnion, 'union maybe'], [f.color, 'enum color'], [f.big, 'enum big'],
    [f.uptr, 'int *'], [f.myfunc, 'int myfunc(int a, const char *s)'],
    [f.logf, 'int logf(const char *fmt, ...)'], [f.counter, 'int counter'], [f.outerT, 'outer_t'],
    [f.f32, 'float'], [f.cbProto, 'int (int, char *)'], [f.logProto, 'int (const char *, ...)'],
  ];
  for (const [id, name] of names) assert.equal(btf.typeName(id), name, `type #${id}`);
});

test('member types print as C', () => {
  assert.equal(btf.typeName(btf.member(f.outer, 'next').type), 'struct outer *');
  assert.equal(btf.typeName(btf.member(f.outer, 'comm').type), 'char[16]');
});

test('a typedef loop is reported, not followed forever', () => {
  const b = new BtfBuilder();
  const a = b.typedef('a', 2);
  b.typedef('b', a);
  const loop = Btf.parse(b.encode());
  throwsBtf(() => loop.resolve(a), 'malformed', /chain .* is too long/);
  throwsBtf(() => loop.sizeof(a), 'malformed', /too long/);
});

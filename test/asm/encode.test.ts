import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Add, AsmError, AtomicAdd, Call, Exit, Ja, Ja32, JEq, JLt, JNe, Label, LdFunc, LdImm64, LdMapFd, LdMapValue,
  Ldx, Mov, Mov32, Add32, Stx, St, Xchg, CmpXchg, LoadAcquire, label, withSpan,
  R0, R1, R2, R10, assemble,
} from '../../src/asm/index.js';
import type { AsmErrorCode, AsmItem, Insn, SourceSpan } from '../../src/asm/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const slotHex = (b: Uint8Array, slot: number): string => hex(b.subarray(slot * 8, slot * 8 + 8));

function fails(code: AsmErrorCode, f: () => unknown, message?: RegExp): AsmError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AsmError, `expected AsmError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.name, 'AsmError');
  assert.ok(caught instanceof Error);
  if (message) assert.match(caught.message, message);
  return caught;
}

test('the ISA document examples', () => {
  // instruction-set.rst: "07 1 0 00 00 44 33 22 11   r1 += 0x11223344 // little"
  assert.equal(hex(assemble([Add.imm(R1, 0x11223344)]).bytes), '0701000044332211');
  // mov r0, 0; exit
  const r = assemble([Mov.imm(R0, 0), Exit()]);
  assert.equal(hex(r.bytes), 'b700000000000000' + '9500000000000000');
  assert.equal(r.count, 2);
  assert.ok(r.bytes instanceof Uint8Array);
});

test('forward jump to a label on the instruction', () => {
  const r = assemble([JEq.imm(R0, 0, 'out'), Mov.imm(R0, 1), label('out', Exit())]);
  assert.equal(slotHex(r.bytes, 0), '1500010000000000');
  assert.deepEqual([...r.labels], [['out', 2]]);
  assert.equal(r.insns[0]!.off, 1);
  assert.equal(r.insns[0]!.target, 'out');
});

test('forward jump over an ld_imm64 counts its two slots', () => {
  const r = assemble([Ja('end'), LdImm64(R1, 5n), Label('end'), Exit()]);
  assert.equal(r.count, 4);
  assert.equal(slotHex(r.bytes, 0), '0500020000000000');
  assert.equal(r.labels.get('end'), 3);
  assert.deepEqual(r.slots, [0, 1, 3]);
});

test('backward jump over an ld_imm64', () => {
  const r = assemble([
    Label('top'),
    LdImm64(R1, 1n), // slots 0-1
    Add.imm(R2, 1), // 2
    JLt.imm(R2, 10, 'top'), // 3 -> 0 - (3 + 1) = -4
    Exit(),
  ]);
  assert.equal(slotHex(r.bytes, 3), 'a502fcff0a000000');
  assert.equal(r.labels.get('top'), 0);
});

test('a jump to itself has offset -1', () => {
  const r = assemble([label('spin', Ja('spin'))]);
  assert.equal(hex(r.bytes), '0500ffff00000000');
});

test('several labels may name one instruction', () => {
  const r = assemble([JNe.reg(R1, R2, 'b'), Ja('a'), Label('a'), Label('b'), label('c', Exit())]);
  assert.equal(r.labels.get('a'), 2);
  assert.equal(r.labels.get('b'), 2);
  assert.equal(r.labels.get('c'), 2);
  assert.equal(slotHex(r.bytes, 0), '5d21010000000000');
  assert.equal(slotHex(r.bytes, 1), '0500000000000000');
});

test('bpf-to-bpf call and function pointer resolve to imm, relative to the next slot', () => {
  const r = assemble([
    LdFunc(R2, 'cb'), // slots 0-1: imm = 4 - 1 = 3
    Call.local('cb'), // 2: imm = 4 - 3 = 1
    Exit(), // 3
    Label('cb'),
    Mov.imm(R0, 1), // 4
    Exit(),
  ]);
  assert.equal(hex(r.bytes.subarray(0, 16)), '1842000003000000' + '0000000000000000');
  assert.equal(slotHex(r.bytes, 2), '8510000001000000');
  assert.equal(r.insns[0]!.imm64, 3n);
  // backward local call
  const back = assemble([label('f', Mov.imm(R0, 0)), Exit(), Call.local('f'), Exit()]);
  assert.equal(slotHex(back.bytes, 2), '8510000000fdffff'.slice(0, 8) + 'fdffffff');
});

test('Ja32 (gotol) takes its displacement in imm', () => {
  const r = assemble([Ja32('x'), Mov.imm(R0, 0), label('x', Exit())]);
  assert.equal(slotHex(r.bytes, 0), '0600000001000000');
});

function filler(n: number): Insn[] {
  return Array.from({ length: n }, () => Mov.imm(R0, 0));
}

test('a Ja within 16-bit reach stays a Ja; one beyond is widened to gotol', () => {
  const near = assemble([Ja('far'), ...filler(32767), label('far', Exit())]);
  assert.equal(slotHex(near.bytes, 0), '0500ff7f00000000');
  const far = assemble([Ja('far'), ...filler(32768), label('far', Exit())]);
  assert.equal(slotHex(far.bytes, 0), '0600000000800000');
  assert.equal(far.insns[0]!.code, 0x06);
  assert.equal(far.insns[0]!.imm, 32768);
  // backward: -32768 still fits, -32769 does not
  const backNear = assemble([label('top', Exit()), ...filler(32766), Ja('top')]);
  assert.equal(slotHex(backNear.bytes, 32767), '0500008000000000');
  const backFar = assemble([label('top', Exit()), ...filler(32767), Ja('top')]);
  assert.equal(slotHex(backFar.bytes, 32768), '06000000ff7fffff');
});

test('long jumps: errors when gotol is refused or the jump is conditional', () => {
  fails('jump-range', () => assemble([Ja('far'), ...filler(40000), label('far', Exit())], { longJumps: 'error' }), /far/);
  const e = fails('jump-range', () => assemble([JEq.imm(R0, 0, 'far'), ...filler(40000), label('far', Exit())]));
  assert.equal(e.index, 0);
  assert.equal(e.label, 'far');
  assert.match(e.message, /40000 instructions away/);
});

test('map references: resolved through mapFd and listed as relocations', () => {
  const prog = [LdMapFd(R1, 'counts'), LdMapValue(R2, 'globals', 24), Exit()];
  const fds = new Map([['counts', 7], ['globals', 9]]);
  const r = assemble(prog, { mapFd: (n) => fds.get(n) });
  assert.equal(hex(r.bytes.subarray(0, 16)), '1811000007000000' + '0000000000000000');
  assert.equal(hex(r.bytes.subarray(16, 32)), '1822000009000000' + '0000000018000000');
  assert.deepEqual(r.relocations, [
    { slot: 0, index: 0, mapRef: { name: 'counts', kind: 'fd' } },
    { slot: 2, index: 1, mapRef: { name: 'globals', kind: 'value', offset: 24 } },
  ]);
  assert.equal(r.insns[1]!.imm, 9);
  assert.equal(r.insns[1]!.imm64, (24n << 32n) | 9n);
});

test('map references without a resolver: fd 0, relocations kept for the loader', () => {
  const r = assemble([Mov.imm(R0, 0), LdMapFd(R1, 'm'), Exit()]);
  assert.equal(hex(r.bytes.subarray(8, 24)), '1811000000000000' + '0000000000000000');
  assert.deepEqual(r.relocations, [{ slot: 1, index: 1, mapRef: { name: 'm', kind: 'fd' } }]);
});

test('an unknown map is an error naming it', () => {
  const span: SourceSpan = { file: 'a.bt', line: 3, col: 9 };
  const e = fails('unresolved-map', () => assemble([{ ...LdMapFd(R1, 'nope'), span }, Exit()], { mapFd: () => undefined }));
  assert.equal(e.message, "map 'nope' is not defined (at instruction 0, a.bt:3:9)");
  assert.deepEqual(e.span, span);
  fails('operand-range', () => assemble([LdMapFd(R1, 'x'), Exit()], { mapFd: () => -1 }));
});

test('spans are kept per slot, both halves of an ld_imm64 included', () => {
  const a: SourceSpan = { file: 's.bt', line: 1, col: 1 };
  const b: SourceSpan = { line: 2, col: 5, endLine: 2, endCol: 9 };
  const items: AsmItem[] = [...withSpan(a, [Mov.reg(R1, R10), LdImm64(R2, 1n)]), Label('x'), { ...Exit(), span: b }, Exit()];
  const r = assemble(items);
  assert.deepEqual(r.spans, [a, a, a, b, undefined]);
  assert.equal(r.spans.length, r.count);
  assert.equal(r.insns[2]!.span, b);
});

test('withSpan does not override a span already set', () => {
  const own: SourceSpan = { line: 9, col: 9 };
  const out = withSpan({ line: 1, col: 1 }, [{ ...Exit(), span: own }, Label('l'), Exit()]);
  assert.equal((out[0] as Insn).span, own);
  assert.deepEqual(out[1], { kind: 'label', name: 'l' });
  assert.deepEqual((out[2] as Insn).span, { line: 1, col: 1 });
});

test('the input list is not modified', () => {
  const prog = [JEq.imm(R0, 0, 'out'), LdMapFd(R1, 'm'), label('out', Exit())];
  const before = JSON.stringify(prog);
  assemble(prog, { mapFd: () => 5 });
  assert.equal(JSON.stringify(prog), before);
});

test('label errors', () => {
  let e = fails('unresolved-label', () => assemble([JEq.imm(R0, 0, 'nowhere'), Exit()]), /'nowhere'/);
  assert.equal(e.index, 0);
  assert.equal(e.label, 'nowhere');
  fails('unresolved-label', () => assemble([Call.local('f'), Exit()]));
  fails('unresolved-label', () => assemble([LdFunc(R1, 'f'), Exit()]));
  e = fails('duplicate-label', () => assemble([label('a', Mov.imm(R0, 0)), Label('a'), Exit()]), /'a' names two/);
  assert.equal(e.index, 1);
  fails('dangling-label', () => assemble([Exit(), Label('end')]), /'end'/);
  fails('label-conflict', () => label('b', label('a', Exit())));
  assert.deepEqual(label('a', label('a', Exit())).label, 'a');
});

test('register errors', () => {
  const bad = (i: Insn) => fails('invalid-register', () => assemble([i, Exit()]));
  bad({ ...Mov.reg(R1, R2), dst: 11 });
  bad({ ...Mov.reg(R1, R2), src: 12 });
  bad({ ...Mov.reg(R1, R2), dst: -1 });
  bad({ ...Mov.reg(R1, R2), src: 1.5 });
  const e = fails('invalid-register', () => assemble([Exit(), { ...Exit(), dst: 15 }]), /dst register 15/);
  assert.equal(e.index, 1);
  assert.equal(e.slot, 1);
});

test('r10 is read-only', () => {
  const ro = (i: Insn) => fails('readonly-register', () => assemble([i, Exit()]), /r10/);
  ro(Mov.reg(R10, R1));
  ro(Mov.imm(R10, 0));
  ro(Add.imm(R10, -8));
  ro(Mov32.imm(R10, 0));
  ro(Add32.reg(R10, R1));
  ro(Ldx(8, R10, R1, 0));
  ro(LdImm64(R10, 1n));
  ro(LdMapFd(R10, 'm'));
  ro(AtomicAdd(8, R1, 0, R10, { fetch: true }));
  ro(Xchg(8, R1, 0, R10));
  ro(LoadAcquire(8, R10, R1, 0));
  // reading r10, storing through it, and atomics that do not write src are fine
  assemble([
    Mov.reg(R1, R10),
    Ldx(8, R1, R10, -8),
    Stx(8, R10, -8, R1),
    St(4, R10, -4, 0),
    AtomicAdd(8, R1, 0, R10),
    CmpXchg(8, R1, 0, R10),
    JEq.reg(R10, R1, 0),
    Exit(),
  ]);
});

test('operand range errors on hand-made records', () => {
  fails('operand-range', () => assemble([{ ...Exit(), off: 0x8000 }]));
  fails('operand-range', () => assemble([{ ...Mov.imm(R0, 0), imm: 2 ** 32 }]));
  fails('operand-range', () => assemble([{ ...Mov.imm(R0, 0), imm: Number.NaN }]));
  fails('operand-range', () => assemble([{ ...LdImm64(R0, 0n), imm64: 1n << 64n }]));
  // unsigned 32-bit imm in a record is accepted and encoded as the same bits
  assert.equal(hex(assemble([{ ...Mov32.imm(R0, 0), imm: 0xffffffff }]).bytes), 'b4000000ffffffff');
});

test('invalid instruction errors', () => {
  const inv = (i: Insn, re?: RegExp) => fails('invalid-insn', () => assemble([i]), re);
  inv({ code: 0xe7, dst: 0, src: 0, off: 0, imm: 0 }, /unknown ALU operation/);
  inv({ code: 0x100, dst: 0, src: 0, off: 0, imm: 0 }, /not a byte/);
  inv({ code: 0xdf, dst: 0, src: 0, off: 0, imm: 16 }); // ALU64 END with source X is reserved
  inv({ code: 0xd4, dst: 0, src: 0, off: 0, imm: 8 }, /width 8/);
  inv({ code: 0x8f, dst: 0, src: 1, off: 0, imm: 0 }, /NEG/);
  inv({ ...Add.imm(R0, 1), off: 1 }, /offset 1/);
  inv({ ...Mov32.reg(R0, R1), off: 32 }); // movsx32 from 32 bits does not exist
  inv({ code: 0x86, dst: 0, src: 0, off: 0, imm: 1 }, /JMP32/); // JMP32 | CALL
  inv({ code: 0x96, dst: 0, src: 0, off: 0, imm: 0 }); // JMP32 | EXIT
  inv({ code: 0xf5, dst: 0, src: 0, off: 0, imm: 0 });
  inv({ code: 0x00, dst: 0, src: 0, off: 0, imm: 0 }, /ld_imm64/); // LD | IMM | W
  inv({ code: 0x38, dst: 0, src: 0, off: 0, imm: 0 }); // LD_ABS | DW
  inv({ code: 0x99, dst: 0, src: 0, off: 0, imm: 0 }); // LDX | MEMSX | DW
  inv({ code: 0xc2, dst: 0, src: 0, off: 0, imm: 0 }); // ST | ATOMIC
  inv({ code: 0xd3, dst: 1, src: 2, off: 0, imm: 0 }); // atomic add on u8
  inv({ code: 0xdb, dst: 1, src: 2, off: 0, imm: 0x33 }, /atomic operation 0x33/);
  inv({ ...Exit(), target: 'x' }, /cannot have a target/);
  inv({ ...Call.helper(1), target: 'x' }, /cannot have a target/);
  inv({ ...Mov.imm(R0, 1), imm64: 1n }, /64-bit immediate/);
  inv({ ...LdImm64(R1, 0n), mapRef: { name: 'm', kind: 'fd' } }, /BPF_PSEUDO_MAP_FD/);
  inv({ ...LdMapFd(R1, 'm'), mapRef: { name: 'm', kind: 'value' } }, /BPF_PSEUDO_MAP_VALUE/);
});

test('error messages carry the instruction index and source position', () => {
  const span: SourceSpan = { file: 'x.bt', line: 12, col: 3 };
  const e = fails('unresolved-label', () => assemble([Mov.imm(R0, 0), Label('a'), { ...JEq.imm(R0, 1, 'b'), span }]));
  assert.equal(e.message, "no instruction is labelled 'b' (at instruction 1, x.bt:12:3)");
  assert.equal(e.index, 1);
  assert.equal(e.slot, 1);
  assert.deepEqual(e.span, span);
  assert.equal(e.insn?.target, 'b');
});

test('an empty program assembles to nothing', () => {
  const r = assemble([]);
  assert.equal(r.count, 0);
  assert.equal(r.bytes.length, 0);
  assert.deepEqual(r.spans, []);
});

// Register allocation: pressure, spilling, calls, non-SSA values, loops, subprograms — every
// program is also executed (eBPF interpreter vs IR interpreter) so a wrong register is a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, Call, Class, classOf, disassemble, Exit, Ldx, Mov, R0, R1, R10, St } from '../../../src/asm/index.js';
import { generate, CodegenError } from '../../../src/lang/codegen/index.js';
import type { VReg } from '../../../src/lang/ir.js';
import { Fn, imm, program, ref, span } from './build.js';
import { agree } from './check.js';
import { generateProgram } from './random.js';
import { runBpf } from './vm.js';

/** Helper 9001 with one argument: a value the compiler cannot predict. */
const opaque = (f: Fn, x: VReg | bigint): VReg => f.call(9001, [typeof x === 'bigint' ? imm(x) : x]);

test('20 values live across helper calls: 4 in r6–r9, the rest spilled and reloaded', () => {
  const f = new Fn();
  const vs: VReg[] = [];
  for (let k = 0; k < 20; k++) vs.push(opaque(f, BigInt(k)));
  let acc = f.const(0);
  for (const v of vs) acc = f.alu('add', acc, v);
  f.ret(acc);
  const { gen } = agree(program(f));
  const r = gen.functions[0]!;
  // The last result is not live across a call, r6–r9 take four more: 15 go to the stack.
  assert.equal(r.spilled, 15);
  assert.equal(r.frameSize, 15 * 8);
  const insns = assemble(gen.items).insns;
  const spillStores = insns.filter((i) => classOf(i.code) === Class.STX && i.dst === R10).length;
  assert.equal(spillStores, 15, 'one store per spilled value');
});

test('constants live across calls are recomputed, not spilled', () => {
  const f = new Fn();
  const cs: VReg[] = [];
  for (let k = 0; k < 20; k++) cs.push(f.const(1000 + k));
  const ps: VReg[] = [];
  for (let k = 0; k < 6; k++) ps.push(opaque(f, BigInt(k)));
  let acc = f.const(0);
  for (const v of [...cs, ...ps]) acc = f.alu('xor', f.alu('mul', acc, 3n), v);
  f.ret(acc);
  const { gen } = agree(program(f));
  const r = gen.functions[0]!;
  assert.ok(r.rematerialised >= 16, `${r.rematerialised} rematerialised`);
  // Five call results are live across a later call; r6–r9 hold four.
  assert.equal(r.spilled, 1);
  assert.equal(r.frameSize, 8);
});

test('a 5-argument call with 10 other values live across it', () => {
  const f = new Fn();
  const live: VReg[] = [];
  for (let k = 0; k < 10; k++) live.push(opaque(f, BigInt(k)));
  const args = [0, 1, 2, 3, 4].map((k) => f.alu('add', live[k]!, live[9 - k]!));
  const r = f.call(9005, args);
  let acc = r;
  for (const v of live) acc = f.alu('sub', acc, v);
  f.ret(acc);
  agree(program(f));
});

test('arguments arrive in r1–r5 whatever registers the values were in', () => {
  // Rotate: pass (a, b, c, d, e) then (e, a, b, c, d) then (b, c, d, e, a).
  const f = new Fn();
  const xs = [1, 2, 3, 4, 5].map((k) => opaque(f, BigInt(k)));
  const r1 = f.call(9005, xs);
  const r2 = f.call(9005, [xs[4]!, xs[0]!, xs[1]!, xs[2]!, xs[3]!]);
  const r3 = f.call(9005, [xs[1]!, xs[2]!, xs[3]!, xs[4]!, xs[0]!]);
  const r4 = f.call(9005, [xs[0]!, xs[0]!, imm(7), xs[3]!, xs[0]!]);
  // A stack address as an argument (the pointer itself differs between the interpreters).
  const o = f.obj(8, 'out');
  f.call(9011, [ref(o), imm(8), xs[2]!], false);
  f.ret(f.alu('add', f.alu('xor', f.alu('xor', r1, r2), f.alu('xor', r3, r4)), f.load({ obj: o }, 0, 8)));
  agree(program(f));
});

test('ctx is saved at entry only when the function uses it', () => {
  const without = new Fn();
  without.ret(opaque(without, 1n));
  assert.equal(disassemble(generate(program(without))), '   0: (b7) r1 = 1\n   1: (85) call unknown#9001\n   2: (95) exit\n');
  const f = new Fn();
  const c = f.ctx();
  opaque(f, 1n);
  f.ret(f.load({ reg: c }, 8, 8));
  const ctx = new Uint8Array(64);
  ctx[8] = 0x2a;
  agree(program(f), {}, { ctx });
});

test('a variable assigned on both branches and updated in a loop (not SSA)', () => {
  const f = new Fn();
  const x = f.reg();
  const n = f.load({ reg: f.ctx() }, 0, 8);
  const t = f.newBlock();
  const e = f.newBlock();
  const head = f.newBlock();
  const body = f.newBlock();
  const exit = f.newBlock();
  f.br('gt', n, 3n, t, e);
  f.in(t).emit({ op: 'const', dst: x, value: 100n }).jmp(head);
  f.in(e).emit({ op: 'mov', dst: x, src: n }).jmp(head);
  const i = f.reg();
  f.in(head);
  f.br('lt', x, 1000n, body, exit);
  f.in(body);
  f.alu('mul', x, 3n, false, x);
  f.emit({ op: 'mov', dst: i, src: x });
  f.alu('add', x, opaque(f, i), true, x);
  f.jmp(head);
  f.in(exit).ret(x);
  for (const v of [0, 2, 5, 9]) {
    const ctx = new Uint8Array(64);
    ctx[0] = v;
    agree(program(f), {}, { ctx });
  }
});

test('d = a - d: the right operand is not overwritten by the two-address form', () => {
  const f = new Fn();
  const a = opaque(f, 100n);
  const d = opaque(f, 30n);
  f.alu('sub', a, d, false, d);
  f.alu('lsh', a, d, true, d);
  f.ret(d);
  agree(program(f));
});

test('a subprogram call keeps the caller\'s r6–r9 values', () => {
  const s = new Fn('mix', 2);
  const [a, b] = s.params as [VReg, VReg];
  const t: VReg[] = [];
  for (let k = 0; k < 6; k++) t.push(opaque(s, BigInt(k)));
  let acc = s.alu('xor', a, b);
  for (const v of t) acc = s.alu('add', acc, v);
  s.ret(acc);
  const f = new Fn();
  const keep = [1, 2, 3, 4].map((k) => opaque(f, BigInt(k * 10)));
  const r = f.calllocal('mix', [keep[0]!, imm(5)]);
  let acc2 = r;
  for (const v of keep) acc2 = f.alu('add', acc2, v);
  f.ret(acc2);
  const { gen } = agree(program(f, s));
  assert.deepEqual(gen.functions.map((x) => x.name), ['main', 'mix']);
});

test('a value read before any assignment is reported with its span', () => {
  const f = new Fn();
  const x = f.reg();
  const t = f.newBlock();
  const e = f.newBlock();
  const c = f.load({ reg: f.ctx() }, 0, 8);
  f.br('eq', c, 0n, t, e);
  f.in(t).emit({ op: 'const', dst: x, value: 1n }).jmp(e);
  f.in(e).at(span(4, 9)).ret(f.alu('add', x, 1n));
  assert.throws(
    () => generate(program(f)),
    (err: unknown) => err instanceof CodegenError && /virtual register %0 is read before it is assigned/.test(err.message) && err.span?.line === 4,
  );
});

test('random programs compute what the IR says (interpreted both ways), with and without cpu v4', () => {
  let spilled = 0;
  for (let seed = 1; seed <= 250; seed++) {
    const p = generateProgram(seed, { subprogram: seed % 4 === 0 });
    const { gen } = agree(p);
    agree(p, { cpuV4: true });
    spilled += gen.functions.reduce((a, r) => a + r.spilled, 0);
  }
  assert.ok(spilled > 500, `spilling exercised (${spilled} values)`);
});

test('the interpreter used above rejects what the verifier would: r1–r5 after a call, unwritten stack', () => {
  const env = { helpers: { 5: { arity: 0, fn: () => 1n } } };
  assert.throws(() => runBpf([Mov.imm(R1, 1), Call.helper(5), Mov.reg(R0, R1), Exit()], env), /unset register r1/);
  assert.throws(() => runBpf([Ldx(8, R0, R10, -8), Exit()], env), /unwritten byte/);
  assert.throws(() => runBpf([St(4, R10, -6, 0), Mov.imm(R0, 0), Exit()], env), /misaligned/);
  assert.equal(runBpf([St(8, R10, -8, 3), Call.helper(5), Ldx(8, R0, R10, -8), Exit()], env).r0, 3n);
});

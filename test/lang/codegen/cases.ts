// Small hand-built IR programs shared by the golden tests and the kernel tests.
import type { IrProgram } from '../../../src/lang/ir.js';
import type { GenerateOptions } from '../../../src/lang/codegen/index.js';
import { Fn, imm, program, ref, span } from './build.js';

export interface Case {
  name: string;
  ir: () => IrProgram;
  opts?: GenerateOptions;
}

const ctxLoad = (f: Fn, off: number) => f.load({ reg: f.ctx() }, off, 8);

export const CASES: Case[] = [
  {
    name: 'return a constant',
    ir: () => {
      const f = new Fn();
      f.ret(42n);
      return program(f);
    },
  },
  {
    name: 'constants: mov, mov32 for unsigned 32-bit, ld_imm64 beyond',
    ir: () => {
      const f = new Fn();
      const a = f.const(-7);
      const b = f.const(0xffffffffn);
      const c = f.const(1n << 40n);
      const d = f.const(-(1n << 31n));
      const e = f.const(0x80000000n);
      f.ret(f.alu('add', f.alu('add', f.alu('add', a, b), f.alu('add', c, d)), e));
      return program(f);
    },
  },
  {
    name: 'alu: immediates, 32-bit, large immediate materialised, shift masked, constant zero divisors',
    ir: () => {
      const f = new Fn();
      const x = ctxLoad(f, 0);
      const a = f.alu('mul', x, 3n);
      const b = f.alu('sub', a, x, true);
      const c = f.alu('and', b, 0x1_0000_0000n);
      const d = f.alu('lsh', c, 65n);
      const e = f.alu('div', x, 0n);
      const g = f.alu('mod', x, 0n, true);
      f.ret(f.alu('or', f.alu('or', d, e), g));
      return program(f);
    },
  },
  {
    name: 'sext, zext, bswap, neg with shifts and masks',
    ir: () => {
      const f = new Fn();
      const x = ctxLoad(f, 0);
      const a = f.un('sext', x, 8);
      const b = f.un('zext', a, 16);
      const c = f.un('zext', b, 32);
      const d = f.un('bswap', c, 16);
      const e = f.un('neg', d);
      f.ret(f.alu('xor', e, x));
      return program(f);
    },
  },
  {
    name: 'signed division without cpu v4: magnitudes and a sign fix-up',
    ir: () => {
      const f = new Fn();
      const x = ctxLoad(f, 0);
      const y = ctxLoad(f, 8);
      f.ret(f.alu('sdiv', x, y));
      return program(f);
    },
  },
  {
    name: 'signed division with cpu v4',
    opts: { cpuV4: true },
    ir: () => {
      const f = new Fn();
      const x = ctxLoad(f, 0);
      const y = ctxLoad(f, 8);
      f.ret(f.alu('add', f.alu('sdiv', x, y), f.un('sext', x, 16)));
      return program(f);
    },
  },
  {
    name: '32-bit signed modulo by a constant',
    ir: () => {
      const f = new Fn();
      f.ret(f.alu('smod', ctxLoad(f, 0), 10n, true));
      return program(f);
    },
  },
  {
    name: 'stores and loads: stack objects, truncated immediates, sign-extending load',
    ir: () => {
      const f = new Fn();
      const o = f.obj(16, 'buf');
      const x = f.load({ reg: f.ctx() }, 4, 2, true);
      f.store({ obj: o }, 0, 8, x);
      f.store({ obj: o }, 8, 4, 0x1_2345_6789n);
      f.store({ obj: o }, 12, 4, -1n);
      f.ret(f.load({ obj: o }, 8, 4));
      return program(f);
    },
  },
  {
    name: 'a helper call with 5 arguments: registers, immediates, a stack address',
    ir: () => {
      const f = new Fn();
      const k = f.obj(8, 'key');
      const a = ctxLoad(f, 0);
      const b = ctxLoad(f, 8);
      f.store({ obj: k }, 0, 8, 0n);
      f.call(1000, [b, imm(5), ref(k), a, imm(1n << 33n)], false);
      f.ret(0n);
      return program(f);
    },
  },
  {
    name: 'ctx kept in a callee-saved register across calls',
    ir: () => {
      const f = new Fn();
      const c = f.ctx();
      f.call(5, []);
      const x = f.load({ reg: c }, 0, 8);
      f.call(5, []);
      f.ret(f.alu('add', x, f.load({ reg: c }, 8, 8)));
      return program(f);
    },
  },
  {
    name: 'if/else: the then branch falls through, the join follows it',
    ir: () => {
      const f = new Fn();
      const x = ctxLoad(f, 0);
      const t = f.newBlock();
      const e = f.newBlock();
      const j = f.newBlock();
      const r = f.reg();
      f.br('sgt', x, 10n, t, e);
      f.in(t).emit({ op: 'const', dst: r, value: 1n }).jmp(j);
      f.in(e).emit({ op: 'const', dst: r, value: 2n }).jmp(j);
      f.in(j).ret(r);
      return program(f);
    },
  },
  {
    name: 'jset has no inverse: the else branch falls through',
    ir: () => {
      const f = new Fn();
      const x = ctxLoad(f, 0);
      const t = f.newBlock();
      const e = f.newBlock();
      f.br('set', x, 4n, t, e);
      f.in(t).ret(1n);
      f.in(e).ret(2n);
      return program(f);
    },
  },
  {
    name: 'loop: sum of 1..100',
    ir: () => sumLoop(100),
  },
  {
    name: 'map lookup, null check (the found path falls through), atomic add',
    ir: () => {
      const f = new Fn();
      const k = f.obj(4, 'key of @m', 4);
      const m = f.mapfd('m');
      f.store({ obj: k }, 0, 4, 0n);
      const p = f.call(1, [m, ref(k)]);
      const ok = f.newBlock();
      const out = f.newBlock();
      f.br('eq', p, 0n, out, ok);
      f.in(ok);
      f.atomicAdd({ reg: p }, 0, 8, f.const(1));
      f.jmp(out);
      f.in(out).ret(0n);
      return program(f);
    },
  },
  {
    name: 'zero and copy: widest aligned accesses',
    ir: () => {
      const f = new Fn();
      const a = f.obj(24, 'a', 8);
      const b = f.obj(7, 'b', 1);
      const p = ctxLoad(f, 0);
      f.zero(a, 0, 24);
      f.zero(b, 0, 7);
      f.copy(a, 1, { obj: b }, 0, 7);
      f.copy(b, 0, { reg: p }, 2, 7);
      f.ret(f.alu('add', f.load({ obj: a }, 0, 8), f.load({ obj: b }, 0, 1)));
      return program(f);
    },
  },
  {
    name: 'bpf-to-bpf call of a subprogram with 3 arguments',
    ir: () => {
      const s = new Fn('add3', 3);
      s.ret(s.alu('add', s.alu('add', s.params[0]!, s.params[1]!), s.params[2]!));
      const f = new Fn();
      const x = ctxLoad(f, 0);
      f.ret(f.calllocal('add3', [x, imm(2), x]));
      return program(f, s);
    },
  },
  {
    name: 'a callback address for bpf_loop',
    ir: () => {
      const s = new Fn('cb', 2);
      s.ret(0n);
      const f = new Fn();
      const fa = f.funcaddr('cb');
      f.call(181, [imm(10), fa, imm(0), imm(0)], false);
      f.ret(0n);
      return program(f, s);
    },
  },
];

/** sum = 0; for (i = 1; i <= n; i++) sum += i; return sum */
export function sumLoop(n: number): IrProgram {
  const f = new Fn();
  const sum = f.const(0);
  const i = f.const(1);
  const head = f.newBlock();
  const body = f.newBlock();
  const exit = f.newBlock();
  f.jmp(head);
  f.in(head).br('le', i, BigInt(n), body, exit);
  f.in(body);
  f.alu('add', sum, i, false, sum);
  f.alu('add', i, 1n, false, i);
  f.jmp(head);
  f.in(exit).ret(sum);
  return program(f);
}

export { span };

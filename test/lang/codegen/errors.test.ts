// What the back end refuses (with a sentence and the span), what it drops, and the spans it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disassemble, isLabelMark, type Insn } from '../../../src/asm/index.js';
import { CodegenError, generate, generateWithReport } from '../../../src/lang/codegen/index.js';
import { Fn, imm, program, span } from './build.js';

const refuses = (f: () => unknown, message: RegExp, line?: number): void => {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CodegenError, String(e));
    assert.match(e.message, message);
    if (line !== undefined) assert.equal(e.span?.line, line);
    return true;
  });
};

test('a virtual register beyond vregCount', () => {
  const f = new Fn();
  f.at(span(2, 1)).emit({ op: 'mov', dst: f.reg(), src: 9 });
  f.ret(0n);
  refuses(() => generate(program(f)), /virtual register %9 is out of range/, 2);
});

test('a jump to a block that does not exist', () => {
  const f = new Fn();
  f.jmp(7);
  refuses(() => generate(program(f)), /bb0 jumps to bb7, which does not exist/);
});

test('an access outside its stack object', () => {
  const f = new Fn();
  const o = f.obj(8, '$x');
  f.at(span(5, 2)).store({ obj: o }, 4, 8, 1n);
  f.ret(0n);
  refuses(() => generate(program(f)), /access to bytes 4\.\.12 of \$x \(8 bytes\) is out of bounds/, 5);
});

test('a call with six arguments', () => {
  const f = new Fn();
  f.call(1000, [1, 2, 3, 4, 5, 6].map((k) => imm(k)), false);
  f.ret(0n);
  refuses(() => generate(program(f)), /at most 5 arguments, not 6/);
});

test('a call to a subprogram that is not in the program', () => {
  const f = new Fn();
  f.calllocal('nowhere', []);
  f.ret(0n);
  refuses(() => generate(program(f)), /main calls nowhere, which is not in the program/);
});

test('a call passing fewer arguments than the subprogram takes', () => {
  const s = new Fn('two', 2);
  s.ret(s.alu('add', s.params[0]!, s.params[1]!));
  const f = new Fn();
  f.at(span(6, 1));
  f.ret(f.calllocal('two', [imm(1)]));
  refuses(() => generate(program(f, s)), /two takes 2 arguments; the call passes 1/, 6);
});

test('recursion', () => {
  const s = new Fn('again', 1);
  s.ret(s.calllocal('again', [s.params[0]!]));
  const f = new Fn();
  f.ret(f.calllocal('again', [imm(1)]));
  refuses(() => generate(program(f, s)), /function again calls itself/);
});

test('two functions with one name', () => {
  refuses(() => generate(program(new Fn('x'), new Fn('x'))), /two functions are named x/);
});

test('unreachable blocks and unused subprograms are left out (the verifier rejects dead code)', () => {
  const f = new Fn();
  const dead = f.newBlock();
  f.ret(1n);
  f.in(dead).ret(2n);
  const unused = new Fn('unused');
  unused.ret(3n);
  const g = generateWithReport(program(f, unused));
  assert.equal(disassemble(g.items), '   0: (b7) r0 = 1\n   1: (95) exit\n');
  assert.deepEqual(g.functions.map((r) => r.name), ['main']);
});

test('every emitted instruction carries the span of the IR instruction it came from', () => {
  const f = new Fn();
  const o = f.obj(16, 'buf');
  f.at(span(1, 1));
  const c = f.ctx();
  f.at(span(2, 3));
  f.zero(o, 0, 16);
  f.at(span(3, 5));
  const x = f.load({ reg: c }, 0, 8);
  const y = f.call(9001, [x]);
  f.at(span(4, 7)).ret(y);
  const items = generate(program(f));
  const insns = items.filter((i): i is Insn => !isLabelMark(i));
  assert.ok(insns.every((i) => i.span !== undefined), 'no instruction without a span');
  assert.equal(
    disassemble(items, { spans: true }),
    [
      '; 2:3',
      '   0: (7a) *(u64 *)(r10 -16) = 0',
      '   1: (7a) *(u64 *)(r10 -8) = 0',
      '; 3:5',
      '   2: (79) r1 = *(u64 *)(r1 +0)',
      '   3: (85) call unknown#9001',
      '; 4:7',
      '   4: (95) exit',
      '',
    ].join('\n'),
  );
});

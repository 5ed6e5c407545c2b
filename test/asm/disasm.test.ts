import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AsmError, Call, Exit, Helper, JEq, Label, LdMapFd, LdMapValue, Mov, Rsh, Stx,
  R0, R1, R6, R10, assemble, decode, disassemble, formatInsn, Ja,
} from '../../src/asm/index.js';
import type { AsmItem, Insn } from '../../src/asm/index.js';

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// The example from the brief, written out by hand as kernel bytes.
const exampleBytes = unhex(`
  bf 16 0000 00000000
  85 00 0000 0e000000
  77 00 0000 20000000
  15 00 0300 00000000
  18 11 0000 03000000  00 00 0000 00000000
  7b 1a f8ff 00000000
  95 00 0000 00000000
`);

const exampleProg: AsmItem[] = [
  Mov.reg(R6, R1),
  Call.helper(Helper.get_current_pid_tgid),
  Rsh.imm(R0, 32),
  JEq.imm(R0, 0, 'out'),
  LdMapFd(R1, 'pids'),
  Stx(8, R10, -8, R1),
  Label('out'),
  Exit(),
];

test('disassembles kernel bytes like bpftool prog dump xlated', () => {
  assert.equal(
    disassemble(exampleBytes),
    [
      '   0: (bf) r6 = r1',
      '   1: (85) call bpf_get_current_pid_tgid#14',
      '   2: (77) r0 >>= 32',
      '   3: (15) if r0 == 0x0 goto pc+3',
      '   4: (18) r1 = map[fd:3]',
      '   6: (7b) *(u64 *)(r10 -8) = r1',
      '   7: (95) exit',
      '',
    ].join('\n'),
  );
});

test("mapImm: 'id' prints bpftool's map[id:N] for dumps read back from the kernel", () => {
  assert.match(disassemble(exampleBytes, { mapImm: 'id' }), /^ {3}4: \(18\) r1 = map\[id:3\]$/m);
});

test('the builder program assembles to the hand-written bytes', () => {
  assert.deepEqual(assemble(exampleProg, { mapFd: () => 3 }).bytes, exampleBytes);
});

test('disassembling records shows map names, and labels on request', () => {
  assert.equal(
    disassemble(exampleProg, { labels: true }),
    [
      '   0: (bf) r6 = r1',
      '   1: (85) call bpf_get_current_pid_tgid#14',
      '   2: (77) r0 >>= 32',
      '   3: (15) if r0 == 0x0 goto pc+3 <out>',
      '   4: (18) r1 = map[pids]',
      '   6: (7b) *(u64 *)(r10 -8) = r1',
      'out:',
      '   7: (95) exit',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(disassemble(exampleProg), /out/);
});

test('opcodes: raw bytes under each instruction, both halves of ld_imm64 on one line', () => {
  assert.equal(
    disassemble(assemble(exampleProg.slice(3), { mapFd: () => 3 }).bytes, { opcodes: true }),
    [
      '   0: (15) if r0 == 0x0 goto pc+3',
      '       15 00 03 00 00 00 00 00',
      '   1: (18) r1 = map[fd:3]',
      '       18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00',
      '   3: (7b) *(u64 *)(r10 -8) = r1',
      '       7b 1a f8 ff 00 00 00 00',
      '   4: (95) exit',
      '       95 00 00 00 00 00 00 00',
      '',
    ].join('\n'),
  );
});

test('spans: a source line before each new position', () => {
  const a = { file: 'p.bt', line: 1, col: 1 };
  const b = { line: 2, col: 7 };
  const prog: Insn[] = [
    { ...Mov.imm(R0, 0), span: a },
    { ...Mov.imm(R1, 0), span: { ...a } },
    { ...Exit(), span: b },
  ];
  assert.equal(
    disassemble(prog, { spans: true }),
    ['; p.bt:1:1', '   0: (b7) r0 = 0', '   1: (b7) r1 = 0', '; 2:7', '   2: (95) exit', ''].join('\n'),
  );
});

test('index column follows printf("% 4d")', () => {
  const prog = Array.from({ length: 1001 }, () => Exit());
  const lines = disassemble(prog).split('\n');
  assert.equal(lines[0], '   0: (95) exit');
  assert.equal(lines[99], '  99: (95) exit');
  assert.equal(lines[999], ' 999: (95) exit');
  assert.equal(lines[1000], ' 1000: (95) exit');
});

test('raw encodings that have no builder', () => {
  const one = (bytes: string) => disassemble(unhex(bytes)).replace(/^ {3}0: /, '').trimEnd();
  assert.equal(one('18 51 0000 02000000 00 00 0000 00000000'), '(18) r1 = map[idx:2]');
  assert.equal(one('18 61 0000 02000000 00 00 0000 08000000'), '(18) r1 = map[idx:2]+8');
  assert.equal(one('bf 21 0100 01000200'), '(bf) r1 = addr_space_cast(r2, 2, 1)');
  assert.equal(one('c2 00 0000 00000000'), '(c2) nospec');
  assert.equal(one('60 00 0000 00000000'), '(60) BUG_ld_60');
  assert.equal(one('21 00 0000 00000000'), '(21) BUG_ldx_21');
  assert.equal(one('e7 00 0000 00000000'), '(e7) BUG_alu_e7');
  assert.equal(one('db 21 0000 33000000'), '(db) BUG_db');
  assert.equal(one('85 30 0000 01000000'), '(85) call unknown#1');
});

test('kfunc names come from a callback', () => {
  const text = formatInsn(Call.kfunc(4242, 1), {
    kfuncName: (id, idx) => (id === 4242 && idx === 1 ? 'bpf_rcu_read_lock' : undefined),
  });
  assert.equal(text, '(85) call bpf_rcu_read_lock#4242');
  assert.equal(formatInsn(Call.kfunc(1), { kfuncName: () => undefined }), '(85) call kernel-function#1');
});

test('map value loads by name and by fd', () => {
  assert.equal(formatInsn(LdMapValue(R1, 'g', 0)), '(18) r1 = map[g][0]+0');
  const bytes = assemble([LdMapValue(R1, 'g', 40)], { mapFd: () => 4 }).bytes;
  assert.equal(disassemble(bytes, { mapImm: 'id' }), '   0: (18) r1 = map[id:4][0]+40\n');
});

test('decode: ld_imm64 becomes one record with its 64-bit value', () => {
  const insns = decode(unhex('18 01 0000 88776655 00 00 0000 44332211  95 00 0000 00000000'));
  assert.deepEqual(insns, [
    { code: 0x18, dst: 1, src: 0, off: 0, imm: 0x55667788, imm64: 0x1122334455667788n },
    { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
});

test('decode reads a view at any byte offset', () => {
  const buf = Buffer.concat([Buffer.from('xxx'), Buffer.from(exampleBytes)]);
  const view = buf.subarray(3);
  assert.equal(view.byteOffset % 8 === 0, false);
  assert.equal(decode(view).length, 7);
  assert.equal(disassemble(view), disassemble(exampleBytes));
});

test('decode errors', () => {
  const err = (bytes: string, re: RegExp) =>
    assert.throws(() => decode(unhex(bytes)), (e: unknown) => e instanceof AsmError && e.code === 'decode' && re.test(e.message));
  err('95 00 0000 000000', /not a whole number/);
  err('b7 00 0000 00000000 18 01 0000 00000000', /no second half/);
  err('18 01 0000 00000000 95 00 0000 00000000', /second half/);
});

test('disassembling records resolves labels first and reports their errors', () => {
  assert.equal(disassemble([Ja('x'), Label('x'), Exit()]), '   0: (05) goto pc+0\n   1: (95) exit\n');
  assert.throws(() => disassemble([Ja('nope')]), (e: unknown) => e instanceof AsmError && e.code === 'unresolved-label');
});

test('an empty program disassembles to the empty string', () => {
  assert.equal(disassemble(new Uint8Array(0)), '');
  assert.equal(disassemble([]), '');
});

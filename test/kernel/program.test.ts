import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Program } from '../../src/bpf/program.js';
import { VerifierError, diagnose } from '../../src/bpf/verifier.js';
import { assemble } from '../../src/asm/encode.js';
import { Mov, Exit, Add, Ldx, Call, JEq } from '../../src/asm/builders.js';
import { R0, R1, R2, R10, Label, withSpan } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import { needsRoot, openFdCount } from '../support/root.js';

test('a program the verifier rejects: VerifierError names the instruction, the reason and the script line', needsRoot, () => {
  const base = openFdCount();
  const a = assemble([
    ...withSpan({ file: 'x.bt', line: 1, col: 1 }, [Mov.imm(R0, 0), Mov.imm(R1, 1)]),
    // r2 was never written: the verifier refuses to read it.
    ...withSpan({ file: 'x.bt', line: 3, col: 9 }, [Add.reg(R0, R2)]),
    Exit(),
  ]);
  let err: unknown;
  try {
    Program.load({ name: 'bad', kind: 'tracepoint', bytes: a.bytes, spans: a.spans });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof VerifierError, String(err));
  assert.equal(err.insnIndex, 2);
  assert.match(err.insnText!, /^\(0f\) r0 \+= r2/);
  assert.deepEqual(err.reason, ['R2 !read_ok']);
  assert.deepEqual(err.span, { file: 'x.bt', line: 3, col: 9 });
  assert.equal(err.message, 'program bad rejected by the BPF verifier at instruction 2 (0f) r0 += r2 (x.bt:3:9): R2 !read_ok');
  assert.match(err.log, /processed \d+ insns/, 'the whole log is kept');
  assert.equal(openFdCount(), base);
});

test('an out-of-bounds stack read is reported with the verifier\'s words', needsRoot, () => {
  const a = assemble([Ldx(8, R0, R10, 8), Exit()]);
  assert.throws(() => Program.load({ name: 'oob', kind: 'kprobe', bytes: a.bytes }), (e: unknown) =>
    e instanceof VerifierError && e.insnIndex === 0 && /invalid read from stack|invalid stack off/.test(e.message));
});

test('a tiny log buffer is grown until the whole log fits', needsRoot, () => {
  const items = [Mov.imm(R0, 0)];
  for (let i = 0; i < 200; i++) items.push(Add.imm(R0, 1));
  const a = assemble([...items, Exit()]);
  const p = Program.load({ name: 'logged', kind: 'tracepoint', bytes: a.bytes }, { logLevel: 2, logSize: 128 });
  assert.ok(p.log.length > 128, `log is ${p.log.length} bytes`);
  assert.match(p.log, /processed 202 insns/);
  p.close();
});

test('program info and BPF_PROG_TEST_RUN return value', needsRoot, () => {
  const a = assemble([Call.helper(Helper.ktime_get_ns), JEq.imm(R0, 0, 'zero'), Mov.imm(R0, 42), Exit(), Label('zero'), Mov.imm(R0, 7), Exit()]);
  const p = Program.load({ name: 'answer', kind: 'raw_tracepoint', bytes: a.bytes });
  assert.equal(p.testRun({ ctx: new Uint8Array(8) }).retval, 42);
  const info = p.info();
  assert.equal(info.name, 'answer');
  assert.ok(info.id > 0);
  assert.equal(info.tag.length, 16);
  p.close();
});

test('diagnose() on a recorded log (pure)', () => {
  const log = [
    'func#0 @0',
    '0: R1=ctx() R10=fp0',
    '0: (b7) r0 = 0                        ; R0_w=0',
    '1: (79) r2 = *(u64 *)(r1 +800)',
    'invalid bpf_context access off=800 size=8',
    'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ].join('\n');
  assert.deepEqual(diagnose(log), {
    reason: ['invalid bpf_context access off=800 size=8'],
    insnIndex: 1,
    insnText: '(79) r2 = *(u64 *)(r1 +800)',
  });
});

// Root only: the back end's output goes through the real verifier and runs (BPF_PROG_TEST_RUN
// as raw_tracepoint programs). Results are checked against the IR interpreter of
// test/lang/codegen, so the kernel and the reference semantics must agree value for value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../src/asm/index.js';
import { BpfMap } from '../../src/bpf/map.js';
import { Program } from '../../src/bpf/program.js';
import { generate, generateWithReport, type GenerateOptions } from '../../src/lang/codegen/index.js';
import type { AluOp, CmpOp, IrProgram, VReg } from '../../src/lang/ir.js';
import { Fn, imm, program, ref } from '../lang/codegen/build.js';
import { CASES, sumLoop } from '../lang/codegen/cases.js';
import { generateProgram, KERNEL_HELPERS } from '../lang/codegen/random.js';
import { runIr, type Helper, type Memory } from '../lang/codegen/vm.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { cpuV4Supported } from '../../src/runtime/features.js';

/** Loads the program (maps resolved through `maps`), runs it once with `ctx`, returns r0 as u32. */
function run(p: IrProgram, ctx: Uint8Array, opts: GenerateOptions = {}, maps: Record<string, BpfMap> = {}): number {
  const a = assemble(generate(p, opts), { mapFd: (n) => maps[n]?.fd });
  const prog = Program.load({ name: p.name.slice(0, 15), kind: 'raw_tracepoint', bytes: a.bytes, spans: a.spans });
  try {
    return prog.testRun({ ctx }).retval >>> 0;
  } finally {
    prog.close();
  }
}

const u64s = (...vs: bigint[]): Uint8Array => {
  const b = new Uint8Array(vs.length * 8);
  const v = new DataView(b.buffer);
  vs.forEach((x, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, x), true));
  return b;
};

/** An array map's single value for the IR interpreter: helper 1 returns its address. */
const MAP_VALUE = 0x4000_0000;
function fakeLookup(valueSize: number): Helper {
  const made = new WeakSet<Memory>();
  return {
    arity: 2,
    fn: (_args, mem) => {
      if (!made.has(mem)) {
        mem.add(MAP_VALUE, valueSize, 'map value');
        made.add(mem);
      }
      return BigInt(MAP_VALUE);
    },
  };
}

test('the small golden programs load and return what the IR interpreter returns', needsRoot, () => {
  const base = openFdCount();
  // Not here: a fake helper, a map, a callback needing BTF, a copy from a scalar "pointer".
  const skip = new Set([
    'a helper call with 5 arguments: registers, immediates, a stack address',
    'map lookup, null check (the found path falls through), atomic add',
    'a callback address for bpf_loop',
    'zero and copy: widest aligned accesses',
  ]);
  let n = 0;
  for (const c of CASES) {
    if (skip.has(c.name)) continue;
    if (c.opts?.cpuV4 && !cpuV4Supported()) {
      // The kernel must refuse what it cannot run, with the verifier's own words.
      assert.throws(() => run(c.ir(), u64s(0n, 0n), c.opts), /reserved fields/, c.name);
      continue;
    }
    for (const input of [[0n, 0n], [1234567n, -89n], [-(1n << 63n), 0xfedcba9876543210n]] as const) {
      const ctx = u64s(...input);
      const want = runIr(c.ir(), { helpers: { 5: { arity: 0, fn: () => 0n } }, ctx }).r0;
      // ktime differs between runs; the cases that call it only add ctx values.
      assert.equal(BigInt(run(c.ir(), ctx, c.opts)), want & 0xffffffffn, `${c.name} with ${input.join(', ')}`);
    }
    n++;
  }
  assert.ok(n >= 12, `${n} cases ran`);
  assert.equal(openFdCount(), base);
});

const ALU: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh'];
const CMP: CmpOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sgt', 'sge', 'slt', 'sle', 'set'];
const IMMS = [7n, -3n, 0x7fffffffn, 0x1_0000_0001n, 0n, 70n];

/** Every operation on two inputs from ctx, each result stored into one array map value. */
function arithmetic(): { p: IrProgram; count: number } {
  const f = new Fn('arith');
  const c = f.ctx();
  const a = f.load({ reg: c }, 0, 8);
  const b = f.load({ reg: c }, 8, 8);
  const key = f.obj(4, 'key', 4);
  f.store({ obj: key }, 0, 4, 0n);
  const p = f.call(1, [f.mapfd('results'), ref(key)]);
  const body = f.newBlock();
  const fail = f.newBlock();
  f.br('eq', p, 0n, fail, body);
  f.in(fail).ret(1n);
  f.in(body);
  let k = 0;
  const put = (v: VReg): void => {
    f.store({ reg: p }, 8 * k++, 8, v);
  };
  for (const op of ALU) {
    for (const w32 of [false, true]) {
      put(f.alu(op, a, b, w32));
      for (const x of IMMS) put(f.alu(op, a, x, w32));
    }
  }
  put(f.un('neg', a));
  for (const bits of [8, 16, 32] as const) {
    put(f.un('sext', a, bits));
    put(f.un('zext', a, bits));
  }
  for (const bits of [16, 32, 64] as const) put(f.un('bswap', a, bits));
  const s = f.obj(8, 'spill area');
  f.store({ obj: s }, 0, 8, a);
  for (const size of [1, 2, 4] as const) {
    put(f.load({ obj: s }, 0, size, true));
    put(f.load({ obj: s }, 0, size));
  }
  for (const cmp of CMP) {
    for (const w32 of [false, true]) {
      for (const rhs of [b, -5n] as const) {
        const r = f.reg();
        const t = f.newBlock();
        const e = f.newBlock();
        const j = f.newBlock();
        f.br(cmp, a, rhs, t, e, w32);
        f.in(t).emit({ op: 'const', dst: r, value: 1n }).jmp(j);
        f.in(e).emit({ op: 'const', dst: r, value: 0n }).jmp(j);
        f.in(j);
        put(r);
      }
    }
  }
  f.ret(0n);
  return { p: program(f), count: k };
}

test('arithmetic: every ALU, unary, load and compare form agrees with the IR interpreter (with and without cpu v4)', needsRoot, () => {
  const base = openFdCount();
  const { p, count } = arithmetic();
  const size = count * 8;
  const map = BpfMap.create({ name: 'results', kind: 'array', keySize: 4, valueSize: size, maxEntries: 1 });
  try {
    const inputs: [bigint, bigint][] = [
      [0n, 0n], [7n, 3n], [-7n, 3n], [7n, -3n], [-7n, -3n], [-(1n << 63n), -1n], [5n, 0n],
      [0x1234567890abcdefn, 0xfedcba0987654321n], [-1n, 64n], [0xffffffffn, 0x80000000n], [1n << 31n, 1n << 31n], [100n, 33n],
    ];
    // v4 instructions only where the kernel has them (Linux 6.6+); feature probing decides.
    for (const cpuV4 of cpuV4Supported() ? [false, true] : [false]) {
      for (const [a, b] of inputs) {
        const ctx = u64s(a, b);
        assert.equal(run(p, ctx, { cpuV4 }, { results: map }), 0);
        const got = map.lookup(new Uint8Array(4))!;
        const want = runIr(p, { helpers: { 1: fakeLookup(size) }, maps: { results: 1n }, ctx }).mem.read(BigInt(MAP_VALUE), size);
        const gv = new DataView(got.buffer, got.byteOffset);
        const wv = new DataView(want.buffer, want.byteOffset);
        for (let k = 0; k < count; k++) {
          assert.equal(gv.getBigUint64(k * 8, true), wv.getBigUint64(k * 8, true), `result ${k} for a=${a} b=${b}${cpuV4 ? ' (cpu v4)' : ''}`);
        }
      }
    }
  } finally {
    map.close();
  }
  assert.equal(openFdCount(), base);
});

test('a bounded loop summing 1..100 is accepted and returns 5050', needsRoot, () => {
  assert.equal(run(sumLoop(100), new Uint8Array(8)), 5050);
});

test('20 values live across helper calls: spilled, and the sum is right', needsRoot, () => {
  const f = new Fn('spills');
  const vs: VReg[] = [];
  for (let k = 1; k <= 20; k++) {
    const pid = f.alu('rsh', f.call(14, []), 32n);
    vs.push(f.alu('add', f.alu('mul', pid, BigInt(k)), BigInt(k * k)));
  }
  let acc = f.const(0);
  for (const v of vs) acc = f.alu('xor', f.alu('mul', acc, 31n), v);
  f.ret(acc);
  const p = program(f);
  assert.equal(generateWithReport(p).functions[0]!.spilled, 15);
  const want = runIr(p, { helpers: KERNEL_HELPERS }).r0;
  assert.equal(BigInt(run(p, new Uint8Array(8))), want & 0xffffffffn);
});

test('map update and lookup through helper calls, read back from user space', needsRoot, () => {
  const base = openFdCount();
  const m = BpfMap.create({ name: 'm', kind: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 });
  try {
    const f = new Fn('mapupd');
    const c = f.ctx();
    const key = f.obj(4, 'key', 4);
    const val = f.obj(8, 'value');
    f.store({ obj: key }, 0, 4, f.load({ reg: c }, 0, 8));
    f.store({ obj: val }, 0, 8, f.alu('mul', f.load({ reg: c }, 8, 8), 2n));
    const mfd = f.mapfd('m');
    f.call(2, [mfd, ref(key), ref(val), imm(0)], false);
    const p = f.call(1, [mfd, ref(key)]);
    const found = f.newBlock();
    const none = f.newBlock();
    f.br('ne', p, 0n, found, none);
    f.in(none).ret(0n);
    f.in(found);
    f.atomicAdd({ reg: p }, 0, 8, f.const(1));
    f.ret(f.load({ reg: p }, 0, 8));
    assert.equal(run(program(f), u64s(9n, 21n), {}, { m }), 43);
    assert.equal(run(program(f), u64s(4n, 1000n), {}, { m }), 2001);
    const v = m.lookup(new Uint8Array([9, 0, 0, 0]))!;
    assert.equal(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), 43n);
  } finally {
    m.close();
  }
  assert.equal(openFdCount(), base);
});

test('a 5-argument helper: perf_event_output(ctx, map, flags, data, size) on an empty array says ENOENT', needsRoot, () => {
  const base = openFdCount();
  const events = BpfMap.create({ name: 'ev', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 1 });
  try {
    const f = new Fn('five');
    const c = f.ctx();
    const data = f.obj(16, 'record');
    f.store({ obj: data }, 0, 8, f.load({ reg: c }, 0, 8));
    f.store({ obj: data }, 8, 8, 0n);
    // flags 0: the record goes to slot 0, where no perf event is: -ENOENT after all checks.
    const r = f.call(25, [c, { reg: f.mapfd('ev') }, imm(0), ref(data), imm(16)]);
    f.ret(r);
    assert.equal(run(program(f), u64s(1n), {}, { ev: events }) | 0, -2);
  } finally {
    events.close();
  }
  assert.equal(openFdCount(), base);
});

test('bpf-to-bpf calls: a subprogram with arguments keeps the caller\'s registers', needsRoot, () => {
  const s = new Fn('weigh', 3);
  const [x, y, z] = s.params as [VReg, VReg, VReg];
  const pid = s.call(14, []);
  s.ret(s.alu('add', s.alu('add', s.alu('mul', x, 3n), s.alu('mul', y, 5n)), s.alu('add', z, s.alu('and', pid, 0n))));
  const f = new Fn('caller');
  const c = f.ctx();
  const keep = [0, 8].map((o) => f.load({ reg: c }, o, 8));
  const r1 = f.calllocal('weigh', [keep[0]!, keep[1]!, imm(100)]);
  const r2 = f.calllocal('weigh', [r1, keep[0]!, keep[1]!]);
  f.ret(f.alu('add', f.alu('add', r2, keep[0]!), keep[1]!));
  const p = program(f, s);
  const ctx = u64s(11n, 13n);
  const want = runIr(p, { helpers: KERNEL_HELPERS, ctx }).r0;
  assert.equal(BigInt(run(p, ctx)), want & 0xffffffffn);
});

test('stack: two 256-byte buffers in turn share 256 bytes; both live at once fill exactly 512', needsRoot, () => {
  for (const together of [false, true]) {
    const f = new Fn('stack');
    const a = f.obj(256, '$a');
    const b = f.obj(256, '$b');
    f.zero(a, 0, 256);
    f.store({ obj: a }, 248, 8, 5n);
    const first = f.load({ obj: a }, 248, 8);
    f.zero(b, 0, 256);
    f.call(113, [ref(b, 0), imm(256), { reg: f.addr(together ? a : b, 0) }], false);
    f.store({ obj: b }, 0, 8, 7n);
    const second = f.load({ obj: b }, 248, 8);
    f.ret(f.alu('add', f.alu('mul', first, 10n), second));
    const p = program(f);
    assert.equal(generateWithReport(p).functions[0]!.frameSize, together ? 512 : 256);
    assert.equal(run(p, new Uint8Array(8)), together ? 55 : 50);
  }
});

test('random programs: the verifier accepts them and the kernel computes what the IR says', needsRoot, () => {
  let spilled = 0;
  for (let seed = 1; seed <= 120; seed++) {
    const p = generateProgram(seed, { kernel: true, subprogram: seed % 3 === 0 });
    const want = runIr(p, { helpers: KERNEL_HELPERS, ctx: new Uint8Array(8) }).r0 & 0xffffffffn;
    const opts = { cpuV4: cpuV4Supported() && seed % 2 === 0 };
    spilled += generateWithReport(p, opts).functions.reduce((a, r) => a + r.spilled, 0);
    assert.equal(BigInt(run({ ...p, name: `r${seed}` }, new Uint8Array(8), opts)), want, `seed ${seed}`);
  }
  assert.ok(spilled > 100, `${spilled} values spilled`);
});

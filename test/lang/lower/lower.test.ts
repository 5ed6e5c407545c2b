import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { compileToIr } from '../../../src/lang/compile.js';
import { formatIr, type IrFunction } from '../../../src/lang/ir.js';
import { fixtureKernel } from '../sema/fixture.js';
import { showIr } from './show.js';

// Goldens live in the source tree (test/lang/lower/golden), not in dist/. UPDATE_GOLDEN=1 rewrites them.
const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, '..', '..', '..', '..', 'test', 'lang', 'lower', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

const ir = (src: string, params: string[] = []) => compileToIr(src, { kernel: fixtureKernel(), file: 'test.bt', params });

describe('lowering goldens (formatIr)', () => {
  const scripts = readdirSync(goldenDir).filter((f) => f.endsWith('.bt')).sort();
  it('has golden scripts', () => assert.ok(scripts.length >= 8));
  for (const script of scripts) {
    it(script, () => {
      const text = readFileSync(join(goldenDir, script), 'utf8');
      const got = showIr(compileToIr(text, { kernel: fixtureKernel(), file: script }));
      const file = join(goldenDir, script.replace(/\.bt$/, '.ir'));
      if (update) writeFileSync(file, got);
      assert.equal(got, readFileSync(file, 'utf8'));
    });
  }
});

/** Every block ends in a terminator whose targets exist; every vreg is below vregCount. */
function checkWellFormed(f: IrFunction): void {
  const ids = new Set(f.blocks.map((b) => b.id));
  assert.ok(ids.has(f.entry));
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op === 'jmp') assert.ok(ids.has(t.to), `bb${b.id} jumps to missing bb${t.to}`);
    if (t.op === 'br') assert.ok(ids.has(t.then) && ids.has(t.else), `bb${b.id} branches to a missing block`);
    for (const i of b.insns) {
      for (const k of ['dst', 'a', 'src'] as const) {
        const v = (i as unknown as Record<string, unknown>)[k];
        if (typeof v === 'number') assert.ok(v < f.vregCount, `%${v} >= vregCount in bb${b.id}`);
      }
      if ('obj' in i && typeof i.obj === 'number') assert.ok(i.obj < f.objects.length);
    }
  }
}

describe('lowering: properties', () => {
  it('every golden program is well formed', () => {
    for (const script of readdirSync(goldenDir).filter((f) => f.endsWith('.bt'))) {
      for (const p of compileToIr(readFileSync(join(goldenDir, script), 'utf8'), { kernel: fixtureKernel() }).programs) checkWellFormed(p.ir.main);
    }
  });

  it('constant expressions are folded with BPF semantics (x / 0 = 0, x % 0 = x, unsigned division)', () => {
    const c = ir('BEGIN { @a = 7 / 0; @b = 7 % 0; @c = -7 / 2; @d = -16 >> 2; @e = 1 << 65; }');
    const consts = c.programs[0]!.ir.main.blocks.flatMap((b) => b.insns).filter((i) => i.op === 'const').map((i) => (i as { value: bigint }).value);
    assert.deepEqual(consts.slice(0, 5), [0n, 7n, 9223372036854775804n, 4611686018427387900n, 2n]);
  });

  it('integer conversions as bpftrace 0.17 does them', () => {
    const text = (src: string) => formatIr(ir(src).programs[0]!.ir);
    // A cast widens with the target's signedness: (uint16)(int8)x zero-extends the 8 bits.
    assert.match(text('BEGIN { $s = (int8)-5; @a = (uint16)$s; }'), /%\d+ = zext8 %\d+\n/);
    assert.match(text('BEGIN { $u = (uint8)255; @a = (int64)$u; }'), /%\d+ = sext8 %\d+\n/);
    // A ternary extends both sides with its own (the then-side's) signedness.
    assert.match(text('BEGIN { $s = (int8)-5; @a = pid ? (uint16)1 : $s; }'), /%\d+ = zext8 %\d+\n/);
    // ~ and - keep the width of an unsigned operand.
    assert.match(text('BEGIN { $u = (uint8)3; @a = ~$u; }'), /xor %\d+, -1\n\s+%\d+ = zext8 %\d+\n/);
  });

  it('code after exit() or return is dropped', () => {
    const c = ir('BEGIN { exit(); printf("never\\n"); }');
    assert.doesNotMatch(formatIr(c.programs[0]!.ir), /call 131\(%\d+, 8, 0\)[\s\S]*call 131/);
    assert.equal(c.events.length, 2, 'the printf event is still declared');
  });

  it('printf records: 8-byte header, integers as 64-bit at aligned offsets, strings in place', () => {
    const c = ir('BEGIN { printf("%d %s %d %s\\n", (int8)1, comm, 2, "xyz"); }');
    assert.deepEqual(c.events[0], {
      kind: 'printf', format: '%d %s %d %s\n', size: 48, span: c.events[0]!.kind === 'printf' ? c.events[0]!.span : undefined,
      args: [
        { type: { kind: 'int', size: 8, signed: true }, offset: 8 },
        { type: { kind: 'string', size: 16 }, offset: 16 },
        { type: { kind: 'int', size: 8, signed: true }, offset: 32 },
        { type: { kind: 'string', size: 4 }, offset: 40 },
      ],
    });
  });

  it('identical events without a payload are shared', () => {
    const c = ir('BEGIN { exit(); } END { exit(); } interval:s:1 { clear(@x); clear(@x); @x = 1; }');
    assert.deepEqual(c.events.map((e) => e.kind), ['exit', 'clear_map']);
  });

  it('BEGIN, END in one block: one program serving both, named after both', () => {
    const c = ir('BEGIN, END { printf("x\\n"); } BEGIN, interval:s:1 { @n = count(); }');
    assert.deepEqual(c.programs.map((p) => [p.name, p.probeName, p.attach.map((x) => x.kind)]), [
      ['BEGIN', 'BEGIN,END', ['begin', 'end']], ['BEGIN_2', 'BEGIN', ['begin']], ['i_s_1', 'interval:s:1', ['interval']],
    ]);
    assert.equal(c.events.length, 1, 'one printf call site, one event');
  });

  it('programs of one probe that come out identical share one program', () => {
    const c = ir('tracepoint:syscalls:sys_enter_read, tracepoint:syscalls:sys_enter_close { @[args->fd] = count(); }');
    assert.equal(c.programs.length, 1);
    assert.deepEqual(c.programs[0]!.attach, [
      { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_read' },
      { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_close' },
    ]);
  });

  it('map layouts: scalar aggregations and keyless histograms are per-CPU arrays, keyed ones per-CPU hashes, values hashes', () => {
    const c = ir('BEGIN { @c = count(); @k[1] = sum(2); @h = hist(3); @hk["a"] = lhist(1, 0, 10, 1); @v = 5; @s[comm] = "x"; ' +
      '@l = lhist(1, 0, 4096, 256); @fine = lhist(1, 0, 1000, 1); }');
    const m = Object.fromEntries(c.maps.map((x) => [x.name, [x.kind, x.keySize, x.valueSize, x.maxEntries]]));
    assert.deepEqual(m, {
      // hist: buckets 0 (negative), 1 (zero), 2 + log2(v) up to 2 + 62; lhist: 2 + (max - min) / step.
      '@c': ['percpu_array', 4, 8, 1], '@k': ['percpu_hash', 8, 8, 4096], '@h': ['percpu_array', 4, 8, 65],
      '@hk': ['percpu_hash', 16, 8, 4096], '@v': ['hash', 4, 8, 1], '@s': ['hash', 16, 2, 4096],
      '@l': ['percpu_array', 4, 8, 18], '@fine': ['percpu_array', 4, 8, 1002],
    });
  });

  it('elapsed and cpid read internal maps the runtime fills', () => {
    const c = ir('BEGIN { @e = elapsed; @c = cpid; }');
    assert.deepEqual(c.maps.filter((m) => m.name.startsWith('.')).map((m) => m.name), ['.elapsed', '.cpid']);
  });

  it('kernel map names are unique and at most 15 characters', () => {
    const c = ir('BEGIN { @a_very_long_map_name_1 = 1; @a_very_long_map_name_2 = 2; @ = 3; }');
    assert.deepEqual(c.maps.slice(0, 3).map((m) => m.kernelName), ['AT_a_very_long_', 'AT_a_very_lon_1', 'AT_']);
  });

  it('positional parameters become constants; str($N) a literal', () => {
    const c = ir('BEGIN { printf("%d %s\\n", $1 + 1, str($2)); }', ['41', 'hi']);
    const text = formatIr(c.programs[0]!.ir);
    assert.match(text, /%\d+ = 42\n/);
    assert.match(text, /store64 %\d+\+16, 26984\n/, '"hi" stored as the little-endian word 0x6968');
  });
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { disassemble } from '../../../src/asm/disasm.js';
import { compile } from '../../../src/lang/compile.js';
import { LangError } from '../../../src/lang/diagnostic.js';
import { fixtureKernel } from '../sema/fixture.js';
import { showHeader } from '../lower/show.js';

// Goldens live in the source tree (test/lang/compile/golden). UPDATE_GOLDEN=1 rewrites them.
const here = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(here, '..', '..', '..', '..', 'test', 'lang', 'compile', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('compile(): end-to-end goldens (disassembly with source lines)', () => {
  for (const script of readdirSync(goldenDir).filter((f) => f.endsWith('.bt')).sort()) {
    it(script, () => {
      const text = readFileSync(join(goldenDir, script), 'utf8');
      // A script may start with `// options: {…}`: compile options (JSON) besides the kernel.
      const options = /^\/\/ options: (\{.*\})$/m.exec(text)?.[1];
      const c = compile(text, { kernel: fixtureKernel(), file: script, ...(options ? JSON.parse(options) as object : {}) });
      const out = showHeader(c);
      for (const p of c.programs) {
        out.push('', `; ${p.name}: ${p.probeName} → ${p.progKind}`, disassemble(p.insns, { spans: true, labels: true }).trimEnd());
      }
      const got = out.join('\n') + '\n';
      const file = join(goldenDir, script.replace(/\.bt$/, '.asm'));
      if (update) writeFileSync(file, got);
      assert.equal(got, readFileSync(file, 'utf8'));
    });
  }
});

describe('compile(): the CompiledScript', () => {
  it('hello world: one BEGIN program, a printf and an exit event, the ring buffer', () => {
    const c = compile('BEGIN { printf("hello\\n"); exit(); }', { kernel: fixtureKernel() });
    assert.equal(c.file, 'stdin');
    assert.equal(c.probeCount, 1);
    assert.equal(c.unsafe, false);
    assert.deepEqual(c.params, []);
    assert.deepEqual(c.probeNames, ['BEGIN']);
    assert.deepEqual(c.programs.map((p) => [p.name, p.probeIndex, p.probeName, p.progKind, p.attach]), [['BEGIN', 0, 'BEGIN', 'raw_tracepoint', [{ kind: 'begin' }]]]);
    assert.deepEqual(c.events.map((e) => e.kind), ['printf', 'exit']);
    assert.deepEqual(c.maps.map((m) => m.name), ['.events', '.lost']);
    assert.ok(c.programs[0]!.insns.length > 0);
    assert.ok(c.programs[0]!.ir);
  });

  it('counts attach points as bpftrace does (wildcards expanded), including the raw syscall program', () => {
    const c = compile('BEGIN { } tracepoint:syscalls:sys_enter_* { @[probe] = count(); } END { }', { kernel: fixtureKernel() });
    assert.equal(c.probeCount, 19);
    assert.deepEqual(c.programs.map((p) => `${p.name} ${p.progKind} ${p.attach.length}`), [
      'BEGIN raw_tracepoint 1', 'sys_enter_all raw_tracepoint 1', 't_sys_enter_new tracepoint 1', 'END raw_tracepoint 1',
    ]);
    assert.deepEqual(c.programs[1]!.attach, [{ kind: 'rawtracepoint', name: 'sys_enter' }]);
  });

  it('keeps syscall tracepoints that another block also uses as tracepoints (blocks run in source order)', () => {
    const c = compile('tracepoint:syscalls:sys_enter_* /@x[tid]/ { @[probe] = count(); } tracepoint:syscalls:sys_enter_read { @x[tid] = args->fd; }', { kernel: fixtureKernel() });
    assert.ok(c.programs.every((p) => p.progKind === 'tracepoint'), c.programs.map((p) => p.name).join(' '));
    const d = compile('tracepoint:syscalls:sys_enter_* { @[probe] = count(); } tracepoint:syscalls:sys_exit_read { @x[tid] = args->ret; }', { kernel: fixtureKernel() });
    assert.equal(d.programs[0]!.name, 'sys_enter_all');
  });

  it('watchpoint:FUNC+argN: one body and one setup uprobe per function of the -c command or /proc/PID/exe (-p); wildcards expand', () => {
    const k = fixtureKernel();
    const asked: [string, string, number | undefined][] = [];
    k.userFunctions = (path, glob, pid) => {
      asked.push([path, glob, pid]);
      return ['inc_a', 'inc_b'];
    };
    const c = compile('watchpoint:inc_*+arg2:2:wr { @[probe] = count(); }', { kernel: k, pid: 42 });
    assert.deepEqual(asked, [['/proc/42/exe', 'inc_*', 42]]);
    assert.equal(c.probeCount, 2);
    assert.deepEqual(c.programs.map((p) => [p.name, p.progKind, p.attach]), [
      ['w_inc_a', 'perf_event', [{ kind: 'funcwatchpoint', path: '/proc/42/exe', func: 'inc_a', arg: 2, length: 2, mode: 'wr', async: false, watch: 0, optional: true }]],
      ['w_inc_b', 'perf_event', [{ kind: 'funcwatchpoint', path: '/proc/42/exe', func: 'inc_b', arg: 2, length: 2, mode: 'wr', async: false, watch: 1, optional: true }]],
      ['ws_inc_a', 'kprobe', [{ kind: 'uprobe', path: '/proc/42/exe', func: 'inc_a', optional: true }]],
      ['ws_inc_b', 'kprobe', [{ kind: 'uprobe', path: '/proc/42/exe', func: 'inc_b', optional: true }]],
    ]);
    // The `probe` builtin: bpftrace 0.17's names (mode letters sorted, argN's number where an address goes).
    assert.deepEqual(c.probeNames, ['watchpoint:/proc/42/exe:inc_a:2:2:rw', 'watchpoint:/proc/42/exe:inc_b:2:2:rw']);
    assert.deepEqual(c.events, [{ kind: 'watch', watch: 0 }, { kind: 'watch', watch: 1 }]);
    // Without a process there is nothing to watch in.
    assert.throws(() => compile('asyncwatchpoint:inc+arg0:4:w { }', { kernel: k, file: 'w.bt' }),
      (e: unknown) => e instanceof LangError && e.format().startsWith('w.bt:1:1: ERROR: -p PID or -c CMD required for watchpoint\n'));
  });

  it('is deterministic', () => {
    const src = readFileSync(join(goldenDir, '..', '..', 'lower', 'golden', 'strings.bt'), 'utf8');
    const strip = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    assert.equal(strip(compile(src, { kernel: fixtureKernel() })), strip(compile(src, { kernel: fixtureKernel() })));
  });

  it('throws LangError with a caret for syntax and semantic errors', () => {
    assert.throws(() => compile('BEGIN { @x = ; }', { kernel: fixtureKernel(), file: 'a.bt' }), (e: unknown) => e instanceof LangError && e.format().startsWith('a.bt:1:14: ERROR:'));
    assert.throws(() => compile('BEGIN { nope(); }', { kernel: fixtureKernel(), file: 'a.bt' }), (e: unknown) => e instanceof LangError && e.format() === 'a.bt:1:9: ERROR: Unknown function: nope\nBEGIN { nope(); }\n        ^~~~');
  });

  it('a frame over 512 bytes is a LangError naming the probe', () => {
    // Objects over 256 bytes (this 576-byte key) live in the per-CPU .scratch map instead …
    const keys = Array.from({ length: 9 }, (_, i) => `str(arg${i % 6} + ${i})`).join(', ');
    const big = compile(`kprobe:f { @[${keys}] = count(); }`, { kernel: fixtureKernel(), file: 'big.bt' });
    assert.ok(big.maps.some((m) => m.name === '.scratch'));
    // … but smaller ones live on the stack, where three 200-byte strings do not fit.
    assert.throws(() => compile('kprobe:f { $a = str(arg0); $b = str(arg1); $c = str(arg2); @[$a, $b, $c] = count(); }', { kernel: fixtureKernel(), file: 'big.bt', strlen: 200 }), (e: unknown) => {
      assert.ok(e instanceof LangError, String(e));
      assert.match(e.format(), /^big\.bt:1:\d+: ERROR: kprobe:f: needs \d+ bytes of stack, more than the 512 the kernel allows \(\$\w 200 B/);
      return true;
    });
  });
});

describe('compile(): flight recorder', () => {
  it('printf goes to the .recorder perf rings through .recbuf; exit() stays on the ring buffer', () => {
    const c = compile('tracepoint:syscalls:sys_enter_openat { printf("%d %s\\n", pid, comm); exit(); }', { kernel: fixtureKernel(), recorder: true });
    const byName = new Map(c.maps.map((m) => [m.name, m]));
    assert.equal(byName.get('.recorder')?.kind, 'perf_event_array');
    // The record: event header 8 + pid 8 + comm 16.
    assert.deepEqual([byName.get('.recbuf')?.kind, byName.get('.recbuf')?.valueSize], ['percpu_array', 32]);
    assert.equal(byName.get('.events')?.kind, 'ringbuf');
    const asm = disassemble(c.programs[0]!.insns);
    assert.match(asm, /call bpf_perf_event_output#25\b/);
    assert.match(asm, /call bpf_ringbuf_reserve#131\b/);
    assert.equal(asm.match(/call bpf_ringbuf_reserve/g)!.length, 1, 'only exit() reserves ring space');
  });

  it('without the option nothing changes: no .recorder map, no perf_event_output', () => {
    const c = compile('BEGIN { printf("x\\n"); }', { kernel: fixtureKernel() });
    assert.ok(!c.maps.some((m) => m.name === '.recorder' || m.name === '.recbuf'));
    assert.doesNotMatch(disassemble(c.programs[0]!.insns), /perf_event_output/);
  });
});

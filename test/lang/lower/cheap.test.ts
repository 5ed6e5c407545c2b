// What lowering does to make each event cheaper, and the cases where it must not: a map read
// reused only while nothing can have changed it, comm written without zeroing first, keyless
// histograms in per-CPU arrays. (What the programs print on real events: test/cli/cheap.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileToIr } from '../../../src/lang/compile.js';
import { formatIr } from '../../../src/lang/ir.js';
import { Helper } from '../../../src/asm/helpers.js';
import { fixtureKernel, HAVE_BTF } from '../sema/fixture.js';
import { loadKernelBtf } from '../../../src/btf/index.js';
import { BtfTypes } from '../../../src/lang/sema/records.js';
import { generateWithReport } from '../../../src/lang/codegen/index.js';
import { runBpf, runIr, type Env } from '../codegen/vm.js';

const compile = (src: string) => compileToIr(src, { kernel: fixtureKernel(), file: 'test.bt' });

/** The IR text of the program attached to `probe` (its probeName). */
function irOf(src: string, probe: string): string {
  const p = compile(src).programs.find((x) => x.probeName === probe);
  assert.ok(p, `no program for ${probe}`);
  return formatIr(p.ir);
}

/** How many times the program calls `helper` on `map` (its fd loaded just before the call). */
function calls(ir: string, map: string, helper: number): number {
  const re = new RegExp(`%(\\d+) = map ${map.replace(/[@.]/g, '\\$&')}\\n(?:.*\\n)*?\\s+(?:%\\d+ = )?call (\\d+)\\(%\\1[,)]`, 'g');
  let n = 0;
  for (const m of ir.matchAll(re)) if (Number(m[2]) === helper) n++;
  return n;
}
const lookups = (ir: string, map: string) => calls(ir, map, Helper.map_lookup_elem);

const EXIT = 'tracepoint:syscalls:sys_exit_read';
/** Defines the maps the tests read (a map must be assigned somewhere), in a program of its own. */
const DEFS = 'BEGIN { @s[tid] = 1; @t[tid] = 1; @u[tid] = 1; @m[1, "a"] = 1; @c[comm] = 1; @r[(int64)1] = 1; @n = 1; }';

describe('a map read is reused only while nothing can have changed it', () => {
  it('the latency pattern: the predicate\'s @s[tid] serves the body, then delete', () => {
    const ir = irOf(`tracepoint:syscalls:sys_enter_read { @s[tid] = nsecs; }
      ${EXIT} /@s[tid]/ { @ = hist(nsecs - @s[tid]); delete(@s[tid]); }`, EXIT);
    assert.equal(lookups(ir, '@s'), 1, ir);
    assert.equal(calls(ir, '@s', Helper.map_delete_elem), 1, ir);
  });

  it('a write between two reads (=, +=, ++, an aggregation, delete) makes the second read look again', () => {
    for (const write of ['@s[tid] = 5;', '@s[tid] += 5;', '@s[tid]++;', 'delete(@s[tid]);', '@s[pid] = 1;']) {
      const ir = irOf(`${DEFS} ${EXIT} /@s[tid]/ { ${write} @x = @s[tid]; }`, EXIT);
      const reads = write.startsWith('@s[tid] +=') || write.startsWith('@s[tid]++') ? 3 : 2;
      assert.equal(lookups(ir, '@s'), reads, `${write}\n${ir}`);
    }
    // The written map only: other maps' reads stay known.
    const ir = irOf(`${DEFS} ${EXIT} /@s[tid] && @t[tid]/ { @u[tid] = 1; @x = @s[tid]; @y = @u[tid]; }`, EXIT);
    assert.equal(lookups(ir, '@s'), 1, ir);
    assert.equal(lookups(ir, '@u'), 1, ir);
  });

  it('a write in a branch counts after the branch', () => {
    const ir = irOf(`${DEFS} ${EXIT} /@s[tid]/ { if (pid > 1) { delete(@s[tid]); } @x = @s[tid]; }`, EXIT);
    assert.equal(lookups(ir, '@s'), 2, ir);
  });

  it('a read made on some paths only (&& / || right side, a branch, a ternary) is not reused', () => {
    for (const [pred, body] of [
      ['pid > 1 && @s[tid]', '@x = @s[tid];'],
      ['pid > 1 || @s[tid]', '@x = @s[tid];'],
      ['pid > 1', 'if (comm == "x") { @y = @s[tid]; } @x = @s[tid];'],
      ['pid > 1', '@y = pid > 2 ? @s[tid] : 0; @x = @s[tid];'],
    ]) {
      const ir = irOf(`${DEFS} ${EXIT} /${pred}/ { ${body} }`, EXIT);
      assert.equal(lookups(ir, '@s'), 2, `/${pred}/ { ${body} }\n${ir}`);
    }
  });

  it('a loop reads again on every iteration (its body writes after an earlier iteration read)', () => {
    const ir = irOf('BEGIN { @x = 1; $a = @x; $i = 0; while ($i < 3) { @y = @x; @x = @x * 2; $i++; } @z = @x; }', 'BEGIN');
    // $a's read; @y's and @x * 2's in the body (the body's write ends @y's value's life); @z's after.
    assert.equal(lookups(ir, '@x'), 4, ir);
  });

  it('keys must be the same invariant values: literals, pid/tid/comm, tracepoint arguments; not variables', () => {
    assert.equal(lookups(irOf(`${DEFS} ${EXIT} /@m[1, "a"]/ { @x = @m[1, "a"]; @y = @m[2, "a"]; }`, EXIT), '@m'), 2);
    assert.equal(lookups(irOf(`${DEFS} ${EXIT} /@c[comm]/ { @x = @c[comm]; }`, EXIT), '@c'), 1);
    assert.equal(lookups(irOf(`${DEFS} ${EXIT} /@r[args->ret]/ { @x = @r[args->ret]; }`, EXIT), '@r'), 1);
    assert.equal(lookups(irOf(`${DEFS} ${EXIT} { $k = 1; @x = @s[$k]; $k = 2; @y = @s[$k]; }`, EXIT), '@s'), 2);
    assert.equal(lookups(irOf(`${DEFS} ${EXIT} /@n/ { @x = @n; }`, EXIT), '@n'), 1);
  });
});

describe('no work a helper or the kernel already does', () => {
  it('comm as a 16-byte key is written by bpf_get_current_comm alone (it fills all 16 bytes)', () => {
    const ir = irOf('tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }', 'tracepoint:syscalls:sys_enter_openat');
    assert.doesNotMatch(ir, /zero #/, ir);
    assert.match(ir, /call 16\(&#0\+0, 16\)/);
  });

  it('comm in a wider buffer: only the bytes past 16 are zeroed', () => {
    assert.doesNotMatch(irOf('BEGIN { @[comm, 1] = count(); }', 'BEGIN'), /zero #/);
    const ir = irOf('BEGIN { @w[pid > 0 ? comm : "a string of thirty-one bytes..."] = 1; }', 'BEGIN');
    assert.match(ir, /zero #(\d+)\+16, 16\n\s+call 16\(&#\1\+0, 16\)/, ir);
  });

  it('a keyless hist/lhist adds to its bucket in a per-CPU array: one lookup, never an update', () => {
    for (const agg of ['hist(args->count)', 'lhist(args->count, 0, 4096, 256)']) {
      const c = compile(`tracepoint:syscalls:sys_enter_read { @ = ${agg}; }`);
      assert.deepEqual(c.maps.filter((m) => m.name === '@').map((m) => [m.kind, m.keySize]), [['percpu_array', 4]]);
      const ir = formatIr(c.programs[0]!.ir);
      assert.equal(lookups(ir, '@'), 1, ir);
      assert.equal(calls(ir, '@', Helper.map_update_elem), 0, ir);
      assert.match(ir, /store32 #\d+\+0, %\d+\n\s+%\d+ = map @\n/, 'the bucket is the u32 array index');
    }
  });
});

describe('pid, tid and comm read from the current task when the kernel has BTF', () => {
  const withBtf = (src: string) => compileToIr(src, { kernel: fixtureKernel({ btf: true }), file: 'test.bt' });

  it('no helper calls: loads from bpf_get_current_task_btf() (pid is tgid, tid is pid), fetched once', { skip: !HAVE_BTF && 'no kernel BTF' }, () => {
    const c = withBtf('tracepoint:syscalls:sys_enter_openat { @[comm, pid, tid] = count(); }');
    const ir = formatIr(c.programs[0]!.ir);
    const task = new BtfTypes(loadKernelBtf(), new Map()).record('struct', 'task_struct')!;
    const [pidOff, tgidOff, commOff] = ['pid', 'tgid', 'comm'].map((n) => task.fields.find((f) => f.name === n)!.offset);
    assert.equal((ir.match(/call 158\(\)/g) ?? []).length, 1, ir);
    assert.doesNotMatch(ir, /call (14|16)\(/, ir);
    for (const off of [commOff!, commOff! + 8]) assert.match(ir, new RegExp(`load64 %\\d+\\+${off}\\n`), ir);
    // pid (the process) is task->tgid, tid (the thread) is task->pid, in that order in the key.
    const loads = [...ir.matchAll(/load32 %\d+\+(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(loads, [tgidOff, pidOff], ir);
  });

  it('a kernel with BTF but without bpf_get_current_task_btf (before 5.11): the helpers', { skip: !HAVE_BTF && 'no kernel BTF' }, () => {
    const k = fixtureKernel({ btf: true });
    const real = k.btf()!;
    const older = new Proxy(real, {
      get: (t, prop) => (prop === 'find'
        ? (name: string, kind?: Parameters<typeof real.find>[1]) => (name === 'bpf_get_current_task_btf' ? [] : t.find(name, kind))
        : Reflect.get(t, prop, t)),
    });
    const c = compileToIr('tracepoint:syscalls:sys_enter_openat { @[comm, pid] = count(); }', { kernel: { ...k, btf: () => older }, file: 't.bt' });
    const ir = formatIr(c.programs[0]!.ir);
    assert.match(ir, /call 16\(/);
    assert.match(ir, /call 14\(/);
    assert.doesNotMatch(ir, /call 158\(/);
  });

  it('without BTF: the helpers, as before', () => {
    const ir = irOf('tracepoint:syscalls:sys_enter_openat { @[comm, pid] = count(); }', 'tracepoint:syscalls:sys_enter_openat');
    assert.match(ir, /call 16\(/);
    assert.match(ir, /call 14\(/);
    assert.doesNotMatch(ir, /call 158\(/);
  });
});

describe('comm from the task: exactly what bpf_get_current_comm() gives', () => {
  const TASK = 0x3000_0000;
  const kernel = () => fixtureKernel({ btf: true });
  const commOffset = () => new BtfTypes(loadKernelBtf(), new Map()).record('struct', 'task_struct')!.fields.find((f) => f.name === 'comm')!.offset;
  /** Runs `@[comm] = count()` (IR and emitted eBPF) with task->comm holding `bytes`; the key it looks up. */
  function keyFor(bytes: number[]): { ir: number[]; bpf: number[] } {
    const c = compileToIr('tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }', { kernel: kernel(), file: 't.bt' });
    const p = c.programs[0]!.ir;
    const got: Record<'ir' | 'bpf', number[]> = { ir: [], bpf: [] };
    const env = (which: 'ir' | 'bpf'): Env => ({
      maps: { '@': 7n },
      helpers: {
        [Helper.get_current_task_btf]: { arity: 0, fn: (_a, mem) => { mem.add(TASK, 8192, 'task').bytes.set(bytes, commOffset()); return BigInt(TASK); } },
        [Helper.map_lookup_elem]: { arity: 2, fn: ([, key], mem) => { got[which] = [...mem.read(key!, 16)]; return 0n; } },
        [Helper.map_update_elem]: { arity: 4, fn: () => 0n },
      },
    });
    runIr(p, env('ir'));
    runBpf(generateWithReport(p).items, env('bpf'));
    return got;
  }
  const str = (s: string, after: number[] = []) => [...Buffer.from(s), 0, ...after].concat(new Array(16).fill(0)).slice(0, 16);

  it('zeros after the first NUL, in either word, whatever an older, longer name left there', { skip: !HAVE_BTF && 'no kernel BTF' }, () => {
    for (const [bytes, want] of [
      [str('bash'), str('bash')],
      [str('ab', [...Buffer.from('cdefghijklm')]), str('ab')], // stale bytes of "abcdefghijklmn"
      [str('', [...Buffer.from('stale name')]), str('')],
      [str('exactly8', [...Buffer.from('xyz')]), str('exactly8')], // the NUL is byte 0 of the second word
      [str('seven77', [...Buffer.from('stale!!!')]), str('seven77')], // the NUL is byte 7 of the first word
      [str('fifteen-chars15'), str('fifteen-chars15')],
      [str('twelve-chars', [1, 2]), str('twelve-chars')],
      [str('\x80\xff\x01hi', [0x80, 0x80]), str('\x80\xff\x01hi')], // high bytes are not zeros
    ] as const) {
      const got = keyFor([...bytes]);
      assert.deepEqual(got.ir, [...want], `IR: ${JSON.stringify(bytes)}`);
      assert.deepEqual(got.bpf, [...want], `eBPF: ${JSON.stringify(bytes)}`);
    }
  });
});

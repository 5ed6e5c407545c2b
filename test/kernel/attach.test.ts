// Each attach kind this kernel has counts a known workload exactly; kinds it lacks fail with the
// clear "not supported by this kernel" error. Which world we are in comes from feature probing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BpfMap } from '../../src/bpf/map.js';
import { TypedMap, u32, u64 } from '../../src/bpf/codec.js';
import { attachTracepoint } from '../../src/attach/tracepoint.js';
import { attachRawTracepoint, RawTracepointNotFoundError } from '../../src/attach/raw_tracepoint.js';
import { attachKprobe, kprobeMechanism } from '../../src/attach/kprobe.js';
import { attachPerfEvent } from '../../src/attach/perf_event.js';
import { runOnce } from '../../src/attach/once.js';
import { detach, detachAll, type Link } from '../../src/attach/link.js';
import { TracepointNotFoundError } from '../../src/kernel/tracefs.js';
import { onlineCpus } from '../../src/kernel/cpus.js';
import { UnsupportedError } from '../../src/sys/errors.js';
import { Mov, Ldx, Stx, JNe, St, Add, LdMapFd, Call, Exit, JEq, AtomicAdd, Rsh } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R10, type AsmItem } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import { countProgram, load } from '../support/progs.js';
import { spawnPaused } from '../support/workload.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const N = 1000;

function counter(name = 'counts'): { map: BpfMap; value: () => bigint } {
  const map = BpfMap.create({ name, kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const t = new TypedMap(map, u32, u64);
  return { map, value: () => t.get(0)! };
}

async function openLoop(n: number) {
  const bin = await buildFixture('open_loop');
  return spawnPaused(bin, [String(n), '/etc/hostname']);
}

test('tracepoint: syscalls:sys_enter_openat counts a child\'s N opens exactly', needsRoot, async () => {
  const base = openFdCount();
  const child = await openLoop(N);
  const c = counter();
  const prog = countProgram('tracepoint', c.map, child.pid);
  const link = attachTracepoint(prog.fd, 'syscalls', 'sys_enter_openat');
  assert.equal(await child.go(), 0);
  assert.equal(c.value(), BigInt(N));
  detach(link);
  prog.close();
  c.map.close();
  assert.equal(openFdCount(), base, 'every fd closed');
});

test('tracepoint: a missing tracepoint is a clear error', needsRoot, () => {
  const c = counter();
  const prog = countProgram('tracepoint', c.map);
  assert.throws(() => attachTracepoint(prog.fd, 'syscalls', 'sys_enter_nonesuch'), TracepointNotFoundError);
  prog.close();
  c.map.close();
});

test('raw tracepoint: sys_enter filtered to openat counts N exactly', needsRoot, async () => {
  const base = openFdCount();
  const child = await openLoop(N);
  const c = counter();
  const openat = process.arch === 'x64' ? 257 : 56;
  // ctx is u64 args[]: args[0] = struct pt_regs *, args[1] = syscall id.
  const items: AsmItem[] = [
    Ldx(8, R2, R1, 8), JNe.imm(R2, openat, 'out'),
    Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), JNe.imm(R0, child.pid, 'out'),
    St(4, R10, -4, 0), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, 'counts'),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), AtomicAdd(8, R0, 0, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  ];
  const prog = load('raw_tracepoint', 'raw_openat', items, [c.map]);
  const link = attachRawTracepoint(prog.fd, 'sys_enter');
  assert.equal(await child.go(), 0);
  assert.equal(c.value(), BigInt(N));
  detach(link);
  assert.throws(() => attachRawTracepoint(prog.fd, 'no_such_raw_tp'), RawTracepointNotFoundError);
  prog.close();
  c.map.close();
  assert.equal(openFdCount(), base);
});

test('BEGIN-style programs run exactly once through BPF_PROG_TEST_RUN', needsRoot, () => {
  const c = counter();
  const prog = countProgram('raw_tracepoint', c.map, process.pid, 'begin');
  runOnce(prog);
  assert.equal(c.value(), 1n, 'ran once, in our own process context');
  runOnce(prog);
  assert.equal(c.value(), 2n);
  prog.close();
  c.map.close();
});

test('perf event: cpu-clock at 99 Hz for 1 s samples every online CPU', needsRoot, async () => {
  const base = openFdCount();
  const cpus = onlineCpus();
  const map = BpfMap.create({ name: 'per_cpu', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 64 });
  const items: AsmItem[] = [
    Call.helper(Helper.get_smp_processor_id), Stx(4, R10, -4, R0), // key = this CPU
    Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, 'per_cpu'),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), AtomicAdd(8, R0, 0, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  ];
  const prog = load('perf_event', 'sample', items, [map]);
  // cpu-clock does not tick on an idle CPU (NO_HZ): every CPU is kept busy for the whole second.
  // The spinners are shell loops (they start at once, even in an emulated guest, where starting
  // node takes longer than the second measured); they run before the event is attached and until
  // after it is detached. Each ends by itself too, so a failed test cannot leave one behind.
  const spinners = cpus.map(() => spawn('/bin/sh', ['-c', 'end=$(($(date +%s) + 10)); while [ $(date +%s) -lt $end ]; do :; done'], { stdio: 'ignore' }));
  await new Promise((r) => setTimeout(r, 300));
  const links = attachPerfEvent(prog.fd, { type: 'software', event: 'cpu-clock', freq: 99 });
  assert.equal(links.length, cpus.length);
  await new Promise((r) => setTimeout(r, 1000));
  await detachAll(links);
  for (const s of spinners) s.kill('SIGKILL');
  const t = new TypedMap(map, u32, u64);
  for (const cpu of cpus) {
    const n = Number(t.get(cpu));
    assert.ok(n >= 60 && n <= 140, `cpu${cpu}: ${n} samples in 1 s at 99 Hz`);
  }
  prog.close();
  map.close();
  assert.equal(openFdCount(), base);
});

test('kprobe: exact count where the kernel has kprobes, else the clear unsupported error', needsRoot, async () => {
  const c = counter();
  const mech = kprobeMechanism();
  if (mech instanceof UnsupportedError) {
    const prog = countProgram('kprobe', c.map);
    assert.throws(() => attachKprobe(prog.fd, { func: 'do_sys_openat2' }), (e: unknown) =>
      e instanceof UnsupportedError && /kprobes not supported by this kernel: kernel built without CONFIG_KPROBES/.test(e.message));
    assert.throws(() => attachKprobe(prog.fd, { func: 'do_sys_openat2', retprobe: true }), UnsupportedError);
    prog.close();
    c.map.close();
    return;
  }
  for (const retprobe of [false, true]) {
    const child = await openLoop(N);
    const m = counter(retprobe ? 'kret' : 'kprobe');
    const prog = countProgram('kprobe', m.map, child.pid);
    const link: Link = attachKprobe(prog.fd, { func: 'do_sys_openat2', retprobe });
    assert.equal(await child.go(), 0);
    assert.equal(m.value(), BigInt(N), `${retprobe ? 'kretprobe' : 'kprobe'} via ${mech}`);
    detach(link);
    prog.close();
    m.map.close();
  }
  c.map.close();
});

test('hardware events: counted where a PMU exists, else the clear unsupported error', needsRoot, () => {
  const c = counter();
  const prog = countProgram('perf_event', c.map);
  let links: Link[] | undefined;
  try {
    links = attachPerfEvent(prog.fd, { type: 'hardware', event: 'cycles', period: 1_000_000 });
  } catch (e) {
    assert.ok(e instanceof UnsupportedError, String(e));
    assert.match(e.message, /hardware events not supported by this kernel: no hardware PMU/);
  }
  if (links) {
    assert.equal(links.length, onlineCpus().length);
    for (const l of links) detach(l);
  }
  prog.close();
  c.map.close();
});

// The built-in syscall table against the kernel itself: each tracepoint's __syscall_nr field says
// which number it belongs to. And the one-program raw_syscalls path names probes by that table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { syscallNumber } from '../../src/kernel/syscalls.js';
import { listTracepoints } from '../../src/kernel/tracefs.js';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
// Newer system calls (the headers of older distributions lack them) and renamed tracepoints.
const NAMES = ['cachestat', 'fchmodat2', 'listmount', 'mseal', 'umount', 'getpid'];

test('built-in syscall numbers agree with the kernel\'s own __syscall_nr', needsRoot, async () => {
  const bin = await buildFixture('syscalls');
  const present = NAMES.filter((n) => listTracepoints('syscalls', `sys_enter_${n}`).length === 1);
  // Older kernels lack the newer calls; umount (a renamed tracepoint) and getpid are everywhere.
  assert.ok(present.includes('umount') && present.includes('getpid'), `tracepoints found: ${present.join(' ')}`);
  const calls = present.map((n) => String(syscallNumber(n))).join(' ');
  const probes = present.map((n) => `tracepoint:syscalls:sys_enter_${n}`).join(', ');
  const r = spawnSync(SONDE, ['-e', `${probes} /pid == cpid/ { @[probe] = args->__syscall_nr; }`, '-c', `${bin} ${calls}`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  for (const n of present) {
    assert.match(r.stdout, new RegExp(`^@\\[tracepoint:syscalls:sys_enter_${n}\\]: ${syscallNumber(n)}$`, 'm'), n);
  }
});

test('every syscalls:sys_enter_* tracepoint of this kernel has a number (one raw program serves them all)', needsRoot, () => {
  const missing = listTracepoints('syscalls', 'sys_enter_*').map(([, e]) => e.slice('sys_enter_'.length)).filter((n) => syscallNumber(n) === undefined);
  assert.deepEqual(missing, []);
  const r = spawnSync(SONDE, ['-d', '-e', 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); }'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /rawtracepoint:sys_enter/);
  assert.doesNotMatch(r.stdout, /attach: tracepoint:syscalls:/, 'no perf-event tracepoint left over');
});

test('the raw sys_enter program names each probe right', needsRoot, async () => {
  const bin = await buildFixture('syscalls');
  // The newest call this kernel has (mseal: 6.10), and one every kernel has.
  const rare = ['mseal', 'cachestat', 'sched_yield'].find((n) => listTracepoints('syscalls', `sys_enter_${n}`).length === 1)!;
  const r = spawnSync(SONDE, ['-e', 'tracepoint:syscalls:sys_enter_* /pid == cpid/ { @[probe] = count(); }', '-c', `${bin} ${syscallNumber(rare)} ${syscallNumber('getppid')}x3`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^@\\[tracepoint:syscalls:sys_enter_${rare}\\]: 1$`, 'm'));
  assert.match(r.stdout, /^@\[tracepoint:syscalls:sys_enter_getppid\]: 3$/m);
});

// Feature probing (src/runtime/features.ts) against the kernel's own build configuration: what the
// config builds in must be found working, what it leaves out must be reported missing. In the test
// VM (test/vm/run) the config of every kernel in the matrix is at /boot/config-<release>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { probeFeatures } from '../../src/runtime/features.js';
import { needsRoot } from '../support/root.js';
import { runningKernelConfig, kernelVersion, inTestVm } from './kconfig.js';

const config = runningKernelConfig();
const atLeast = (major: number, minor: number) => {
  const [a, b] = kernelVersion();
  return a > major || (a === major && b >= minor);
};

test('feature probing agrees with the kernel build config', needsRoot, (t) => {
  if (!config) {
    assert.ok(!inTestVm, 'the test VM must carry /boot/config-<release>');
    t.skip('no /boot/config-<release> or /proc/config.gz on this system');
    return;
  }
  const f = probeFeatures();
  const on = (o: string) => config.builtin(o);
  const where = `(${f.kernel}; ${config.source})`;

  assert.equal(f.btf.ok, on('DEBUG_INFO_BTF'), `BTF ${where}`);
  assert.equal(f.probes.kprobe.ok, on('KPROBE_EVENTS'), `kprobe: ${f.probes.kprobe.detail} ${where}`);
  assert.equal(f.probes.kretprobe.ok, on('KPROBE_EVENTS'), `kretprobe ${where}`);
  // The kprobe PMU (perf_kprobe) exists since 4.17 wherever kprobe_events does.
  if (on('KPROBE_EVENTS') && atLeast(4, 17)) assert.equal(f.probes.kprobe.detail, 'kprobe PMU', where);
  assert.equal(f.probes.kprobe_multi.ok, on('KPROBE_EVENTS') && on('FPROBE') && atLeast(5, 18), `kprobe_multi: ${f.probes.kprobe_multi.detail} ${where}`);
  if (on('KPROBE_EVENTS') && !on('FPROBE') && atLeast(5, 18)) assert.match(f.probes.kprobe_multi.detail, /CONFIG_FPROBE/, where);
  assert.equal(f.probes.uprobe.ok, on('UPROBE_EVENTS'), `uprobe: ${f.probes.uprobe.detail} ${where}`);
  assert.equal(f.probes.usdt.ok, on('UPROBE_EVENTS'), `usdt ${where}`);
  assert.equal(f.probes.tracepoint.ok, on('BPF_EVENTS'), `tracepoint: ${f.probes.tracepoint.detail} ${where}`);
  assert.equal(f.probes.software.ok, on('PERF_EVENTS'), `software events ${where}`);

  if (!on('DEBUG_INFO_BTF')) assert.equal(f.probes.fentry.ok, false, `fentry without BTF ${where}`);
  // Lockdown can refuse tracing programs (EPERM) whatever the config says: only a kernel known to
  // run without it must have working trampolines (the test VM mounts securityfs to tell).
  const lockdown = existsSync('/sys/kernel/security/lockdown') ? readFileSync('/sys/kernel/security/lockdown', 'utf8') : '';
  assert.ok(!inTestVm || /\[none\]/.test(lockdown), `the test VM runs without lockdown (${lockdown.trim() || 'no securityfs'})`);
  const trampolines = process.arch === 'x64' && on('BPF_JIT') && on('DEBUG_INFO_BTF') && on('DYNAMIC_FTRACE_WITH_DIRECT_CALLS');
  if (trampolines && /\[none\]/.test(lockdown)) {
    assert.equal(f.probes.fentry.ok, true, `fentry: ${f.probes.fentry.detail} ${where}`);
    assert.equal(f.probes.fexit.ok, true, `fexit ${where}`);
  }
});

// The tracefs kprobe_events fallback of attachKprobe, run for real on kernels that have the kprobe
// PMU too. dynamicPmu() looks for /sys/bus/event_source/devices/kprobe/type and caches the answer
// per process, so the PMU is hidden from a child process instead: it runs in a private mount
// namespace with an empty tmpfs over the PMU's sysfs directory (the host's view is untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attachKprobe, kprobeMechanism } from '../../src/attach/kprobe.js';
import { tracefsRoot } from '../../src/kernel/tracefs.js';
import { UnsupportedError } from '../../src/sys/errors.js';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { inTestVm } from './kconfig.js';
import type { KprobeEventsReport } from './kprobe_events.child.js';

const N = 400;
const CHILD = fileURLToPath(new URL('./kprobe_events.child.js', import.meta.url));
const PMU = '/sys/bus/event_source/devices/kprobe';

test('kprobe/kretprobe through tracefs kprobe_events (PMU hidden): exact counts, entries removed on detach', needsRoot, async () => {
  const mech = kprobeMechanism();
  if (mech instanceof UnsupportedError) {
    // A kernel without kprobes: the clear error, from attaching as from feature probing.
    assert.ok(!inTestVm, `the test VM's kernels have kprobes: ${mech.message}`);
    assert.match(mech.message, /^kprobes not supported by this kernel: kernel built without CONFIG_KPROBES/);
    assert.throws(() => attachKprobe(0, { func: 'do_sys_openat2' }), (e: unknown) => e instanceof UnsupportedError && e.message === mech.message);
    assert.throws(() => attachKprobe(0, { func: 'do_sys_openat2', retprobe: true }), UnsupportedError);
    return;
  }
  await buildFixture('open_loop'); // before the child: it must not need a compiler
  const env = { ...process.env, SONDE_KPROBE_EVENTS_CHILD: String(N) };
  let r;
  if (mech === 'pmu') {
    // unshare(1): util-linux on a normal system, busybox in the test VM.
    const hide = `mount -t tmpfs sonde-hide-kprobe-pmu ${realpathSync(PMU)} && exec "$@"`;
    r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', hide, 'sh', process.execPath, CHILD], { env, encoding: 'utf8' });
  } else {
    r = spawnSync(process.execPath, [CHILD], { env, encoding: 'utf8' });
  }
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as KprobeEventsReport;

  assert.equal(report.mechanism, 'tracefs');
  assert.equal(report.featureDetail, 'tracefs kprobe_events');
  assert.deepEqual(report.runs.map((x) => [x.kind, x.target, x.count]), [
    ['kprobe', 'kprobe:do_sys_openat2', N],
    ['kretprobe', 'kretprobe:do_sys_openat2', N],
  ]);
  const [p, ret] = report.runs;
  assert.match(p!.whileAttached.join('\n'), /^p:sonde\/sonde_\d+_\d+ do_sys_openat2$/);
  assert.match(ret!.whileAttached.join('\n'), /^r16:sonde\/sonde_\d+_\d+ do_sys_openat2$/);
  assert.deepEqual([p!.afterDetach, ret!.afterDetach], [[], []], 'detach removed the kprobe_events entries');
  assert.match(report.missingFunction, /^KernelFunctionNotFoundError: kernel function sonde_no_such_function not found/);

  // The hiding stayed inside the child's namespace.
  assert.equal(kprobeMechanism(), mech);
  if (mech === 'pmu') assert.ok(existsSync(`${PMU}/type`));
  assert.doesNotMatch(readFileSync(`${tracefsRoot()}/kprobe_events`, 'utf8'), /sonde\//, 'nothing left behind');
});

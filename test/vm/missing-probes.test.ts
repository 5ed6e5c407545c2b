// `config = { missing_probes = warn }` on kprobes, where the attach decides: in the guests (kprobes,
// kprobe_multi links) a block's functions attach and count a child's opens exactly, the one the
// kernel does not list skipped at compile time; on a kernel without kprobes every attach point is
// skipped at the attach with bpftrace's words, and the run fails: "Attachment failed for all probes."
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/lang/compile.js';
import type { KernelView } from '../../src/lang/kernel-view.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { probeFeatures } from '../../src/runtime/features.js';
import { ScriptRun, type ScriptEvent } from '../../src/runtime/script.js';
import { ScriptError } from '../../src/runtime/script-error.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';

const N = 200;

/** The live view, told the kernel has no fentry: kprobes stay kprobes (fentry would be chosen). */
function kprobesOnly(): KernelView {
  const live = liveKernelView();
  const view = Object.create(live) as KernelView;
  view.probeMechanisms = () => ({ ...live.probeMechanisms!(), fentry: false, fentryFuncIp: false });
  return view;
}

test('missing_probes=warn on kprobes: attached ones count exactly; none attachable is "Attachment failed for all probes."', needsRoot, async () => {
  const base = openFdCount();
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
  let script;
  try {
    script = compile(`config = { missing_probes = warn } kprobe:do_sys_openat2, kprobe:security_file_open, kprobe:sonde_no_such_function /pid == ${child.pid}/ { @[func] = count(); }`,
      { kernel: kprobesOnly() });
    assert.deepEqual(script.warnings?.map((w) => w.split('\n')[0]), ['stdin:1:86: WARNING: No matches for kprobe sonde_no_such_function. Skipping.']);
  } catch (e) {
    await child.go();
    throw e;
  }
  let messages = '';
  let map = '';
  let run: ScriptRun<unknown, unknown> | undefined;
  try {
    run = await ScriptRun.start(script, {
      silent: true, notifyAttached: false, err: (t) => void (messages += t),
      onEvent: (e) => void ((e as ScriptEvent).type === 'map' && (e as { when: string }).when === 'exit' && (map += (e as { text: string }).text)),
    });
  } catch (e) {
    await child.go();
    if (!(e instanceof ScriptError)) throw e;
    assert.equal(probeFeatures().probes.kprobe.ok, false, `${e.format()}\n${messages}`);
    assert.equal(e.format(), 'stdin: ERROR: Attachment failed for all probes.');
    const lines = messages.split('\n').filter(Boolean);
    assert.deepEqual(lines.filter((l) => l.startsWith('WARNING: Unable')).sort(),
      ['WARNING: Unable to attach probe: kprobe:do_sys_openat2. Skipping.', 'WARNING: Unable to attach probe: kprobe:security_file_open. Skipping.']);
    assert.equal(lines.length, 4, messages);
    assert.equal(openFdCount(), base, 'nothing left open');
    return;
  }
  assert.equal(await child.go(), 0);
  run.stop();
  assert.equal(await run.done, 0, messages);
  assert.equal(messages, '');
  assert.deepEqual(map.split('\n').filter(Boolean).sort(), [`@[do_sys_openat2]: ${N}`, `@[security_file_open]: ${N}`]);
  assert.equal(openFdCount(), base, 'everything detached');
});

// kprobe and uprobe wildcards run for real: each expansion counts its own calls exactly; a
// function that cannot be probed in a block of several is skipped with bpftrace's warning; -l
// lists what a kprobe can name. On a kernel without kprobes the kprobe parts end in the clear
// error (uprobes work everywhere). The world comes from feature probing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile } from '../../src/lang/compile.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { ScriptRun, type ScriptEvent } from '../../src/runtime/script.js';
import { ScriptError } from '../../src/runtime/script-error.js';
import { listProbes } from '../../src/runtime/list.js';
import { kprobeMechanism } from '../../src/attach/kprobe.js';
import { tracefsRoot } from '../../src/kernel/tracefs.js';
import { needsRoot } from '../support/root.js';
import { spawnPaused, type PausedChild } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { inTestVm } from './kconfig.js';

const hasKprobes = (): boolean => typeof kprobeMechanism() === 'string';

interface Run {
  counts: Map<string, bigint>;
  messages: string;
  error?: string;
}

/** Runs a script around a paused child; the exit-time `@` map as printed: key text → count. */
async function around(source: string, child: PausedChild): Promise<Run> {
  const script = compile(source, { kernel: liveKernelView() });
  let messages = '';
  const events: ScriptEvent[] = [];
  let r: ScriptRun<unknown, unknown>;
  try {
    r = await ScriptRun.start(script, {
      silent: true, notifyAttached: false, err: (t) => void (messages += t), onEvent: (e) => void events.push(e as ScriptEvent),
    });
  } catch (e) {
    await child.go();
    if (!(e instanceof ScriptError)) throw e;
    return { counts: new Map(), messages, error: e.message };
  }
  assert.equal(await child.go(), 0);
  r.stop();
  assert.equal(await r.done, 0, messages);
  const counts = new Map<string, bigint>();
  for (const e of events) {
    if (e.type !== 'map' || e.when !== 'exit' || e.name !== '@') continue;
    for (const m of e.text.matchAll(/^@\[(.+)\]: (\d+)$/gm)) counts.set(m[1]!, BigInt(m[2]!));
  }
  return { counts, messages };
}

test('uprobe:BIN:sonde_target_? attaches every match; each counts its own calls', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const child = await spawnPaused(bin, ['--wait', '7']);
  const r = await around(`uprobe:${bin}:sonde_target_? { @[probe] = count(); }`, child);
  assert.equal(r.error, undefined, r.messages);
  assert.deepEqual([...r.counts].sort(), ['a', 'b', 'c'].map((x) => [`uprobe:${bin}:sonde_target_${x}`, 7n]));
});

test('kprobe:do_sys_openat* counts a child\'s opens under the expanded name; a missing function in the block is skipped', needsRoot, async () => {
  const N = 120;
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
  const r = await around(`kprobe:do_sys_openat*, kprobe:sonde_no_such_function /pid == ${child.pid}/ { @[probe] = count(); }`, child);
  if (!hasKprobes()) {
    assert.ok(!inTestVm);
    assert.match(r.error ?? '', /^cannot attach kprobe:\w+: kprobes not supported by this kernel: kernel built without CONFIG_KPROBES/);
    return;
  }
  assert.equal(r.error, undefined, r.messages);
  assert.match(r.messages, /^WARNING: could not attach probe kprobe:sonde_no_such_function, skipping\.$/m);
  assert.equal(r.counts.get('kprobe:do_sys_openat2'), BigInt(N), r.messages);
});

test('-l kprobe:vfs_read* lists the kernel\'s traceable functions (none without kprobes)', needsRoot, () => {
  const listed = listProbes('kprobe:vfs_read*').map((p) => p.name);
  if (!hasKprobes()) {
    assert.deepEqual(listed, []);
    return;
  }
  const ftrace = readFileSync(`${tracefsRoot()}/available_filter_functions`, 'utf8').split('\n').map((l) => l.split(/\s/)[0]!);
  const expected = [...new Set(ftrace.filter((f) => /^vfs_read/.test(f)))].sort().map((f) => `kprobe:${f}`);
  assert.ok(expected.includes('kprobe:vfs_read'));
  assert.deepEqual(listed, expected);
});

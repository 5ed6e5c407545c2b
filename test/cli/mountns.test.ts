// -p across mount namespaces (containers, `unshare -m`): a process whose program lives at a path
// that exists only in its own mount namespace (the mountns_run fixture: a tmpfs over an empty
// directory of ours). Its probes, listing and stacks go through /proc/PID/root, as bpftrace's do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { needsRoot } from '../support/root.js';
import { SONDE } from '../support/dropin.js';
import { startInOwnMountNs } from '../support/mountns.js';
import { startTracer } from '../support/tracer.js';
import { needSdt } from '../fixtures/build.js';

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

test('-l -p PID: the functions of a program seen only in its mount namespace, through /proc/PID/root; uprobe:PATH as the process sees it', { ...needsRoot, timeout: 60_000 }, async () => {
  const child = await startInOwnMountNs('uprobe_target', ['--wait']);
  try {
    assert.equal(existsSync(child.exe), false, 'the copy is not visible from our mount namespace');
    const all = spawnSync(SONDE, ['-l', '-p', String(child.pid)], { encoding: 'utf8' });
    assert.equal(all.status, 0, all.stderr);
    const inRoot = `/proc/${child.pid}/root${child.exe}`;
    assert.ok(lines(all.stdout).includes(`uprobe:${inRoot}:sonde_target_a`), all.stdout.slice(0, 400));
    // A path as the process sees it, listed under that name.
    const some = spawnSync(SONDE, ['-l', `uprobe:${child.exe}:sonde_target_a*`, '-p', String(child.pid)], { encoding: 'utf8' });
    assert.equal(some.status, 0, some.stderr);
    assert.deepEqual(lines(some.stdout), [`uprobe:${child.exe}:sonde_target_a`, `uprobe:${child.exe}:sonde_target_add`]);
    // Without -p the path means our namespace's, where nothing is.
    const none = spawnSync(SONDE, ['-l', `uprobe:${child.exe}:*`], { encoding: 'utf8' });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /cannot find executable/);
  } finally {
    child.stop();
  }
});

test('uprobe:PATH -p PID attaches in the process\'s mount namespace: exact counts, arguments, uaddr() and its own stack', { ...needsRoot, timeout: 60_000 }, async () => {
  const child = await startInOwnMountNs('uprobe_target', ['--wait', '5']);
  try {
    const t = startTracer(SONDE, ['-e', `uprobe:${child.exe}:sonde_target_add { @calls[probe] = count(); @a = sum(arg0);
        @c = sum(*(int64 *)uaddr("sonde_target_counter")); }
      uprobe:${child.exe}:sonde_target_c /arg0 == 7/ { printf("%s", ustack); }`, '-p', String(child.pid)]);
    await t.attached;
    assert.equal(await child.go(), 0);
    const r = await t.done; // -p: the run ends with the process
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^@calls\\[uprobe:${child.exe}:sonde_target_add\\]: 5$`, 'm'));
    assert.match(r.out, /^@a: 10$/m); // 0 + 1 + 2 + 3 + 4
    assert.match(r.out, /^@c: 10$/m); // the counter before each call: uaddr() in the copy's symbols
    // sonde_target_a(3) → _b(6) → _c(7), symbolized from the copy through /proc/PID/root. (At
    // the fixture's -O1, _c has no frame of its own at its first instruction: _b is not seen,
    // see test/symbols/stacks.test.ts.)
    const frames = r.out.slice(0, r.out.indexOf('@')).split('\n').map((l) => l.trim().replace(/\+\d+$/, '')).filter((l) => l !== '');
    assert.deepEqual(frames.slice(0, 2), ['Attaching 2 probes...', 'sonde_target_c'], r.out);
    assert.ok(frames.includes('sonde_target_a') && frames.includes('main'), frames.join('\n'));
  } finally {
    child.stop();
  }
});

test('uprobe:PATH -p PID where neither namespace has the file: a clear error, nothing attached', { ...needsRoot, timeout: 60_000 }, async () => {
  const child = await startInOwnMountNs('uprobe_target', ['--wait']);
  try {
    const r = spawnSync(SONDE, ['-e', `uprobe:${child.exe}-missing:sonde_target_add { }`, '-p', String(child.pid)], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`cannot find executable "${child.exe}-missing"; searched ${child.exe}-missing as process ${child.pid} sees it`));
  } finally {
    child.stop();
  }
});

test('usdt:PATH -p PID in another mount namespace: probes listed and attached, semaphore raised', { ...needsRoot, timeout: 60_000 }, async (t) => {
  if (!needSdt(t)) return;
  const child = await startInOwnMountNs('usdt_target', ['--wait', '4']);
  try {
    const l = spawnSync(SONDE, ['-l', `usdt:${child.exe}:*`, '-p', String(child.pid)], { encoding: 'utf8' });
    assert.equal(l.status, 0, l.stderr);
    assert.ok(lines(l.stdout).includes(`usdt:${child.exe}:sonde:tick`), l.stdout);
    const tr = startTracer(SONDE, ['-e', `usdt:${child.exe}:sonde:tick { @ticks = count(); @i = sum(arg0); @n = max(arg1); }`, '-p', String(child.pid)]);
    await tr.attached;
    assert.equal(await child.go(), 0);
    const r = await tr.done;
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^@i: 6$/m); // 0 + 1 + 2 + 3
    assert.match(r.out, /^@n: 4$/m);
    assert.match(r.out, /^@ticks: 4$/m); // guarded by its semaphore: the kernel raised it in the copy
  } finally {
    child.stop();
  }
});

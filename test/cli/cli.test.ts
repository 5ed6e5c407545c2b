// The command line, run as a user would: bin/sonde in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { probeFeatures } from '../../src/runtime/features.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

test('--help and --version', () => {
  const h = spawnSync(SONDE, ['--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^sonde \d+\.\d+\.\d+ — DTrace-style dynamic tracing/);
  assert.match(h.stdout, /Examples:\n {2}sonde --info/);
  const v = spawnSync(SONDE, ['--version'], { encoding: 'utf8' });
  assert.match(v.stdout, /^sonde \d+\.\d+\.\d+\n$/);
  const bad = spawnSync(SONDE, ['frobnicate'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});

test('--info reports every probe kind, with the reason for what is missing', needsRoot, () => {
  const r = spawnSync(SONDE, ['--info'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const f = probeFeatures();
  for (const [kind, feat] of Object.entries(f.probes)) {
    const line = r.stdout.split('\n').find((l) => l.startsWith(`  ${kind}: `));
    assert.ok(line, `a line for ${kind}`);
    assert.equal(line.startsWith(`  ${kind}: ${feat.ok ? 'yes' : 'no — '}`), true, line);
  }
  if (!f.probes.kprobe.ok) assert.match(r.stdout, /\n {2}kprobe: no — kernel built without CONFIG_KPROBES/);
  assert.match(r.stdout, /\n {2}tracepoint: yes\n/);
  assert.match(r.stdout, /\n {2}ringbuf: yes\n/);
  const j = spawnSync(SONDE, ['--info', '--json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(j.stdout).probes.uprobe.ok, true);
});

test('count: a child\'s 500 openat calls, filtered with -p, counted exactly; everything detached', needsRoot, async () => {
  const child = await spawnPaused(await buildFixture('open_loop'), ['500', '/etc/hostname']);
  const s = spawn(SONDE, ['count', '-p', String(child.pid), 'tracepoint:syscalls:sys_enter_openat', 'tracepoint:syscalls:sys_exit_openat'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  s.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => s.on('exit', r));
  await new Promise<void>((resolve, reject) => {
    s.stderr.on('data', (d) => {
      err += d;
      if (err.includes('Attaching 2 probes...')) resolve();
    });
    // Never wait forever on a tracer that died before attaching.
    void exited.then((c) => reject(new Error(`sonde exited (${c}) before attaching: ${err}`)));
  });
  assert.equal(await child.go(), 0);
  s.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 0, err);
  assert.equal(out, [
    'PROBE                                      COUNT',
    'tracepoint:syscalls:sys_enter_openat         500',
    'tracepoint:syscalls:sys_exit_openat          500',
    '',
  ].join('\n'));
});

test('count: a bad probe is a clear error with exit status 1', () => {
  const r = spawnSync(SONDE, ['count', 'tracepoint:nosuch'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, "ERROR: invalid probe 'tracepoint:nosuch': expected tracepoint:category:event\n");
});

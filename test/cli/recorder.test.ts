// --flight-recorder: output kept in overwritable per-CPU rings, printed on SIGUSR1 and at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
const GETPPID = process.arch === 'x64' ? 110 : 173;

test('--flight-recorder keeps the most recent events: a one-page ring holds the last 102 of 600', needsRoot, async () => {
  const bin = await buildFixture('syscalls');
  // Pinned to one CPU so that every event lands in the same ring, in order.
  const r = spawnSync(SONDE, ['--flight-recorder=1', '-e',
    `tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("call %d\\n", @n); @n++; }`,
    '-c', `taskset -c 0 ${bin} ${GETPPID}x600`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  // A record: perf header 8 + time 8 + size 4 + event (id 8 + int 8) + 4 padding = 40 bytes;
  // a 4096-byte page keeps the newest 102 of them whole.
  assert.match(r.stderr, /sonde: flight recorder \(end of run\): 102 events\n/);
  const calls = r.stdout.split('\n').filter((l) => l.startsWith('call ')).map((l) => Number(l.slice(5)));
  assert.deepEqual(calls, Array.from({ length: 102 }, (_, i) => 498 + i));
  assert.match(r.stdout, /\n\n\n@n: 600\n$/);
});

test('--flight-recorder: SIGUSR1 prints what was recorded since the last dump, the end prints the rest', needsRoot, async () => {
  const bin = await buildFixture('syscalls');
  const comm = basename(bin).slice(0, 15);
  const s = spawn(SONDE, ['--flight-recorder', '-e',
    `tracepoint:syscalls:sys_enter_getppid /comm == "${comm}"/ { printf("%s %d\\n", comm, ++@n); }`],
  { env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  s.stdout.on('data', (d) => (out += d));
  s.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => s.on('exit', r));
  const until = async (what: () => boolean, label: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!what()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}: ${err}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until(() => err.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n'), 'attach');
  assert.equal(spawnSync(bin, [`${GETPPID}x10`]).status, 0);
  assert.equal(out, 'Attaching 1 probe...\n', 'nothing printed while recording');
  s.kill('SIGUSR1');
  await until(() => err.includes('(SIGUSR1)') && out.includes('@n: 10\n'), 'the SIGUSR1 dump');
  assert.match(err, /sonde: flight recorder \(SIGUSR1\): 10 events\n/);
  assert.equal(spawnSync(bin, [`${GETPPID}x5`]).status, 0);
  s.kill('SIGINT');
  assert.equal(await exited, 0, err);
  assert.match(err, /sonde: flight recorder \(end of run\): 5 events\n/);
  const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${comm} ${from + i}\n`).join('');
  // SIGUSR1 prints the recorded events, then the maps (as bpftrace does on SIGUSR1).
  assert.equal(out, `Attaching 1 probe...\n${lines(1, 10)}@n: 10\n${lines(11, 15)}\n\n@n: 15\n`);
});

test('--flight-recorder=3 is refused: pages must be a power of two', () => {
  const r = spawnSync(SONDE, ['--flight-recorder=3', '-e', 'BEGIN { exit(); }'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--flight-recorder=3: pages per CPU must be a power of two/);
});

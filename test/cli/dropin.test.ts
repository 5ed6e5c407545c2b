// The drop-in mode: run through a link named `bpftrace`, sonde is bpftrace to the scripts and
// wrappers people have — its process is named bpftrace (comm, /proc/PID/cmdline, pidof, pkill)
// and --version says which bpftrace it follows. Run under its own name, nothing of that applies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { needsRoot } from '../support/root.js';
import { SONDE, dropInBpftrace } from '../support/dropin.js';
import { startTracer } from '../support/tracer.js';
import { VERSION, BPFTRACE_LEVEL } from '../../src/cli/version.js';

const link = dropInBpftrace();
after(() => link.remove());

test('--version: "bpftrace v0.17.0 (sonde VERSION)" through the link, "sonde VERSION" as sonde', () => {
  const b = spawnSync(link.path, ['--version'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  assert.equal(BPFTRACE_LEVEL, '0.17.0');
  assert.equal(b.stdout, `bpftrace v0.17.0 (sonde ${VERSION})\n`);
  assert.equal(spawnSync(link.path, ['-V'], { encoding: 'utf8' }).stdout, b.stdout);
  assert.equal(spawnSync(SONDE, ['--version'], { encoding: 'utf8' }).stdout, `sonde ${VERSION}\n`);
});

test('as bpftrace, a word is a script file, not one of sonde\'s tools', () => {
  const r = spawnSync(link.path, ['opensnoop'], { encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ERROR: failed to open file 'opensnoop': No such file or directory/);
});

test('comm in BEGIN is bpftrace through the link (text and JSON), node otherwise', needsRoot, () => {
  const t = spawnSync(link.path, ['-e', 'BEGIN { print(comm); if (comm == "bpftrace") { printf("comm: %s\\n", comm); } exit() }'], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  assert.equal(t.stdout, 'Attaching 1 probe...\nbpftrace\ncomm: bpftrace\n\n\n');
  const j = spawnSync(link.path, ['-q', '-f', 'json', '-e', 'BEGIN { print(comm); @complex[comm, 2] = 5; exit() }'], { encoding: 'utf8' });
  assert.equal(j.status, 0, j.stderr);
  // Blank lines between the value and the maps, as bpftrace 0.17 prints them.
  assert.deepEqual(j.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)), [
    { type: 'value', data: 'bpftrace' },
    { type: 'map', data: { '@complex': { 'bpftrace,2': 5 } } },
  ]);
  const s = spawnSync(SONDE, ['-e', 'BEGIN { printf("%s\\n", comm); exit() }'], { encoding: 'utf8' });
  assert.equal(s.stdout, 'Attaching 1 probe...\nnode\n\n\n');
});

test('the process is bpftrace to pidof and pgrep; SIGUSR1 prints every map, SIGINT ends it with END', { ...needsRoot, timeout: 60_000 }, async () => {
  const t = startTracer(link.path, ['-e', 'BEGIN { @scalar = 5; @m["k"] = 2; } interval:s:100 { exit(); } END { printf("end\\n"); }']);
  try {
    await t.attached;
    assert.equal(readFileSync(`/proc/${t.pid}/comm`, 'utf8'), 'bpftrace\n');
    assert.equal(readFileSync(`/proc/${t.pid}/cmdline`, 'latin1').split('\0')[0], 'bpftrace');
    const pidof = spawnSync('pidof', ['bpftrace'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
    assert.ok(pidof.includes(String(t.pid)), `pidof bpftrace: ${pidof.join(' ')}`);
    // What `pkill bpftrace` matches (without signalling anyone else's bpftrace).
    const pgrep = spawnSync('pgrep', ['-x', 'bpftrace'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);
    assert.ok(pgrep.includes(String(t.pid)), `pgrep -x bpftrace: ${pgrep.join(' ')}`);
    process.kill(t.pid, 'SIGUSR1');
    while (!t.out().includes('@scalar: 5\n')) await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.out(), 'Attaching 3 probes...\n@m[k]: 2\n@scalar: 5\n');
    process.kill(t.pid, 'SIGINT');
    const r = await t.done;
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 3 probes...\n@m[k]: 2\n@scalar: 5\nend\n\n\n@m[k]: 2\n@scalar: 5\n');
  } finally {
    t.kill('SIGKILL');
  }
});

test('SIGINT under a flood: system() on every sched_switch (each one schedules more) still ends promptly, END runs', { ...needsRoot, timeout: 60_000 }, async () => {
  const t = startTracer(link.path, ['--unsafe', '-e', 'tracepoint:sched:sched_switch { system("echo foo"); } END { printf("end\\n"); }']);
  try {
    await t.attached;
    while (!t.out().includes('foo\n')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1000)); // the buffer fills faster than system() empties it
    process.kill(t.pid, 'SIGINT');
    // Before, the reader never let go of the event loop: the signal was never seen.
    const r = await Promise.race([t.done, new Promise<null>((res) => setTimeout(() => res(null), 20_000))]);
    assert.ok(r !== null, 'still running 20 s after SIGINT');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /foo\nend\n\n\n$/);
    // The commands still queued behind the signal are not run; sonde says how many.
    assert.match(r.err, /^(sonde: stopped by a signal: \d+ queued system\(\) commands? (was|were) not run\n)?$/);
  } finally {
    t.kill('SIGKILL');
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { runToolAround, toolHelp } from './run.js';

for (const name of ['killsnoop', 'syscount']) {
  test(`${name} -h exits 0 and ends with examples`, async () => {
    const h = await toolHelp(name);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^usage: sonde ${name}`));
    assert.match(h.out, new RegExp(`examples:\\n(    sonde ${name}.*\\n)+$`));
  });
}

test('killsnoop: a signal with its number and target', needsRoot, async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const target = child.pid!;
  const r = await runToolAround('killsnoop', ['-p', String(process.pid), '-s', '10'], async () => {
    process.kill(target, 'SIGUSR1');
  });
  assert.equal(r.lines[0], 'TIME      PID     COMM             SIG  TPID    RESULT');
  const rows = r.lines.slice(1).map((l) => l.split(/\s+/));
  assert.equal(rows.length, 1, r.out);
  assert.deepEqual(rows[0]!.slice(1), [String(process.pid), rows[0]![2]!, '10', String(target), '0']);
});

test('syscount -e ESRCH: a known number of failing getpgid calls', needsRoot, async () => {
  if (process.arch !== 'x64') return;
  const bin = await buildFixture('syscalls');
  const r = await runToolAround('syscount', ['-e', 'ESRCH'], async () => execFileSync(bin, ['121x7']));
  const row = r.lines.find((l) => l.startsWith('getpgid '));
  assert.ok(row, r.out);
  assert.equal(row.split(/\s+/)[1], '7');
  assert.equal(r.lines[1], 'SYSCALL                   COUNT');
});

test('killsnoop -T: only signals to one target', needsRoot, async () => {
  const a = spawn('sleep', ['30'], { stdio: 'ignore' });
  const b = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const r = await runToolAround('killsnoop', ['-T', String(b.pid)], async () => {
      process.kill(a.pid!, 'SIGUSR2');
      process.kill(b.pid!, 'SIGUSR2');
    });
    const rows = r.lines.slice(1).map((l) => l.split(/\s+/));
    assert.equal(rows.length, 1, r.out);
    assert.deepEqual([rows[0]![1], rows[0]![3], rows[0]![4], rows[0]![5]], [String(process.pid), '12', String(b.pid), '0']);
  } finally {
    a.kill('SIGKILL');
    b.kill('SIGKILL');
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { runToolAround, toolHelp } from './run.js';

test('vfsstat -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('vfsstat');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde vfsstat/);
  assert.match(h.out, /examples:\n(    sonde vfsstat.*\n)+$/);
});

test('vfsstat: header, and rows of five rates each second', needsRoot, async () => {
  const r = await runToolAround('vfsstat', ['1', '2'], async () => new Promise((res) => setTimeout(res, 2500)));
  assert.equal(r.code, 0);
  assert.equal(r.lines[0], 'TIME         READ/s  WRITE/s  FSYNC/s   OPEN/s CREATE/s');
  assert.equal(r.lines.length, 3, r.out);
  for (const row of r.lines.slice(1)) assert.match(row, /^\d\d:\d\d:\d\d: ( +\d+){5}$/);
  assert.match(r.err, /^Tracing key VFS calls\.\.\. Hit Ctrl-C to end\.\n/);
});

test('vfsstat -p: a process\'s exact read/write/fsync/open/create counts', needsRoot, async () => {
  const bin = await buildFixture('vfs_calls');
  const child = spawn(bin, ['1234', '567', '8', '9', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  const exited = once(child, 'exit');
  const r = await runToolAround('vfsstat', ['-j', '-p', String(child.pid), '1'], async () => {
    child.kill('SIGUSR1');
    await exited;
    await new Promise((res) => setTimeout(res, 1200));
  });
  assert.equal(r.code, 0);
  const rows = r.lines.map((x) => JSON.parse(x) as Record<string, number>);
  assert.ok(rows.length >= 1, r.out);
  const sum = (k: string): number => rows.reduce((a, x) => a + (x[k] ?? 0), 0);
  assert.deepEqual(['read', 'write', 'fsync', 'open', 'create'].map(sum), [1234, 567, 8, 12, 3]);
  // The burst lands in one interval (or two, when it straddles a tick).
  assert.ok(rows.filter((x) => x.read! > 0).length <= 2, r.out);
});

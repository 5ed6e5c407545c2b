import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { runToolAround, toolHelp } from './run.js';

test('opensnoop -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('opensnoop');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde opensnoop/);
  assert.match(h.out, /examples:\n(.*\n)*    sonde opensnoop -j .*\n$/);
});

test('opensnoop: N opens of a named file with their FD, and failed opens with ERR', needsRoot, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-opensnoop-'));
  const file = join(dir, 'present');
  writeFileSync(file, 'x');
  const bin = await buildFixture('open_loop');
  const ok = await spawnPaused(bin, ['5', file]);
  const r = await runToolAround('opensnoop', ['-p', String(ok.pid), '-T', '-U', '-e'], async () => assert.equal(await ok.go(), 0));
  assert.equal(r.code, 0);
  assert.match(r.err, /Tracing open\(\) syscalls\.\.\. Hit Ctrl-C to end\./);
  assert.equal(r.lines[0], 'TIME(s)       UID   PID    COMM               FD ERR FLAGS    PATH');
  const rows = r.lines.slice(1).map((l) => l.split(/\s+/));
  const mine = rows.filter((c) => c[7] === file);
  assert.equal(mine.length, 5, r.out);
  for (const c of mine) {
    assert.equal(c[1], '0');
    assert.equal(c[2], String(ok.pid));
    assert.equal(c[3], 'open_loop');
    assert.ok(Number(c[4]) >= 3, `fd ${c[4]}`);
    assert.equal(c[5], '0');
    assert.equal(c[6], '00000000');
  }
  for (const line of r.lines) assert.ok(line.length < 80 || line.includes('/'), line);

  const missing = join(dir, 'absent');
  const bad = await spawnPaused(bin, ['3', missing]);
  const x = await runToolAround('opensnoop', ['-x', '-p', String(bad.pid), '-j'], async () => assert.equal(await bad.go(), 0));
  const evs = x.lines.map((l) => JSON.parse(l) as { pid: number; fd: number; err: number; path: string; comm: string });
  const failed = evs.filter((e) => e.path === missing);
  assert.equal(failed.length, 3);
  for (const e of failed) assert.deepEqual([e.pid, e.fd, e.err, e.comm], [bad.pid, -1, 2, 'open_loop']);
  assert.ok(evs.every((e) => e.err > 0), 'only failed opens with -x');
});

test('opensnoop -F: relative opens shown with the directory they were opened from, after the process is gone', needsRoot, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-opensnoop-F-'));
  writeFileSync(join(dir, 'here'), 'x');
  const bin = await buildFixture('open_loop');
  const child = await spawnPaused(bin, ['2', 'here'], { cwd: dir });
  // The child has exited when its events are printed: the directory came from the kernel.
  const r = await runToolAround('opensnoop', ['-F', '-p', String(child.pid)], async () => assert.equal(await child.go(), 0));
  const rows = r.lines.filter((l) => l.endsWith('/here'));
  assert.equal(rows.length, 2, r.out);
  for (const row of rows) assert.equal(row.split(/\s+/).pop(), join(dir, 'here'));
  const plain = await spawnPaused(bin, ['1', 'here'], { cwd: dir });
  const p = await runToolAround('opensnoop', ['-p', String(plain.pid)], async () => assert.equal(await plain.go(), 0));
  assert.ok(p.lines.some((l) => l.endsWith(' here')), 'without -F the path is as given');
});

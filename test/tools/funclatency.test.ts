import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { runToolAround, toolHelp } from './run.js';

function reap(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch { /* gone */ }
}

test('funclatency -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('funclatency');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde funclatency/);
  assert.match(h.out, /examples:\n(    sonde funclatency.*\n)+$/);
});

test('funclatency: a fixture function that sleeps 40 ms, 5 times: 5 calls from the 32 -> 63 ms bucket up', needsRoot, async () => {
  const bin = await buildFixture('sleep_target');
  const w = await spawnPaused(bin, ['5', '40']);
  const w2 = await spawnPaused(bin, ['3', '40']);
  try {
    const r = await runToolAround('funclatency', ['-m', '-p', String(w.pid), `${bin}:sonde_sleep_ms`], async () => assert.equal(await w.go(), 0));
    assert.equal(r.code, 0);
    assert.match(r.err, /Tracing 1 functions for ".*:sonde_sleep_ms"\.\.\. Hit Ctrl-C to end\./);
    assert.equal(r.lines[0], '     msecs               : count     distribution');
    const rows = r.lines.filter((x) => / -> /.test(x)).map((x) => x.split(/[\s:|]+/).filter(Boolean));
    // A 40 ms nanosleep never returns early; on a loaded machine it may return late (a higher bucket).
    assert.deepEqual(rows.slice(0, 6).map((x) => x.slice(0, 3).join(' ')), ['0 -> 1', '2 -> 3', '4 -> 7', '8 -> 15', '16 -> 31', '32 -> 63']);
    for (const row of rows.slice(0, 5)) assert.equal(row[3], '0');
    assert.equal(rows.reduce((a, x) => a + Number(x[3]), 0), 5);
    const avg = /^avg = (\d+) msecs, total: (\d+) msecs, count: 5$/.exec(r.lines.find((x) => x.startsWith('avg = ')) ?? '');
    assert.ok(avg && Number(avg[1]) >= 40 && Number(avg[2]) >= 200, r.out);
    assert.equal(r.lines.at(-1), 'Detaching...');

    // -F: one histogram per function (nsecs), with the process.
    const f = await runToolAround('funclatency', ['-F', '-j', '-p', String(w2.pid), `${bin}:sonde_*`], async () => assert.equal(await w2.go(), 0));
    const j = JSON.parse(f.lines[0]!) as { unit: string; count: number; histograms: { function: string; pid: number; buckets: Record<string, number> }[] };
    assert.equal(j.unit, 'nsecs');
    assert.equal(j.count, 6);
    assert.deepEqual(j.histograms.map((h) => [h.function, h.pid, Object.values(h.buckets).reduce((a, b) => a + b, 0)]).sort(), [['sonde_quick', w2.pid, 3], ['sonde_sleep_ms', w2.pid, 3]]);
  } finally {
    reap(w.pid);
    reap(w2.pid);
  }
});

test('funclatency: nested calls (a calls b calls c) are each timed', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const u = await spawnPaused(bin, ['--wait', '5']);
  try {
    const r = await runToolAround('funclatency', ['-F', '-j', '-p', String(u.pid), `${bin}:sonde_target_[abc]`], async () => assert.equal(await u.go(), 0));
    const j = JSON.parse(r.lines[0]!) as { count: number; histograms: { function: string; buckets: Record<string, number> }[] };
    assert.equal(j.count, 15);
    assert.deepEqual(j.histograms.map((h) => [h.function, Object.values(h.buckets).reduce((a, b) => a + b, 0)]).sort(), [
      ['sonde_target_a', 5], ['sonde_target_b', 5], ['sonde_target_c', 5],
    ]);
  } finally {
    reap(u.pid);
  }
});

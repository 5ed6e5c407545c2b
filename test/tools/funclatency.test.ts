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

test('funclatency: a fixture function that sleeps 40 ms, 5 times, in the 32 -> 63 ms bucket', needsRoot, async () => {
  const bin = await buildFixture('sleep_target');
  const w = await spawnPaused(bin, ['5', '40']);
  const w2 = await spawnPaused(bin, ['3', '40']);
  try {
    const r = await runToolAround('funclatency', ['-m', '-p', String(w.pid), `${bin}:sonde_sleep_ms`], async () => assert.equal(await w.go(), 0));
    assert.equal(r.code, 0);
    assert.match(r.err, /Tracing 1 functions for ".*:sonde_sleep_ms"\.\.\. Hit Ctrl-C to end\./);
    assert.equal(r.lines[0], '     msecs               : count     distribution');
    const rows = r.lines.filter((x) => / -> /.test(x)).map((x) => x.split(/[\s:|]+/).filter(Boolean));
    assert.deepEqual(rows.at(-1)!.slice(0, 4), ['32', '->', '63', '5']);
    for (const row of rows.slice(0, -1)) assert.equal(row[3], '0');
    const avg = r.lines.find((x) => x.startsWith('avg = '));
    assert.match(avg!, /^avg = 4\d msecs, total: 2\d\d msecs, count: 5$/);
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { argdistScript, parseArgdistProbe } from '../../src/tools/argdist.js';
import { runToolAround, toolHelp } from './run.js';

function reap(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch { /* gone */ }
}

test('argdist -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('argdist');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde argdist/);
  assert.match(h.out, /examples:\n(    .*\n)+$/);
});

test('argdist: specifiers with signatures, types, filters, $entry and $latency', async () => {
  const bin = await buildFixture('uprobe_target');
  const p = parseArgdistProbe(`r:${bin}:sonde_target_a(int x):u64:$latency/$entry(x):$retval > 3#per x`, 'hist', 0);
  assert.deepEqual([p.label, p.shown, p.exprs, p.filter], ['per x', ['$latency/$entry(x)'], ['(nsecs - @ts0[tid])/@e0_x[tid]'], 'retval > 3']);
  assert.equal(argdistScript({ probes: [p], interval: 1 }), `uprobe:${bin}:sonde_target_a { @ts0[tid] = nsecs; @e0_x[tid] = arg0; }
uretprobe:${bin}:sonde_target_a /@ts0[tid]/ {
  if (retval > 3) { @h0 = hist((nsecs - @ts0[tid])/@e0_x[tid]); } delete(@ts0[tid]); delete(@e0_x[tid]);
}
interval:s:1 { print(@h0); clear(@h0); }`);
  assert.throws(() => parseArgdistProbe(`p:${bin}:sonde_target_a(int x):u64:$latency`, 'hist', 0), /for return probes/);
  assert.throws(() => parseArgdistProbe(`p:${bin}:sonde_target_a`, 'freq', 0), /signature/);
});

test('argdist: exact counts and a histogram of a fixture function\'s arguments', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const u = await spawnPaused(bin, ['--wait', '6']);
  try {
    const r = await runToolAround('argdist', [
      '-i', '60', '-p', String(u.pid),
      '-C', `p:${bin}:sonde_target_add(int a, int b):int,int:a,b:a>2`,
      '-H', `p:${bin}:sonde_target_c(int x):int:x`,
      '-C', `r:${bin}:sonde_target_loop()`,
      '-C', `p:${bin}:sonde_target_b()#b calls`,
    ], async () => assert.equal(await u.go(), 0));
    assert.equal(r.code, 0);
    assert.match(r.err, /Tracing 4 probes\.\.\. Hit Ctrl-C to end\./);
    assert.match(r.lines[0]!, /^\[\d\d:\d\d:\d\d\]$/);
    // c(x) gets x = 2i + 1 for i = 0..5: 1 | 3 | 5 7 | 9 11
    assert.deepEqual(r.lines.slice(1, 6), [
      '     x                   : count     distribution',
      '         0 -> 1          : 1        |********************                    |',
      '         2 -> 3          : 1        |********************                    |',
      '         4 -> 7          : 2        |****************************************|',
      '         8 -> 15         : 2        |****************************************|',
    ]);
    assert.deepEqual(r.lines.slice(6), [
      `p:${bin}:sonde_target_add(int a, int b):int,int:a,b:a>2`, '\tCOUNT      EVENT',
      '\t1          a = 3, b = 1', '\t1          a = 4, b = 1', '\t1          a = 5, b = 1',
      `r:${bin}:sonde_target_loop()`, '\tCOUNT      EVENT', '\t1          retval = 21',
      'b calls', '\tCOUNT      EVENT', '\t6          total calls',
    ]);
  } finally {
    reap(u.pid);
  }
});

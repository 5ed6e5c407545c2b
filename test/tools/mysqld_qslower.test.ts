// mysqld_qslower against mysqld_sim, a stand-in server with MySQL's USDT probes (same names,
// provider, argument layout and semaphores): only the queries slower than the threshold are
// shown, with their text, the server's thread id and a plausible duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { needsRoot } from '../support/root.js';
import { buildFixture, needSdt } from '../fixtures/build.js';
import { runToolAround, toolHelp } from './run.js';
import { mysqldQslowerScript, parseMinMs } from '../../src/tools/mysqld_qslower.js';

test('mysqld_qslower -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('mysqld_qslower');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde mysqld_qslower \[-h\] \[-j\] \[-v\] PID \[min_ms\]/);
  assert.match(h.out, /examples:\n(    sonde mysqld_qslower.*\n)+$/);
});

test('bin/sonde mysqld_qslower -h: the command line reaches the tool (its name has an underscore)', () => {
  const sonde = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
  const r = spawnSync(sonde, ['mysqld_qslower', '-h'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: sonde mysqld_qslower /);
});

test('mysqld_qslower: usage errors exit 2', async () => {
  for (const argv of [[], ['abc'], ['1', 'x'], ['1', '2', '3']]) {
    const r = await runToolAround('mysqld_qslower', argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, /^sonde mysqld_qslower: error: /);
  }
});

test('mysqld_qslower: thresholds in ms (fractions too) become a ns comparison in the script', () => {
  assert.equal(parseMinMs('1'), 1_000_000n);
  assert.equal(parseMinMs('0.5'), 500_000n);
  assert.equal(parseMinMs('0'), 0n);
  assert.throws(() => parseMinMs('-1'));
  assert.match(mysqldQslowerScript({ minNs: 2_500_000n }), /if \(\$delta >= 2500000\)/);
});

/** Starts mysqld_sim waiting on stdin; `go` lets it run its queries and resolves with its output. */
async function server(queries: string[]): Promise<{ pid: number; go: () => Promise<string> }> {
  const bin = await buildFixture('mysqld_sim');
  const child = spawn(bin, ['--wait', ...queries], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const exited = once(child, 'exit');
  return {
    pid: child.pid!,
    go: async () => {
      child.stdin!.end('x');
      await exited;
      return out;
    },
  };
}

test('mysqld_qslower PID 100: only the queries of 100 ms or more, with text, thread and duration', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const slow1 = "SELECT * FROM words WHERE word REGEXP '^bre.*n$'";
  const slow2 = 'UPDATE accounts SET balance = balance - 100 WHERE id = 7';
  // Fast queries take ~0.1 ms; the threshold leaves a wide margin for a loaded machine's delays.
  const s = await server([`180:${slow1}`, '0:SELECT 1', '1:SELECT 2', `130:${slow2}`, '0:COMMIT']);
  let serverOut = '';
  const r = await runToolAround('mysqld_qslower', [String(s.pid), '100'], async () => {
    serverOut = await s.go();
  });
  assert.equal(r.code, 0, r.err);
  assert.equal(serverOut, 'queries=5 traced=5\n', 'the query__start semaphore was up while traced');
  assert.equal(r.err.split('\n')[0], `Tracing MySQL server queries for PID ${s.pid} slower than 100 ms... Hit Ctrl-C to end.`);
  assert.equal(r.lines[0], 'TIME(s)        PID          MS QUERY');
  const rows = r.lines.slice(1).map((line) => {
    const m = /^(\d+\.\d{6}) +(\d+) +(\d+\.\d{3}) (.*)$/.exec(line);
    assert.ok(m, `row format: ${line}`);
    return { time: Number(m[1]), pid: Number(m[2]), ms: Number(m[3]), query: m[4]! };
  });
  assert.deepEqual(rows.map((x) => x.query), [slow1, slow2]);
  assert.deepEqual(rows.map((x) => x.pid), [s.pid, s.pid], 'the thread id (the sim is single-threaded)');
  assert.equal(rows[0]!.time, 0, 'times are relative to the first slow query');
  // At least the sleep; the upper bound only guards against nonsense (ns taken as ms, etc.).
  assert.ok(rows[0]!.ms >= 180 && rows[0]!.ms < 5000, `first query ms ${rows[0]!.ms}`);
  assert.ok(rows[1]!.ms >= 130 && rows[1]!.ms < 5000, `second query ms ${rows[1]!.ms}`);
  assert.ok(rows[1]!.time >= 0.18 && rows[1]!.time < 10, `second query starts after the first (${rows[1]!.time} s)`);
});

test('mysqld_qslower: overlapping queries on several threads are timed each on its own thread', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  // All started at once: fast queries begin and end while the slow ones are in flight.
  const s = await server(['--threads', '250:SELECT slow_a', '0:SELECT fast_1', '0:SELECT fast_2', '150:SELECT slow_b', '2:SELECT fast_3']);
  let serverOut = '';
  const r = await runToolAround('mysqld_qslower', [String(s.pid), '100'], async () => {
    serverOut = await s.go();
  });
  assert.equal(r.code, 0, r.err);
  const tids = /^tids=(.*)$/m.exec(serverOut)![1]!.split(',').map(Number);
  const rows = r.lines.slice(1).map((line) => line.split(/\s+/));
  const byQuery = new Map(rows.map((f) => [f.slice(3).join(' '), { tid: Number(f[1]), ms: Number(f[2]) }]));
  assert.deepEqual([...byQuery.keys()].sort(), ['SELECT slow_a', 'SELECT slow_b'], r.out);
  assert.equal(byQuery.get('SELECT slow_a')!.tid, tids[0]);
  assert.equal(byQuery.get('SELECT slow_b')!.tid, tids[3]);
  assert.ok(byQuery.get('SELECT slow_a')!.ms >= 250, r.out);
  assert.ok(byQuery.get('SELECT slow_b')!.ms >= 150 && byQuery.get('SELECT slow_b')!.ms < byQuery.get('SELECT slow_a')!.ms + 5000, r.out);
});

test('mysqld_qslower -j PID 0: every query, as JSON lines', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const s = await server(['0:SELECT 1', '3:SELECT 2']);
  const r = await runToolAround('mysqld_qslower', ['-j', String(s.pid), '0'], () => s.go());
  assert.equal(r.code, 0, r.err);
  const objs = r.lines.map((line) => JSON.parse(line) as { time_s: number; pid: number; ms: number; query: string });
  assert.deepEqual(objs.map((o) => [Object.keys(o), o.pid, o.query]), [
    [['time_s', 'pid', 'ms', 'query'], s.pid, 'SELECT 1'],
    [['time_s', 'pid', 'ms', 'query'], s.pid, 'SELECT 2'],
  ]);
  assert.ok(objs[1]!.ms >= 3);
});

test('mysqld_qslower on a process without MySQL probes says so', needsRoot, async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const r = await runToolAround('mysqld_qslower', [String(child.pid)]);
    assert.equal(r.code, 1);
    assert.equal(r.err, `sonde mysqld_qslower: process ${child.pid} has no USDT probe mysql:query__start or mysql:query__done: MySQL must be built with -DENABLE_DTRACE=1 (Debian's mysqld and mariadbd are not)\n`);
  } finally {
    child.kill();
  }
});

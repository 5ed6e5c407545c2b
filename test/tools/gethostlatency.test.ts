import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { needsRoot } from '../support/root.js';
import { runToolAround, toolHelp } from './run.js';

/** Runs a command to its end; its pid. */
function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(c.pid!) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

test('gethostlatency -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('gethostlatency');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde gethostlatency/);
  assert.match(h.out, /examples:\n(    sonde gethostlatency.*\n)+$/);
});

test('gethostlatency: getent ahosts localhost is one getaddrinfo("localhost")', needsRoot, async () => {
  let pid = 0;
  const r = await runToolAround('gethostlatency', [], async () => {
    pid = await run('getent', ['ahosts', 'localhost']);
  });
  assert.equal(r.code, 0);
  assert.match(r.err, /Tracing host name lookups\.\.\. Hit Ctrl-C to end\./);
  assert.equal(r.lines[0], 'TIME      PID     COMM                  LATms HOST');
  const mine = r.lines.slice(1).map((x) => x.split(/\s+/)).filter((c) => c[1] === String(pid));
  assert.equal(mine.length, 1, r.out);
  const [time, , comm, lat, host] = mine[0]!;
  assert.match(time!, /^\d\d:\d\d:\d\d$/);
  assert.equal(comm, 'getent');
  assert.match(lat!, /^\d+\.\d\d$/);
  assert.ok(Number(lat) < 5000, lat);
  assert.equal(host, 'localhost');
  for (const line of r.lines) assert.ok(line.length < 80, line);

  // -p: only that process; -j.
  const other = spawn('sleep', ['5'], { stdio: 'ignore' });
  try {
    const j = await runToolAround('gethostlatency', ['-j', '-p', String(other.pid)], async () => {
      await run('getent', ['ahosts', 'localhost']);
    });
    assert.deepEqual(j.lines, []);
  } finally {
    other.kill();
  }
  const j = await runToolAround('gethostlatency', ['-j'], async () => {
    pid = await run('getent', ['ahosts', 'localhost']);
  });
  const evs = j.lines.map((x) => JSON.parse(x) as { pid: number; comm: string; host: string; lat_ms: number }).filter((e) => e.pid === pid);
  assert.equal(evs.length, 1, j.out);
  assert.deepEqual([evs[0]!.comm, evs[0]!.host], ['getent', 'localhost']);
  assert.ok(evs[0]!.lat_ms > 0);
});

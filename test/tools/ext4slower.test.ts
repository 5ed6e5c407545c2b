import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../../src/api.js';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { ext4slowerKprobeScript, fsslowerTracepointScript } from '../../src/tools/fsslower.js';
import { runToolAround, toolHelp } from './run.js';

for (const name of ['ext4slower', 'fsslower']) {
  test(`${name} -h exits 0 and ends with examples`, async () => {
    const h = await toolHelp(name);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^usage: sonde ${name}`));
    assert.match(h.out, new RegExp(`examples:\\n(    sonde ${name}.*\\n)+$`));
  });
}

test('ext4slower: the kprobe variant (bcc\'s mechanism) and the tracepoint one compile', () => {
  compile(fsslowerTracepointScript({ fstype: 'xfs', minMs: 10, pid: 1 }));
  const k = ext4slowerKprobeScript({ fstype: 'ext4', minMs: 10, pid: 1 });
  assert.match(k, /kprobe:ext4_file_read_iter/);
  compile(k);
});

/** A directory on ext4 (the root file system here); the test says so if there is none. */
function ext4Dir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-ext4slower-'));
  const fs = execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir], { encoding: 'utf8' }).trim();
  assert.equal(fs, 'ext4', `${dir} is on ${fs}: this test needs an ext4 directory`);
  return dir;
}

test('ext4slower 0: a known file\'s open, writes, read and fsync with their bytes and offsets', needsRoot, async () => {
  const dir = ext4Dir();
  const file = join(dir, 'known.dat');
  const bin = await buildFixture('write_file');
  const size = 8192;
  const w = await spawnPaused(bin, [file, '4', String(size)]);
  const r = await runToolAround('ext4slower', ['-p', String(w.pid), '0'], async () => assert.equal(await w.go(), 0));
  assert.equal(r.code, 0);
  assert.match(r.err, /Tracing ext4 operations\.\.\. Hit Ctrl-C to end\./);
  assert.equal(r.lines[0], 'TIME     COMM           PID    T BYTES   OFF_KB   LAT(ms) FILENAME');
  const rows = r.lines.slice(1).map((x) => x.split(/\s+/)).filter((c) => c[7] === 'known.dat');
  for (const c of rows) {
    assert.match(c[0]!, /^\d\d:\d\d:\d\d$/);
    assert.deepEqual([c[1], c[2]], ['write_file', String(w.pid)]);
    assert.match(c[6]!, /^\d+\.\d\d$/);
  }
  assert.deepEqual(rows.map((c) => `${c[3]} ${c[4]} ${c[5]}`), [
    'O 0 0', 'W 8192 0', 'W 8192 8', 'W 8192 16', 'W 8192 24', 'O 0 0', 'R 8192 8', 'S 0 0',
  ]);
  for (const line of r.lines) assert.ok(line.length < 80, line);

  // The threshold: nothing this small takes a second. -j is bcc's CSV.
  const w2 = await spawnPaused(bin, [file, '2', '4096']);
  const slow = await runToolAround('ext4slower', ['-p', String(w2.pid), '1000'], async () => assert.equal(await w2.go(), 0));
  assert.deepEqual(slow.lines, ['TIME     COMM           PID    T BYTES   OFF_KB   LAT(ms) FILENAME']);
  assert.match(slow.err, /slower than 1000 ms/);
  const w3 = await spawnPaused(bin, [file, '2', '4096']);
  const csv = await runToolAround('fsslower', ['-t', 'ext4', '-j', '-p', String(w3.pid), '0'], async () => assert.equal(await w3.go(), 0));
  assert.equal(csv.lines[0], 'ENDTIME_us,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE');
  const mine = csv.lines.slice(1).map((x) => x.split(',')).filter((c) => c[7] === 'known.dat');
  assert.deepEqual(mine.map((c) => c.slice(1, 6).join(',')), [
    `write_file,${w3.pid},O,0,0`, `write_file,${w3.pid},W,4096,0`, `write_file,${w3.pid},W,4096,4096`,
    `write_file,${w3.pid},O,0,0`, `write_file,${w3.pid},R,4096,4096`, `write_file,${w3.pid},S,0,0`,
  ]);

  // Another file system type sees none of it.
  const w4 = await spawnPaused(bin, [file, '2', '4096']);
  const xfs = await runToolAround('fsslower', ['-t', 'xfs', '--json', '-p', String(w4.pid), '0'], async () => assert.equal(await w4.go(), 0));
  assert.deepEqual(xfs.lines, []);
});

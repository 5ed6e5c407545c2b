import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { needsRoot } from '../support/root.js';
import { runToolAround, toolHelp } from './run.js';
import { buildFixture } from '../fixtures/build.js';

test('execsnoop -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('execsnoop');
  assert.equal(h.code, 0);
  assert.match(h.out, /examples:\n(    sonde execsnoop.*\n)+$/);
});

test("execsnoop: a child's exact argv, its pid and parent", needsRoot, async () => {
  let childPid = 0;
  const r = await runToolAround('execsnoop', ['-l', 'sonde-marker'], async () => {
    childPid = Number(execFileSync('/bin/sh', ['-c', 'echo $$; exec /bin/echo sonde-marker "two words" 3 >/dev/null']).toString().trim());
  });
  assert.equal(r.lines[0], 'PCOMM            PID     PPID    RET ARGS');
  const rows = r.lines.filter((l) => l.startsWith('echo '));
  assert.equal(rows.length, 1, r.out);
  const c = rows[0]!.split(/\s+/);
  assert.deepEqual(c.slice(0, 4), ['echo', String(childPid), String(process.pid), '0']);
  assert.ok(rows[0]!.endsWith(' /bin/echo sonde-marker two words 3'), rows[0]);
});

test('execsnoop -q -U -P: quoted arguments, the UID column, only children of one parent', needsRoot, async () => {
  let parent = 0;
  const r = await runToolAround('execsnoop', ['-q', '-U'], async () => {
    parent = Number(execFileSync('/bin/sh', ['-c', 'echo $$; /bin/echo sonde-q \'say "hi"\' >/dev/null']).toString().trim());
  });
  assert.equal(r.lines[0], 'UID   PCOMM            PID     PPID    RET ARGS');
  const row = r.lines.find((l) => l.includes(' "/bin/echo" "sonde-q"'));
  assert.ok(row, r.out);
  assert.ok(row.startsWith('0     echo '), row);
  assert.ok(row.endsWith(' "/bin/echo" "sonde-q" "say \\"hi\\""'), row);
  assert.equal(row.split(/\s+/)[3], String(parent));

  // -P: the shell (our child) is shown; the echo (the shell's child) is filtered out in the kernel.
  let shell = 0;
  const q = await runToolAround('execsnoop', ['-P', String(process.pid)], async () => {
    shell = Number(execFileSync('/bin/sh', ['-c', 'echo $$; /bin/echo sonde-P >/dev/null']).toString().trim());
  });
  const mine = q.lines.slice(1).filter((l) => l.startsWith('sh '));
  assert.equal(mine.length, 1, q.out);
  assert.deepEqual(mine[0]!.split(/\s+/).slice(1, 3), [String(shell), String(process.pid)]);
  assert.ok(!q.lines.some((l) => l.startsWith('echo ')), q.out);
});

test('execsnoop -u root (a user name) and execveat(2)', needsRoot, async () => {
  const bin = await buildFixture('execveat');
  const r = await runToolAround('execsnoop', ['-u', 'root', '-l', 'via-execveat'], async () => {
    execFileSync(bin, ['/bin/echo', 'via-execveat', 'x']);
  });
  const row = r.lines.find((l) => l.startsWith('echo ') && l.includes('via-execveat'));
  assert.ok(row, r.out);
  assert.ok(row.startsWith('echo '), row);
  assert.ok(row.endsWith(' 0   /bin/echo via-execveat x'), row);
  const bad = await runToolAround('execsnoop', ['-u', 'no-such-user-sonde']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /-u: no such user: no-such-user-sonde/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { needsRoot } from '../support/root.js';
import { runToolAround, toolHelp } from './run.js';

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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { parseTraceProbe } from '../../src/tools/trace.js';
import { runToolAround, toolHelp } from './run.js';

function reap(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch { /* gone */ }
}

test('trace -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('trace');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde trace/);
  assert.match(h.out, /examples:\n(    .*\n)+$/);
});

test('trace: bcc specifiers become sonde probes (signature, predicate, format)', async () => {
  const bin = await buildFixture('uprobe_target');
  const p = parseTraceProbe(`p:${bin}:sonde_target_add(int a, int b) (a > 2 && $tgid != 1) "%d+%hd %s", a, b, arg1`);
  assert.equal(p.filter, '(arg0 > 2 && pid != 1)');
  assert.equal(p.format, '%d+%d %s');
  assert.deepEqual(p.values, ['arg0', 'arg1', 'str(arg0)']);
  assert.deepEqual(p.probes, [{ attach: `uprobe:${bin}:sonde_target_add`, display: 'sonde_target_add' }]);
  assert.throws(() => parseTraceProbe('t:sched:sched_switch(int x)'), /can't have a function signature/);
  assert.throws(() => parseTraceProbe('vfs_read'), /kernel functions need kprobes/);
});

test('trace: a formatted line per call with its arguments, return values, and a tracepoint', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const open = await buildFixture('open_loop');
  const u = await spawnPaused(bin, ['--wait', '4']);
  const o = await spawnPaused(open, ['2', '/etc/hostname']);
  try {
    const r = await runToolAround('trace', [
      '-p', String(u.pid),
      `p:${bin}:sonde_target_add(int a, int b) (a >= 1) "%d + %d", a, b`,
      `r:${bin}:sonde_target_c "c returned %d", retval`,
    ], async () => assert.equal(await u.go(), 0));
    assert.equal(r.code, 0);
    assert.match(r.err, /Tracing 2 probes\.\.\. Hit Ctrl-C to end\./);
    assert.equal(r.lines[0], 'PID     TID     COMM            FUNC             -');
    const rows = r.lines.slice(1).map((x) => x.split(/\s+/));
    for (const c of rows) assert.deepEqual(c.slice(0, 3), [String(u.pid), String(u.pid), 'uprobe_target']);
    assert.deepEqual(rows.filter((c) => c[3] === 'sonde_target_add').map((c) => c.slice(4).join(' ')), ['1 + 1', '2 + 1', '3 + 1']);
    // sonde_target_a(i) = b(2i) = c(2i + 1) = 3(2i + 1) + 1
    assert.deepEqual(rows.filter((c) => c[3] === 'sonde_target_c').map((c) => c.slice(4).join(' ')), ['c returned 4', 'c returned 10', 'c returned 16', 'c returned 22']);

    const t = await runToolAround('trace', ['-p', String(o.pid), '-j', 't:syscalls:sys_enter_openat (args->flags == 0) "open %s", args->filename'], async () => assert.equal(await o.go(), 0));
    const evs = t.lines.map((x) => JSON.parse(x) as { pid: number; func: string; msg: string });
    assert.deepEqual(evs.map((e) => [e.pid, e.func, e.msg]), [[o.pid, 'sys_enter_openat', 'open /etc/hostname'], [o.pid, 'sys_enter_openat', 'open /etc/hostname']]);
  } finally {
    reap(u.pid);
    reap(o.pid);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { parseBccSpec, rewriteBccExpr, parseSignature } from '../../src/tools/bccprobe.js';
import { runToolAround, toolHelp } from './run.js';

/** A paused workload must not outlive a failed assertion (its stdin pipe keeps the test alive). */
function reap(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch { /* gone */ }
}

test('funccount -h exits 0 and ends with examples', async () => {
  const h = await toolHelp('funccount');
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: sonde funccount/);
  assert.match(h.out, /examples:\n(    sonde funccount.*\n)+$/);
});

test('bcc probe specifiers: parts, defaults, expressions', () => {
  assert.deepEqual(parseBccSpec('vfs_read'), { type: 'p', library: '', name: 'vfs_read' });
  assert.deepEqual(parseBccSpec('c:malloc'), { type: 'p', library: 'c', name: 'malloc' });
  assert.deepEqual(parseBccSpec('r::do_sys_open'), { type: 'r', library: '', name: 'do_sys_open' });
  assert.deepEqual(parseBccSpec('t:sched:*'), { type: 't', library: 'sched', name: '*' });
  assert.deepEqual(parseBccSpec('u:pthread:libpthread:pthread_create'), { type: 'u', library: 'pthread', name: 'libpthread:pthread_create' });
  assert.throws(() => parseBccSpec('r::f', ['p', 't', 'u']), /probe type must be/);
  assert.equal(rewriteBccExpr('(arg1 == 1 && $tgid != $pid) "%d", arg3'), '(arg0 == 1 && pid != tid) "%d", arg2');
  assert.equal(rewriteBccExpr('size * 2 + count', ['size', 'count']), 'arg0 * 2 + arg1');
  assert.equal(rewriteBccExpr('STRCMP("bash", arg1)'), '(str(arg0) == "bash")');
  assert.deepEqual(parseSignature('int fd, const char *buf, size_t count'), [
    { name: 'fd', ctype: 'int' }, { name: 'buf', ctype: 'const char *' }, { name: 'count', ctype: 'size_t' },
  ]);
});

test('funccount: kernel functions need kprobes, said plainly', needsRoot, async () => {
  const r = await runToolAround('funccount', ['vfs_*']);
  assert.equal(r.code, 2);
  assert.match(r.err, /kernel functions need kprobes or fentry/);
});

test('funccount: a tracepoint and user functions of a fixture, counted exactly', needsRoot, async () => {
  const open = await buildFixture('open_loop');
  const w = await spawnPaused(open, ['7', '/etc/hostname']);
  const u = await spawnPaused(await buildFixture('uprobe_target'), ['--wait', '9']);
  const u2 = await spawnPaused(await buildFixture('uprobe_target'), ['--wait', '4']);
  try {
    const t = await runToolAround('funccount', ['-p', String(w.pid), 't:syscalls:sys_enter_openat'], async () => assert.equal(await w.go(), 0));
    assert.equal(t.code, 0);
    assert.match(t.err, /Tracing 1 functions for "t:syscalls:sys_enter_openat"\.\.\. Hit Ctrl-C to end\./);
    assert.deepEqual(t.lines, ['FUNC                                    COUNT', 'syscalls:sys_enter_openat                   7', 'Detaching...']);

    const bin = await buildFixture('uprobe_target');
    const r = await runToolAround('funccount', ['-p', String(u.pid), `${bin}:sonde_target_[abl]*`], async () => assert.equal(await u.go(), 0));
    assert.match(r.err, /Tracing 4 functions for /);
    assert.deepEqual(r.lines.slice(1, -1).map((x) => x.split(/\s+/)), [
      ['sonde_target_loop', '1'], ['sonde_target_a', '9'], ['sonde_target_add', '9'], ['sonde_target_b', '9'],
    ]);
    const j = await runToolAround('funccount', ['-j', '-p', String(u2.pid), '-r', `${bin}:^sonde_target_(c|loop)$`], async () => assert.equal(await u2.go(), 0));
    const last = JSON.parse(j.lines[0]!) as { counts: { func: string; count: number }[] };
    assert.deepEqual(last.counts, [{ func: 'sonde_target_loop', count: 1 }, { func: 'sonde_target_c', count: 4 }]);
  } finally {
    for (const p of [w.pid, u.pid, u2.pid]) reap(p);
  }
});

test('funccount, trace and argdist: USDT probes (u:) of a fixture, exactly', needsRoot, async () => {
  const bin = await buildFixture('usdt_target');
  const a = await spawnPaused(bin, ['--wait', '5']);
  const b = await spawnPaused(bin, ['--wait', '3']);
  const c = await spawnPaused(bin, ['--wait', '3']);
  try {
    const r = await runToolAround('funccount', ['-p', String(a.pid), `u:${bin}:*`], async () => assert.equal(await a.go(), 0));
    assert.deepEqual(r.lines, ['FUNC                                    COUNT', 'consts                                      1', 'tick                                        5', 'Detaching...']);
    const t = await runToolAround('trace', ['-p', String(b.pid), `u:${bin}:tick "i=%d n=%d", arg1, arg2`, `u:${bin}:sonde:consts "%d %d %d", arg1, arg2, arg3`], async () => assert.equal(await b.go(), 0));
    assert.deepEqual(t.lines.slice(1).map((x) => x.split(/\s+/).slice(3).join(' ')), ['tick i=0 n=3', 'tick i=1 n=3', 'tick i=2 n=3', 'sonde:consts 42 -7 100']);
    const d = await runToolAround('argdist', ['-i', '60', '-p', String(c.pid), '-C', `u:${bin}:tick():long:arg2`], async () => assert.equal(await c.go(), 0));
    assert.deepEqual(d.lines.slice(2), ['\tCOUNT      EVENT', '\t3          arg2 = 3']);
  } finally {
    for (const p of [a.pid, b.pid, c.pid]) reap(p);
  }
});

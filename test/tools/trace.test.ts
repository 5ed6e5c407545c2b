import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { spawn } from 'node:child_process';
import { join, relative } from 'node:path';
import { buildFixture, fixturesDir } from '../fixtures/build.js';
import { addressFrames, includeLine, parseTraceProbe } from '../../src/tools/trace.js';
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

test('trace -I and -a helpers: bcc\'s include lines; perf frames as bcc prints them with -a', () => {
  assert.equal(includeLine('fcntl.h'), '#include <fcntl.h>');
  assert.equal(includeLine('linux/fs.h'), '#include <linux/fs.h>');
  assert.equal(includeLine('./x/y.h', '/src'), '#include "/src/x/y.h"');
  assert.equal(includeLine('/abs/y.h', '/src'), '#include "/abs/y.h"');
  assert.equal(
    addressFrames('n=1\n\tffffffff81000010 do_sys_openat2+16\n\t55d0c1234567 main+12 (/bin/x)\n\t7f00 0x7f00 ([unknown])\n'),
    'n=1\n        ffffffff81000010 do_sys_openat2+16\n            55d0c1234567 main+12\n                    7f00 0x7f00\n',
  );
  // The message line itself is never rewritten.
  assert.equal(addressFrames('\tab x'), '\tab x');
});

/** uprobe_target --addrs --wait N: its printed function addresses, then a run on demand. */
async function addrsTarget(bin: string, n: number): Promise<{ pid: number; addrs: Map<string, bigint>; go(): Promise<void> }> {
  const c = spawn(bin, ['--addrs', '--wait', String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const done = new Promise<void>((r) => c.on('exit', () => r()));
  let out = '';
  await new Promise<void>((r) => c.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (/\nmain=\S+\n/.test(out)) r();
  }));
  const addrs = new Map([...out.matchAll(/^(\w+)=(0x[0-9a-f]+)$/gm)].map((m) => [m[1]!, BigInt(m[2]!)]));
  return { pid: c.pid!, addrs, go: async () => { c.stdin!.end('g'); await done; } };
}

test('trace -U -a: each user frame with its virtual address, which is the symbol\'s address plus the offset', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const t = await addrsTarget(bin, 2);
  try {
    const r = await runToolAround('trace', ['-p', String(t.pid), '-U', '-a', `p:${bin}:sonde_target_c "x=%d", arg1`], () => t.go());
    assert.equal(r.code, 0);
    const blocks = r.out.split('\n\n').filter((b) => b.includes('sonde_target_c   x='));
    assert.equal(blocks.length, 2, r.out);
    for (const b of blocks) {
      const lines = b.split('\n');
      const frames = lines.slice(lines.findIndex((x) => x.includes('sonde_target_c   x=')) + 1).filter((x) => x !== '');
      assert.ok(frames.length >= 3, b);
      for (const f of frames) assert.match(f, /^ {8}[ 0-9a-f]{16} \S+$/, b);
      // The probe is at sonde_target_c's first instruction; main's frame is a return address in main.
      const byName = new Map(frames.map((f) => {
        const [addr, sym] = f.trim().split(' ') as [string, string];
        const [name, off] = sym.split('+') as [string, string];
        return [name, { addr: BigInt(`0x${addr}`), off: BigInt(off) }];
      }));
      assert.deepEqual(byName.get('sonde_target_c'), { addr: t.addrs.get('sonde_target_c')!, off: 0n });
      const main = byName.get('main')!;
      assert.equal(main.addr, t.addrs.get('main')! + main.off);
      assert.ok(main.off > 0n);
    }
  } finally {
    reap(t.pid);
  }
});

test('trace -A -M: each distinct event once, with its count, most frequent first', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const t = await addrsTarget(bin, 4);
  try {
    // add(i, 1) for i = 0..3 runs first, then c(1), c(3), …: the 5th event is the first c.
    const r = await runToolAround('trace', ['-p', String(t.pid), '-A', '-M', '5',
      `p:${bin}:sonde_target_add "b=%d", arg2`, `p:${bin}:sonde_target_c "odd=%d", arg1 % 2`], () => t.go());
    assert.equal(r.code, 0);
    const p = String(t.pid).padEnd(7);
    assert.equal(r.out, 'PID     TID     COMM            FUNC             -\n'
      + `${p} ${p} uprobe_target   sonde_target_add b=1\n-->COUNT 4\n\n`
      + `${p} ${p} uprobe_target   sonde_target_c   odd=1\n-->COUNT 1\n\n`);
  } finally {
    reap(t.pid);
  }
  const bad = await runToolAround('trace', ['-A', 't:syscalls:sys_enter_getpid']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /-M\/--max-events should be specified with -A\/--aggregate/);
});

test('trace -I header: the header\'s #defines in a predicate (a path relative to the current directory)', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const header = `./${relative(process.cwd(), join(fixturesDir(), 'src', 'trace_defs.h'))}`;
  const t = await addrsTarget(bin, 5);
  try {
    const r = await runToolAround('trace', ['-p', String(t.pid), '-I', header,
      `p:${bin}:sonde_target_add(int a, int b) (a == SONDE_TRACE_PICK || a == SONDE_TRACE_ALIAS) "a=%d", a`], () => t.go());
    assert.equal(r.code, 0);
    assert.deepEqual(r.lines.slice(1).map((x) => x.split(/\s+/).slice(3).join(' ')), ['sonde_target_add a=2', 'sonde_target_add a=3']);
  } finally {
    reap(t.pid);
  }
});

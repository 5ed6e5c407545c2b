import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { runToolAround, toolHelp } from './run.js';

for (const name of ['runqlat', 'profile', 'offcputime']) {
  test(`${name} -h exits 0 and ends with examples`, async () => {
    const h = await toolHelp(name);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^usage: sonde ${name}`));
    assert.match(h.out, new RegExp(`examples:\\n(    sonde ${name}.*\\n)+$`));
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withChildren<T>(argvs: string[][], body: (kids: ChildProcess[]) => Promise<T>): Promise<T> {
  const bin = await buildFixture('stacks');
  const kids = argvs.map((a) => spawn(bin, a, { stdio: 'ignore' }));
  try {
    return await body(kids);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
  }
}

test('profile -p -f: folded stacks of a spinning function, outermost first', needsRoot, async () => {
  await withChildren([['spin', '30']], async ([k]) => {
    const r = await runToolAround('profile', ['-p', String(k!.pid), '-F', '99', '-f'], () => wait(1500));
    assert.equal(r.code, 0);
    const hot = r.lines.filter((x) => /^stacks;(.+;)?main;spin_outer;spin_hot(;\S+)? \d+$/.test(x));
    assert.ok(hot.length >= 1, r.out);
    // -p: nothing from another process.
    assert.ok(r.lines.every((x) => x.startsWith('stacks;')), r.out);
  });
});

test('profile -p: bcc\'s multi-line stacks with comm (pid) and a count', needsRoot, async () => {
  await withChildren([['spin', '30']], async ([k]) => {
    const r = await runToolAround('profile', ['-p', String(k!.pid), '-F', '99', '-U'], () => wait(1500));
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`    spin_hot\\n    spin_outer\\n    main\\n(    \\S+\\n)*    -                stacks \\(${k!.pid}\\)\\n        \\d+\\n`));
    assert.match(r.err, new RegExp(`^Sampling at 99 Hertz of PID ${k!.pid} by user stack\\.\\.\\. Hit Ctrl-C to end\\.\\n`));
  });
});

test('offcputime -p: a sleeping loop\'s kernel and user stack and its blocked time', needsRoot, async () => {
  await withChildren([['sleep', '3000', '10']], async ([k]) => {
    const r = await runToolAround('offcputime', ['-p', String(k!.pid)], () => wait(1500));
    assert.equal(r.code, 0);
    // Stacks print least first: the sleep's is the last (a preemption may show a short one too).
    const all = [...r.out.matchAll(new RegExp(`((?:    \\S+\\n)+)    -                stacks \\(${k!.pid}\\)\\n        (\\d+)\\n`, 'g'))];
    const m = all.at(-1);
    assert.ok(m, r.out);
    const frames = m[1]!.trim().split(/\n\s+/);
    const u = frames.indexOf('block_in_nanosleep');
    assert.ok(u > 0, r.out);
    assert.deepEqual(frames.slice(u, u + 3), ['block_in_nanosleep', 'sleep_loop', 'main']);
    assert.ok(frames.slice(0, u).includes('schedule'), r.out);
    // 10 ms sleeps for ~1.5 s: most of it off-CPU (well above 0.3 s even on a loaded machine).
    assert.ok(Number(m[2]) > 300_000, r.out);
  });
});

test('offcputime -f -m: folded, user frames then kernel frames', needsRoot, async () => {
  await withChildren([['sleep', '3000', '10']], async ([k]) => {
    const r = await runToolAround('offcputime', ['-p', String(k!.pid), '-f', '-m', '5000'], () => wait(1200));
    assert.equal(r.code, 0);
    assert.ok(r.lines.some((x) => /^stacks;(.+;)?main;sleep_loop;block_in_nanosleep;(.+;)?schedule(;\S+)* \d+$/.test(x)), r.out);
    // -m 5000: only blocks of 5 ms or more; each sleep is 10 ms.
    assert.ok(r.lines.every((x) => Number(x.split(' ').pop()) >= 5000), r.out);
  });
});

test('runqlat -P -j: CPU-contending spinners wait on the run queue', needsRoot, async () => {
  await withChildren([['spin', '30'], ['spin', '30'], ['spin', '30'], ['spin', '30']], async (kids) => {
    const r = await runToolAround('runqlat', ['-P', '-j'], () => wait(1500));
    assert.equal(r.code, 0);
    const recs = r.lines.map((x) => JSON.parse(x) as { pid: string; val_type: string; data: { 'interval-start': number; count: number }[] });
    for (const k of kids) {
      const rec = recs.find((x) => x.pid === String(k.pid));
      assert.ok(rec, `no histogram for spinner ${k.pid}`);
      assert.equal(rec.val_type, 'usecs');
      // 4 spinners on at most 2 CPUs: some of each one's waits last a scheduler slice (≥ 256 us).
      assert.ok(rec.data.some((b) => b['interval-start'] >= 256 && b.count > 0), JSON.stringify(rec));
    }
  });
});

test('runqlat -m 1 1: one millisecond histogram, then the end', needsRoot, async () => {
  const r = await runToolAround('runqlat', ['-m', '1', '1'], () => wait(2500));
  assert.equal(r.code, 0);
  assert.equal(r.lines.filter((x) => x === '     msecs               : count     distribution').length, 1, r.out);
  assert.match(r.err, /^Tracing run queue latency\.\.\. Hit Ctrl-C to end\.\n/);
});

test('runqlat\'s sched-tracepoint script (kernels without raw tracepoints) compiles; it refuses -P', needsRoot, async () => {
  const { compile } = await import('../../src/api.js');
  const { runqlatTracepointScript } = await import('../../src/tools/runqlat.js');
  assert.ok(compile(runqlatTracepointScript({ by: 'tid', interval: 1 })).probeCount >= 4);
  assert.throws(() => runqlatTracepointScript({ by: 'pid' }), /-P and -p need raw tracepoints/);
});

test('vfsstat\'s fentry and kprobe scripts name bcc\'s five functions', async () => {
  const { vfsstatFuncScript } = await import('../../src/tools/vfsstat.js');
  const s = vfsstatFuncScript('kprobe', { interval: 1, pid: 5 });
  assert.deepEqual([...s.matchAll(/^kprobe:(\w+) \/pid == 5\/ \{ @s\[(\d)\] = count\(\); \}$/gm)].map((m) => `${m[1]}=${m[2]}`),
    ['vfs_read=1', 'vfs_write=2', 'vfs_fsync=3', 'vfs_open=4', 'vfs_create=5']);
});

/** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

test('profile -c: a sample every COUNT cpu-clock events (ns): samples x period follow the CPU time used', needsRoot, async () => {
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  await withChildren([['spin', '30']], async ([k]) => {
    const pid = k!.pid!;
    const period = 2_000_000; // 2 ms of CPU time: 500 samples a CPU-second
    let ticks = 0;
    const r = await runToolAround('profile', ['-p', String(pid), '-c', String(period), '-f'], async () => {
      const t0 = cpuTicks(pid);
      await wait(2000);
      ticks = cpuTicks(pid) - t0;
    }, 0);
    assert.equal(r.code, 0);
    const samples = r.lines.reduce((a, x) => a + Number(x.split(' ').pop()), 0);
    const cpuNs = (ticks / hz) * 1e9;
    // The spinner got at least a tenth of a CPU for 2 s even on a loaded machine.
    assert.ok(cpuNs >= 200e6, `${ticks} ticks`);
    // At 49 Hz (the default) this would be ~100 samples a CPU-second, not ~500.
    const ratio = (samples * period) / cpuNs;
    assert.ok(ratio > 0.7 && ratio < 1.3, `${samples} samples x ${period} ns vs ${cpuNs} ns of CPU`);
  });
  const b = await runToolAround('profile', ['-c', '5000000', '-U', '-p', '1'], () => wait(100));
  assert.match(b.err, /^Sampling at every 5000000 events of PID 1 by user stack\.\.\. Hit Ctrl-C to end\.\n/);
  const bad = await runToolAround('profile', ['-F', '99', '-c', '1000']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /argument -c\/--count: not allowed with argument -F\/--frequency/);
});

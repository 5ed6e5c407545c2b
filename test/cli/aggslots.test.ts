// pid/tid-indexed aggregations (src/lang/lower/tidmaps.ts, slotAggMaps) on real events: exact
// sums, counts, min/max/avg/stats per pid and per tid, a sum of zeros that still prints, the same
// output as a twin script whose maps stay per-CPU hashes and as bpftrace 0.17; keys beyond a tiny
// N in the hash, both halves merged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { HAVE_BPFTRACE, runOk, syscallsAs } from '../support/slots.js';
import { compile } from '../../src/lang/compile.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { ScriptRun } from '../../src/runtime/script.js';
import { StringTextOut } from '../../src/runtime/text-out.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

// Child A: read ×3, lseek ×2, fcntl ×4 (ids 0, 8, 72): count 9, sum 304, min 0, max 72, avg 33.
// Child B: lseek ×5: count 5, sum 40, min = max = avg 8. Only A reads: @z (a sum of read counts, all 0) has A alone.
const A = '0x3 8x2 72x4';
const B = '8x5';
const MAPS = ['@z', '@s', '@c', '@t', '@mn', '@mx', '@a', '@st'];

test('exact aggregations per pid and per tid in array slots; the same output as per-CPU hashes and as bpftrace 0.17', needsRoot, async () => {
  const { bin, dir } = await syscallsAs('aggslt');
  try {
    const script = `tracepoint:syscalls:sys_enter_read /comm == "aggslt"/ { @z[pid] = sum(args->count); }
      tracepoint:raw_syscalls:sys_enter /comm == "aggslt" && (args->id == 0 || args->id == 8 || args->id == 72)/ {
        @s[pid] = sum(args->id); @c[pid] = count(); @t[tid] = count(); @mn[pid] = min(args->id); @mx[tid] = max(args->id);
        @a[pid] = avg(args->id); @st[pid] = stats(args->id); }`;
    // The twin: a delete in BEGIN (that leaves nothing behind) keeps every map a per-CPU hash.
    const twin = `BEGIN { ${MAPS.map((m) => `delete(${m}[pid]);`).join(' ')} } ${script}`;
    const slotted = (s: string) => compile(s, { kernel: liveKernelView() }).maps.filter((m) => m.aggSlots).map((m) => m.name).sort();
    assert.deepEqual(slotted(script), [...MAPS].sort());
    assert.deepEqual(slotted(twin), []);
    // Run as '/bin/sh FILE': bpftrace 0.17 splits -c on spaces (no shell quoting), runs ELF files only.
    const cmd = join(dir, 'callers.sh');
    writeFileSync(cmd, `#!/bin/sh\n${bin} ${A} & ${bin} ${B} & wait\n`, { mode: 0o755 });
    const normalise = (out: string): string => {
      const pids = new Map<string, string>();
      for (const m of out.matchAll(/^@c\[(\d+)\]: (\d+)$/gm)) pids.set(m[1]!, m[2] === '9' ? 'A' : m[2] === '5' ? 'B' : `?${m[2]}`);
      assert.deepEqual([...pids.values()].sort(), ['A', 'B'], out);
      return out.replace(/\[(\d+)\]/g, (all, n: string) => `[${pids.get(n) ?? n}]`);
    };
    // bpftrace's layout: a blank line after each avg/stats map only.
    const expected = (probes: number) => `Attaching ${probes} probes...\n\n\n` +
      '@a[B]: 8\n@a[A]: 33\n\n' +
      '@c[B]: 5\n@c[A]: 9\n' +
      '@mn[A]: 0\n@mn[B]: 8\n' +
      '@mx[B]: 8\n@mx[A]: 72\n' +
      '@s[B]: 40\n@s[A]: 304\n' +
      '@st[B]: count 5, average 8, total 40\n@st[A]: count 9, average 33, total 304\n\n' +
      '@t[B]: 5\n@t[A]: 9\n' +
      '@z[A]: 0\n';
    assert.equal(normalise(runOk(SONDE, ['-e', script, '-c', `/bin/sh ${cmd}`])), expected(2));
    assert.equal(normalise(runOk(SONDE, ['-e', twin, '-c', `/bin/sh ${cmd}`])), expected(3));
    if (HAVE_BPFTRACE) {
      assert.equal(normalise(runOk('bpftrace', ['-e', script, '-c', `/bin/sh ${cmd}`])), expected(2));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pids beyond the array go to the per-CPU hash: both halves counted and printed as one map', needsRoot, async () => {
  const { bin, dir } = await syscallsAs('aggsplit');
  // Two callers held at a shell `read` until the probes are attached, then exec'd (same pid):
  // with N = the larger pid, the smaller pid has a slot, the larger is beyond the array.
  const kids = [A, B].map((args) => spawn('sh', ['-c', `read go; exec ${bin} ${args}`], { stdio: ['pipe', 'ignore', 'inherit'] }));
  const exited = kids.map((k) => new Promise<void>((res) => k.on('exit', () => res())));
  // A failed check before the end of the run stops it too (else the test would never end).
  let stop = (): void => {};
  try {
    const [a, b] = kids.map((k) => k.pid!) as [number, number];
    const slots = Math.max(a, b);
    const script = `tracepoint:raw_syscalls:sys_enter /comm == "aggsplit" && (args->id == 0 || args->id == 8 || args->id == 72)/ {
        @s[pid] = sum(args->id); @c[tid] = count(); @mx[pid] = max(args->id); }
      tracepoint:syscalls:sys_enter_lseek /comm == "aggsplit"/ { @z[pid] = sum(args->offset); }`;
    const compiled = compile(script, { kernel: liveKernelView(), tidSlots: slots });
    for (const m of ['@s', '@c', '@mx', '@z']) assert.deepEqual(compiled.maps.find((d) => d.name === m)!.aggSlots, { slots, array: `.slots${m}` }, m);
    const out = new StringTextOut();
    const r = await ScriptRun.start(compiled, { out, err: () => {}, notifyAttached: false });
    stop = () => r.stop();
    for (const k of kids) k.stdin!.end('go\n');
    await Promise.all(exited);
    // While the run lasts: the lower pid's sum is in its slot (summed over CPUs, touched), the other's in the hash.
    const key4 = (n: number) => { const k = new Uint8Array(4); new DataView(k.buffer).setUint32(0, n, true); return k; };
    const lo = Math.min(a, b);
    const hi = slots;
    const sumOf = (pid: number) => (pid === a ? 304n : 40n);
    const array = r.kernelMap('.slots@s')!;
    const parts = array.perCpu(array.lookup(key4(lo))!).map((c) => new DataView(c.buffer, c.byteOffset, 16));
    assert.equal(parts.reduce((t, v) => t + v.getBigUint64(0, true), 0n), sumOf(lo));
    assert.ok(parts.some((v) => v.getBigUint64(8, true) === 1n), 'touched');
    assert.equal(array.lookup(key4(hi)), undefined, 'no slot for a pid >= N');
    const hashed = r.kernelMap('@s')!.entries();
    assert.deepEqual(hashed.map(([k]) => new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0, true)), [BigInt(hi)]);
    r.stop();
    assert.equal(await r.done, 0);
    const count = (pid: number) => (pid === a ? 9 : 5);
    const max = (pid: number) => (pid === a ? 72 : 8);
    const byCount = [lo, hi].sort((x, y) => count(x) - count(y));
    const byMax = [lo, hi].sort((x, y) => max(x) - max(y));
    const bySum = [lo, hi].sort((x, y) => Number(sumOf(x) - sumOf(y)));
    // lseek(-1, 0, 0): offsets 0, a sum of zeros for both (printed in the kernel's order, so sorted here).
    const text = out.text.replace(/(^@z\[.*\n)+/m, (block) => block.split('\n').filter(Boolean).sort().join('\n') + '\n');
    assert.equal(text, 'Attaching 2 probes...\n\n\n' +
      byCount.map((p) => `@c[${p}]: ${count(p)}\n`).join('') +
      byMax.map((p) => `@mx[${p}]: ${max(p)}\n`).join('') +
      bySum.map((p) => `@s[${p}]: ${sumOf(p)}\n`).join('') +
      [lo, hi].map((p) => `@z[${p}]: 0`).sort().join('\n') + '\n');
  } finally {
    stop();
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

// tid-indexed maps (src/lang/lower/tidmaps.ts) on real events: the latency pattern counts every
// read, entries left behind print at exit as the plain hash prints them (and as bpftrace 0.17
// does), and tids beyond the array go to the hash, both halves printed as one map.
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

const READS = 1000;

test('the latency pattern with @s in tid slots: one count per read, @s left empty; the same with @s a plain hash', needsRoot, async () => {
  const { bin, dir } = await syscallsAs('tidlat');
  try {
    const script = `tracepoint:syscalls:sys_enter_read /comm == "tidlat"/ { @s[tid] = nsecs; }
      tracepoint:syscalls:sys_exit_read /@s[tid]/ { @ = hist(nsecs - @s[tid]); @n = count(); delete(@s[tid]); }`;
    // The twin: a use in BEGIN (that leaves nothing behind) keeps @s a plain hash.
    const twin = `BEGIN { @s[tid] = 0; delete(@s[tid]); } ${script}`;
    assert.ok(compile(script, { kernel: liveKernelView() }).maps.some((m) => m.name === '.tid@s'));
    assert.ok(!compile(twin, { kernel: liveKernelView() }).maps.some((m) => m.name === '.tid@s'));
    for (const [s, probes] of [[script, 2], [twin, 3]] as const) {
      const out = runOk(SONDE, ['-e', s, '-c', `${bin} 0x${READS}`]);
      const [head, hist, rest] = out.split(/\n@: \n|\n\n@n: /);
      assert.equal(head, `Attaching ${probes} probes...\n\n`, out);
      const counts = hist!.trim().split('\n').map((l) => /^(\S.*?)\s+(\d+) \|/.exec(l)!);
      assert.equal(counts.reduce((sum, m) => sum + Number(m[2]), 0), READS, hist);
      assert.ok(!counts.some((m) => m[1]!.startsWith('(...') && m[2] !== '0'), `a negative latency:\n${hist}`);
      assert.equal(rest, `${READS}\n\n`, 'the count, then @s (empty: every entry deleted)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Entries left behind print as the plain hash prints them: three readers (3, 5 and 7 reads) each
 * leave @s[tid] = tid; @t is deleted at every exit, so it prints nothing. Tids differ from run to
 * run: each is named by its reader's count (T3, T5, T7) before comparing.
 */
test('entries left behind print at exit exactly as a plain hash and bpftrace 0.17 print them', needsRoot, async () => {
  const { bin, dir } = await syscallsAs('tidleft');
  try {
    const script = `tracepoint:syscalls:sys_enter_read /comm == "tidleft"/ { @s[tid] = tid; @t[tid] = 7; }
      tracepoint:syscalls:sys_exit_read /@t[tid] == 7/ { @c[tid] = count(); delete(@t[tid]); }`;
    const twin = `BEGIN { @s[tid] = 0; delete(@s[tid]); @t[tid] = 0; delete(@t[tid]); } ${script}`;
    const compiled = compile(script, { kernel: liveKernelView() });
    assert.deepEqual(compiled.maps.filter((m) => m.tidSlots).map((m) => m.name), ['@s', '@t']);
    // Run as '/bin/sh FILE': bpftrace 0.17 splits -c on spaces (no shell quoting), runs ELF files only.
    const cmd = join(dir, 'readers.sh');
    writeFileSync(cmd, `#!/bin/sh\n${bin} 0x3 & ${bin} 0x5 & ${bin} 0x7 & wait\n`, { mode: 0o755 });
    const normalise = (out: string): string => {
      const tids = new Map<string, string>();
      for (const m of out.matchAll(/^@c\[(\d+)\]: (\d+)$/gm)) tids.set(m[1]!, `T${m[2]}`);
      assert.equal(tids.size, 3, out);
      const named = out.replace(/\d+/g, (n) => tids.get(n) ?? n);
      // @s is sorted by value, the tids: their order depends on which reader got the lower pid.
      return named.replace(/(^@s\[.*\n)+/m, (block) => block.split('\n').filter(Boolean).sort().join('\n') + '\n');
    };
    const expected = 'Attaching 2 probes...\n\n\n@c[T3]: 3\n@c[T5]: 5\n@c[T7]: 7\n@s[T3]: T3\n@s[T5]: T5\n@s[T7]: T7\n\n';
    assert.equal(normalise(runOk(SONDE, ['-e', script, '-c', `/bin/sh ${cmd}`])), expected);
    assert.equal(normalise(runOk(SONDE, ['-e', twin, '-c', `/bin/sh ${cmd}`])), expected.replace('2 probes', '3 probes'));
    if (HAVE_BPFTRACE) {
      assert.equal(normalise(runOk('bpftrace', ['-e', script, '-c', `/bin/sh ${cmd}`])), expected);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tids beyond the array go to the hash: both halves work and print as one map', needsRoot, async () => {
  const { bin, dir } = await syscallsAs('tidsplit');
  // Two readers held at a shell `read` until the probes are attached, then exec'd (same pid):
  // with N = the larger pid, the smaller tid has a slot, the larger is beyond the array.
  const kids = [3, 5].map((n) => spawn('sh', ['-c', `read go; exec ${bin} 0x${n}`], { stdio: ['pipe', 'ignore', 'inherit'] }));
  const exited = kids.map((k) => new Promise<void>((res) => k.on('exit', () => res())));
  // A failed check must still end the run (it would keep the test waiting forever).
  let running: ScriptRun | undefined;
  try {
    const [a, b] = kids.map((k) => k.pid!) as [number, number];
    const slots = Math.max(a, b);
    const script = `tracepoint:syscalls:sys_enter_read /comm == "tidsplit"/ { @s[tid] = tid; @t[tid] = nsecs; }
      tracepoint:syscalls:sys_exit_read /@t[tid]/ { @c[tid] = count(); @ok[tid] = sum(@s[tid] == tid); delete(@t[tid]); }`;
    const compiled = compile(script, { kernel: liveKernelView(), tidSlots: slots });
    assert.deepEqual(compiled.maps.find((m) => m.name === '@s')!.tidSlots, { slots, array: '.tid@s' });
    const out = new StringTextOut();
    const r = await ScriptRun.start(compiled, { out, err: () => {}, notifyAttached: false });
    running = r;
    for (const k of kids) k.stdin!.end('go\n');
    await Promise.all(exited);
    // While the run lasts: the lower tid's value is in its slot, the other's in the hash.
    const key4 = (n: number) => { const k = new Uint8Array(4); new DataView(k.buffer).setUint32(0, n, true); return k; };
    const key8 = (n: number) => { const k = new Uint8Array(8); new DataView(k.buffer).setBigUint64(0, BigInt(n), true); return k; };
    const [lo, hi] = [Math.min(a, b), slots];
    const slot = r.kernelMap('.tid@s')!.lookup(key4(lo));
    assert.ok(slot, 'the slot of the lower tid');
    const sv = new DataView(slot.buffer, slot.byteOffset, 16);
    assert.deepEqual([sv.getBigUint64(0, true), sv.getBigUint64(8, true)], [1n, BigInt(lo)]);
    assert.equal(r.kernelMap('.tid@s')!.lookup(key4(hi)), undefined, 'no slot for a tid >= N');
    const hashed = r.kernelMap('@s')!.entries();
    assert.deepEqual(hashed.map(([k]) => new DataView(k.buffer, k.byteOffset, 8).getBigUint64(0, true)), [BigInt(hi)]);
    assert.equal(r.kernelMap('@t')!.entries().length, 0, '@t deleted from the hash');
    r.stop();
    assert.equal(await r.done, 0);
    const count = (tid: number) => (tid === a ? 3 : 5);
    assert.equal(out.text, 'Attaching 2 probes...\n\n\n' +
      [lo, hi].sort((x, y) => count(x) - count(y)).map((t) => `@c[${t}]: ${count(t)}\n`).join('') +
      [lo, hi].sort((x, y) => count(x) - count(y)).map((t) => `@ok[${t}]: ${count(t)}\n`).join('') +
      `@s[${lo}]: ${lo}\n@s[${hi}]: ${hi}\n\n`);
  } finally {
    if (running && running.stopReason === undefined) {
      running.stop();
      await running.done;
    }
    for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

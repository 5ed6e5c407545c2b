// What the per-event savings of lowering (test/lang/lower/cheap.test.ts) print on real events:
// a map read reused from the predicate, writes between two reads, keyless histograms kept in
// per-CPU arrays (every bucket up to the largest, zero() and clear()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function run(args: string[]): string {
  const r = spawnSync(SONDE, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LC_ALL: 'C' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// The fixture makes exactly N read(-1, 0, 0) calls; its comm tells its reads from those of what
// starts it.
const READS = 1000;
const MINE = 'pid == cpid && comm == "syscalls-static"';

test('the latency pattern: one count per read, every latency positive, the start map left empty', needsRoot, async () => {
  const bin = await buildFixture('syscalls-static');
  const out = run(['-e', `tracepoint:syscalls:sys_enter_read /${MINE}/ { @s[tid] = nsecs; }
    tracepoint:syscalls:sys_exit_read /@s[tid]/ { @ = hist(nsecs - @s[tid]); @n = count(); delete(@s[tid]); }`, '-c', `${bin} 0x${READS}`]);
  const [head, hist, rest] = out.split(/\n@: \n|\n\n@n: /);
  assert.equal(head, 'Attaching 2 probes...\n\n');
  const counts = hist!.trim().split('\n').map((l) => /^(\S.*?)\s+(\d+) \|/.exec(l)!);
  assert.equal(counts.reduce((s, m) => s + Number(m[2]), 0), READS, hist);
  assert.ok(!counts.some((m) => m[1]!.startsWith('(...') && m[2] !== '0'), `a negative latency:\n${hist}`);
  assert.equal(rest, `${READS}\n\n`, 'the count, then @s (empty: every entry deleted)');
});

test('writes between two reads of one key: each read sees the write before it', needsRoot, async () => {
  const bin = await buildFixture('syscalls-static');
  const out = run(['-e', `tracepoint:syscalls:sys_enter_read /${MINE}/ { @s[tid] = 1; }
    tracepoint:syscalls:sys_exit_read /@s[tid]/ {
      @a = sum(@s[tid]); @s[tid] = 5; @b = sum(@s[tid]); @s[tid]++; @c = sum(@s[tid]);
      @s[tid] += 10; @d = sum(@s[tid]); delete(@s[tid]); @e = sum(@s[tid]);
      if (@s[tid] == 0) { @s[tid] = 2; } @f = sum(@s[tid]); delete(@s[tid]);
    }`, '-c', `${bin} 0x${READS}`]);
  // Same output as bpftrace 0.17 (which reads the map again at every @s[tid]).
  assert.equal(out, `Attaching 2 probes...\n\n\n@a: ${READS}\n@b: ${5 * READS}\n@c: ${6 * READS}\n@d: ${16 * READS}\n@e: 0\n@f: ${2 * READS}\n\n`);
});

test('a keyless lhist on read sizes: every read in its bucket', needsRoot, async () => {
  const bin = await buildFixture('syscalls-static');
  const out = run(['-e', `tracepoint:syscalls:sys_enter_read /${MINE}/ { @ = lhist(args->count, 0, 4096, 256); @big = lhist(args->count + 5000, 0, 4096, 256); }`,
    '-c', `${bin} 0x${READS}`]);
  assert.equal(out, 'Attaching 1 probe...\n\n\n' +
    `@: \n[0, 256)            ${READS} |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n` +
    `@big: \n[4K, ...)           ${READS} |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n`);
});

test('keyless histograms (per-CPU arrays) print as keyed ones (hashes), up to the largest bucket', needsRoot, () => {
  // Edges: negatives, 0, 1, powers of two and their neighbours, the largest positive value.
  const values = [-(1n << 62n), -1n, 0n, 1n, 2n, 3n, 7n, 8n, 1000n, (1n << 40n) + 1n, (1n << 62n), (1n << 63n) - 1n];
  for (const agg of ['hist(V)', 'hist(V, 1)', 'hist(V, 3)', 'lhist(V, 100, 5000, 100)', 'lhist(V, 0, 1000, 1)', 'llhist(V, 10, 0, 4, 10)', 'bhist(V, 0, 10, 1000)']) {
    const prog = `BEGIN { ${values.map((v) => `@a = ${agg.replace('V', `${v}`)}; @k[1] = ${agg.replace('V', `${v}`)};`).join(' ')} exit(); }`;
    const out = run(['-e', prog]);
    const [a, k] = out.split('\n@a: \n')[1]!.split('\n@k[1]: \n');
    assert.ok(a!.trim().length > 0, `${agg}: empty\n${out}`);
    assert.equal(a!.trimEnd(), k!.trimEnd(), `${agg}:\n${out}`);
  }
});

test('pid, tid and comm read from the current task: the child\'s own values', needsRoot, async () => {
  const bin = await buildFixture('syscalls-static');
  const out = run(['-e', `tracepoint:syscalls:sys_enter_read /${MINE}/ { @[comm, pid, tid] = count(); @ok = sum(pid == tid && tid == cpid); }
    END { printf("child %d\\n", cpid); }`, '-c', `${bin} 0x5`]);
  const child = /^child (\d+)$/m.exec(out)![1];
  assert.equal(out.slice(out.indexOf('\n\n\n')), `\n\n\n@[syscalls-static, ${child}, ${child}]: 5\n@ok: 5\n`);
});

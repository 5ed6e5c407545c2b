// hist(v, k), llhist() and bhist() in the kernel: every value lands in the bucket whose printed
// label contains it (one map entry per value, so each histogram has exactly one bucket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function run(program: string, args: string[] = []): string {
  const r = spawnSync(SONDE, [...args, '-e', program], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const SUFFIX: Record<string, bigint> = { '': 1n, K: 1n << 10n, M: 1n << 20n, G: 1n << 30n, T: 1n << 40n, P: 1n << 50n, E: 1n << 60n };
const num = (s: string): bigint => {
  const m = /^(-?\d+)([KMGTPE]?)$/.exec(s);
  if (!m) throw new Error(`not a label number: ${s}`);
  return BigInt(m[1]!) * SUFFIX[m[2]!]!;
};

/** [lo, hi) of a bucket label; undefined ends are open. */
function range(label: string): [bigint | undefined, bigint | undefined] {
  let m = /^\(\.\.\., (\S+)\)$/.exec(label);
  if (m) return [undefined, num(m[1]!)];
  m = /^\[(\S+), \.\.\.\)$/.exec(label);
  if (m) return [num(m[1]!), undefined];
  m = /^\[(\S+), (\S+)\)$/.exec(label);
  if (m) return [num(m[1]!), num(m[2]!)];
  m = /^\[(\S+)\]$/.exec(label);
  if (m) return [num(m[1]!), num(m[1]!) + 1n];
  throw new Error(`not a bucket label: ${label}`);
}

/** Runs `@h[v] = <agg>` for each value; asserts each lands in one bucket whose range holds v. */
function checkBuckets(agg: (v: bigint) => string, values: bigint[]): void {
  const prog = `BEGIN { ${values.map((v) => `@h[${v}] = ${agg(v)};`).join(' ')} exit(); }`;
  const out = run(prog);
  const seen = new Set<bigint>();
  for (const block of out.split('\n\n').map((b) => b.trim()).filter((b) => b.startsWith('@h['))) {
    const lines = block.trim().split('\n');
    const v = BigInt(/^@h\[(-?\d+)\]: $/.exec(lines[0]!)![1]!);
    assert.equal(lines.length, 2, `value ${v}: one bucket\n${block}`);
    // Labels wider than 16 columns push the count right, as bpftrace's setw(16) does.
    const [, label, count] = /^(.*?\S)\s+(\d+) \|/.exec(lines[1]!)!;
    assert.equal(count, '1');
    const [lo, hi] = range(label);
    assert.ok((lo === undefined || lo <= v) && (hi === undefined || v < hi), `${v} is not in ${label}`);
    seen.add(v);
  }
  assert.equal(seen.size, values.length, 'every value printed');
}

/** Powers of two and their neighbours, small values, some odd ones. */
function edgeValues(maxPower: number): bigint[] {
  const s = new Set<bigint>([-5n, -1n, 0n]);
  for (let i = 0n; i < 40n; i++) s.add(i);
  for (let p = 2n; p <= BigInt(maxPower); p++) for (const d of [-1n, 0n, 1n]) s.add((1n << p) + d);
  for (const v of [100n, 1000n, 1536n, 12345n, 999999n, 1234567890123n]) s.add(v);
  return [...s].sort((a, b) => (a < b ? -1 : 1));
}

for (const k of [1, 2, 3, 5]) {
  test(`hist(v, ${k}): every value in the bucket its label names`, needsRoot, () => {
    checkBuckets((v) => `hist(${v}, ${k})`, edgeValues(42));
  });
}

test('hist(v, 0) is bpftrace 0.17\'s hist(v)', needsRoot, () => {
  const out = run('BEGIN { @a = hist(1000, 0); @b = hist(1000); exit(); }');
  const [a, b] = out.split('@a: \n')[1]!.split('\n@b: \n');
  assert.equal(a!.trim(), b!.trim());
  assert.equal(a!.trim(), '[512, 1K)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|');
});

test('bhist(v, bounds…): explicit buckets', needsRoot, () => {
  checkBuckets((v) => `bhist(${v}, -10, 0, 1, 10, 100, 4096, 100000)`, [-11n, -10n, -9n, -1n, 0n, 1n, 2n, 9n, 10n, 99n, 100n, 4095n, 4096n, 99999n, 100000n, 1n << 40n]);
  assert.equal(run('BEGIN { @ = bhist(5, 0, 10); @ = bhist(50, 0, 10); @ = bhist(60, 0, 10); exit(); }'),
    'Attaching 1 probe...\n\n\n@: \n' +
    '[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[10, ...)              2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n');
});

test('llhist(v, factor, low, high, steps): DTrace\'s log-linear buckets', needsRoot, () => {
  checkBuckets((v) => `llhist(${v}, 10, 0, 6, 20)`, [0n, 1n, 5n, 9n, 10n, 14n, 15n, 99n, 100n, 149n, 150n, 999n, 1000n, 1049n, 1050n, 99999n, 100000n, 999999n, 1000000n, 5000000n]);
  // factor 10, steps 20: [1..10) by 1, [10, 100) by 5, [100, 1000) by 50.
  const out = run('BEGIN { @ = llhist(12, 10, 0, 3, 20); @ = llhist(17, 10, 0, 3, 20); @ = llhist(420, 10, 0, 3, 20); exit(); }');
  assert.equal(out, 'Attaching 1 probe...\n\n\n@: \n' +
    '[10, 15)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
    '[15, 20)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n' +
    Array.from({ length: 16 }, (_, i) => `[${20 + 5 * i}, ${25 + 5 * i})`.padEnd(16) + '       0 |                                                    |\n').join('') +
    Array.from({ length: 6 }, (_, i) => `[${100 + 50 * i}, ${150 + 50 * i})`.padEnd(16) + '       0 |                                                    |\n').join('') +
    '[400, 450)             1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n');
});

test('histograms in JSON: bucket min/max from the same bounds', needsRoot, () => {
  const out = run('BEGIN { @h = hist(10, 2); @b = bhist(7, 0, 5, 10); exit(); }', ['-f', 'json']);
  const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  assert.deepEqual(lines.filter((l) => l.type === 'hist').map((l) => l.data), [
    { '@b': [{ min: 5, max: 9, count: 1 }] },
    { '@h': [{ min: 10, max: 11, count: 1 }] },
  ]);
});

test('histogram arguments are checked', () => {
  const bad = (prog: string, msg: RegExp) => {
    const r = spawnSync(SONDE, ['-d', '-e', prog], { encoding: 'utf8' });
    assert.equal(r.status, 1, prog);
    assert.match(r.stderr, msg);
  };
  bad('BEGIN { @ = hist(1, 6); }', /hist: bits argument must be between 0 and 5 \(6 provided\)/);
  bad('BEGIN { @ = bhist(1, 10, 5); }', /bhist\(\): bucket bounds must be ascending \(5 after 10\)/);
  bad('BEGIN { @ = bhist(1); }', /bhist\(\) requires a value and at least one bucket bound/);
  bad('BEGIN { @ = llhist(1, 1, 0, 3, 10); }', /llhist\(\) factor must be >= 2/);
  bad('BEGIN { @ = llhist(1, 10, 3, 3, 10); }', /llhist\(\) high must be greater than low/);
  bad('BEGIN { @ = hist(1, 1); @ = hist(2, 2); }', /hist\(\) arguments differ from the first use of @ \(bits 2 here, bits 1 there\)/);
});

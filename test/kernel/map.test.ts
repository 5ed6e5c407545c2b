import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap, MapError } from '../../src/bpf/map.js';
import { TypedMap, u32, u64, cstring, struct, encode } from '../../src/bpf/codec.js';
import { nrPossibleCpus } from '../../src/kernel/cpus.js';
import { needsRoot, openFdCount } from '../support/root.js';

test('hash map: update, lookup, delete, iterate, batch', needsRoot, () => {
  const base = openFdCount();
  const m = BpfMap.create({ name: 'h', kind: 'hash', keySize: 4, valueSize: 8, maxEntries: 4096 });
  const t = new TypedMap(m, u32, u64);
  for (let i = 0; i < 3000; i++) t.set(i, BigInt(i) * 3n);
  assert.equal(t.get(7), 21n);
  assert.equal(t.get(5000), undefined);
  assert.equal(t.delete(7), true);
  assert.equal(t.delete(7), false);
  const viaKeys = [...m.keys()].length;
  assert.equal(viaKeys, 2999);
  const batch = m.lookupBatch();
  assert.ok(batch, 'batch lookup supported on this kernel');
  assert.equal(batch!.length, 2999);
  const all = new Map(t.entries());
  assert.equal(all.size, 2999);
  assert.equal(all.get(2999), 8997n);
  m.clear();
  assert.equal([...m.keys()].length, 0);
  m.close();
  assert.equal(openFdCount(), base);
});

test('array map with struct values', needsRoot, () => {
  const val = struct({ count: u64, comm: cstring(16), pid: u32 });
  assert.equal(val.size, 32);
  const m = BpfMap.create({ name: 'arr', kind: 'array', keySize: 4, valueSize: val.size, maxEntries: 8 });
  const t = new TypedMap(m, u32, val);
  t.set(3, { count: 5n, comm: 'bash', pid: 42 });
  assert.deepEqual(t.get(3), { count: 5n, comm: 'bash', pid: 42 });
  assert.deepEqual(t.get(0), { count: 0n, comm: '', pid: 0 });
  assert.equal(t.entries().length, 8, 'arrays always hold max_entries entries');
  assert.throws(() => m.update(encode(u32, 9), new Uint8Array(32)), MapError);
  m.close();
});

test('per-CPU hash and array maps return one slot per possible CPU', needsRoot, () => {
  for (const kind of ['percpu_hash', 'percpu_array'] as const) {
    const m = BpfMap.create({ name: kind, kind, keySize: 4, valueSize: 4, maxEntries: 4 });
    const t = new TypedMap(m, u32, u32);
    const n = nrPossibleCpus();
    t.setPerCpu(1, Array.from({ length: n }, (_, i) => i + 10));
    assert.deepEqual(t.getPerCpu(1), Array.from({ length: n }, (_, i) => i + 10));
    m.close();
  }
});

test('LRU hash evicts instead of failing when full', needsRoot, () => {
  const m = BpfMap.create({ name: 'lru', kind: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 64 });
  const t = new TypedMap(m, u32, u32);
  for (let i = 0; i < 1000; i++) t.set(i, i);
  assert.ok([...m.keys()].length <= 64 + nrPossibleCpus() * 64);
  assert.equal(t.get(999), 999);
  m.close();
});

test('hash map full: a clear error', needsRoot, () => {
  const m = BpfMap.create({ name: 'small', kind: 'hash', keySize: 4, valueSize: 4, maxEntries: 2 });
  const t = new TypedMap(m, u32, u32);
  t.set(1, 1);
  t.set(2, 2);
  assert.throws(() => t.set(3, 3), /map small: update failed: map is full/);
  m.close();
});

test('stack trace, ring buffer and perf event array maps can be created', needsRoot, () => {
  const st = BpfMap.create({ name: 'stacks', kind: 'stack_trace', keySize: 4, valueSize: 127 * 8, maxEntries: 128 });
  const rb = BpfMap.create({ name: 'rb', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  const pa = BpfMap.create({ name: 'pa', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  assert.equal(pa.spec.maxEntries, nrPossibleCpus());
  assert.equal(st.info().name, 'stacks');
  assert.equal(rb.info().type, 27);
  for (const m of [st, rb, pa]) m.close();
});

test('bad map parameters give a MapError naming the map', needsRoot, () => {
  assert.throws(
    () => BpfMap.create({ name: 'bad', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1000 }),
    (e: unknown) => e instanceof MapError && /map bad: cannot create ringbuf map.*EINVAL/.test(e.message),
  );
});

test('clear() ends even while a program keeps inserting keys (it deletes what was there)', needsRoot, async () => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const sonde = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
  // Every syscall, including clear()'s own deletes, adds a key; bpftrace prints and clears.
  const r = spawnSync(sonde, ['-e', 'tracepoint:raw_syscalls:sys_enter { @c[args->id, rand % 64] = count(); } interval:ms:200 { clear(@c); @n++; if (@n == 3) { exit(); } }'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, 'did not hang');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /@n: 3/);
});

test('entries(keep): only the values kept are copied out of the batch lookup of an array', needsRoot, () => {
  const m = BpfMap.create({ name: 'slots', kind: 'array', keySize: 4, valueSize: 16, maxEntries: 5000 });
  try {
    const t = new TypedMap(m, u32, struct({ present: u64, v: u64 }));
    for (const i of [0, 7, 4096, 4999]) t.set(i, { present: 1n, v: BigInt(i) * 10n });
    const keep = (v: Uint8Array): boolean => v.subarray(0, 8).some((b) => b !== 0);
    const read = (entries: [Uint8Array, Uint8Array][]): [number, bigint][] =>
      entries.map(([k, v]) => [new DataView(k.buffer, k.byteOffset).getUint32(0, true), new DataView(v.buffer, v.byteOffset).getBigUint64(8, true)]);
    const want: [number, bigint][] = [[0, 0n], [7, 70n], [4096, 40960n], [4999, 49990n]];
    assert.deepEqual(read(m.entries(keep)), want);
    assert.deepEqual(read(m.lookupBatch(0, keep)!), want);
    assert.equal(m.entries().length, 5000, 'without keep: every slot');
    // The kept values are copies: they stay as read after the map changes.
    const [[, v]] = m.entries(keep) as [[Uint8Array, Uint8Array]];
    t.set(0, { present: 1n, v: 5n });
    assert.equal(new DataView(v.buffer, v.byteOffset).getBigUint64(8, true), 0n);
  } finally {
    m.close();
  }
});

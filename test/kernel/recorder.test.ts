// The flight recorder's overwritable rings: they keep the newest records, and a snapshot returns
// each record once, oldest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/bpf/map.js';
import { FlightRecorder } from '../../src/bpf/recorder.js';
import { onlineCpus } from '../../src/kernel/cpus.js';
import { perfProducer } from '../support/progs.js';
import { needsRoot, openFdCount } from '../support/root.js';

const SIZE = 64;

function seqOf(r: { data: Uint8Array }): number {
  return Number(new DataView(r.data.buffer, r.data.byteOffset).getBigUint64(0, true));
}

test('flight recorder: keeps the newest records per CPU, returns each once, in time order', needsRoot, () => {
  const fds = openFdCount();
  const cpus = onlineCpus();
  const pe = BpfMap.create({ name: 'rec', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const st = BpfMap.create({ name: 'seq', kind: 'array', keySize: 4, valueSize: 24, maxEntries: 1 });
  const prog = perfProducer('raw_tracepoint', pe, st, SIZE);
  const fr = new FlightRecorder(pe, { pages: 1 });
  try {
    const N = 2000;
    for (let i = 0; i < N; i++) prog.testRun({ ctx: new Uint8Array(8), cpu: cpus[i % cpus.length]! });
    const drops = Number(new DataView(st.lookup(new Uint8Array(4))!.buffer).getBigUint64(8, true));
    assert.equal(drops, 0, 'an overwritable ring never refuses a record');
    const got = fr.snapshot();
    // One 4 KiB page per CPU, 88-byte records (header 8 + time 8 + size 4 + 64 data + 4 padding).
    const perCpu = Math.floor(4096 / 88);
    assert.equal(got.length, perCpu * cpus.length);
    for (const [i, cpu] of cpus.entries()) {
      const mine = got.filter((r) => r.cpu === cpu).map(seqOf);
      const expect = Array.from({ length: N / cpus.length }, (_, k) => k * cpus.length + i).slice(-perCpu);
      assert.deepEqual(mine, expect, `cpu ${cpu}: the newest records, oldest first`);
    }
    for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.time <= got[i]!.time, 'merged by time');
    assert.deepEqual(fr.snapshot(), [], 'nothing new since the last snapshot');
    for (let i = 0; i < 5; i++) prog.testRun({ ctx: new Uint8Array(8), cpu: cpus[0]! });
    assert.deepEqual(fr.snapshot().map(seqOf), [N, N + 1, N + 2, N + 3, N + 4]);
  } finally {
    fr.close();
    prog.close();
    st.close();
    pe.close();
  }
  assert.equal(openFdCount(), fds, 'every fd closed');
});

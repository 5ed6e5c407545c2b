// Ring buffers, perf buffers and the EventReader against the real kernel: hand-assembled programs
// run with BPF_PROG_TEST_RUN emit known records; every record must come out, whole, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/bpf/map.js';
import type { Program, ProgKind } from '../../src/bpf/program.js';
import { RingBuffer } from '../../src/bpf/ringbuf.js';
import { PerfBuffer } from '../../src/bpf/perfbuf.js';
import { EventReader } from '../../src/bpf/events.js';
import { onlineCpus } from '../../src/kernel/cpus.js';
import { mmap, Prot, getPageSize, type Mapping } from '../../src/sys/index.js';
import { Mov, St, Stx, Ldx, Add, Xor, LdMapFd, LdImm64, Call, Exit, JEq, JSet, JSGe, Ja, AtomicAdd } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R3, R4, R5, R6, R7, R10, type AsmItem } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import { load, ringbufProducer, perfProducer, withSeq } from '../support/progs.js';
import { needsRoot, openFdCount } from '../support/root.js';

const page = getPageSize();
const BPF_F_CURRENT_CPU = 0xffffffff;
/** socket_filter test runs need at least an Ethernet header of packet data. */
const PACKET = new Uint8Array(64);

function ringbuf(size: number): BpfMap {
  return BpfMap.create({ name: 'rb', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: size });
}

/** Array map with one value: [seq u64][drops u64][last helper result s64] (blob producers: other layouts). */
function state(name: string, valueSize = 24): BpfMap {
  return BpfMap.create({ name, kind: 'array', keySize: 4, valueSize, maxEntries: 1 });
}

function stateWord(m: BpfMap, off: number): number {
  const v = m.lookup(new Uint8Array(4))!;
  return Number(new DataView(v.buffer, v.byteOffset).getBigInt64(off, true));
}

const round8 = (n: number) => (n + 7) & ~7;

/** `items` prefixed with r6 = &state[0] (exit when the lookup fails) and r7 = seq++ (atomic). */
/**
 * Outputs `size` bytes of the state map's value (from offset 8) per run, after copying the run
 * counter (value offset 0) into the record's first word: records larger than the 512-byte stack.
 */
function blobProducer(rb: BpfMap, st: BpfMap, size: number): Program {
  const body: AsmItem[] = [
    Ldx(8, R1, R6, 0),
    Stx(8, R6, 8, R1),
    Add.imm(R1, 1),
    Stx(8, R6, 0, R1),
    LdMapFd(R1, rb.name), Mov.reg(R2, R6), Add.imm(R2, 8), Mov.imm(R3, size), Mov.imm(R4, 0),
    Call.helper(Helper.ringbuf_output),
  ];
  return load('socket_filter', 'rb_blob', withSeq(st, body), [rb, st]);
}

/** bpf_ringbuf_reserve(16) per run, filled with [seq][~seq]; odd seqs are discarded, even submitted. */
function discardProducer(rb: BpfMap, st: BpfMap): Program {
  const body: AsmItem[] = [
    Mov.imm(R7, 1),
    AtomicAdd(8, R6, 0, R7, { fetch: true }),
    LdMapFd(R1, rb.name), Mov.imm(R2, 16), Mov.imm(R3, 0),
    Call.helper(Helper.ringbuf_reserve),
    JEq.imm(R0, 0, 'out'),
    Stx(8, R0, 0, R7),
    Mov.reg(R1, R7), Xor.imm(R1, -1), Stx(8, R0, 8, R1),
    Mov.reg(R1, R0), Mov.imm(R2, 0),
    JSet.imm(R7, 1, 'discard'),
    Call.helper(Helper.ringbuf_submit),
    Ja('out'),
    Label('discard'),
    Call.helper(Helper.ringbuf_discard),
  ];
  return load('socket_filter', 'rb_discard', withSeq(st, body), [rb, st]);
}

/** Independent read-only view of a ring buffer's consumer and producer positions. */
function positions(rb: BpfMap): { consumer(): number; producer(): number; close(): void } {
  const cons: Mapping = mmap(rb.fd, page, Prot.READ, 0, 'test consumer page');
  const prod: Mapping = mmap(rb.fd, page, Prot.READ, page, 'test producer page');
  const c = new BigUint64Array(cons.buffer, 0, 1);
  const p = new BigUint64Array(prod.buffer, 0, 1);
  return {
    consumer: () => Number(c[0]),
    producer: () => Number(p[0]),
    close: () => {
      cons.unmap();
      prod.unmap();
    },
  };
}

/** Checks a ringbufProducer/perfProducer record: seq first, then words equal to their offset. */
function checkWords(dv: DataView, off: number, len: number, from: number): void {
  for (let w = from; w + 8 <= len; w += 8) {
    if (dv.getUint32(off + w, true) !== w || dv.getUint32(off + w + 4, true) !== 0) {
      assert.fail(`word at ${w} is ${dv.getBigUint64(off + w, true)}, expected ${w}`);
    }
  }
}

function seqOf(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 2 ** 32;
}

test('ring buffer: N records in, N out, in order, exact bytes; consumer position advances', needsRoot, () => {
  const N = 3000;
  const SIZE = 64;
  const rb = ringbuf(256 * 1024);
  const st = state('seq', 8);
  const prog = ringbufProducer(rb, st, SIZE, 'socket_filter');
  const ring = new RingBuffer(rb);
  const pos = positions(rb);
  try {
    prog.testRun({ data: PACKET, repeat: N });
    const slot = 8 + SIZE; // header + data, already a multiple of 8
    assert.equal(pos.producer(), N * slot);
    assert.equal(ring.pending(), N * slot);
    assert.equal(pos.consumer(), 0);

    const seen: number[] = [];
    const onRecord = (dv: DataView, off: number, len: number) => {
      assert.equal(len, SIZE);
      seen.push(seqOf(dv, off));
      checkWords(dv, off, len, 8);
    };
    assert.equal(ring.drain(onRecord, 10), 10);
    assert.equal(pos.consumer(), 10 * slot, 'consumer position committed after a partial drain');
    assert.equal(ring.drain(onRecord), N - 10);
    assert.equal(pos.consumer(), N * slot);
    assert.equal(ring.pending(), 0);
    assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
    assert.equal(ring.drain(onRecord), 0, 'nothing left');
  } finally {
    pos.close();
    ring.close();
    prog.close();
    st.close();
    rb.close();
  }
});

for (const [ringSize, size] of [[4 * page, 6000], [page, 1001]] as const) {
  test(`ring buffer: ${size}-byte records wrap around a ${ringSize}-byte ring intact`, needsRoot, () => {
    const rb = ringbuf(ringSize);
    const st = state('blob', 8 + size);
    // The record's bytes after the sequence number: a pattern set from here.
    const value = new Uint8Array(8 + size);
    for (let j = 16; j < 8 + size; j++) value[j] = (j * 7 + 3) & 0xff;
    st.update(new Uint8Array(4), value);
    const prog = blobProducer(rb, st, size);
    const ring = new RingBuffer(rb);
    const pos = positions(rb);
    try {
      const perRound = Math.max(1, Math.floor(ringSize / round8(size + 8)));
      let expect = 0;
      let crossed = 0;
      for (let round = 0; round < 12; round++) {
        prog.testRun({ data: PACKET, repeat: perRound });
        const n = ring.drain((dv, off, len) => {
          assert.equal(len, size);
          assert.equal(seqOf(dv, off), expect++);
          for (let j = 8; j < size; j++) {
            if (dv.getUint8(off + j) !== (((j + 8) * 7 + 3) & 0xff)) assert.fail(`record ${expect - 1} byte ${j} differs`);
          }
          const start = off - page; // offset in the (doubly mapped) data area
          if (start + len > ringSize) crossed++;
        });
        assert.equal(n, perRound);
        assert.equal(pos.consumer(), pos.producer());
      }
      assert.equal(expect, 12 * perRound);
      assert.ok(crossed > 0, 'some records crossed the end of the ring');
      assert.ok(pos.consumer() > 2 * ringSize, 'positions went round the ring more than once');
    } finally {
      pos.close();
      ring.close();
      prog.close();
      st.close();
      rb.close();
    }
  });
}

test('ring buffer: discarded reservations are skipped, their space released', needsRoot, () => {
  const N = 1001; // ends with a submitted record; the run before it is a discard
  const rb = ringbuf(64 * 1024);
  const st = state('seq');
  const prog = discardProducer(rb, st);
  const ring = new RingBuffer(rb);
  const pos = positions(rb);
  try {
    prog.testRun({ data: PACKET, repeat: N - 1 }); // last one (999) is a discard
    const seen: number[] = [];
    const onRecord = (dv: DataView, off: number, len: number) => {
      assert.equal(len, 16);
      const seq = seqOf(dv, off);
      assert.equal(dv.getUint32(off + 8, true), ~seq >>> 0);
      assert.equal(dv.getUint32(off + 12, true), 0xffffffff);
      seen.push(seq);
    };
    assert.equal(ring.drain(onRecord), 500);
    assert.equal(pos.consumer(), (N - 1) * 24, 'consumer moved past the trailing discard too');
    assert.equal(ring.pending(), 0);
    prog.testRun({ data: PACKET });
    assert.equal(ring.drain(onRecord), 1);
    assert.deepEqual(seen, Array.from({ length: 501 }, (_, i) => 2 * i));
  } finally {
    pos.close();
    ring.close();
    prog.close();
    st.close();
    rb.close();
  }
});

test('perf buffer: records come out in order on the ring of the CPU that wrote them', needsRoot, () => {
  const cpus = onlineCpus();
  const N = 200 * cpus.length;
  const SIZE = 64;
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const st = state('seq');
  const prog = perfProducer('raw_tracepoint', pe, st, SIZE);
  const pb = new PerfBuffer(pe, { pages: 16 });
  try {
    assert.equal(pb.rings.length, cpus.length);
    // Interleave CPUs so both rings fill at once; each run is pinned with BPF_F_TEST_RUN_ON_CPU.
    for (let i = 0; i < N; i++) prog.testRun({ ctx: new Uint8Array(8), cpu: cpus[i % cpus.length]! });
    assert.equal(stateWord(st, 8), 0, 'no failed outputs');
    const all = new Set<number>();
    pb.rings.forEach((ring, i) => {
      const seqs: number[] = [];
      pb.drain((dv, off, len) => {
        // Raw samples are padded so that u32 size + data is a multiple of 8.
        assert.equal(len, round8(SIZE + 4) - 4);
        assert.equal(dv.getUint32(off + 8, true), ring.cpu, 'record is on its own CPU\'s ring');
        seqs.push(seqOf(dv, off));
        checkWords(dv, off, SIZE, 16);
      }, undefined, i);
      const pos = cpus.indexOf(ring.cpu);
      assert.deepEqual(seqs, Array.from({ length: N / cpus.length }, (_, k) => k * cpus.length + pos));
      for (const s of seqs) all.add(s);
    });
    assert.equal(all.size, N);
    assert.equal(pb.lost, 0);
    assert.equal(pb.drain(() => assert.fail('nothing left')), 0);
  } finally {
    pb.close();
    prog.close();
    st.close();
    pe.close();
  }
});

test('perf buffer: a record wrapping the end of the ring comes out intact', needsRoot, () => {
  const SIZE = 100; // sample = 8 header + 4 size + 100 data = 112 bytes: 4096 is not a multiple
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const st = state('seq');
  const prog = perfProducer('raw_tracepoint', pe, st, SIZE);
  const pb = new PerfBuffer(pe, { pages: 1 });
  const cpu = onlineCpus()[0]!;
  const idx = pb.rings.findIndex((r) => r.cpu === cpu);
  try {
    let expect = 0;
    let crossed = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 20; i++) prog.testRun({ ctx: new Uint8Array(8), cpu });
      const n = pb.drain((dv, off, len) => {
        assert.equal(len, SIZE);
        const at = (expect * 112) % page;
        if (at + 112 > page) crossed++;
        assert.equal(seqOf(dv, off), expect++);
        assert.equal(dv.getUint32(off + 8, true), cpu);
        checkWords(dv, off, SIZE, 16);
        // The last 4 bytes (96..100) are the low half of the word holding 96.
        assert.equal(dv.getUint32(off + 96, true), 96);
      }, undefined, idx);
      assert.equal(n, 20);
    }
    assert.equal(expect, 200);
    assert.ok(crossed >= 4, `records crossed the end of the ring (${crossed})`);
    assert.equal(pb.lost, 0);
  } finally {
    pb.close();
    prog.close();
    st.close();
    pe.close();
  }
});

test('perf buffer: overflowing a one-page ring reports the lost records exactly', needsRoot, () => {
  const SIZE = 64; // sample = 8 + 4 + 68 = 80 bytes: 51 fit in 4096
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const st = state('seq');
  const prog = perfProducer('raw_tracepoint', pe, st, SIZE);
  const pb = new PerfBuffer(pe, { pages: 1 });
  const cpu = onlineCpus()[0]!;
  const idx = pb.rings.findIndex((r) => r.cpu === cpu);
  try {
    const fit = Math.floor(page / 80);
    for (let i = 0; i < 200; i++) prog.testRun({ ctx: new Uint8Array(8), cpu });
    assert.equal(stateWord(st, 8), 200 - fit, 'the program saw its outputs fail');
    const seqs: number[] = [];
    const lostCalls: [number, number][] = [];
    const onRecord = (dv: DataView, off: number) => {
      seqs.push(seqOf(dv, off));
    };
    const onLost = (c: number, n: number) => {
      lostCalls.push([c, n]);
    };
    assert.equal(pb.drain(onRecord, onLost, idx), fit);
    // The kernel writes PERF_RECORD_LOST just before the next record that fits.
    prog.testRun({ ctx: new Uint8Array(8), cpu });
    assert.equal(pb.drain(onRecord, onLost, idx), 1);
    assert.deepEqual(lostCalls, [[cpu, 200 - fit]]);
    assert.equal(pb.lost, 200 - fit);
    assert.deepEqual(seqs, [...Array.from({ length: fit }, (_, i) => i), 200]);
  } finally {
    pb.close();
    prog.close();
    st.close();
    pe.close();
  }
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects if `p` has not settled after `ms`: a hung reader fails the test instead of stalling it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

test('EventReader: waits off the event loop and delivers records when they arrive', needsRoot, async () => {
  const rb = ringbuf(64 * 1024);
  const st = state('seq', 8);
  const prog = ringbufProducer(rb, st, 32, 'socket_filter');
  const ring = new RingBuffer(rb);
  const got: number[] = [];
  const batches: number[] = [];
  const reader = new EventReader({
    onRecord: (dv, off) => got.push(seqOf(dv, off)),
    onBatch: (n) => batches.push(n),
  });
  reader.addRingBuffer(ring);
  // The first koffi async call of a process sets up its worker on the main thread (tens of ms
  // under emulation): do it before counting timer ticks.
  await reader.poll(0);
  let ticks = 0;
  const iv = setInterval(() => ticks++, 5);
  try {
    let producedAt = Infinity;
    setTimeout(() => {
      producedAt = performance.now();
      prog.testRun({ data: PACKET, repeat: 100 });
    }, 100);
    const n = await reader.poll(5000);
    const wokenAt = performance.now();
    assert.equal(n, 100);
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(batches, [100]);
    // Woken by the records (after they were written, long before the 5 s timeout). Measured from
    // the producer itself: a timer's 100 ms count from the loop's cached clock, which a slow
    // machine can leave stale.
    assert.ok(wokenAt >= producedAt && wokenAt - producedAt < 2000, `woken by the records, not the timeout (${(wokenAt - producedAt).toFixed(0)} ms after them)`);
    assert.ok(ticks >= 3, `timers kept running while the reader waited (${ticks} ticks)`);
    // Nothing buffered: a short poll times out empty.
    assert.equal(await reader.poll(20), 0);
  } finally {
    clearInterval(iv);
    await reader.close();
    ring.close();
    prog.close();
    st.close();
    rb.close();
  }
});

/** A ring buffer fed 32-byte records and a perf buffer fed 24-byte ones, each by its own program. */
function ringAndPerf() {
  const rb = ringbuf(64 * 1024);
  const rst = state('rseq', 8);
  const rprog = ringbufProducer(rb, rst, 32, 'socket_filter');
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const pst = state('pseq');
  const pprog = perfProducer('socket_filter', pe, pst, 24);
  const ring = new RingBuffer(rb);
  const pb = new PerfBuffer(pe, { pages: 8 });
  return {
    ring, pb, rprog, pprog, pst,
    close(): void {
      pb.close();
      ring.close();
      rprog.close();
      pprog.close();
      rst.close();
      pst.close();
      pe.close();
      rb.close();
    },
  };
}

test('EventReader: run() reads ring and perf buffers until stop(); close() frees every fd', needsRoot, async () => {
  const base = openFdCount();
  const { ring, pb, rprog, pprog, pst, close } = ringAndPerf();
  const fromRing: number[] = [];
  const fromPerf: number[] = [];
  const reader = new EventReader({
    onRecord: (dv, off, len) => (len === 32 ? fromRing : fromPerf).push(seqOf(dv, off)),
  });
  reader.addRingBuffer(ring);
  reader.addPerfBuffer(pb);
  try {
    const done = reader.run();
    for (let round = 0; round < 5; round++) {
      await sleep(10);
      rprog.testRun({ data: PACKET, repeat: 50 });
      pprog.testRun({ data: PACKET, repeat: 30 });
    }
    for (let i = 0; i < 200 && (fromRing.length < 250 || fromPerf.length < 150); i++) await sleep(5);
    reader.stop();
    await within(done, 2000, 'run() after stop()');
    assert.deepEqual(fromRing, Array.from({ length: 250 }, (_, i) => i));
    assert.deepEqual(fromPerf.slice().sort((a, b) => a - b), Array.from({ length: 150 }, (_, i) => i));
    assert.equal(stateWord(pst, 8), 0);
    assert.equal(pb.lost, 0);
  } finally {
    await reader.close();
    close();
  }
  assert.equal(openFdCount(), base, 'maps, programs, perf events, epoll and eventfd all closed');
});

test('EventReader: a slow handler gives the event loop back every sliceMs; the rest follows at the next turns, in order (ring and perf buffers)', needsRoot, async () => {
  const { ring, pb, rprog, pprog, pst, close } = ringAndPerf();
  const fromRing: number[] = [];
  const fromPerf: number[] = [];
  const batches: number[] = [];
  const reader = new EventReader({
    sliceMs: 10,
    onRecord: (dv, off, len) => {
      (len === 32 ? fromRing : fromPerf).push(seqOf(dv, off));
      const until = performance.now() + 2; // system() is slower still
      while (performance.now() < until);
    },
    onBatch: (n) => batches.push(n),
  });
  reader.addRingBuffer(ring);
  reader.addPerfBuffer(pb);
  try {
    // Everything is buffered before the reader starts: one wake-up could take it all at once.
    rprog.testRun({ data: PACKET, repeat: 40 });
    pprog.testRun({ data: PACKET, repeat: 40 });
    const done = reader.run();
    let seenByTheLoop = -1;
    setImmediate(() => (seenByTheLoop = fromRing.length + fromPerf.length));
    // A perf ring reports ready again only after a new wake-up: what a slice left there must
    // still come out with no further records (run() must not wait for one).
    for (let i = 0; i < 400 && fromRing.length + fromPerf.length < 80; i++) await sleep(5);
    const beforeStop = fromRing.length + fromPerf.length;
    reader.stop();
    await within(done, 2000, 'run() after stop()');
    assert.equal(beforeStop, 80, 'every record delivered while running, not only by the final drain');
    assert.deepEqual(fromRing, Array.from({ length: 40 }, (_, i) => i));
    assert.deepEqual(fromPerf.slice().sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
    assert.ok(seenByTheLoop >= 0 && seenByTheLoop < 80, `the event loop turned while records were left (${seenByTheLoop} delivered by then)`);
    assert.ok(batches.length >= 4 && Math.max(...batches) < 40, `delivered in slices: ${batches.join(', ')}`);
  } finally {
    await reader.close();
    close();
  }
});

test('EventReader: stop() ends an idle run(); batches() yields copies until stop()', needsRoot, async () => {
  const base = openFdCount();
  const rb = ringbuf(64 * 1024);
  const st = state('seq', 8);
  const prog = ringbufProducer(rb, st, 16, 'socket_filter');
  const ring = new RingBuffer(rb);
  try {
    const idle = new EventReader({ onRecord: () => assert.fail('no records expected') });
    idle.addRingBuffer(ring);
    const done = idle.run();
    await sleep(30);
    idle.stop();
    await within(done, 2000, 'idle run() after stop()');
    await idle.close();

    const reader = new EventReader({ onRecord: () => {} });
    reader.addRingBuffer(ring);
    setTimeout(() => prog.testRun({ data: PACKET, repeat: 10 }), 20);
    setTimeout(() => prog.testRun({ data: PACKET, repeat: 5 }), 80);
    const seqs: number[] = [];
    for await (const batch of reader.batches()) {
      for (const rec of batch) {
        assert.equal(rec.length, 16);
        seqs.push(seqOf(new DataView(rec.buffer, rec.byteOffset), 0));
      }
      if (seqs.length === 15) reader.stop();
    }
    assert.deepEqual(seqs, Array.from({ length: 15 }, (_, i) => i));
    await reader.close();
  } finally {
    ring.close();
    prog.close();
    st.close();
    rb.close();
  }
  assert.equal(openFdCount(), base);
});

test('EventReader: records whose wake-up is held back arrive on poll timeout and with flushMs', needsRoot, async () => {
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const st = state('seq');
  const prog = perfProducer('socket_filter', pe, st, 24);
  // The kernel wakes the reader only after 1000 samples: these few never trigger it.
  const pb = new PerfBuffer(pe, { pages: 8, wakeupEvents: 1000 });
  const got: number[] = [];
  const reader = new EventReader({ onRecord: (dv, off) => got.push(seqOf(dv, off)), flushMs: 20 });
  reader.addPerfBuffer(pb);
  try {
    prog.testRun({ data: PACKET, repeat: 10 });
    assert.equal(await reader.poll(50), 10, 'drained when the wait timed out');
    const done = reader.run();
    prog.testRun({ data: PACKET, repeat: 5 });
    for (let i = 0; i < 100 && got.length < 15; i++) await sleep(10);
    assert.equal(got.length, 15, 'run() flushed without a wake-up');
    reader.stop();
    await within(done, 2000, 'run() after stop()');
    assert.deepEqual(got.slice().sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => i));
  } finally {
    await reader.close();
    pb.close();
    prog.close();
    st.close();
    pe.close();
  }
});

test('perf buffer: close() unhooks its events from the map, so outputs stop reaching them', needsRoot, () => {
  const ENOSPC = 28;
  const ENOENT = 2;
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const st = state('seq');
  const prog = perfProducer('raw_tracepoint', pe, st, 16);
  const cpu = onlineCpus()[0]!;
  try {
    const pb = new PerfBuffer(pe, { pages: 1 });
    prog.testRun({ ctx: new Uint8Array(8), cpu });
    assert.equal(stateWord(st, 16), 0, 'output reached the ring');
    assert.equal(pb.drain(() => {}), 1);
    pb.close();
    prog.testRun({ ctx: new Uint8Array(8), cpu });
    // -ENOSPC would mean the map still pointed at the (now unmapped) event.
    assert.notEqual(stateWord(st, 16), -ENOSPC);
    assert.equal(stateWord(st, 16), -ENOENT, 'no event in the map slot any more');
  } finally {
    prog.close();
    st.close();
    pe.close();
  }
});

test('a handler that throws: records up to the failing one are consumed, none twice', needsRoot, () => {
  const rb = ringbuf(64 * 1024);
  const rst = state('rseq', 8);
  const rprog = ringbufProducer(rb, rst, 16, 'socket_filter');
  const ring = new RingBuffer(rb);
  const pe = BpfMap.create({ name: 'pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
  const pst = state('pseq');
  const pprog = perfProducer('raw_tracepoint', pe, pst, 16);
  const pb = new PerfBuffer(pe, { pages: 4 });
  const cpu = onlineCpus()[0]!;
  try {
    rprog.testRun({ data: PACKET, repeat: 10 });
    for (let i = 0; i < 10; i++) pprog.testRun({ ctx: new Uint8Array(8), cpu });
    for (const drain of [(h: (dv: DataView, off: number) => void) => ring.drain(h), (h: (dv: DataView, off: number) => void) => pb.drain(h)]) {
      const seen: number[] = [];
      const failing = (dv: DataView, off: number) => {
        const seq = seqOf(dv, off);
        seen.push(seq);
        if (seq === 4) throw new Error('handler failed');
      };
      assert.throws(() => drain(failing), /handler failed/);
      assert.equal(drain(failing), 5);
      assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => i));
      assert.equal(drain(failing), 0);
    }
  } finally {
    pb.close();
    ring.close();
    rprog.close();
    pprog.close();
    rst.close();
    pst.close();
    pe.close();
    rb.close();
  }
});

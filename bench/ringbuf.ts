/**
 * Ring buffer throughput: 64-byte records produced by a BPF program, consumed in JS through
 * EventReader, with zero lost records (measured, not assumed).
 *   npx tsc -p . && node dist/bench/ringbuf.js [--records=N]
 *
 * Producer: a socket_filter program run with BPF_PROG_TEST_RUN and a large `repeat` from a worker
 * thread, so the kernel produces on one CPU while the main thread consumes on the other. Each run
 * writes [seq u64][cpu u32][0 u32][six u64 words = their offset] and counts failed outputs in an
 * array map. The worker only starts a chunk of runs when the ring has room for it (credits: records
 * produced minus records the consumer has released, shared through a SharedArrayBuffer), so a
 * full ring shows up as a slower rate rather than as drops — and the drop counter proves it.
 * Consumer: checks every record's sequence number (and the cpu field against per-CPU order for
 * perf buffers) and its last word.
 *
 * bench/perfbuf.ts reuses the producer, worker and table from here.
 */
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { BpfMap } from '../src/bpf/map.js';
import { Program } from '../src/bpf/program.js';
import { RingBuffer } from '../src/bpf/ringbuf.js';
import { EventReader } from '../src/bpf/events.js';
import { Mem, progTestRun } from '../src/sys/index.js';
import {
  Mov, St, Stx, Ldx, Add, And, LdMapFd, LdImm64, Call, Exit, JEq, JSGe, Ja, AtomicAdd,
} from '../src/asm/builders.js';
import { Label, R0, R1, R2, R3, R4, R5, R6, R7, R8, R10, type AsmItem } from '../src/asm/insn.js';
import { Helper } from '../src/asm/helpers.js';
import { assemble } from '../src/asm/encode.js';

export const RECORD = 64;
const BPF_RB_NO_WAKEUP = 1;
const BPF_RB_FORCE_WAKEUP = 2;
const BPF_F_CURRENT_CPU = 0xffffffff;
/** socket_filter test runs need at least an Ethernet header of packet data. */
const PACKET_BYTES = 64;

// Shared Int32Array slots between the consumer (main thread) and the producer worker.
const CONSUMED = 0;
const PRODUCED = 1;
const GO = 2;

export type Sink = { kind: 'ringbuf'; map: BpfMap } | { kind: 'perf'; map: BpfMap };

/** Array map holding [seq u64][drops u64]. */
export function stateMap(): BpfMap {
  return BpfMap.create({ name: 'bench_state', kind: 'array', keySize: 4, valueSize: 16, maxEntries: 1 });
}

export function drops(st: BpfMap): number {
  const v = st.lookup(new Uint8Array(4))!;
  return Number(new DataView(v.buffer, v.byteOffset).getBigUint64(8, true));
}

/**
 * The producer program. `wakeEvery` (ring buffer only, a power of two): 0 lets the kernel decide
 * (flags 0: wake when the consumer has caught up); N suppresses wake-ups except on every N-th record.
 */
export function producerProgram(sink: Sink, st: BpfMap, wakeEvery = 0): Program {
  const items: AsmItem[] = [
    Mov.reg(R7, R1),
    St(4, R10, -4, 0),
    Mov.reg(R2, R10), Add.imm(R2, -4),
    LdMapFd(R1, st.name),
    Call.helper(Helper.map_lookup_elem),
    JEq.imm(R0, 0, 'out'),
    Mov.reg(R6, R0),
    // One producer thread: a plain increment is enough.
    Ldx(8, R8, R6, 0),
    Mov.reg(R1, R8), Add.imm(R1, 1), Stx(8, R6, 0, R1),
    Stx(8, R10, -RECORD, R8),
    Call.helper(Helper.get_smp_processor_id),
    Stx(4, R10, -RECORD + 8, R0),
    St(4, R10, -RECORD + 12, 0),
  ];
  for (let off = 16; off < RECORD; off += 8) items.push(St(8, R10, -RECORD + off, off));
  if (sink.kind === 'ringbuf') {
    if (wakeEvery & (wakeEvery - 1)) throw new Error(`wakeEvery must be a power of two (got ${wakeEvery})`);
    if (wakeEvery > 1) {
      items.push(
        Mov.reg(R4, R8), And.imm(R4, wakeEvery - 1), JEq.imm(R4, wakeEvery - 1, 'force'),
        Mov.imm(R4, BPF_RB_NO_WAKEUP), Ja('emit'),
        Label('force'), Mov.imm(R4, BPF_RB_FORCE_WAKEUP),
      );
    } else {
      items.push(Mov.imm(R4, 0));
    }
    items.push(
      Label('emit'),
      LdMapFd(R1, sink.map.name), Mov.reg(R2, R10), Add.imm(R2, -RECORD), Mov.imm(R3, RECORD),
      Call.helper(Helper.ringbuf_output),
    );
  } else {
    items.push(
      Mov.reg(R1, R7), LdMapFd(R2, sink.map.name), LdImm64(R3, BPF_F_CURRENT_CPU),
      Mov.reg(R4, R10), Add.imm(R4, -RECORD), Mov.imm(R5, RECORD),
      Call.helper(Helper.perf_event_output), // bpf_skb_event_output for a socket filter
    );
  }
  items.push(
    JSGe.imm(R0, 0, 'out'),
    Mov.imm(R1, 1), AtomicAdd(8, R6, 8, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  );
  const fds = new Map([[st.name, st.fd], [sink.map.name, sink.map.fd]]);
  const a = assemble(items, { mapFd: (n) => fds.get(n) });
  return Program.load({ name: 'bench_producer', kind: 'socket_filter', bytes: a.bytes, spans: a.spans });
}

interface ProducerJob {
  role: 'sonde-bench-producer';
  progFd: number;
  total: number;
  chunk: number;
  /** Records the sink holds without dropping any. */
  capacity: number;
  shared: SharedArrayBuffer;
}

/** Worker body: runs the program `total` times, a chunk at a time, never past the credit limit. */
function produce(job: ProducerJob): void {
  const s = new Int32Array(job.shared);
  const packet = new Mem(PACKET_BYTES);
  while (Atomics.load(s, GO) === 0) Atomics.wait(s, GO, 0);
  let produced = 0;
  while (produced < job.total) {
    const k = Math.min(job.chunk, job.total - produced);
    for (;;) {
      const consumed = Atomics.load(s, CONSUMED);
      if (produced + k - consumed <= job.capacity) break;
      Atomics.wait(s, CONSUMED, consumed, 100);
    }
    progTestRun(job.progFd, { dataIn: packet, repeat: k });
    produced += k;
    Atomics.store(s, PRODUCED, produced);
  }
}

if (!isMainThread && (workerData as ProducerJob | undefined)?.role === 'sonde-bench-producer') {
  produce(workerData as ProducerJob);
}

export interface Result {
  config: string;
  records: number;
  seconds: number;
  rate: number;
  lost: number;
  dropped: number;
  wakeups: number;
  bad: number;
}

export interface Consumer {
  /** Records seen so far (the credit the producer waits on). */
  readonly count: number;
  /** Records with a wrong sequence number, length or content. */
  readonly bad: number;
  onRecord(dv: DataView, off: number, len: number): void;
  /** Everything delivered exactly once? */
  complete(): boolean;
}

/** Ring buffer: one ring, one producer thread, so sequence numbers arrive strictly in order. */
export function orderedConsumer(total: number): Consumer {
  let next = 0;
  let bad = 0;
  return {
    get count() { return next; },
    get bad() { return bad; },
    onRecord(dv, off, len) {
      // Low half is enough below 2^32 records; the high half and the last word must be 0 / 56.
      if (dv.getUint32(off, true) !== next || dv.getUint32(off + 4, true) !== 0 || len !== RECORD ||
        dv.getUint32(off + RECORD - 8, true) !== RECORD - 8) bad++;
      next++;
    },
    complete: () => next === total && bad === 0,
  };
}

/**
 * Perf buffer: records of one CPU arrive in order, CPUs interleave (the producer thread may
 * migrate between chunks); every sequence number must be seen exactly once.
 */
export function perCpuConsumer(total: number, nCpus: number): Consumer {
  const seen = new Uint8Array(total);
  const last = new Float64Array(nCpus).fill(-1);
  let count = 0;
  let bad = 0;
  return {
    get count() { return count; },
    get bad() { return bad; },
    onRecord(dv, off, len) {
      const seq = dv.getUint32(off, true);
      const cpu = dv.getUint32(off + 8, true);
      // Raw perf samples are padded: u32 size + data is a multiple of 8.
      if (len !== ((RECORD + 4 + 7) & ~7) - 4 || seq >= total || cpu >= nCpus || seen[seq] || seq <= last[cpu]! ||
        dv.getUint32(off + RECORD - 8, true) !== RECORD - 8) {
        bad++;
      } else {
        seen[seq] = 1;
        last[cpu] = seq;
      }
      count++;
    },
    complete: () => count === total && bad === 0,
  };
}

/**
 * Runs one measurement: a producer worker for `prog`, the main thread reading `reader` until
 * `total` records arrived. `reader` must have been built with `consumer.onRecord` and
 * `onBatch: credit` (see `creditFn`).
 */
export async function measure(opts: {
  config: string;
  prog: Program;
  st: BpfMap;
  total: number;
  capacity: number;
  chunk: number;
  makeReader: (credit: () => void) => EventReader;
  consumer: Consumer;
  lost?: () => number;
}): Promise<Result> {
  const shared = new SharedArrayBuffer(16);
  const s = new Int32Array(shared);
  const { consumer } = opts;
  let wakeups = 0;
  const credit = () => {
    Atomics.store(s, CONSUMED, consumer.count);
    Atomics.notify(s, CONSUMED);
  };
  const reader = opts.makeReader(credit);
  const job: ProducerJob = {
    role: 'sonde-bench-producer', progFd: opts.prog.fd, total: opts.total, chunk: opts.chunk,
    capacity: opts.capacity, shared,
  };
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  const exited = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`producer exited with ${code}`))));
  });
  await new Promise<void>((resolve) => worker.once('online', () => resolve()));
  await new Promise((r) => setTimeout(r, 50)); // let the worker load its modules before the clock starts
  const t0 = performance.now();
  Atomics.store(s, GO, 1);
  Atomics.notify(s, GO);
  let idle = 0;
  while (consumer.count < opts.total) {
    const n = await reader.poll(200);
    wakeups++;
    if (n === 0 && Atomics.load(s, PRODUCED) === opts.total && ++idle > 5) break; // records missing
  }
  const seconds = (performance.now() - t0) / 1000;
  await exited;
  await reader.close();
  return {
    config: opts.config,
    records: consumer.count,
    seconds,
    rate: consumer.count / seconds,
    lost: opts.lost?.() ?? 0,
    dropped: drops(opts.st),
    wakeups,
    bad: consumer.bad + (consumer.complete() ? 0 : 1),
  };
}

export function printTable(title: string, rows: Result[]): void {
  const head = ['config', 'records', 'seconds', 'records/s', 'lost', 'dropped', 'polls', 'bad'];
  const cells = rows.map((r) => [
    r.config, String(r.records), r.seconds.toFixed(3), `${(r.rate / 1e6).toFixed(2)} M`, String(r.lost),
    String(r.dropped), String(r.wakeups), String(r.bad),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  console.log(title);
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : def;
}

/** --records=N (default `def`) and --runs=N (default 3; the median run is reported). */
export function args(def: number): { records: number; runs: number } {
  return { records: arg('records', def), runs: arg('runs', 3) };
}

/** The run with the median rate; `bad` and drop counts are the worst seen in any run. */
export function median(runs: Result[]): Result {
  const sorted = runs.slice().sort((a, b) => a.rate - b.rate);
  const m = sorted[(sorted.length - 1) >> 1]!;
  return {
    ...m,
    lost: Math.max(...runs.map((r) => r.lost)),
    dropped: Math.max(...runs.map((r) => r.dropped)),
    bad: Math.max(...runs.map((r) => r.bad)),
  };
}

/**
 * Consumer ceiling: `fill` writes `records` into an idle buffer (timed: the producer alone), then
 * one drainAll() reads them all (timed: the JS consumer alone).
 */
export function drainOnly(config: string, records: number, fill: () => void, reader: EventReader, consumer: Consumer,
  st: BpfMap): { result: Result; produceRate: number } {
  const t0 = performance.now();
  fill();
  const t1 = performance.now();
  const n = reader.drainAll();
  const seconds = (performance.now() - t1) / 1000;
  return {
    result: {
      config, records: n, seconds, rate: n / seconds, lost: 0, dropped: drops(st), wakeups: 0,
      bad: consumer.bad + (consumer.complete() ? 0 : 1),
    },
    produceRate: records / ((t1 - t0) / 1000),
  };
}

async function main(): Promise<void> {
  const { records: total, runs } = args(5_000_000);
  const slot = RECORD + 8; // record header + data
  const rows: Result[] = [];
  const configs = [[256, 0], [1024, 0], [4096, 0], [16384, 0], [1024, 1024], [4096, 1024]] as const;
  for (const [ringKiB, wakeEvery] of configs) {
    const results: Result[] = [];
    for (let run = 0; run < runs; run++) {
      const rb = BpfMap.create({ name: 'bench_rb', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: ringKiB * 1024 });
      const st = stateMap();
      const prog = producerProgram({ kind: 'ringbuf', map: rb }, st, wakeEvery);
      const ring = new RingBuffer(rb);
      const capacity = Math.floor((ringKiB * 1024) / slot);
      const consumer = orderedConsumer(total);
      results.push(await measure({
        config: `${ringKiB} KiB ring, ${wakeEvery ? `wake-up every ${wakeEvery}` : 'wake-up on catch-up'}`,
        prog, st, total, capacity,
        chunk: Math.max(1, Math.min(65536, Math.floor(capacity / 4))),
        consumer,
        makeReader: (credit) => {
          const rd = new EventReader({ onRecord: consumer.onRecord, onBatch: credit });
          rd.addRingBuffer(ring);
          return rd;
        },
      }));
      ring.close();
      prog.close();
      st.close();
      rb.close();
    }
    rows.push(median(results));
  }

  // The two halves alone: a 256 MiB ring filled by the program, then drained by JS.
  const ringBytes = 256 * 1024 * 1024;
  const n = Math.min(total, Math.floor(ringBytes / slot));
  const rb = BpfMap.create({ name: 'bench_rb', kind: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: ringBytes });
  const st = stateMap();
  const prog = producerProgram({ kind: 'ringbuf', map: rb }, st, 0);
  const ring = new RingBuffer(rb);
  const consumer = orderedConsumer(n);
  const reader = new EventReader({ onRecord: consumer.onRecord });
  reader.addRingBuffer(ring);
  const packet = new Uint8Array(64);
  const alone = drainOnly('256 MiB ring, drain only (prefilled)', n,
    () => prog.testRun({ data: packet, repeat: n }), reader, consumer, st);
  rows.push(alone.result);
  await reader.close();
  ring.close();
  prog.close();
  st.close();
  rb.close();

  printTable(`ring buffer, ${RECORD}-byte records, ${total} per run, median of ${runs} runs, node ${process.version}`, rows);
  console.log(`producer alone (test run, nobody reading): ${(alone.produceRate / 1e6).toFixed(2)} M records/s`);
}

if (isMainThread && process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  await main();
}

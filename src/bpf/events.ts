// Reading events from ring buffers and perf buffers as they arrive, without blocking the event
// loop: the wait happens on a worker thread (Poller); draining happens here, in batches.
import { Poller } from '../sys/index.js';
import type { RingBuffer, RecordHandler } from './ringbuf.js';
import type { PerfBuffer, LostHandler } from './perfbuf.js';

interface Source {
  drain(onRecord: RecordHandler, onLost: LostHandler | undefined): number;
}

export interface EventReaderOptions {
  onRecord: RecordHandler;
  onLost?: LostHandler;
  /** Called after each wake-up's records have been delivered (e.g. to flush output). */
  onBatch?: (records: number) => void;
  /**
   * run() drains every source at least this often (ms). Only needed when producers hold back
   * wake-ups (BPF_RB_NO_WAKEUP, perf `wakeupEvents` > 1): their last records would otherwise wait
   * for the next wake-up. Default: wake-ups only.
   */
  flushMs?: number;
}

export class EventReader {
  private readonly poller = new Poller();
  private readonly sources: Source[] = [];
  private readonly opts: EventReaderOptions;
  private stopped = false;
  private closed = false;
  private running: Promise<void> | null = null;

  constructor(opts: EventReaderOptions) {
    this.opts = opts;
  }

  addRingBuffer(rb: RingBuffer): void {
    this.poller.add(rb.fd, this.sources.length);
    this.sources.push({ drain: (r) => rb.drain(r) });
  }

  addPerfBuffer(pb: PerfBuffer): void {
    pb.rings.forEach((ring, i) => {
      this.poller.add(ring.fd, this.sources.length);
      this.sources.push({ drain: (r, l) => pb.drain(r, l, i) });
    });
  }

  /** Delivers whatever is buffered now, from every source. */
  drainAll(): number {
    let n = 0;
    for (const s of this.sources) n += s.drain(this.opts.onRecord, this.opts.onLost);
    if (n) this.opts.onBatch?.(n);
    return n;
  }

  /**
   * Waits up to `timeoutMs` for data, then drains the sources that have some. A wait that ends
   * with nothing ready (timeout, stop()) drains every source instead: a producer may have held
   * back the wake-up for records that are already there.
   */
  async poll(timeoutMs: number): Promise<number> {
    const ready = await this.poller.wait(timeoutMs);
    if (this.closed) return 0; // the sources may be unmapped by now
    if (ready.length === 0) return this.drainAll();
    let n = 0;
    for (const t of ready) n += this.sources[t]!.drain(this.opts.onRecord, this.opts.onLost);
    if (n) this.opts.onBatch?.(n);
    return n;
  }

  /** Reads until stop(); the returned promise settles after a final drain. */
  run(): Promise<void> {
    if (!this.running) {
      this.running = (async () => {
        while (!this.stopped) await this.poll(this.opts.flushMs ?? -1);
        this.drainAll();
      })();
    }
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    this.poller.wake();
  }

  /** Copies of records, a batch per wake-up, until stop(). */
  async *batches(): AsyncGenerator<Uint8Array[]> {
    let batch: Uint8Array[] = [];
    const prev = this.opts.onRecord;
    this.opts.onRecord = (dv, off, len) => {
      batch.push(new Uint8Array(dv.buffer, dv.byteOffset + off, len).slice());
    };
    try {
      while (!this.stopped) {
        await this.poll(-1);
        if (batch.length) {
          const out = batch;
          batch = [];
          yield out;
        }
      }
      this.drainAll();
      if (batch.length) yield batch;
    } finally {
      this.opts.onRecord = prev;
    }
  }

  async close(): Promise<void> {
    this.stop();
    if (this.running) await this.running;
    this.closed = true;
    await this.poller.close();
  }
}

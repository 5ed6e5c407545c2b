// Reading events from ring buffers and perf buffers as they arrive, without blocking the event
// loop: the wait happens on a worker thread (Poller); draining happens here, in batches.
import { Poller } from '../sys/index.js';
import type { RingBuffer, RecordHandler } from './ringbuf.js';
import type { PerfBuffer, LostHandler } from './perfbuf.js';

interface Source {
  drain(onRecord: RecordHandler, onLost: LostHandler | undefined, until: number): number;
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
  /**
   * How long one wake-up may spend delivering records before run() lets the event loop turn
   * (signals, timers, output), in ms; the rest is read at the next turn. Default 50. Without it
   * a handler that is slow (system()) on a buffer that refills as fast as it is read — each
   * system() schedules processes, each sched_switch is a record — would hold the loop for ever,
   * and Ctrl-C would never be seen.
   */
  sliceMs?: number;
}

export class EventReader {
  private readonly poller = new Poller();
  private readonly sources: Source[] = [];
  private readonly opts: EventReaderOptions;
  private stopped = false;
  private closed = false;
  private running: Promise<void> | null = null;
  /** Which ready source a wake-up drains first: turns, so a busy one cannot starve the others. */
  private turn = 0;
  /**
   * The last wake-up ran out of time with records perhaps left: the next wait must not block and
   * must drain every source, because a perf ring's fd reports ready only after a new wake-up.
   */
  private behind = false;

  constructor(opts: EventReaderOptions) {
    this.opts = opts;
  }

  addRingBuffer(rb: RingBuffer): void {
    this.poller.add(rb.fd, this.sources.length);
    this.sources.push({ drain: (r, _l, until) => rb.drain(r, Infinity, until) });
  }

  addPerfBuffer(pb: PerfBuffer): void {
    pb.rings.forEach((ring, i) => {
      this.poller.add(ring.fd, this.sources.length);
      this.sources.push({ drain: (r, l, until) => pb.drain(r, l, i, until) });
    });
  }

  /** Delivers whatever is buffered now, from every source (until performance.now() reaches `until`). */
  drainAll(until = Infinity): number {
    let n = 0;
    for (const s of this.sources) n += s.drain(this.opts.onRecord, this.opts.onLost, until);
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
    const until = performance.now() + (this.opts.sliceMs ?? 50);
    // After a slice that ran out of time every source is drained, ready or not: what a perf
    // ring still holds is not reported again until its next wake-up.
    const which = ready.length === 0 || this.behind ? this.sources.map((_, i) => i) : ready;
    let n = 0;
    const first = this.turn++ % which.length;
    for (let i = 0; i < which.length; i++) {
      n += this.sources[which[(first + i) % which.length]!]!.drain(this.opts.onRecord, this.opts.onLost, until);
    }
    if (n) this.opts.onBatch?.(n);
    this.behind = performance.now() >= until;
    return n;
  }

  /** Reads until stop(); the returned promise settles after a final drain. */
  run(): Promise<void> {
    if (!this.running) {
      this.running = (async () => {
        while (!this.stopped) await this.poll(this.behind ? 0 : this.opts.flushMs ?? -1);
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

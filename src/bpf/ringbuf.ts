// BPF ring buffer consumer: the kernel's pages mapped into our address space, records read in
// place (zero copy) and the consumer position committed once per batch.
//
// Layout (kernel/bpf/ringbuf.c): page 0 = consumer position (we write it); from page 1, mapped
// read-only: producer position page, then the data area mapped twice in a row so a record that
// wraps around the end is still contiguous. Each record: u32 len (bit 31 busy, bit 30 discard),
// u32 page offset, then data, padded to 8 bytes.
import { mmap, Prot, getPageSize, type Mapping } from '../sys/index.js';
import type { BpfMap } from './map.js';

const BUSY = 0x80000000;
const DISCARD = 0x40000000;
const HDR = 8;

/** Called for each record: `data` spans the mapped area, the record is [offset, offset+length). */
export type RecordHandler = (data: DataView, offset: number, length: number) => void;

export class RingBuffer {
  readonly map: BpfMap;
  readonly size: number;
  private readonly consumer: Mapping;
  private readonly producer: Mapping;
  private readonly consPos: BigUint64Array;
  private readonly prodPos: BigUint64Array;
  private readonly hdr: Int32Array;
  private readonly data: DataView;
  private readonly dataBase: number;
  private readonly mask: number;

  constructor(map: BpfMap) {
    if (map.spec.kind !== 'ringbuf') throw new Error(`map ${map.name} is a ${map.spec.kind}, not a ringbuf`);
    const page = getPageSize();
    this.map = map;
    this.size = map.spec.maxEntries;
    this.mask = this.size - 1;
    this.consumer = mmap(map.fd, page, Prot.READ | Prot.WRITE, 0, `ringbuf ${map.name} consumer page`);
    try {
      this.producer = mmap(map.fd, page + 2 * this.size, Prot.READ, page, `ringbuf ${map.name} data`);
    } catch (e) {
      this.consumer.unmap();
      throw e;
    }
    this.consPos = new BigUint64Array(this.consumer.buffer, 0, 1);
    this.prodPos = new BigUint64Array(this.producer.buffer, 0, 1);
    this.hdr = new Int32Array(this.producer.buffer);
    this.data = new DataView(this.producer.buffer);
    this.dataBase = page;
  }

  get fd(): number {
    return this.map.fd;
  }

  /** Bytes written by the kernel and not consumed yet. */
  pending(): number {
    return Number(Atomics.load(this.prodPos, 0) - Atomics.load(this.consPos, 0));
  }

  /**
   * Hands every complete record to `onRecord` (views are valid only during the call) and then
   * releases their space to the kernel. Returns the number of records delivered. If `onRecord`
   * throws, the records up to and including the failing one are released before the exception
   * propagates: a record that always fails cannot wedge the reader, none is delivered twice.
   * It stops early after `max` records, or once performance.now() reaches `until`: a handler that
   * is slow (system()) on a buffer refilled as fast as it is read must not hold the event loop.
   */
  drain(onRecord: RecordHandler, max = Infinity, until = Infinity): number {
    // Positions are u64 in the kernel; as Numbers they stay exact for 2^53 bytes (months at GB/s).
    const start = Number(Atomics.load(this.consPos, 0));
    let cons = start;
    let n = 0;
    let prod = Number(Atomics.load(this.prodPos, 0));
    const base = this.dataBase;
    try {
      while (cons < prod && n < max) {
        const off = base + (cons & this.mask);
        const len = Atomics.load(this.hdr, off >> 2) >>> 0; // acquire: the producer commits by clearing BUSY
        if (len & BUSY) break;
        const size = len & ~(BUSY | DISCARD);
        cons += (size + HDR + 7) & ~7; // before the handler: a record that throws is consumed
        if (!(len & DISCARD)) {
          n++;
          onRecord(this.data, off + HDR, size);
          if (until !== Infinity && performance.now() >= until) break;
        }
        if (cons >= prod) prod = Number(Atomics.load(this.prodPos, 0));
      }
    } finally {
      if (cons !== start) Atomics.store(this.consPos, 0, BigInt(cons));
    }
    return n;
  }

  close(): void {
    this.producer.unmap();
    this.consumer.unmap();
  }
}

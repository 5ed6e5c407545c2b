// Flight recorder: per-CPU perf rings that the kernel overwrites (write_backward + a read-only
// mapping), so they always hold the most recent records and never drop new ones. Nothing is read
// while tracing; snapshot() pauses each ring, walks it from the newest record back to the oldest
// complete one, and returns the records not returned before, oldest first, merged across CPUs by
// their perf timestamps. Programs write with bpf_perf_event_output into the perf_event_array.
import { mmap, Prot, getPageSize, PerfSample, PerfFlag, close, ioctl, PerfIoc, type Mapping } from '../sys/index.js';
import type { BpfMap } from './map.js';
import { openCpuRings, closeCpuRings } from './perfbuf.js';

const PERF_RECORD_SAMPLE = 9;

export interface RecordedEvent {
  cpu: number;
  /** perf clock (ns): orders records across CPUs. */
  time: bigint;
  /** The record as the program wrote it (a copy). */
  data: Uint8Array;
}

export interface FlightRecorderOptions {
  /** Data pages per CPU (power of two). Default 64 (256 KiB per CPU). */
  pages?: number;
}

class BackwardRing {
  private readonly ring: Mapping;
  private readonly head: BigUint64Array;
  private readonly dataOff: number;
  private readonly size: number;
  /** Time of the newest record already returned: older ones are not returned again. */
  private seen = -1n;

  constructor(readonly cpu: number, readonly fd: number, pages: number) {
    const page = getPageSize();
    // Read-only: the kernel does not wait for a reader to free space, it overwrites the oldest.
    this.ring = mmap(fd, page * (pages + 1), Prot.READ, 0, `flight recorder cpu${cpu}`);
    const meta = new DataView(this.ring.buffer, 0, page);
    this.head = new BigUint64Array(this.ring.buffer, 1024, 1);
    this.dataOff = Number(meta.getBigUint64(1040, true)) || page;
    this.size = Number(meta.getBigUint64(1048, true)) || page * pages;
  }

  /** The complete records in the ring, newest first (the ring must be paused). */
  private walk(): RecordedEvent[] {
    const size = this.size;
    const bytes = new Uint8Array(this.ring.buffer, this.dataOff, size);
    const start = Atomics.load(this.head, 0);
    const out: RecordedEvent[] = [];
    let pos = 0; // bytes walked from the head
    const at = (k: number): number => Number((start + BigInt(k)) & BigInt(size - 1));
    const u16 = (k: number): number => bytes[at(k)]! | (bytes[at(k + 1)]! << 8);
    const u32 = (k: number): number => (u16(k) | (u16(k + 2) << 16)) >>> 0;
    const copy = (k: number, n: number): Uint8Array => {
      const o = new Uint8Array(n);
      const first = at(k);
      if (first + n <= size) o.set(bytes.subarray(first, first + n));
      else {
        o.set(bytes.subarray(first, size));
        o.set(bytes.subarray(0, n - (size - first)), size - first);
      }
      return o;
    };
    while (pos < size) {
      const recSize = u16(pos + 6);
      // An empty header: the ring has not wrapped yet and this is where the first record began.
      if (recSize === 0) break;
      // The oldest record may have been cut by the newest ones: only whole records count.
      if (pos + recSize > size) break;
      if (u32(pos) === PERF_RECORD_SAMPLE && recSize >= 20) {
        // sample_type TIME | RAW: header, u64 time, u32 raw size, raw bytes.
        const t = copy(pos + 8, 8);
        const time = new DataView(t.buffer).getBigUint64(0, true);
        const len = u32(pos + 16);
        if (20 + len <= recSize) out.push({ cpu: this.cpu, time, data: copy(pos + 20, len) });
      }
      pos += recSize;
    }
    return out;
  }

  /** Records newer than the last snapshot's, oldest first. */
  take(): RecordedEvent[] {
    ioctl(this.fd, PerfIoc.PAUSE_OUTPUT, 1, `flight recorder cpu${this.cpu}`);
    let recs: RecordedEvent[];
    try {
      recs = this.walk();
    } finally {
      ioctl(this.fd, PerfIoc.PAUSE_OUTPUT, 0, `flight recorder cpu${this.cpu}`);
    }
    const fresh = recs.filter((r) => r.time > this.seen).reverse();
    if (fresh.length) this.seen = fresh[fresh.length - 1]!.time;
    return fresh;
  }

  close(): void {
    this.ring.unmap();
    close(this.fd);
  }
}

export class FlightRecorder {
  readonly map: BpfMap;
  private readonly rings: BackwardRing[] = [];

  constructor(map: BpfMap, opts: FlightRecorderOptions = {}) {
    if (map.spec.kind !== 'perf_event_array') throw new Error(`map ${map.name} is a ${map.spec.kind}, not a perf_event_array`);
    this.map = map;
    const pages = opts.pages ?? 64;
    if (pages < 1 || pages & (pages - 1)) throw new Error(`flight recorder pages must be a power of two (got ${pages})`);
    openCpuRings(map, this.rings, 'flight recorder', { sampleType: PerfSample.TIME | PerfSample.RAW, flags: PerfFlag.write_backward },
      (cpu, fd) => new BackwardRing(cpu, fd, pages));
  }

  /** The records written since the previous snapshot (as many as the rings kept), in time order. */
  snapshot(): RecordedEvent[] {
    const all = this.rings.flatMap((r) => r.take());
    // Stable: records of one CPU keep their order when perf times tie.
    return all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  close(): void {
    closeCpuRings(this.map, this.rings);
  }
}

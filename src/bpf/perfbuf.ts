// Per-CPU perf buffer consumer (the fallback for kernels without BPF ring buffers, and what
// bpf_perf_event_output writes to). One BPF_OUTPUT perf event per CPU, its ring mapped, records
// read in place unless they wrap around the end, lost-sample records reported as counts.
import {
  mmap, Prot, getPageSize, perfEventOpen, PerfType, PerfSwConfig, PerfSample, PerfFlag, close,
  ioctl, PerfIoc, type Mapping,
} from '../sys/index.js';
import { onlineCpus } from '../kernel/cpus.js';
import { MapError, type BpfMap } from './map.js';
import type { RecordHandler } from './ringbuf.js';

const PERF_RECORD_LOST = 2;
const PERF_RECORD_SAMPLE = 9;

export interface PerfBufferOptions {
  /** Data pages per CPU (power of two). Default 64 (256 KiB). */
  pages?: number;
  /** Wake the reader after this many samples (default 1: lowest latency). */
  wakeupEvents?: number;
}

export type LostHandler = (cpu: number, lost: number) => void;

class CpuRing {
  readonly cpu: number;
  readonly fd: number;
  private readonly ring: Mapping;
  private readonly head: BigUint64Array;
  private readonly tail: BigUint64Array;
  private readonly data: DataView;
  private readonly dataOff: number;
  private readonly dataSize: number;
  private scratch = new DataView(new ArrayBuffer(4096));

  constructor(cpu: number, fd: number, pages: number) {
    const page = getPageSize();
    this.cpu = cpu;
    this.fd = fd;
    this.ring = mmap(fd, page * (pages + 1), Prot.READ | Prot.WRITE, 0, `perf buffer cpu${cpu}`);
    const meta = new DataView(this.ring.buffer, 0, page);
    this.head = new BigUint64Array(this.ring.buffer, 1024, 1);
    this.tail = new BigUint64Array(this.ring.buffer, 1032, 1);
    this.dataOff = Number(meta.getBigUint64(1040, true)) || page;
    this.dataSize = Number(meta.getBigUint64(1048, true)) || page * pages;
    this.data = new DataView(this.ring.buffer);
  }

  /**
   * Delivers the ring's records (stopping once performance.now() reaches `until`); if a handler
   * throws, the records up to and including its are released.
   */
  drain(onRecord: RecordHandler, onLost: LostHandler | undefined, until = Infinity): number {
    const start = Number(Atomics.load(this.tail, 0));
    let tail = start;
    const head = Number(Atomics.load(this.head, 0));
    const size = this.dataSize;
    const base = this.dataOff;
    let n = 0;
    try {
      while (tail < head) {
        const pos = tail % size;
        let view = this.data;
        let off = base + pos;
        const recSize = this.data.getUint16(base + ((pos + 6) % size), true);
        if (pos + recSize > size) {
          // Wraps around the end of the ring: copy it out whole.
          if (this.scratch.byteLength < recSize) this.scratch = new DataView(new ArrayBuffer(recSize * 2));
          const dst = new Uint8Array(this.scratch.buffer);
          const src = new Uint8Array(this.ring.buffer, base, size);
          const first = size - pos;
          dst.set(src.subarray(pos, size), 0);
          dst.set(src.subarray(0, recSize - first), first);
          view = this.scratch;
          off = 0;
        }
        tail += recSize; // before the handlers: a record that throws is consumed
        const type = view.getUint32(off, true);
        if (type === PERF_RECORD_SAMPLE) {
          n++;
          onRecord(view, off + 12, view.getUint32(off + 8, true));
          if (until !== Infinity && performance.now() >= until) break;
        } else if (type === PERF_RECORD_LOST) {
          onLost?.(this.cpu, Number(view.getBigUint64(off + 16, true)));
        }
      }
    } finally {
      if (tail !== start) Atomics.store(this.tail, 0, BigInt(tail));
    }
    return n;
  }

  close(): void {
    this.ring.unmap();
    close(this.fd);
  }
}

export class PerfBuffer {
  readonly map: BpfMap;
  readonly rings: CpuRing[] = [];
  lost = 0;

  constructor(map: BpfMap, opts: PerfBufferOptions = {}) {
    if (map.spec.kind !== 'perf_event_array') throw new Error(`map ${map.name} is a ${map.spec.kind}, not a perf_event_array`);
    this.map = map;
    const pages = opts.pages ?? 64;
    if (pages & (pages - 1)) throw new Error(`perf buffer pages must be a power of two (got ${pages})`);
    openCpuRings(map, this.rings, 'perf buffer', { sampleType: PerfSample.RAW, wakeupEvents: opts.wakeupEvents ?? 1 },
      (cpu, fd) => new CpuRing(cpu, fd, pages));
  }

  /** Drains every CPU's ring (or just `index` from `rings`) until `until`; lost records add to `lost`. */
  drain(onRecord: RecordHandler, onLost?: LostHandler, index?: number, until = Infinity): number {
    const lost: LostHandler = (cpu, n) => {
      this.lost += n;
      onLost?.(cpu, n);
    };
    if (index !== undefined) return this.rings[index]!.drain(onRecord, lost, until);
    let n = 0;
    for (const r of this.rings) n += r.drain(onRecord, lost, until);
    return n;
  }

  close(): void {
    closeCpuRings(this.map, this.rings);
  }
}

/**
 * One BPF_OUTPUT perf event per online CPU (those the map has a slot for): `ring` maps it, its fd
 * goes into the map's slot for that CPU (where bpf_perf_event_output finds it), then it is
 * enabled. On failure everything opened so far is closed again.
 */
export function openCpuRings<R extends { cpu: number; fd: number; close(): void }>(
  map: BpfMap, rings: R[], what: string, attr: { sampleType: number; wakeupEvents?: number; flags?: bigint },
  ring: (cpu: number, fd: number) => R,
): void {
  try {
    for (const cpu of onlineCpus()) {
      if (cpu >= map.spec.maxEntries) continue;
      const fd = perfEventOpen({
        type: PerfType.SOFTWARE, config: PerfSwConfig['bpf-output'], sample: 1, sampleType: attr.sampleType,
        ...(attr.wakeupEvents !== undefined ? { wakeupEvents: attr.wakeupEvents } : {}), flags: PerfFlag.disabled | (attr.flags ?? 0n),
      }, -1, cpu, `${what} cpu${cpu}`);
      let r: R;
      try {
        r = ring(cpu, fd);
      } catch (e) {
        close(fd);
        throw e;
      }
      rings.push(r);
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, cpu, true);
      const val = new Uint8Array(4);
      new DataView(val.buffer).setUint32(0, fd, true);
      map.update(key, val);
      ioctl(fd, PerfIoc.ENABLE, 0, `${what} cpu${cpu}`);
    }
  } catch (e) {
    closeCpuRings(map, rings);
    throw e;
  }
}

/** Unhooks each ring from the map, then closes it. */
export function closeCpuRings(map: BpfMap, rings: { cpu: number; close(): void }[]): void {
  for (const r of rings) {
    // The map holds its own reference to each perf event: without this the events (and their
    // kernel buffers) would live on, with programs still writing to them, until the map closes.
    try {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, r.cpu, true);
      map.delete(key);
    } catch (e) {
      if (!(e instanceof MapError)) throw e; // the map was closed first: nothing to unhook
    }
    r.close();
  }
  rings.length = 0;
}

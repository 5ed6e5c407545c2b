// BPF maps: create, lookup, update, delete, iterate, batch lookup — over raw bytes. Typed views on
// top come from codec.ts.
import {
  Mem, MapType, mapCreate, ElemAttr, mapElemCall, BatchAttr, bpfTry, BpfCmd, UpdateFlag, close,
  SysError, Errno, objGetInfoByFd,
} from '../sys/index.js';
import { nrPossibleCpus } from '../kernel/cpus.js';

export type MapKind =
  | 'hash' | 'array' | 'percpu_hash' | 'percpu_array' | 'lru_hash' | 'lru_percpu_hash'
  | 'stack_trace' | 'ringbuf' | 'perf_event_array';

const KIND_TYPE: Record<MapKind, number> = {
  hash: MapType.HASH, array: MapType.ARRAY, percpu_hash: MapType.PERCPU_HASH,
  percpu_array: MapType.PERCPU_ARRAY, lru_hash: MapType.LRU_HASH, lru_percpu_hash: MapType.LRU_PERCPU_HASH,
  stack_trace: MapType.STACK_TRACE, ringbuf: MapType.RINGBUF, perf_event_array: MapType.PERF_EVENT_ARRAY,
};

export interface MapSpec {
  name: string;
  kind: MapKind;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

export function isPerCpu(kind: MapKind): boolean {
  return kind === 'percpu_hash' || kind === 'percpu_array' || kind === 'lru_percpu_hash';
}

export class MapError extends Error {
  override readonly name = 'MapError';
  constructor(readonly map: string, message: string, options?: { cause?: unknown }) {
    super(`map ${map}: ${message}`, options);
  }
}

export class BpfMap {
  readonly spec: MapSpec;
  private _fd: number;
  /** Bytes one lookup returns: valueSize, or per-CPU slots of round8(valueSize). */
  readonly lookupSize: number;
  readonly nCpus: number;
  private readonly key: Mem;
  private readonly nextKeyBuf: Mem;
  private readonly value: Mem;
  private readonly attr: ElemAttr;
  private batchSupported: boolean | undefined;

  private constructor(spec: MapSpec, fd: number) {
    this.spec = spec;
    this._fd = fd;
    this.nCpus = isPerCpu(spec.kind) ? nrPossibleCpus() : 1;
    this.lookupSize = isPerCpu(spec.kind) ? round8(spec.valueSize) * this.nCpus : spec.valueSize;
    this.key = new Mem(Math.max(spec.keySize, 1));
    this.nextKeyBuf = new Mem(Math.max(spec.keySize, 1));
    this.value = new Mem(Math.max(this.lookupSize, 1));
    this.attr = new ElemAttr(fd);
  }

  static create(spec: MapSpec): BpfMap {
    const s = normalise(spec);
    let fd: number;
    try {
      fd = mapCreate({
        type: KIND_TYPE[s.kind], keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries,
        flags: s.flags ?? 0, name: s.name,
      });
    } catch (e) {
      if (e instanceof SysError) {
        throw new MapError(s.name, `cannot create ${s.kind} map (key ${s.keySize} B, value ${s.valueSize} B, ${s.maxEntries} entries): ${e.message}`, { cause: e });
      }
      throw e;
    }
    return new BpfMap(s, fd);
  }

  get fd(): number {
    if (this._fd < 0) throw new MapError(this.spec.name, 'used after close');
    return this._fd;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Looks a key up; returns a fresh copy of the value (per-CPU: all CPUs' slots), or undefined. */
  lookup(key: Uint8Array): Uint8Array | undefined {
    return this.lookupView(key) ? this.value.bytes.slice(0, this.lookupSize) : undefined;
  }

  /** Like lookup() but returns a view into an internal buffer, valid until the next call. */
  lookupView(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    this.key.bytes.set(key);
    this.attr.set(this.key.addr, this.value.addr);
    const r = mapElemCall(BpfCmd.MAP_LOOKUP_ELEM, this.attr);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw new MapError(this.name, 'lookup failed', { cause: new SysError('BPF_MAP_LOOKUP_ELEM', -r) });
    return this.value.bytes.subarray(0, this.lookupSize);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkKey(key);
    if (value.length !== this.lookupSize) {
      throw new MapError(this.name, `value is ${value.length} bytes, expected ${this.lookupSize}`);
    }
    this.key.bytes.set(key);
    this.value.bytes.set(value);
    this.attr.set(this.key.addr, this.value.addr, flags);
    const r = mapElemCall(BpfCmd.MAP_UPDATE_ELEM, this.attr);
    if (r < 0) {
      const e = new SysError('BPF_MAP_UPDATE_ELEM', -r);
      const why = -r === Errno.E2BIG ? 'map is full' : -r === Errno.EEXIST ? 'key exists' : e.message;
      throw new MapError(this.name, `update failed: ${why}`, { cause: e });
    }
  }

  /** Deletes a key; false when it was not there. */
  delete(key: Uint8Array): boolean {
    this.checkKey(key);
    this.key.bytes.set(key);
    this.attr.set(this.key.addr, 0n);
    const r = mapElemCall(BpfCmd.MAP_DELETE_ELEM, this.attr);
    if (r === -Errno.ENOENT) return false;
    if (r < 0) throw new MapError(this.name, 'delete failed', { cause: new SysError('BPF_MAP_DELETE_ELEM', -r) });
    return true;
  }

  /** The key after `key` (or the first key when undefined); undefined at the end. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key) {
      this.checkKey(key);
      this.key.bytes.set(key);
    }
    this.attr.set(key ? this.key.addr : 0n, this.nextKeyBuf.addr);
    const r = mapElemCall(BpfCmd.MAP_GET_NEXT_KEY, this.attr);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw new MapError(this.name, 'get_next_key failed', { cause: new SysError('BPF_MAP_GET_NEXT_KEY', -r) });
    return this.nextKeyBuf.bytes.slice(0, this.spec.keySize);
  }

  *keys(): IterableIterator<Uint8Array> {
    let k = this.nextKey(undefined);
    while (k) {
      yield k;
      k = this.nextKey(k);
    }
  }

  /**
   * All entries. Uses BPF_MAP_LOOKUP_BATCH where the kernel and map kind allow it (one syscall per
   * chunk instead of two per key), else get_next_key + lookup. A key deleted between the two calls
   * of the fallback is skipped.
   */
  entries(keep?: (value: Uint8Array) => boolean): [Uint8Array, Uint8Array][] {
    if (this.batchSupported !== false && this.spec.kind !== 'stack_trace') {
      const got = this.lookupBatch(0, keep);
      if (got) return got;
    }
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v && (keep === undefined || keep(v))) out.push([k, v]);
    }
    return out;
  }

  /**
   * Batch lookup; undefined when this kernel/map kind does not support it. `keep` sees each value
   * in place (valid during the call only) and leaves out those it rejects before they are copied:
   * an array of 32k slots read to find the few in use makes no garbage for the others.
   */
  lookupBatch(chunk = 0, keep?: (value: Uint8Array) => boolean): [Uint8Array, Uint8Array][] | undefined {
    let n = chunk || Math.min(this.spec.maxEntries, 1024);
    const ks = this.spec.keySize;
    const vs = this.lookupSize;
    // The batch cursor is opaque; hash maps use a u32 bucket index, arrays the key.
    const tokSize = Math.max(ks, 8);
    const inTok = new Mem(tokSize);
    const outTok = new Mem(tokSize);
    const out: [Uint8Array, Uint8Array][] = [];
    const attr = new BatchAttr(this.fd);
    let first = true;
    // One pair of buffers for every chunk (reallocated only when a bucket needs more room).
    let keys = new Mem(n * ks);
    let vals = new Mem(n * vs);
    for (;;) {
      if (keys.bytes.length < n * ks) {
        keys = new Mem(n * ks);
        vals = new Mem(n * vs);
      }
      attr.set(first ? 0n : inTok.addr, outTok.addr, keys.addr, vals.addr, n);
      const r = bpfTry(BpfCmd.MAP_LOOKUP_BATCH, attr.mem, 56);
      if (r < 0 && -r !== Errno.ENOENT) {
        if (-r === Errno.ENOSPC) {
          n *= 2; // a hash bucket held more than n elements: retry the same cursor with room for it
          continue;
        }
        if (first && (-r === Errno.EINVAL || -r === Errno.ENOTSUPP || -r === Errno.EOPNOTSUPP)) {
          this.batchSupported = false;
          return undefined;
        }
        throw new MapError(this.name, 'batch lookup failed', { cause: new SysError('BPF_MAP_LOOKUP_BATCH', -r) });
      }
      const count = attr.count;
      for (let i = 0; i < count; i++) {
        const v = vals.bytes.subarray(i * vs, (i + 1) * vs);
        if (keep !== undefined && !keep(v)) continue;
        out.push([keys.bytes.slice(i * ks, (i + 1) * ks), v.slice()]);
      }
      this.batchSupported = true;
      if (r < 0) return out; // ENOENT: no more entries
      inTok.bytes.set(outTok.bytes);
      first = false;
    }
  }

  /** Deletes every key (hash maps); array maps are zeroed instead, as they cannot shrink. */
  clear(): void {
    if (this.spec.kind === 'array' || this.spec.kind === 'percpu_array') {
      const zero = new Uint8Array(this.lookupSize);
      for (const k of this.keys()) this.update(k, zero);
      return;
    }
    // Delete the keys present now, once each. Looping "until empty" never ends when programs keep
    // inserting — and a raw_syscalls program inserts on our own delete syscalls.
    const present: Uint8Array[] = [];
    for (const k of this.keys()) {
      present.push(k);
      if (present.length >= this.spec.maxEntries) break;
    }
    for (const k of present) this.delete(k);
  }

  /** Splits a per-CPU lookup result into one view per CPU. */
  perCpu(value: Uint8Array): Uint8Array[] {
    const stride = round8(this.spec.valueSize);
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.nCpus; c++) out.push(value.subarray(c * stride, c * stride + this.spec.valueSize));
    return out;
  }

  /** Kernel-side id and name, from BPF_OBJ_GET_INFO_BY_FD. */
  info(): { id: number; type: number; name: string; maxEntries: number } {
    const m = new Mem(88);
    objGetInfoByFd(this.fd, m);
    const v = m.view;
    const nameBytes = m.bytes.subarray(24, 40);
    const end = nameBytes.indexOf(0);
    return {
      type: v.getUint32(0, true),
      id: v.getUint32(4, true),
      maxEntries: v.getUint32(16, true),
      name: Buffer.from(nameBytes.subarray(0, end < 0 ? 16 : end)).toString(),
    };
  }

  close(): void {
    if (this._fd >= 0) close(this._fd);
    this._fd = -1;
  }

  private checkKey(key: Uint8Array): void {
    if (key.length !== this.spec.keySize) {
      throw new MapError(this.name, `key is ${key.length} bytes, expected ${this.spec.keySize}`);
    }
  }
}

function round8(n: number): number {
  return (n + 7) & ~7;
}

function normalise(spec: MapSpec): MapSpec {
  switch (spec.kind) {
    case 'perf_event_array':
      return { ...spec, keySize: 4, valueSize: 4, maxEntries: spec.maxEntries || nrPossibleCpus() };
    case 'ringbuf':
      return { ...spec, keySize: 0, valueSize: 0 };
    default:
      return spec;
  }
}

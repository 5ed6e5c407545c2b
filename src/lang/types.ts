/**
 * Script value types (what sema infers and what the runtime decodes). Shared contract between
 * sema (src/lang/sema/), lowering, the runtime's decoders and the output formatters.
 *
 * Sizes are bytes. Every type has a fixed size in the kernel: scratch integers are 64-bit values
 * in registers; strings are NUL-padded buffers of `size` bytes (default strlen 64, including the
 * NUL); tuples and records are laid out with C alignment.
 */

export type SType =
  | VoidType
  | IntType
  | StringType
  | BufferType
  | PointerType
  | RecordType
  | ArrayType
  | TupleType
  | StackType
  | SymbolType
  | AggType;

/** Statements and calls without a value (printf, delete, exit…). */
export interface VoidType { kind: 'void' }

/** An integer of 1, 2, 4 or 8 bytes. bpftrace's scratch integers and literals are int64. */
/**
 * `bool` (newer bpftrace: true/false, has_key()) is a 1-byte unsigned integer printed as true/false.
 * `space`: set on an integer that holds an address whose memory is known — kaddr(), a pointer cast
 * to an integer, arithmetic on them — so that `*` and str() read it from there (bpftrace carries an
 * address space on every type). Absent: the probe's own space (Unit.space).
 */
export interface IntType { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean; bool?: true; space?: AddrSpace }

/** A NUL-terminated string in a fixed buffer of `size` bytes (size includes room for the NUL). */
export interface StringType { kind: 'string'; size: number }

/** buf(): u32 length followed by `size` bytes of data; printed with %r. */
export interface BufferType { kind: 'buffer'; size: number }

/**
 * The memory a pointer points into, which picks the helper that reads through it (bpftrace's
 * AddrSpace): 'kernel' → bpf_probe_read_kernel(_str), 'user' → bpf_probe_read_user(_str), 'any' →
 * the old bpf_probe_read(_str). 'any' is bpftrace's AddrSpace::none: an integer made a pointer in a
 * probe that interrupts kernel and user code alike (BEGIN/END, interval, profile, software,
 * hardware, watchpoint, or a probe mixing kinds). On x86-64, whose kernel and user addresses never
 * overlap (CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE), bpf_probe_read reads user memory below
 * TASK_SIZE and kernel memory above, which is right for a sample that interrupted either.
 */
export type AddrSpace = 'kernel' | 'user' | 'any';

/** A pointer; `to` is the pointee (void is {kind:'void'}); reads go through the helper of `space`. */
export interface PointerType { kind: 'pointer'; to: SType; space: AddrSpace }

/** A C struct or union (from BTF or from the script's own definitions). */
export interface RecordType {
  kind: 'record';
  /** e.g. 'struct task_struct'. */
  name: string;
  size: number;
  align: number;
  union: boolean;
  /** Resolved lazily by sema from BTF / the script; fields may be empty for opaque records. */
  fields: RecordField[];
}

export interface RecordField {
  name: string;
  type: SType;
  /** Byte offset; for bitfields the containing offset plus bit offset/width below. */
  offset: number;
  bitOffset?: number;
  bitWidth?: number;
}

export interface ArrayType { kind: 'array'; of: SType; length: number }

/** (a, b, c): each element laid out at `offsets[i]` with C alignment; `size` includes padding. */
export interface TupleType { kind: 'tuple'; elems: SType[]; offsets: number[]; size: number }

/**
 * kstack / ustack: in the kernel an id into a stack-trace map (plus pid for ustack); printed by
 * the runtime. `mode` is bpftrace's stack mode; `limit` the number of frames.
 */
export interface StackType { kind: 'stack'; space: 'kernel' | 'user'; mode: 'bpftrace' | 'perf' | 'raw'; limit: number }

/**
 * Values the kernel carries as integers (or small structs) and the runtime renders specially:
 * ksym/usym addresses, probe ids, user names, timestamps, errno strings, inet addresses…
 */
export interface SymbolType {
  kind: 'symbol';
  what: 'ksym' | 'usym' | 'kaddr' | 'uaddr' | 'probe' | 'username' | 'timestamp' | 'strerror' | 'inet' | 'cgroup_path' | 'macaddr' | 'func';
  /** Bytes in the kernel (e.g. 8 for an address; 16+ for usym: addr + pid). */
  size: number;
}

/**
 * A map value written by an aggregation function. The in-kernel layout per CPU slot is fixed by
 * `AGG_LAYOUT` below and decoded by the runtime, which merges per-CPU slots.
 */
export interface AggType {
  kind: 'agg';
  fn: 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist' | 'llhist' | 'bhist';
  /** Signedness of the aggregated values (sum/min/max/avg/stats print signed when true). */
  signed: boolean;
  /** lhist(value, min, max, step). */
  lhist?: { min: bigint; max: bigint; step: bigint };
  /** hist(value, k): each power of two split into 2^k linear buckets (newer bpftrace); absent = 0. */
  histBits?: number;
  /**
   * llhist (log-linear, DTrace's llquantize) and bhist (explicit bounds): the ascending bucket
   * bounds b0 < b1 < … < bn. Bucket 0 is (…, b0), bucket i is [b(i-1), b(i)), bucket n+1 is [bn, …).
   */
  bounds?: bigint[];
  /** llhist(value, factor, low, high, steps) as written (bounds are derived from it). */
  llhist?: { factor: bigint; low: number; high: number; steps: bigint };
}

/** Aggregations whose map key carries a bucket index after the user key. */
export function isBucketedAgg(fn: AggType['fn']): fn is 'hist' | 'lhist' | 'llhist' | 'bhist' {
  return fn === 'hist' || fn === 'lhist' || fn === 'llhist' || fn === 'bhist';
}

/** Two uses of one histogram map must agree on its buckets: a text naming the parameters. */
export function bucketParams(t: AggType): string {
  if (t.fn === 'hist') return `bits ${t.histBits ?? 0}`;
  if (t.fn === 'lhist' && t.lhist) return `min ${t.lhist.min}, max ${t.lhist.max}, step ${t.lhist.step}`;
  if (t.fn === 'llhist' && t.llhist) return `factor ${t.llhist.factor}, low ${t.llhist.low}, high ${t.llhist.high}, steps ${t.llhist.steps}`;
  if (t.fn === 'bhist' && t.bounds) return `bounds ${t.bounds.join(', ')}`;
  return '';
}

/**
 * The bounds of llhist(factor, low, high, steps): for each magnitude m in [low, high), the range
 * [factor^m, factor^(m+1)) in linear steps of factor^(m+1) / steps (at least 1), then factor^high.
 */
export function llhistBounds(factor: bigint, low: number, high: number, steps: bigint): bigint[] {
  const out: bigint[] = [];
  for (let m = low; m < high; m++) {
    const from = factor ** BigInt(m);
    const to = from * factor;
    let width = to / steps;
    if (width < 1n) width = 1n;
    for (let b = from; b < to; b += width) out.push(b);
  }
  out.push(factor ** BigInt(high));
  return out;
}

/**
 * Per-CPU value layouts of aggregation maps (all little-endian, u64 words):
 * - count: [count]
 * - sum:   [sum]
 * - min/max: [value, isSet]   (isSet = 1 once a value was stored; merged across CPUs)
 * - avg/stats: [total, count]
 * - hist/lhist: the map KEY is the user key followed by a u64 bucket index; the value is [count].
 *   hist buckets: index 0 = value < 0, 1 = value 0, then 1 + k+1 for 2^k <= value < 2^(k+1)
 *   (bpftrace's log2 layout); lhist: 0 = below min, 1.. = [min + (i-1)*step, …), last = >= max.
 */
export const AGG_LAYOUT: Record<AggType['fn'], { words: number }> = {
  count: { words: 1 }, sum: { words: 1 }, min: { words: 2 }, max: { words: 2 },
  avg: { words: 2 }, stats: { words: 2 }, hist: { words: 1 }, lhist: { words: 1 },
  llhist: { words: 1 }, bhist: { words: 1 },
};

export const INT64: IntType = { kind: 'int', size: 8, signed: true };
export const UINT64: IntType = { kind: 'int', size: 8, signed: false };
export const UINT32: IntType = { kind: 'int', size: 4, signed: false };
export const INT32: IntType = { kind: 'int', size: 4, signed: true };
export const VOID: VoidType = { kind: 'void' };
export const BOOL: IntType = { kind: 'int', size: 1, signed: false, bool: true };

export function sizeOf(t: SType): number {
  switch (t.kind) {
    case 'void': return 0;
    case 'int': return t.size;
    case 'string': return t.size;
    case 'buffer': return 4 + t.size;
    case 'pointer': return 8;
    case 'record': return t.size;
    case 'array': return sizeOf(t.of) * t.length;
    case 'tuple': return t.size;
    case 'stack': return t.space === 'user' ? 16 : 8;
    case 'symbol': return t.size;
    case 'agg': return AGG_LAYOUT[t.fn].words * 8;
  }
}

export function alignOf(t: SType): number {
  switch (t.kind) {
    case 'int': return t.size;
    case 'string': case 'buffer': return t.kind === 'buffer' ? 4 : 1;
    case 'record': return t.align;
    case 'array': return alignOf(t.of);
    case 'tuple': return Math.max(1, ...t.elems.map(alignOf));
    case 'void': return 1;
    default: return 8;
  }
}

/** Lays out tuple elements with C alignment. */
export function tupleType(elems: SType[]): TupleType {
  let off = 0;
  let align = 1;
  const offsets: number[] = [];
  for (const e of elems) {
    const a = alignOf(e);
    off = (off + a - 1) & ~(a - 1);
    offsets.push(off);
    off += sizeOf(e);
    align = Math.max(align, a);
  }
  return { kind: 'tuple', elems, offsets, size: (off + align - 1) & ~(align - 1) };
}

/** bpftrace-style type names for messages: int64, uint32, string[64], (int64, string[64])… */
export function typeName(t: SType): string {
  switch (t.kind) {
    case 'void': return 'none';
    case 'int': return t.bool ? 'bool' : `${t.signed ? '' : 'u'}int${t.size * 8}`;
    case 'string': return `string[${t.size}]`;
    case 'buffer': return `buffer[${t.size}]`;
    case 'pointer': return `${typeName(t.to)} *`;
    case 'record': return t.name;
    case 'array': return `${typeName(t.of)}[${t.length}]`;
    case 'tuple': return `(${t.elems.map(typeName).join(', ')})`;
    case 'stack': return t.space === 'kernel' ? 'kstack' : 'ustack';
    case 'symbol': return t.what;
    case 'agg': return `${t.fn}_t`;
  }
}

/**
 * Decoded script values. The shape is chosen so that common values are plain JS data:
 * integers (and pointers) are `bigint`, strings are `string`, tuples and C arrays are JS arrays.
 * Everything else is an object tagged by `kind`. The SType a value came from decides how it prints
 * (a tuple prints `(1, 2)`, a C array `[1,2]`), so formatters always take the type alongside.
 */
import type { AggType, SymbolType } from '../lang/types.js';

export type Value =
  | bigint
  | string
  | Value[]
  | NoneValue
  | BufferValue
  | RecordValue
  | SymbolValue
  | StackValue
  | AggSlot;

/** The value of a void-typed thing (e.g. the key of a scalar map). */
export interface NoneValue { kind: 'none' }

/**
 * buf(): `bytes` are the captured bytes (cut to the recorded length); `full` is the whole
 * fixed-size buffer, which is what bpftrace prints when a buffer is a map key.
 */
export interface BufferValue { kind: 'buffer'; bytes: Uint8Array; full?: Uint8Array }

export interface RecordValue {
  kind: 'record';
  /** e.g. 'struct task_struct' */
  name: string;
  /** In declaration order (bpftrace prints them in this order). */
  fields: { name: string; value: Value }[];
}

/**
 * A value the runtime renders from kernel words (see SymbolType). `addr` is the first u64 (the
 * address, uid, probe id, errno, af…), `pid` the second u64 where the layout has one (usym).
 * `bytes` keeps the raw slot for layouts with more (inet address, macaddr, timestamp).
 */
export interface SymbolValue {
  kind: 'symbol';
  what: SymbolType['what'];
  addr: bigint;
  pid?: bigint;
  bytes: Uint8Array;
}

/** kstack / ustack: a stack id (negative ids are the kernel's errors) and, for ustack, the pid. */
export interface StackValue {
  kind: 'stack';
  space: 'kernel' | 'user';
  mode: 'bpftrace' | 'perf' | 'raw';
  limit: number;
  id: number;
  pid: number;
  /**
   * The frames, innermost first, as symbol names without offsets (an unresolved address as 0x…):
   * filled in map entries handed to the library API, while the stack map is still open.
   */
  frames?: { addr: bigint; sym: string }[];
}

/** One CPU's slot of an aggregation value: the u64 words of AGG_LAYOUT, unmerged. */
export interface AggSlot { kind: 'agg'; fn: AggType['fn']; words: bigint[] }

export const NONE: NoneValue = Object.freeze({ kind: 'none' }) as NoneValue;

export function isTagged(v: Value): v is NoneValue | BufferValue | RecordValue | SymbolValue | StackValue | AggSlot {
  return typeof v === 'object' && !Array.isArray(v);
}

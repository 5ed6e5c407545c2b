/**
 * What the compiler may know about the running kernel, injected by the caller so the compiler
 * itself never touches the kernel: the runtime passes a view of the live system, tests pass
 * fixtures. Every method is synchronous and side-effect free from the compiler's point of view.
 */
import type { Btf } from '../btf/index.js';

export interface TracepointFieldInfo {
  /** C declaration from the format file, e.g. "const char * filename". */
  decl: string;
  name: string;
  offset: number;
  size: number;
  signed: boolean;
  arrayLen?: number;
  /** __data_loc: u32 (len << 16 | offset) of dynamic data. */
  dataLoc: boolean;
}

export interface KernelView {
  /** Tracepoints matching glob patterns (`*`, `?`), sorted, as [category, event]. */
  listTracepoints(categoryGlob: string, eventGlob: string): [string, string][];
  /** Non-common fields of a tracepoint's format, or undefined when it does not exist. */
  tracepointFields(category: string, event: string): TracepointFieldInfo[] | undefined;
  /** The kernel's BTF, or undefined when the kernel has none. */
  btf(): Btf | undefined;
  /** Number of possible CPUs (per-CPU map value sizes). */
  possibleCpus: number;
  /** Syscall number by name (for raw_syscalls switching), when known. */
  syscallNumber?(name: string): number | undefined;
}

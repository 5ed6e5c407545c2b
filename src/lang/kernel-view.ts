/**
 * What the compiler may know about the running kernel, injected by the caller so the compiler
 * itself never touches the kernel: the runtime passes a view of the live system, tests pass
 * fixtures. Every method is synchronous and side-effect free from the compiler's point of view.
 */
import type { Btf } from '../btf/index.js';
import type { UsdtArgument } from '../elf/usdt.js';
import type { DwarfInfo } from '../elf/dwarf.js';
import type { AddrSpace } from './types.js';

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
  /** An fentry/fexit pointer parameter: the memory it points into (sema/probes.ts, paramSpace). */
  space?: AddrSpace;
}

/** What /proc/kallsyms says about a name (kaddr()). */
export type KernelAddressLookup =
  | { found: true; address: bigint }
  /** 'absent': kallsyms lists data symbols but not this one; 'functions-only': the kernel was
   *  built without CONFIG_KALLSYMS_ALL, so kallsyms lists no variables at all; 'hidden':
   *  addresses read as 0 (kernel.kptr_restrict, not root). */
  | { found: false; reason: 'absent' | 'functions-only' | 'hidden' };

/** A symbol of a user-space ELF file (uaddr()). */
export interface UserSymbolInfo {
  /** The file the binary name resolved to. */
  path: string;
  /** st_value: the symbol's virtual address in the file. */
  address: bigint;
  /** st_size in bytes (0 when unknown). */
  size: number;
  /** The file is loaded wherever the loader puts it (ET_DYN: a PIE or a shared library). */
  relocatable?: boolean;
}

/** A kernel function a kprobe can name; `module` is absent for vmlinux. */
export interface KernelFunctionInfo {
  name: string;
  module?: string;
}

/**
 * What the kernel offers for `kprobe:`/`kretprobe:` probes, as found by feature probing (never
 * guessed from the kernel's version or name): the compiler prefers fentry/fexit where it can.
 */
export interface ProbeMechanismFacts {
  /** kprobes can be created (kprobe PMU or tracefs kprobe_events). */
  kprobe: boolean;
  /** fentry/fexit programs load (BPF trampolines, kernel BTF). */
  fentry: boolean;
  /** bpf_get_func_ip() in fentry programs (Linux 5.15+), for `func`. */
  fentryFuncIp: boolean;
  /**
   * bpf_get_attach_cookie() in kprobe programs and cookies on their links (Linux 5.15+): `probe`
   * in a block on several kernel functions is then the link's cookie, so one program serves them
   * all (and one kprobe_multi link can attach it). Absent: false.
   */
  attachCookie?: boolean;
}

/** Byte offsets of `struct task_struct`'s pid, tgid and comm (what pid, tid and comm read). */
export interface TaskOffsets { pid: number; tgid: number; comm: number }

/**
 * task_struct's pid/tgid/comm offsets from a kernel's BTF, when programs may read them through
 * bpf_get_current_task_btf() (Linux 5.11+): a name lookup and three members, not a laid-out
 * record (laying out all of task_struct would cost ~10 ms per compile).
 */
export function taskOffsetsFromBtf(btf: Btf | undefined): TaskOffsets | undefined {
  const id = btf?.find('task_struct', 'struct')[0];
  // The helper is Linux 5.11+; kernels with BTF but older keep the other helpers.
  if (!btf || id === undefined || btf.find('bpf_get_current_task_btf', 'func').length === 0) return undefined;
  const f = (name: string) => {
    const m = btf.findMember(id, name);
    return m && m.bitfieldSize === 0 && m.bitOffset % 8 === 0 ? { off: m.byteOffset, size: btf.sizeof(m.type) } : undefined;
  };
  const pid = f('pid');
  const tgid = f('tgid');
  const comm = f('comm');
  return pid?.size === 4 && tgid?.size === 4 && comm?.size === 16 ? { pid: pid.off, tgid: tgid.off, comm: comm.off } : undefined;
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
  /**
   * The kernel's largest thread id plus one (/proc/sys/kernel/pid_max): maps keyed by `tid`
   * alone keep an array slot per tid below it (src/lang/lower/tidmaps.ts). Absent or undefined:
   * unknown, such maps stay plain hashes.
   */
  pidMax?(): number | undefined;
  /** Syscall number by name (for raw_syscalls switching), when known. */
  syscallNumber?(name: string): number | undefined;
  /**
   * Traceable kernel functions whose name matches a glob (`*`, `?`), sorted by name, and when
   * `module` is given only that module's (`vmlinux` for the kernel's own). Undefined (or a view
   * without the method) when the kernel offers no list.
   */
  kernelFunctions?(nameGlob: string, module?: string): KernelFunctionInfo[] | undefined;
  /**
   * Function names in a binary or library as a uprobe names it (`/bin/bash`, `bash`, `libc`)
   * matching a glob, sorted; one name per address. Throws an Error with a plain message when
   * the file cannot be found or read. `pid` picks libraries as mapped by that process.
   */
  userFunctions?(path: string, nameGlob: string, pid?: number): string[];
  /**
   * taskOffsetsFromBtf(btf()), which a view may answer without parsing the BTF (a cache kept
   * for this very kernel). Absent: the compiler reads btf().
   */
  taskOffsets?(): TaskOffsets | undefined;
  /** The kprobe/fentry facts of this kernel; absent means kprobes only (no fentry policy). */
  probeMechanisms?(): ProbeMechanismFacts;
  /**
   * USDT probes of the files a `usdt:` target names: a path, or a name resolved as for uprobes
   * (with `pid`, through the libraries that process maps); with `target` null, or a wildcard
   * target and a `pid`, the files that process maps. Throws KernelViewError when the target
   * cannot be found or read. Absent: this view knows no user-space files.
   */
  usdtFiles?(target: string | null, pid?: number): UsdtFileInfo[];
  /** Address of a kernel symbol (kaddr()); absent when the view cannot tell (tests). */
  kernelAddress?(name: string): KernelAddressLookup;
  /** A symbol defined in a user binary or library (uaddr()); `binary` as a uprobe names it (with
   *  `pid`, the file that process sees, as for the probe itself).
   *  Undefined when the symbol is not defined there; throws when the file cannot be found. */
  userSymbol?(binary: string, name: string, pid?: number): UserSymbolInfo | undefined;
  /**
   * The DWARF debug info of a user binary or library as a uprobe names it (from the file itself,
   * else from its separate debug file): `dwarf` undefined when there is none. Read lazily (only
   * section headers until a name is looked up). Throws KernelViewError when the file cannot be
   * found or read. Absent: this view knows no debug info.
   */
  userDebugInfo?(binary: string, pid?: number): UserDebugInfo;
}

/** A user binary's DWARF (userDebugInfo()). */
export interface UserDebugInfo {
  /** The file the binary name resolved to. */
  path: string;
  /** The separate debug file the DWARF came from, when not the binary itself. */
  debugFile?: string;
  dwarf: DwarfInfo | undefined;
}

/** A lookup the view cannot answer (a missing file, a process that is gone), in plain words. */
export class KernelViewError extends Error {
  override readonly name = 'KernelViewError';
}

/**
 * One argument of a USDT probe site, as decoded from the note (`-4@8(%rdi)`): see
 * src/elf/usdt.ts. For a `sym(%rip)` operand, `symbolAddress` is the link-time address of `sym`
 * (the view resolves it through the file's symbol tables).
 */
export type UsdtArgSpec = UsdtArgument & { readonly symbolAddress?: number };

/** One location of a USDT probe in a file: one uprobe, its own argument operands. */
export interface UsdtSite {
  /** File offset of the probe's instruction (what the uprobe attaches to). */
  offset: number;
  /** Link-time address of the instruction (the pt_regs ip when it fires, minus the load bias). */
  pc: number;
  /** File offset of the 16-bit semaphore (uprobe ref_ctr_offset), when the probe has one. */
  semaphore?: number;
  args: readonly UsdtArgSpec[];
}

export interface UsdtProbeInfo {
  provider: string;
  name: string;
  sites: UsdtSite[];
}

export interface UsdtFileInfo {
  /** The file to attach to (absolute, or as given when it exists as written). */
  path: string;
  probes: UsdtProbeInfo[];
}

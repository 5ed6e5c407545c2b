// The compiler's window on the running kernel (src/lang/kernel-view.ts), implemented for the live
// system: tracepoints from tracefs, types from the kernel's BTF, CPUs from sysfs, syscall numbers
// from the installed kernel headers, kernel functions from tracefs (or kallsyms), a binary's
// functions from its ELF symbols, kprobe/fentry facts from feature probing. Everything is read lazily and cached: compiling a script that
// uses no BTF type never parses BTF.
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { KernelViewError } from '../lang/kernel-view.js';
import { taskOffsetsFromBtf, type UserDebugInfo, type KernelAddressLookup, type KernelFunctionInfo, type KernelView, type ProbeMechanismFacts, type TaskOffsets, type TracepointFieldInfo, type UsdtFileInfo, type UserSymbolInfo } from '../lang/kernel-view.js';
import { usdtFiles } from './usdt.js';
import { kernelAddresses } from '../kernel/kernel-address.js';
import { ElfFile, isDefined, matchFunctions, resolveBinary, resolveLibrary } from '../elf/index.js';
import { globToRegExp, listTracepoints, tracepointFormat, TracepointNotFoundError } from '../kernel/tracefs.js';
import { kernelFunctions } from '../kernel/functions.js';
import { resolveUprobeFile, userFile } from './probes.js';
import { debugInfoOf } from './debug-info.js';
import { probeMechanismFacts } from './features.js';
import { nrPossibleCpus } from '../kernel/cpus.js';
import { loadKernelBtf, BtfError, SYSFS_BTF_DIR, type Btf } from '../btf/index.js';
import { btfIdentity, cacheDir, cachedTaskOffsets } from './task-offsets.js';
import { syscallNumber as builtinSyscallNumber } from '../kernel/syscalls.js';

/** Where the kernel headers keep `#define __NR_name number` for this architecture. */
const UNISTD: Record<string, string[]> = {
  x64: ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm/unistd_64.h'],
  arm64: ['/usr/include/aarch64-linux-gnu/asm/unistd.h', '/usr/include/asm-generic/unistd.h'],
};

export class LiveKernelView implements KernelView {
  private btfLoaded = false;
  private btfValue: Btf | undefined;
  /** null until read. */
  private task: TaskOffsets | undefined | null = null;
  private cpus: number | undefined;
  /** null until read. */
  private pidMaxValue: number | undefined | null = null;
  private syscalls: Map<string, number> | undefined;
  private readonly fields = new Map<string, TracepointFieldInfo[] | undefined>();
  private readonly btfPath: string | undefined;

  /** `btfPath` replaces /sys/kernel/btf/vmlinux (as BPFTRACE_BTF does for bpftrace). */
  constructor(opts: { btfPath?: string } = {}) {
    this.btfPath = opts.btfPath;
  }

  listTracepoints(categoryGlob: string, eventGlob: string): [string, string][] {
    return listTracepoints(categoryGlob, eventGlob);
  }

  tracepointFields(category: string, event: string): TracepointFieldInfo[] | undefined {
    const key = `${category}:${event}`;
    if (this.fields.has(key)) return this.fields.get(key);
    let out: TracepointFieldInfo[] | undefined;
    try {
      out = tracepointFormat(category, event).fields.map((f) => ({
        decl: f.decl, name: f.name, offset: f.offset, size: f.size, signed: f.signed, dataLoc: f.dataLoc,
        ...(f.arrayLen !== undefined ? { arrayLen: f.arrayLen } : {}),
      }));
    } catch (e) {
      if (!(e instanceof TracepointNotFoundError)) throw e;
      out = undefined;
    }
    this.fields.set(key, out);
    return out;
  }

  /** From the cache kept per kernel (task-offsets.ts): most scripts then never read the BTF. */
  taskOffsets(): TaskOffsets | undefined {
    if (this.task === null) {
      const path = this.btfPath ?? `${SYSFS_BTF_DIR}/vmlinux`;
      this.task = cachedTaskOffsets(cacheDir(), btfIdentity(path), () => taskOffsetsFromBtf(this.btf()));
    }
    return this.task;
  }

  btf(): Btf | undefined {
    if (!this.btfLoaded) {
      this.btfLoaded = true;
      try {
        this.btfValue = loadKernelBtf(this.btfPath);
      } catch (e) {
        // A kernel without BTF is a fact the compiler reports where a type is needed, not an error here.
        if (!(e instanceof BtfError) || e.code !== 'no-kernel-btf') throw e;
        this.btfValue = undefined;
      }
    }
    return this.btfValue;
  }

  get possibleCpus(): number {
    return (this.cpus ??= nrPossibleCpus());
  }

  pidMax(): number | undefined {
    if (this.pidMaxValue === null) {
      try {
        const n = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
        this.pidMaxValue = Number.isSafeInteger(n) && n > 0 ? n : undefined;
      } catch {
        this.pidMaxValue = undefined;
      }
    }
    return this.pidMaxValue;
  }

  usdtFiles(target: string | null, pid?: number): UsdtFileInfo[] {
    return usdtFiles(target, pid);
  }

  kernelFunctions(nameGlob: string, module?: string): KernelFunctionInfo[] {
    return matchKernelFunctions(nameGlob, module);
  }

  userFunctions(path: string, nameGlob: string, pid?: number): string[] {
    const elf = ElfFile.openShared(userFile(path, pid));
    const names = matchFunctions(elf, nameGlob).map((f) => f.symbol.name);
    return [...new Set(names)].sort();
  }

  probeMechanisms(): ProbeMechanismFacts {
    return probeMechanismFacts();
  }

  syscallNumber(name: string): number | undefined {
    // The built-in table needs no headers; the installed uapi header covers other architectures.
    const n = builtinSyscallNumber(name);
    if (n !== undefined) return n;
    if (!this.syscalls) this.syscalls = readSyscallTable();
    return this.syscalls.get(name);
  }

  kernelAddress(name: string): KernelAddressLookup {
    return kernelAddresses().lookup(name);
  }

  userDebugInfo(binary: string, pid?: number): UserDebugInfo {
    try {
      return debugInfoOf(resolveUprobeFile(binary, pid));
    } catch (e) {
      throw new KernelViewError(e instanceof Error ? e.message : String(e));
    }
  }

  userSymbol(binary: string, name: string, pid?: number): UserSymbolInfo | undefined {
    // With -p, the very file the probe attaches to (its mount namespace's, through /proc/PID/root).
    const path = pid !== undefined ? userFile(binary, pid) : resolveUserFile(binary);
    const elf = ElfFile.openShared(path);
    const sym = elf.findSymbols(name).find((x) => isDefined(x) && x.value !== 0);
    return sym ? { path, address: BigInt(sym.value), size: sym.size, ...(elf.type === 'DYN' ? { relocatable: true } : {}) } : undefined;
  }
}

/** A uprobe's binary as written (`/bin/bash`, `bash`, `libc`) → the file. */
function resolveUserFile(binary: string): string {
  if (binary.includes('/')) return binary;
  if (/^lib/.test(binary)) return resolveLibrary(binary);
  try {
    return resolveBinary(binary);
  } catch (e) {
    try {
      return resolveLibrary(binary);
    } catch {
      throw e;
    }
  }
}

/** The live view's kernel functions: every one matching the glob (and module, when given). */
function matchKernelFunctions(nameGlob: string, module?: string): KernelFunctionInfo[] {
  const list = kernelFunctions();
  const re = globToRegExp(nameGlob);
  const wanted = module === undefined ? undefined : module === 'vmlinux' ? '' : module;
  const out: KernelFunctionInfo[] = [];
  if (!/[*?]/.test(nameGlob)) {
    for (const m of list.byName.get(nameGlob) ?? []) {
      if (wanted === undefined || wanted === m) out.push(m ? { name: nameGlob, module: m } : { name: nameGlob });
    }
    return out;
  }
  for (const f of list.functions) {
    if (wanted !== undefined && (f.module ?? '') !== wanted) continue;
    if (re.test(f.name)) out.push(f);
  }
  return out;
}

/** `__NR_openat 257` lines of the installed uapi header; empty when the headers are not installed. */
export function readSyscallTable(paths: string[] = UNISTD[arch()] ?? []): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of paths) {
    if (!existsSync(p)) continue;
    for (const m of readFileSync(p, 'utf8').matchAll(/^#define\s+__NR_([A-Za-z0-9_]+)\s+(\d+)\s*$/gm)) {
      out.set(m[1]!, Number(m[2]));
    }
    if (out.size > 0) break;
  }
  return out;
}

let shared: LiveKernelView | undefined;

/** The view of this machine's kernel, shared by every compile in the process (caches are kept). */
export function liveKernelView(): LiveKernelView {
  return (shared ??= new LiveKernelView(process.env['BPFTRACE_BTF'] ? { btfPath: process.env['BPFTRACE_BTF'] } : {}));
}

// Probe targets: parsing `kind:a:b` names, expanding wildcards against the kernel, choosing the
// program type each kind needs, and attaching. Each probe kind is handled here and only here.
import { statSync } from 'node:fs';
import { listTracepoints } from '../kernel/tracefs.js';
import { attachTracepoint } from '../attach/tracepoint.js';
import { attachRawTracepoint } from '../attach/raw_tracepoint.js';
import { attachKprobe } from '../attach/kprobe.js';
import { attachUprobe } from '../attach/uprobe.js';
import { attachPerfEvent } from '../attach/perf_event.js';
import { attachWatchpoint } from '../attach/watchpoint.js';
import { attachFentry, fentryTarget, type FentryTarget } from '../attach/fentry.js';
import type { Link } from '../attach/link.js';
import { attachUsdt } from './usdt.js';
import type { ProgKind } from '../bpf/program.js';
import { ElfFile, addressFileOffset, findFunction, resolveBinary, resolveLibrary, SymbolNotFoundError } from '../elf/index.js';
import type { AttachDef } from '../lang/spec.js';

export type ProbeTarget =
  | { kind: 'begin' | 'end' }
  | { kind: 'tracepoint'; category: string; event: string }
  | { kind: 'rawtracepoint'; name: string }
  | { kind: 'kprobe' | 'kretprobe'; func: string; offset?: number }
  | { kind: 'uprobe' | 'uretprobe'; path: string; func: string; offset: number }
  | { kind: 'fentry' | 'fexit'; func: string; module?: string }
  | { kind: 'software' | 'hardware'; event: string; period?: number }
  | { kind: 'profile'; hz: number }
  | { kind: 'interval'; periodNs: number }
  | { kind: 'watchpoint'; address: bigint; length: number; mode: string };

/** ELF program header flag: the segment is executable. */
const PF_X = 1;

export class ProbeSpecError extends Error {
  override readonly name = 'ProbeSpecError';
}

const ALIAS: Record<string, string> = {
  t: 'tracepoint', rt: 'rawtracepoint', k: 'kprobe', kr: 'kretprobe', u: 'uprobe', ur: 'uretprobe',
  f: 'fentry', fr: 'fexit', kfunc: 'fentry', kretfunc: 'fexit', s: 'software', h: 'hardware',
  p: 'profile', i: 'interval', BEGIN: 'begin', END: 'end',
};

const UNITS_NS: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3, hz: 0 };

/** Parses one probe name and expands its wildcards; `pid` picks libraries as mapped by that process. */
export function expandProbe(spec: string, pid?: number): ProbeTarget[] {
  const parts = spec.split(':');
  const kind = ALIAS[parts[0]!] ?? parts[0]!;
  const bad = (why: string) => new ProbeSpecError(`invalid probe '${spec}': ${why}`);
  switch (kind) {
    case 'begin':
    case 'end':
      return [{ kind }];
    case 'tracepoint': {
      if (parts.length !== 3) throw bad('expected tracepoint:category:event');
      const [, cat, ev] = parts as [string, string, string];
      if (!/[*?]/.test(cat + ev)) return [{ kind, category: cat, event: ev }];
      const found = listTracepoints(cat, ev);
      if (found.length === 0) throw bad('no tracepoint matches');
      return found.map(([category, event]) => ({ kind, category, event }));
    }
    case 'rawtracepoint':
      if (parts.length !== 2) throw bad('expected rawtracepoint:name');
      return [{ kind, name: parts[1]! }];
    case 'kprobe':
    case 'kretprobe': {
      if (parts.length !== 2) throw bad(`expected ${kind}:function`);
      const m = /^([A-Za-z_][\w.]*)(?:\+(\d+|0x[0-9a-f]+))?$/.exec(parts[1]!);
      if (!m) throw bad('expected a kernel function name, optionally +offset');
      return [{ kind, func: m[1]!, ...(m[2] ? { offset: Number(m[2]) } : {}) }];
    }
    case 'uprobe':
    case 'uretprobe': {
      if (parts.length !== 3) throw bad(`expected ${kind}:binary-or-library:function`);
      const [, file, func] = parts as [string, string, string];
      const path = resolveUprobeFile(file, pid);
      const elf = ElfFile.openShared(path);
      if (/^0x[0-9a-f]+$/i.test(func)) return [{ kind, path, func, offset: Number(func) }];
      return [{ kind, path, func, offset: findFunction(elf, func).fileOffset }];
    }
    case 'fentry':
    case 'fexit':
      if (parts.length === 2) return [{ kind, func: parts[1]! }];
      if (parts.length === 3) return [{ kind, module: parts[1]!, func: parts[2]! }];
      throw bad(`expected ${kind}:[module:]function`);
    case 'software':
    case 'hardware': {
      if (parts.length < 2 || parts.length > 3) throw bad(`expected ${kind}:event[:count]`);
      const period = parts[2] !== undefined ? Number(parts[2]) : undefined;
      if (period !== undefined && !(period > 0)) throw bad('count must be a positive number');
      return [{ kind, event: parts[1]!, ...(period ? { period } : {}) }];
    }
    case 'profile':
    case 'interval': {
      if (parts.length !== 3) throw bad(`expected ${kind}:unit:N (unit hz, s, ms or us)`);
      const unit = parts[1]!;
      const n = Number(parts[2]);
      if (!(unit in UNITS_NS) || !(n > 0)) throw bad(`expected ${kind}:unit:N (unit hz, s, ms or us)`);
      if (kind === 'profile') return [{ kind, hz: unit === 'hz' ? n : 1e9 / (n * UNITS_NS[unit]!) }];
      if (unit === 'hz') return [{ kind, periodNs: 1e9 / n }];
      return [{ kind, periodNs: n * UNITS_NS[unit]! }];
    }
    default:
      throw bad(`unknown probe type '${parts[0]}'`);
  }
}

/** glibc 2.34 merged these libraries into libc; they remain as stubs without the functions. */
const MERGED_INTO_LIBC = /\/lib(pthread|dl|rt|util|anl)\.so(\.\d+)*$/;

/** The libc a missing function of libpthread & co. moved into. */
export class MovedToLibcError extends SymbolNotFoundError {
  constructor(symbol: string, file: string, readonly libc: string) {
    super(symbol, file, []);
    this.message = `no function named "${symbol}" in ${file}: glibc 2.34 moved it into libc (${libc}); probe uprobe:libc:${symbol} instead`;
  }
}

function findFunctionOrSayWhere(elf: ElfFile, func: string, pid?: number): ReturnType<typeof findFunction> {
  try {
    return findFunction(elf, func);
  } catch (e) {
    if (!(e instanceof SymbolNotFoundError) || e.imported || !MERGED_INTO_LIBC.test(elf.path)) throw e;
    let libc: string;
    try {
      libc = resolveLibrary('libc', pid);
      findFunction(ElfFile.openShared(libc), func);
    } catch {
      throw e;
    }
    throw new MovedToLibcError(func, elf.path, libc);
  }
}

/** The file a uprobe's binary names: a path, a program in PATH, or a library (`libc`). */
export function resolveUprobeFile(file: string, pid?: number): string {
  return file.includes('/') || !/^lib/.test(file) ? resolveBinaryOrLib(file, pid) : resolveLibrary(file, pid);
}

/**
 * A uprobe's file as written: a path, a program on PATH, or a library name (`libc`). With -p, the
 * file that process sees (its mount namespace: containers), as bpftrace resolves it.
 */
export function resolveBinaryOrLib(file: string, pid?: number): string {
  try {
    return resolveBinary(file, pid !== undefined ? { pid } : {});
  } catch (e) {
    try {
      return resolveLibrary(file, pid);
    } catch {
      throw e;
    }
  }
}

/**
 * The file a compiled uprobe's path means: an absolute path as it is — with -p, as that process
 * sees it (another mount namespace: /proc/PID/root/…) — else resolved as written.
 */
export function userFile(path: string, pid?: number): string {
  if (pid !== undefined) return resolveBinaryOrLib(path, pid);
  if (path.startsWith('/')) return path;
  // A script names its file once per probe, and each is resolved twice (missing functions, then
  // attach): a search of PATH, ld.so.cache and the library directories each time (~1 ms). The
  // answer is kept for this PATH and directory while the file it found is still there.
  const key = `${path}\0${process.env['PATH'] ?? ''}\0${process.cwd()}`;
  const known = resolvedFiles.get(key);
  if (known !== undefined && stillAFile(known)) return known;
  const found = resolveBinaryOrLib(path);
  resolvedFiles.set(key, found);
  return found;
}

const resolvedFiles = new Map<string, string>();

function stillAFile(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

export function probeName(t: ProbeTarget): string {
  switch (t.kind) {
    case 'begin': return 'BEGIN';
    case 'end': return 'END';
    case 'tracepoint': return `tracepoint:${t.category}:${t.event}`;
    case 'rawtracepoint': return `rawtracepoint:${t.name}`;
    case 'kprobe': case 'kretprobe': return `${t.kind}:${t.func}${t.offset ? `+${t.offset}` : ''}`;
    case 'uprobe': case 'uretprobe': return `${t.kind}:${t.path}:${t.func}`;
    case 'fentry': case 'fexit': return `${t.kind}:${t.module ? `${t.module}:` : ''}${t.func}`;
    case 'software': case 'hardware': return `${t.kind}:${t.event}${t.period ? `:${t.period}` : ''}`;
    case 'profile': return `profile:hz:${t.hz}`;
    case 'interval': return `interval:ns:${t.periodNs}`;
    case 'watchpoint': return `watchpoint:0x${t.address.toString(16)}:${t.length}:${t.mode}`;
  }
}

/** The BPF program type a probe kind runs. */
export function progKindFor(t: ProbeTarget): ProgKind {
  switch (t.kind) {
    case 'begin': case 'end': case 'rawtracepoint': return 'raw_tracepoint';
    case 'tracepoint': return 'tracepoint';
    case 'kprobe': case 'kretprobe': case 'uprobe': case 'uretprobe': return 'kprobe';
    case 'fentry': case 'fexit': return 'tracing';
    case 'software': case 'hardware': case 'profile': case 'interval': case 'watchpoint': return 'perf_event';
  }
}

/** For fentry/fexit the program must be loaded against its target: what to pass to Program.load. */
export function loadTargetFor(t: ProbeTarget): FentryTarget | undefined {
  if (t.kind !== 'fentry' && t.kind !== 'fexit') return undefined;
  return fentryTarget(t.func, t.kind === 'fexit', t.module);
}

export interface AttachOptions {
  pid?: number;
  fentry?: FentryTarget;
  /** The link's BPF cookie (kprobes: the probe id a program serving several functions reads). */
  cookie?: bigint;
}

/** Attaches a loaded program; BEGIN/END are not attached (they are run once). */
export function attachProbe(progFd: number, t: ProbeTarget, o: AttachOptions = {}): Link[] {
  switch (t.kind) {
    case 'begin': case 'end': return [];
    case 'tracepoint': return [attachTracepoint(progFd, t.category, t.event)];
    case 'rawtracepoint': return [attachRawTracepoint(progFd, t.name)];
    case 'kprobe': case 'kretprobe':
      return [attachKprobe(progFd, { func: t.func, retprobe: t.kind === 'kretprobe', ...(t.offset ? { offset: t.offset } : {}), ...(o.cookie !== undefined ? { cookie: o.cookie } : {}) })];
    case 'uprobe': case 'uretprobe':
      return [attachUprobe(progFd, {
        path: t.path, offset: t.offset, retprobe: t.kind === 'uretprobe', name: probeName(t),
        ...(o.pid !== undefined ? { pid: o.pid } : {}),
      })];
    case 'fentry': case 'fexit':
      return [attachFentry(progFd, o.fentry ?? fentryTarget(t.func, t.kind === 'fexit', t.module))];
    case 'software': case 'hardware':
      return attachPerfEvent(progFd, { type: t.kind, event: t.event, period: t.period ?? (t.kind === 'software' ? 1000 : 1_000_000), ...(o.pid !== undefined ? { pid: o.pid } : {}) });
    case 'profile':
      // A period in time units (profile:us:3) is not a whole rate: sample by period instead.
      return attachPerfEvent(progFd, { type: 'software', event: 'cpu-clock', ...(Number.isInteger(t.hz) ? { freq: t.hz } : { period: Math.round(1e9 / t.hz) }), ...(o.pid !== undefined ? { pid: o.pid } : {}) });
    case 'interval':
      // One CPU only: an interval fires once per period, not once per CPU.
      return attachPerfEvent(progFd, { type: 'software', event: 'cpu-clock', period: t.periodNs, cpus: [0] });
    case 'watchpoint':
      return attachWatchpoint(progFd, { address: t.address, length: t.length, mode: t.mode, ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  }
}

/**
 * A breakpoint for a funcwatchpoint attach point, on `address` in process `pid` (the address its
 * setup uprobe saw): the program runs on each access the mode names.
 */
export function attachFuncWatchpoint(progFd: number, d: Extract<AttachDef, { kind: 'funcwatchpoint' }>, address: bigint, pid: number): Link[] {
  return attachWatchpoint(progFd, { address, length: d.length, mode: d.mode, pid });
}

/** A compiled script's attach point under the name bpftrace shows for it. */
export function attachDefName(d: AttachDef): string {
  switch (d.kind) {
    case 'begin': return 'BEGIN';
    case 'end': return 'END';
    case 'tracepoint': return `tracepoint:${d.category}:${d.event}`;
    case 'rawtracepoint': return `rawtracepoint:${d.name}`;
    case 'kprobe': case 'kretprobe': return `${d.kind}:${d.module ? `${d.module}:` : ''}${d.func}${d.offset ? `+${d.offset}` : ''}`;
    case 'uprobe': case 'uretprobe':
      return `${d.kind}:${d.path}:${d.address !== undefined ? `0x${d.address.toString(16)}` : d.func}${d.offset ? `+${d.offset}` : ''}`;
    // The sites this program serves, when it serves some (file offsets, where the uprobes go).
    case 'usdt': return `usdt:${d.path}:${d.provider}:${d.name}${d.sites ? ` at file offset ${d.sites.map((x) => `0x${x.offset.toString(16)}`).join(', ')}` : ''}`;
    case 'fentry': case 'fexit': return `${d.kind}:${d.module ? `${d.module}:` : ''}${d.func}`;
    case 'software': case 'hardware': return `${d.kind}:${d.event}:${d.period}`;
    case 'profile': return `profile:hz:${d.hz}`;
    case 'interval': return `interval:ns:${d.periodNs}`;
    case 'watchpoint': return `watchpoint:0x${d.address.toString(16)}:${d.length}:${d.mode}`;
    case 'funcwatchpoint': return `${d.async ? 'asyncwatchpoint' : 'watchpoint'}:${d.path}:${d.func}+arg${d.arg}:${d.length}:${d.mode}`;
  }
}

/**
 * The probe target an AttachDef means, with user-space names resolved to files and file offsets:
 * `address` is a virtual address in the file, `offset` an offset from the function's start.
 */
export function targetOfAttachDef(d: Exclude<AttachDef, { kind: 'usdt' | 'funcwatchpoint' }>, pid?: number): ProbeTarget {
  switch (d.kind) {
    case 'uprobe': case 'uretprobe': {
      const path = userFile(d.path, pid);
      const elf = ElfFile.openShared(path);
      if (d.address !== undefined) {
        // An address must be code: in an executable PT_LOAD (bpftrace: "Could not resolve address").
        const seg = elf.segmentForAddress(Number(d.address));
        if (seg === undefined || (seg.flags & PF_X) === 0) {
          throw new ProbeSpecError(`Could not resolve address: ${d.path}:0x${d.address.toString(16)} (not in the file's code)`);
        }
        return { kind: d.kind, path, func: d.func, offset: addressFileOffset(elf, Number(d.address)) + (d.offset ?? 0) };
      }
      const fn = findFunctionOrSayWhere(elf, d.func, pid);
      if (d.offset && fn.symbol.size > 0 && d.offset >= fn.symbol.size) {
        throw new ProbeSpecError(`Offset outside the function bounds ('${d.func}' size is ${fn.symbol.size})`);
      }
      return { kind: d.kind, path, func: d.func, offset: fn.fileOffset + (d.offset ?? 0) };
    }
    case 'software': case 'hardware': return { kind: d.kind, event: d.event, period: d.period };
    default: return d;
  }
}

/**
 * Attaches a loaded program of a compiled script to one of its attach points. `pid` limits
 * uprobes and USDT probes to one process (-p, -c); other kinds ignore it, as in bpftrace.
 */
export function attachDef(progFd: number, d: AttachDef, o: AttachOptions = {}): Link[] {
  if (d.kind === 'usdt') return attachUsdt(progFd, d, { name: attachDefName(d), ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  if (d.kind === 'funcwatchpoint') throw new ProbeSpecError(`${attachDefName(d)} is armed at run time (attachFuncWatchpoint), not attached at start`);
  const t = targetOfAttachDef(d, o.pid);
  // A watchpoint follows the process too (-p, -c): the address is in its memory.
  const pid = t.kind === 'uprobe' || t.kind === 'uretprobe' || t.kind === 'watchpoint' ? o.pid : undefined;
  const cookie = (d.kind === 'kprobe' || d.kind === 'kretprobe') && d.cookie !== undefined ? BigInt(d.cookie) : undefined;
  return attachProbe(progFd, t, { ...(pid !== undefined ? { pid } : {}), ...(o.fentry ? { fentry: o.fentry } : {}), ...(cookie !== undefined ? { cookie } : {}) });
}

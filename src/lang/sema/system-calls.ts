/**
 * Typing of the builtins that reach outside the program: addresses resolved at compile time
 * (kaddr, uaddr, cgroupid), values user space renders later (strftime, cgroup_path), strings the
 * kernel builds (path, strcontains) and the trace_pipe (debugf). Kept out of analyze.ts's big
 * switch so that each can be read in one place; the Analyzer hands in what it knows.
 */
import { statSync } from 'node:fs';
import type { Btf } from '../../btf/index.js';
import type { Call, Expr } from '../ast.js';
import type { KernelView } from '../kernel-view.js';
import type { Span } from '../source.js';
import { UINT64, VOID, type SType } from '../types.js';
import { parseFormat, FormatError } from '../../output/printf.js';
import type { ProbeInstance } from './probes.js';

/** What these builtins need from the Analyzer. */
export interface CallContext {
  final: boolean;
  kernel: KernelView;
  strlen: number;
  /** -p PID: user-space files are the ones that process sees. */
  pid?: number | undefined;
  /** Providers of the unit being typed, and how the script spells the first one. */
  instances: readonly ProbeInstance[];
  providerWord: string;
  expr(e: Expr): SType;
  error(message: string, span: Span, hint?: string): void;
  /** A warning (kept once, in the final pass). */
  warn(message: string, span: Span): void;
  nargs(c: Call, min: number, max?: number): boolean;
  constInt(e: Expr): bigint | undefined;
  btf(): Btf | undefined;
  /** Compile-time addresses of kaddr/uaddr/cgroupid calls in this unit, for lowering. */
  addresses: Map<Call, bigint>;
  /** uaddr() calls whose address is relative to the probe's ip (a PIE or library, see below). */
  ipRelative: Set<Call>;
  /** pton() literals: the address bytes, for lowering. */
  bytes: Map<Expr, Uint8Array>;
  /** Index of a strftime format / cgroup_path filter in the script's table. */
  strftimeFormat(fmt: string): number;
  cgroupPathFilter(filter: string): number;
}

/** The builtins typed here. */
export const SYSTEM_CALLS: ReadonlySet<string> = new Set([
  'kaddr', 'uaddr', 'cgroupid', 'cgroup_path', 'strftime', 'strcontains', 'path', 'debugf', 'pton',
]);

/** A strftime() value: u64 index of the format, u64 CLOCK_BOOTTIME ns. */
export const TIMESTAMP: SType = { kind: 'symbol', what: 'timestamp', size: 16 };
/** A cgroup_path() value: u64 cgroup id, u64 index of the filter. */
export const CGROUP_PATH: SType = { kind: 'symbol', what: 'cgroup_path', size: 16 };

/**
 * strcontains() is unrolled: one byte comparison per (haystack byte, needle byte) pair. Beyond
 * this many the program outgrows what the verifier will walk (bpftrace warns past ~2000).
 */
export const STRCONTAINS_MAX_COMPARISONS = 16384;

/** Largest number of arguments bpf_trace_printk takes (bpf-helpers(7)). */
export const PRINTK_MAX_ARGS = 3;
/** Conversions bpf_trace_printk understands, as bpftrace allows them in debugf(). */
const PRINTK_CONVERSIONS: Record<string, 'integer' | 'string'> = { d: 'integer', u: 'integer', x: 'integer', p: 'integer', s: 'string' };

function argWord(t: SType): string {
  switch (t.kind) {
    case 'int': return 'integer';
    case 'string': return 'string';
    case 'void': return 'none';
    default: return t.kind;
  }
}

export function typeSystemCall(x: CallContext, c: Call): SType {
  const name = c.name;
  switch (name) {
    case 'kaddr': {
      if (!x.nargs(c, 1)) return UINT64;
      const t = x.expr(c.args[0]!);
      const a0 = c.args[0]!;
      if (a0.kind !== 'String') {
        x.error(`kaddr() expects a string literal (${argWord(t)} provided)`, c.span);
        return UINT64;
      }
      if (x.final) {
        const a = kernelAddress(x, a0.value, c.span);
        if (a !== undefined) x.addresses.set(c, a);
      }
      // bpftrace 0.17: a uint64 in the kernel's address space: `*kaddr("x")` reads kernel memory
      // whatever the probe (a uprobe's own integers are user addresses).
      return { ...UINT64, space: 'kernel' };
    }
    case 'uaddr': {
      if (!x.nargs(c, 1)) return VOID;
      const t = x.expr(c.args[0]!);
      const a0 = c.args[0]!;
      const user = x.instances.every((i) => i.provider === 'uprobe' || i.provider === 'uretprobe' || i.provider === 'usdt');
      if (!user) {
        x.error(`uaddr can not be used with "${x.providerWord}" probes`, c.span, 'uaddr() needs uprobe, uretprobe or usdt probes: the symbol is looked up in the probed binary');
        return VOID;
      }
      if (a0.kind !== 'String') {
        x.error(`uaddr() expects a string literal (${argWord(t)} provided)`, c.span);
        return VOID;
      }
      let size = 8;
      if (x.final) {
        const hits = x.instances.map((i) => userSymbol(x, i, a0.value, c.span));
        const sizes = new Set(hits.map((h) => h?.size ?? 8));
        if (sizes.size > 1) {
          x.error(`Symbol size mismatch between probes. Symbol "${a0.value}" has different sizes (${[...sizes].join(', ')} bytes) in the probed binaries`, c.span);
        }
        const first = hits[0];
        if (first) {
          size = first.size;
          const at = hits.every((h) => h?.relocatable) ? probedAddress(x, x.instances[0]!, c.span) : undefined;
          if (first.relocatable && at !== undefined && hits.length === 1) {
            // A PIE or library is mapped at a load bias only the process knows; at a uprobe on a
            // known address, ip = bias + that address, so the symbol is at ip + (sym - address).
            x.addresses.set(c, first.address - at);
            x.ipRelative.add(c);
          } else {
            if (first.relocatable) {
              x.warn(`uaddr("${a0.value}"): ${(x.instances[0]!.attach as { path: string }).path} is position-independent; this is the symbol's link-time address, not where the process maps it (sonde corrects it only in a uprobe at a function's entry)`, c.span);
            }
            x.addresses.set(c, first.address);
          }
        }
      }
      // bpftrace: a user pointer to an integer of the symbol's size (64-bit when it is not 1, 2, 4, 8).
      const bytes = (size === 1 || size === 2 || size === 4 || size === 8 ? size : 8) as 1 | 2 | 4 | 8;
      return { kind: 'pointer', to: { kind: 'int', size: bytes, signed: true }, space: 'user' };
    }
    case 'cgroupid': {
      if (!x.nargs(c, 1)) return UINT64;
      const t = x.expr(c.args[0]!);
      const a0 = c.args[0]!;
      if (a0.kind !== 'String') {
        x.error(`cgroupid() expects a string literal (${argWord(t)} provided)`, c.span);
        return UINT64;
      }
      if (x.final) {
        const id = cgroupId(a0.value);
        if (typeof id === 'string') x.error(`cgroupid("${a0.value}"): ${id}`, c.span, 'give the path of a cgroup directory under the cgroup2 mount, e.g. /sys/fs/cgroup/unified/system.slice');
        else x.addresses.set(c, id);
      }
      return UINT64;
    }
    case 'cgroup_path': {
      if (!x.nargs(c, 1, 2)) return VOID;
      const ts = c.args.map((a) => x.expr(a));
      if (ts[0]!.kind !== 'int' && ts[0]!.kind !== 'void') {
        x.error(`cgroup_path() only supports integer arguments (${argWord(ts[0]!)} provided)`, c.span);
        return VOID;
      }
      const f = c.args[1];
      if (f && f.kind !== 'String') {
        x.error(`cgroup_path() expects a string literal (${argWord(ts[1]!)} provided)`, c.span);
        return VOID;
      }
      x.cgroupPathFilter(f && f.kind === 'String' ? f.value : '*');
      return CGROUP_PATH;
    }
    case 'strftime': {
      if (!x.nargs(c, 2)) return VOID;
      const ts = c.args.map((a) => x.expr(a));
      const fmt = c.args[0]!;
      if (fmt.kind !== 'String') {
        x.error(`strftime() expects a string literal (${argWord(ts[0]!)} provided)`, c.span);
        return VOID;
      }
      if (ts[1]!.kind !== 'int' && ts[1]!.kind !== 'void') {
        x.error(`strftime() only supports integer arguments (${argWord(ts[1]!)} provided)`, c.span);
        return VOID;
      }
      x.strftimeFormat(fmt.value);
      return TIMESTAMP;
    }
    case 'strcontains': {
      if (!x.nargs(c, 2)) return UINT64;
      const ts = c.args.map((a) => x.expr(a));
      for (const t of ts) {
        if (t.kind !== 'string' && t.kind !== 'void') {
          x.error(`strcontains() only supports string arguments (${argWord(t)} provided)`, c.span);
          return UINT64;
        }
      }
      const [h, n] = ts as [SType, SType];
      const needle = c.args[1]!;
      const nBytes = needle.kind === 'String' ? needle.bytes.length : n.kind === 'string' ? n.size : 0;
      const hBytes = h.kind === 'string' ? h.size : 0;
      if (hBytes * nBytes > STRCONTAINS_MAX_COMPARISONS) {
        x.error(`strcontains() of a ${hBytes}-byte string and a ${nBytes}-byte one needs ${hBytes * nBytes} byte comparisons, more than the ${STRCONTAINS_MAX_COMPARISONS} sonde unrolls`, c.span,
          'clamp the strings, e.g. str($ptr, 16), or search for a literal');
      }
      return UINT64;
    }
    case 'path': {
      if (!x.nargs(c, 1, 2)) return VOID;
      const ts = c.args.map((a) => x.expr(a));
      const kinds = new Set(x.instances.map((i) => i.provider));
      const bad = [...kinds].filter((k) => k !== 'fentry' && k !== 'fexit');
      if (bad.length > 0) {
        x.error(`path() needs fentry/kfunc probes; this probe is ${article(kindWord(bad[0]!))}`, c.span,
          'bpf_d_path() is allowed only in fentry/fexit (kfunc/kretfunc) and LSM programs, on the kernel functions it allow-lists (e.g. fentry:security_file_open, fentry:filp_close, fentry:vfs_getattr)');
        return VOID;
      }
      const t = ts[0]!;
      if (t.kind !== 'pointer' && t.kind !== 'int' && t.kind !== 'record' && t.kind !== 'void') {
        x.error(`path() only supports pointer or record argument (${argWord(t)} provided)`, c.span);
        return VOID;
      }
      let size = x.strlen;
      if (c.args[1]) {
        const n = x.constInt(c.args[1]);
        if (n === undefined || n < 0n) {
          x.error('path: invalid size value, need non-negative literal', c.span);
          return VOID;
        }
        size = Number(n);
      }
      return { kind: 'string', size };
    }
    case 'pton': {
      // pton("1.2.3.4") / pton("::1"): the address bytes, a uint8[4] or uint8[16] made at compile time.
      if (!x.nargs(c, 1)) return VOID;
      x.expr(c.args[0]!);
      const a0 = c.args[0]!;
      const text = a0.kind === 'String' ? a0.value : '';
      const bytes = a0.kind === 'String' ? parseInetAddress(text) : undefined;
      if (!bytes) {
        x.error(`pton() expects an string argument of an IPv4/IPv6 address, got ${text}`, c.span);
        return VOID;
      }
      x.bytes.set(c, bytes);
      return { kind: 'array', of: { kind: 'int', size: 1, signed: false }, length: bytes.length };
    }
    case 'debugf': {
      if (c.args.length === 0) {
        x.nargs(c, 1, 1 + PRINTK_MAX_ARGS);
        return VOID;
      }
      const ts = c.args.map((a) => x.expr(a));
      const fmt = c.args[0]!;
      if (fmt.kind !== 'String') {
        x.error(`debugf() expects a string literal (${argWord(ts[0]!)} provided)`, c.span);
        return VOID;
      }
      x.warn('The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).', c.span);
      if (ts.length - 1 > PRINTK_MAX_ARGS) {
        x.error(`cannot use more than ${PRINTK_MAX_ARGS} conversion specifiers`, c.span, 'debugf() prints with bpf_trace_printk, which takes at most 3 arguments; printf() has no such limit');
        return VOID;
      }
      let specs;
      try {
        specs = parseFormat(fmt.value, 'debugf').conversions;
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        x.error(e.message, c.span);
        return VOID;
      }
      if (specs.length !== ts.length - 1) {
        x.error(specs.length > ts.length - 1 ? 'debugf: Not enough arguments for format string' : 'debugf: Too many arguments for format string', c.span);
        return VOID;
      }
      specs.forEach((s, i) => {
        const want = PRINTK_CONVERSIONS[s.conv];
        const t = ts[i + 1]!;
        if (!want) x.error(`Invalid format specifier for \`debugf\`: ${s.conv}`, c.span, 'bpf_trace_printk understands %d %u %x %p and %s');
        else if (t.kind !== 'void' && (want === 'string') !== (t.kind === 'string')) x.error(`Type does not match format specifier: ${s.conv}`, c.args[i + 1]!.span);
        else if (want === 'integer' && t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') x.error(`Type does not match format specifier: ${s.conv}`, c.args[i + 1]!.span);
      });
      return VOID;
    }
  }
  throw new Error(`typeSystemCall: ${name}`);
}

/** inet_pton: IPv4 dotted quad (4 bytes) when there is no ':', else IPv6 (16 bytes); undefined if invalid. */
export function parseInetAddress(text: string): Uint8Array | undefined {
  const v4 = (t: string): number[] | undefined => {
    const parts = t.split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
    return parts.map(Number);
  };
  if (!text.includes(':')) {
    const b = v4(text);
    return b ? Uint8Array.from(b) : undefined;
  }
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two 16-bit groups.
  let t = text;
  const lastColon = t.lastIndexOf(':');
  if (t.slice(lastColon + 1).includes('.')) {
    const b = v4(t.slice(lastColon + 1));
    if (!b) return undefined;
    t = `${t.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const words = (w: string): number[] | undefined => {
    if (w === '') return [];
    const ws = w.split(':');
    return ws.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? ws.map((g) => parseInt(g, 16)) : undefined;
  };
  const halves = t.split('::');
  let ws: number[] | undefined;
  if (halves.length === 1) {
    ws = words(t);
    if (ws && ws.length !== 8) ws = undefined;
  } else if (halves.length === 2) {
    const a = words(halves[0]!);
    const b = words(halves[1]!);
    if (a && b && a.length + b.length <= 7) ws = [...a, ...Array<number>(8 - a.length - b.length).fill(0), ...b];
  }
  if (!ws) return undefined;
  const out = new Uint8Array(16);
  ws.forEach((w, k) => {
    out[2 * k] = w >> 8;
    out[2 * k + 1] = w & 0xff;
  });
  return out;
}

function article(w: string): string {
  return /^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`;
}

function kindWord(p: string): string {
  switch (p) {
    case 'BEGIN': case 'END': return `${p} probe`;
    case 'rawtracepoint': return 'raw tracepoint';
    default: return p;
  }
}

function kernelAddress(x: CallContext, name: string, span: Span): bigint | undefined {
  const look = x.kernel.kernelAddress?.(name);
  if (!look) {
    x.error(`kaddr("${name}"): kernel symbols are not available to this compile`, span);
    return undefined;
  }
  if (look.found) return look.address;
  const btf = x.btf();
  const inBtf = btf ? btf.find(name, 'var').length > 0 : false;
  // bpftrace's words first ("Failed to resolve kernel symbol", which its test suite looks for), then why.
  const failed = `Failed to resolve kernel symbol ${name}`;
  switch (look.reason) {
    case 'hidden':
      x.error(`${failed}: kernel addresses are hidden in /proc/kallsyms (kernel.kptr_restrict)`, span, 'run as root, or lower kernel.kptr_restrict');
      return undefined;
    case 'functions-only': {
      const kallsyms = '/proc/kallsyms (the kernel is built without CONFIG_KALLSYMS_ALL: it lists functions only)';
      const msg = !btf ? `not in ${kallsyms}, and the kernel has no BTF`
        : inBtf ? `not in ${kallsyms}, and BTF describes it only as a per-CPU variable`
          : `this kernel exposes it neither in ${kallsyms} nor in BTF`;
      x.error(`${failed}: ${msg}`, span, 'kaddr() of a kernel variable needs a kernel built with CONFIG_KALLSYMS_ALL=y');
      return undefined;
    }
    case 'absent':
      x.error(`${failed}: /proc/kallsyms has no such symbol`, span);
      return undefined;
  }
}

/** The link-time address a uprobe instance fires at (func + offset, or its address), if known. */
function probedAddress(x: CallContext, inst: ProbeInstance, span: Span): bigint | undefined {
  const a = inst.attach;
  if (a.kind !== 'uprobe') return undefined;
  if (a.address !== undefined) return a.address + BigInt(a.offset ?? 0);
  if (!a.func) return undefined;
  const f = userSymbol(x, inst, a.func, span);
  return f ? f.address + BigInt(a.offset ?? 0) : undefined;
}

function userSymbol(x: CallContext, inst: ProbeInstance, name: string, span: Span): { address: bigint; size: number; relocatable: boolean } | undefined {
  const a = inst.attach;
  const binary = a.kind === 'uprobe' || a.kind === 'uretprobe' || a.kind === 'usdt' ? a.path : '';
  if (!x.kernel.userSymbol) {
    x.error(`uaddr("${name}"): user symbols are not available to this compile`, span);
    return undefined;
  }
  let hit;
  try {
    hit = x.kernel.userSymbol(binary, name, x.pid);
  } catch (e) {
    x.error(`Could not resolve symbol: ${binary}:${name} (${e instanceof Error ? e.message : String(e)})`, span);
    return undefined;
  }
  if (!hit) {
    x.error(`Could not resolve symbol: ${binary}:${name}`, span, `${name} is not defined in ${binary}'s symbol tables`);
    return undefined;
  }
  return { address: hit.address, size: hit.size, relocatable: hit.relocatable === true };
}

/**
 * cgroupid(path): the id of a cgroup2 directory is its inode number (what
 * bpf_get_current_cgroup_id() returns), read when the script is compiled, as bpftrace does.
 */
export function cgroupId(path: string): bigint | string {
  try {
    const st = statSync(path, { bigint: true });
    if (!st.isDirectory()) return `${path} is not a directory`;
    return st.ino;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : `cannot read ${path} (${code ?? String(e)})`;
  }
}


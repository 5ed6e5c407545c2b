// bcc's probe specifiers (funccount, funclatency, trace, argdist) translated to sonde probes.
//
//   func, p::func        kernel function (kprobe)          r::func   its return (kretprobe)
//   lib:func, p:lib:func user function in a library or binary (uprobe; c = libc)   r:lib:func
//   t:cat:event          kernel tracepoint
//   u:lib:probe          USDT probe (u:lib:provider:probe)
//
// Wildcards are expanded here, from tracefs for tracepoints and from the ELF symbol tables for
// user functions, so that each match is one named probe (its count is shown under its name).
import { readFileSync } from 'node:fs';
import { ElfFile, matchFunctions, resolveBinary, resolveLibrary } from '../elf/index.js';
import { probeKindFeature } from '../runtime/features.js';
import { tracefsRoot } from '../kernel/tracefs.js';
import { ToolUsageError } from './tool.js';

export type BccProbeType = 'p' | 'r' | 't' | 'u';

export interface BccSpec {
  type: BccProbeType;
  /** Library or binary as written ('' for the kernel; the category for t:). */
  library: string;
  /** Function, event or USDT probe name (may hold wildcards). */
  name: string;
}

/** One concrete probe: the sonde attach point and the name bcc shows for it. */
export interface ExpandedProbe {
  attach: string;
  display: string;
}

export class BccProbeError extends ToolUsageError {}

/**
 * `spec` as funccount/trace read it: 1 part → p::func, 2 parts → p:lib:func; else TYPE:LIB:NAME
 * (u:lib:provider:probe keeps its provider). `c:func` is libc's function, as bcc's trace
 * accepts (p:c:func).
 */
export function parseBccSpec(spec: string, allowed: readonly BccProbeType[] = ['p', 'r', 't', 'u']): BccSpec {
  const parts = spec.split(':');
  let type: string;
  let library: string;
  let name: string;
  if (parts.length === 1) [type, library, name] = ['p', '', parts[0]!];
  else if (parts.length === 2) [type, library, name] = ['p', parts[0]!, parts[1]!];
  else {
    type = parts[0] === '' ? 'p' : parts[0]!;
    library = parts[1]!;
    name = parts.slice(2).join(':');
    if (type !== 'u' && parts.length > 3) throw new BccProbeError(`too many ':'-separated components in ${spec}`);
  }
  if (!(allowed as string[]).includes(type)) {
    throw new BccProbeError(`probe type must be ${allowed.map((a) => `'${a}'`).join(', ')}, but got '${type}' in ${spec}`);
  }
  if (name === '') throw new BccProbeError(`no function or event name in ${spec}`);
  if (type === 't' && library === '') throw new BccProbeError(`t:CATEGORY:EVENT expected, got ${spec}`);
  if (type === 'u' && library === '') throw new BccProbeError(`u:LIBRARY:PROBE expected, got ${spec}`);
  return { type: type as BccProbeType, library, name };
}

/** bcc's find_library then find_exe: 'c' → libc, 'pthread', '/path/bin', 'bash'. */
export function resolveUserObject(lib: string, pid?: number): string {
  const tries: (() => string)[] = lib.includes('/')
    ? [() => resolveBinary(lib)]
    : [() => resolveLibrary(lib.startsWith('lib') ? lib : `lib${lib}`, pid), () => resolveLibrary(lib, pid), () => resolveBinary(lib)];
  for (const t of tries) {
    try {
      return t();
    } catch { /* next */ }
  }
  throw new BccProbeError(`can't resolve library ${lib}`);
}

/**
 * A pattern as bcc reads it: with -r a regular expression; else '*' becomes '.*' and the whole
 * name must match (other characters keep their regular-expression meaning, as in bcc).
 */
export function patternRegExp(pattern: string, regex: boolean): RegExp {
  return regex ? new RegExp(pattern) : new RegExp(`^${pattern.replace(/\*/g, '.*')}$`);
}

const hasWildcard = (s: string): boolean => /[*?[\]|.+^$()]/.test(s);

/** The kernel needs kprobes (or fentry) for kernel functions; this says why not, plainly. */
export function requireKernelFunctions(what: string): void {
  const f = { kprobe: probeKindFeature('kprobe'), fentry: probeKindFeature('fentry') };
  if (f.kprobe.ok) return;
  throw new BccProbeError(
    `${what}: kernel functions need kprobes or fentry, and this kernel has neither (kprobe: ${f.kprobe.detail}; fentry: ${f.fentry.detail}). ` +
    'Tracepoints (t:CATEGORY:EVENT), user functions (LIB:FUNC, c:FUNC) and USDT probes (u:LIB:PROBE) work here.',
  );
}

function tracepointNames(): string[] {
  try {
    return readFileSync(`${tracefsRoot()}/available_events`, 'utf8').split('\n').filter((x) => x.includes(':'));
  } catch {
    return [];
  }
}

/** User functions matching a pattern, each under one probe name (an address where a name is ambiguous). */
export function userFunctions(path: string, pattern: string, regex: boolean): { name: string; target: string }[] {
  const elf = ElfFile.openShared(path);
  const re = patternRegExp(pattern, regex);
  const funcs = hasWildcard(pattern) || regex ? matchFunctions(elf, '*').filter((f) => re.test(f.symbol.name)) : matchFunctions(elf, pattern);
  const byName = new Map<string, number>();
  for (const f of funcs) byName.set(f.symbol.name, (byName.get(f.symbol.name) ?? 0) + 1);
  return funcs.map((f) => ({ name: f.symbol.name, target: (byName.get(f.symbol.name) ?? 0) > 1 ? `0x${f.address.toString(16)}` : f.symbol.name }));
}

export interface ExpandOptions {
  regex?: boolean;
  pid?: number;
  /** Attach to the return of functions (funclatency's second half, trace's r:). */
  ret?: boolean;
  /** bcc's probe limit. */
  limit?: number;
}

/** Every concrete probe a spec names (none matched is an error, as in bcc). */
export function expandBccSpec(spec: BccSpec, raw: string, o: ExpandOptions = {}): ExpandedProbe[] {
  const regex = o.regex === true;
  let out: ExpandedProbe[];
  switch (spec.type) {
    case 'p':
    case 'r': {
      const ret = o.ret || spec.type === 'r';
      if (spec.library === '') {
        requireKernelFunctions(raw);
        if (regex) throw new BccProbeError(`${raw}: -r with kernel functions is not supported; use '*' wildcards`);
        out = [{ attach: `${ret ? 'kretprobe' : 'kprobe'}:${spec.name}`, display: spec.name }];
        break;
      }
      const path = resolveUserObject(spec.library, o.pid);
      out = userFunctions(path, spec.name, regex).map((f) => ({ attach: `${ret ? 'uretprobe' : 'uprobe'}:${path}:${f.target}`, display: f.name }));
      break;
    }
    case 't': {
      const re = patternRegExp(`${spec.library}:${spec.name}`, regex);
      const names = !regex && !hasWildcard(spec.library) && !hasWildcard(spec.name) ? [`${spec.library}:${spec.name}`] : tracepointNames().filter((n) => re.test(n));
      out = names.map((n) => ({ attach: `tracepoint:${n}`, display: n }));
      break;
    }
    case 'u': {
      const path = resolveUserObject(spec.library, o.pid);
      const want = spec.name.includes(':') ? spec.name : `*:${spec.name}`;
      const re = patternRegExp(want, regex);
      const seen = new Set<string>();
      out = [];
      for (const p of ElfFile.open(path).usdtProbes()) {
        const full = `${p.provider}:${p.name}`;
        if (!re.test(full) || seen.has(full)) continue;
        seen.add(full);
        out.push({ attach: `usdt:${path}:${full}`, display: spec.name.includes(':') ? full : p.name });
      }
      break;
    }
  }
  if (out.length === 0) throw new BccProbeError(`0 functions matched by "${raw}". Exiting.`);
  const limit = o.limit ?? 1000;
  if (out.length > limit) throw new BccProbeError(`maximum of ${limit} probes allowed, attempted ${out.length} ("${raw}")`);
  return out;
}

/**
 * bcc's expressions (C with aliases) to sonde's: arg1..arg6 are 1-based there (argN-1 here),
 * $uid $gid $pid (thread) $tgid (process) $cpu $task $comm, retval, args->field as they are;
 * STRCMP("lit", e) becomes a string comparison.
 */
export function rewriteBccExpr(expr: string, params: readonly string[] = []): string {
  let e = expr.replace(/@user\b/g, '');
  e = e.replace(/STRCMP\(\s*("(?:[^"\\]|\\.)*")\s*,\s*([^)]+)\)/g, (_m, lit: string, x: string) =>
    /^\$?comm$/i.test(x.trim()) ? `(comm == ${lit})` : `(str(${x.trim()}) == ${lit})`);
  e = e.replace(/\barg([1-9])\b/g, (_m, n: string) => `arg${Number(n) - 1}`);
  const aliases: Record<string, string> = {
    '$uid': 'uid', '$gid': 'gid', '$pid': 'tid', '$tgid': 'pid', '$cpu': 'cpu', '$task': 'curtask',
    '$PID': 'pid', '$TID': 'tid', '$COMM': 'comm', '$comm': 'comm', '$retval': 'retval',
  };
  e = e.replace(/\$[A-Za-z]+\b/g, (m) => aliases[m] ?? m);
  params.forEach((p, i) => {
    e = e.replace(new RegExp(`(?<![\\w$>.])${p}\\b`, 'g'), `arg${i}`);
  });
  return e.trim();
}

/** `int fd, const char *buf, size_t n` → parameter names and their C types. */
export function parseSignature(sig: string): { name: string; ctype: string }[] {
  const s = sig.trim();
  if (s === '' || s === 'void') return [];
  return s.split(',').map((p) => {
    const m = /^(.*?)([A-Za-z_]\w*)\s*$/.exec(p.trim());
    if (!m) throw new BccProbeError(`cannot read parameter '${p.trim()}' of (${sig})`);
    return { name: m[2]!, ctype: m[1]!.trim() };
  });
}

/**
 * Attach points → concrete probe instances: wildcards expanded against the KernelView,
 * positional parameters substituted, each instance with the program type it needs and the
 * AttachDef the runtime will use.
 */
import type { AttachPoint, Probe, ProviderName } from '../ast.js';
import type { KernelView, TracepointFieldInfo } from '../kernel-view.js';
import { decodeTarget, TargetError, type ProbeTarget } from '../probe-target.js';
import { hasWildcard, PROVIDERS } from '../probe-spec.js';
import type { AttachDef, ProgKindName } from '../spec.js';
import type { Span } from '../source.js';
import { expandUsdt, UsdtProbeError, type UsdtInstanceInfo } from '../usdt.js';
import { forEachExpr } from './walk.js';
import { ARG_REGS } from './analyze.js';
import { tracepointFieldType } from './ctypes.js';
import type { AddrSpace, RecordType } from '../types.js';
import type { Btf } from '../../btf/index.js';

export interface ProbeInstance {
  provider: ProviderName;
  /**
   * A kprobe/kretprobe compiled as fentry/fexit (progKind 'tracing'): the function's argument
   * count (fexit's return value follows the arguments in the context) and the kprobe instance
   * it stands for, compiled too as the run-time fallback.
   */
  fentry?: {
    nargs: number;
    btfId: number;
    /** The kprobe twin (absent for `fentry:`/`fexit:` probes, which have no fallback). */
    fallback?: ProbeInstance;
    /** `fentry:`/`fexit:`: the function's parameters as `args` fields (8 bytes each in the context). */
    fields?: TracepointFieldInfo[];
  };
  /** The full name, as the `probe` builtin prints it: `tracepoint:syscalls:sys_enter_openat`. */
  name: string;
  attach: AttachDef;
  progKind: ProgKindName;
  tracepoint?: { category: string; event: string; fields: TracepointFieldInfo[] };
  /** usdt: the probe site (its argument operands). */
  usdt?: UsdtInstanceInfo;
  /** Instances with different keys do not share a program when the body reads argN. */
  groupKey?: string;
  /** The attach point it came from. */
  ap: AttachPoint;
}

/** A problem with an attach point; `span` points at the part at fault. */
export class ProbeError extends Error {
  constructor(message: string, readonly span: Span, readonly hint?: string) {
    super(message);
  }
}

/**
 * An attach point naming something this system does not have (a tracepoint, kernel or user
 * function, binary, USDT probe): with `config = { missing_probes = warn|ignore }` it is skipped.
 */
export class MissingProbeError extends ProbeError {}

const SOFTWARE_EVENTS: Record<string, [string, number]> = {
  'cpu-clock': ['cpu-clock', 1000000], cpu: ['cpu-clock', 1000000],
  'task-clock': ['task-clock', 1000000],
  'page-faults': ['page-faults', 100], faults: ['page-faults', 100],
  'context-switches': ['context-switches', 1000], cs: ['context-switches', 1000],
  'cpu-migrations': ['cpu-migrations', 1],
  'minor-faults': ['minor-faults', 100], 'major-faults': ['major-faults', 1],
  'alignment-faults': ['alignment-faults', 1], 'emulation-faults': ['emulation-faults', 1],
  dummy: ['dummy', 1], 'bpf-output': ['bpf-output', 1],
};

const HARDWARE_EVENTS: Record<string, [string, number]> = {
  'cpu-cycles': ['cpu-cycles', 1000000], cycles: ['cpu-cycles', 1000000],
  instructions: ['instructions', 1000000],
  'cache-references': ['cache-references', 1000000], 'cache-misses': ['cache-misses', 1000000],
  'branch-instructions': ['branch-instructions', 100000], branches: ['branch-instructions', 100000],
  'branch-misses': ['branch-misses', 100000], 'bus-cycles': ['bus-cycles', 100000],
  'frontend-stalls': ['frontend-stalls', 1000000], 'backend-stalls': ['backend-stalls', 1000000],
  'ref-cycles': ['ref-cycles', 1000000],
};

const UNIT_NS: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

export interface ExpandOptions {
  kernel: KernelView;
  params: string[];
  pid?: number;
  /**
   * The probe block lists several attach points. As in bpftrace 0.17 (whose "original name" of
   * such a probe is the whole list), a kprobe of it that cannot be attached is skipped with a
   * warning instead of failing the run, as is any kprobe or uprobe a wildcard expanded to.
   */
  multi?: boolean;
  /** -c CMD's executable, as bpftrace names it (PATH searched): what `watchpoint:FUNC+argN` probes. */
  commandPath?: string;
  /** The next number of a funcwatchpoint attach point (0, 1, … across the script). */
  nextWatch?: () => number;
}

function hasPositional(ap: AttachPoint): boolean {
  return ap.providerWritten.includes('$') || ap.parts.some((p, i) => !ap.quoted[i] && p.includes('$'));
}

/**
 * `BEG$1`, `uprobe:$1:main`, `tracepoint:syscalls:sys_enter_$1`: positional parameters in a probe
 * name, substituted as bpftrace does — the text of the parameter in place, then the name is
 * split at its ':'s again (so `$1` may stand for `kprobe:vfs_read`), then decoded. A `$N` runs
 * to the end of its field (the parser checks that); a parameter not given is an error.
 */
export function substitutePositionals(ap: AttachPoint, params: readonly string[]): AttachPoint {
  const sub = (text: string): string => text.replace(/\$([0-9]+)/g, (_, n: string) => {
    const v = params[Number(n) - 1];
    if (v === undefined || Number(n) < 1) {
      throw new ProbeError(`probe '${ap.raw}' uses $${n}, but ${params.length === 0 ? 'no positional parameters were' : `only ${params.length} positional parameter${params.length === 1 ? ' was' : 's were'}`} given`,
        ap.span, `give it after the program: sonde -e '…' ARG1 ARG2…`);
    }
    return v;
  });
  const head = sub(ap.providerWritten).split(':');
  const fields: Array<{ text: string; quoted: boolean; span: Span }> = head.slice(1).map((text) => ({ text, quoted: false, span: ap.span }));
  ap.parts.forEach((p, i) => {
    const span = ap.partSpans[i] ?? ap.span;
    if (ap.quoted[i] || !p.includes('$')) fields.push({ text: p, quoted: ap.quoted[i] ?? false, span });
    else for (const text of sub(p).split(':')) fields.push({ text, quoted: false, span });
  });
  const providerWritten = head[0]!;
  const provider = PROVIDERS.get(providerWritten) ?? null;
  if (provider === null && !hasWildcard(providerWritten)) {
    throw new ProbeError(`unknown probe type '${providerWritten}' (probe '${ap.raw}' with its positional parameters substituted)`, ap.span);
  }
  const parts = fields.map((f) => f.text);
  const quoted = fields.map((f) => f.quoted);
  const partSpans = fields.map((f) => f.span);
  let target: ProbeTarget | null = null;
  if (provider !== null) {
    try {
      target = decodeTarget(provider, parts, quoted);
    } catch (e) {
      if (e instanceof TargetError) throw new ProbeError(e.message, e.part === null ? ap.span : partSpans[e.part] ?? ap.span, e.hint);
      throw e;
    }
  }
  const raw = [providerWritten, ...fields.map((f) => (f.quoted ? JSON.stringify(f.text) : f.text))].join(':');
  return { ...ap, raw, provider, providerWritten, parts, quoted, partSpans, target };
}

/** Expands one attach point. Throws ProbeError. */
export function expandAttachPoint(ap: AttachPoint, o: ExpandOptions): ProbeInstance[] {
  if (hasPositional(ap)) ap = substitutePositionals(ap, o.params);
  const provider = ap.provider;
  if (provider === null) {
    throw new ProbeError(`wildcard provider '${ap.providerWritten}' is not supported yet`, ap.span, 'write the provider in full, e.g. tracepoint:');
  }
  const target = ap.target;
  if (target === null) throw new ProbeError('positional parameter in probe could not be substituted', ap.span);
  const one = (attach: AttachDef, progKind: ProgKindName, name: string): ProbeInstance[] => [{ provider, name, attach, progKind, ap }];
  const t: ProbeTarget = target;
  switch (provider) {
    case 'BEGIN':
      return one({ kind: 'begin' }, 'raw_tracepoint', 'BEGIN');
    case 'END':
      return one({ kind: 'end' }, 'raw_tracepoint', 'END');
    case 'tracepoint': {
      if (t.kind !== 'tracepoint') break;
      if (hasWildcard(t.category) || hasWildcard(t.event)) {
        const found = o.kernel.listTracepoints(t.category, t.event);
        if (found.length === 0) throw new MissingProbeError(`no tracepoint matches ${t.category}:${t.event}`, ap.span);
        return found.map(([category, event]) => tracepointInstance(ap, category, event, o.kernel.tracepointFields(category, event) ?? []));
      }
      const fields = o.kernel.tracepointFields(t.category, t.event);
      if (fields === undefined) throw new MissingProbeError(`tracepoint not found: ${t.category}:${t.event}`, ap.span);
      return [tracepointInstance(ap, t.category, t.event, fields)];
    }
    case 'rawtracepoint':
      if (t.kind !== 'rawtracepoint') break;
      if (hasWildcard(t.event)) throw new ProbeError('rawtracepoint wildcards are not supported yet', ap.partSpans[ap.parts.length - 1] ?? ap.span);
      return one({ kind: 'rawtracepoint', name: t.event }, 'raw_tracepoint', `rawtracepoint:${t.event}`);
    case 'kprobe':
    case 'kretprobe': {
      if (t.kind !== 'kprobe') break;
      const funcSpan = ap.partSpans[ap.parts.length - 1] ?? ap.span;
      if (t.module !== null && hasWildcard(t.module)) {
        throw new ProbeError(`${provider} module wildcards are not supported yet`, ap.partSpans[0] ?? ap.span, 'name the module, or leave it out');
      }
      if (hasWildcard(t.func)) {
        const mod = t.module ?? undefined;
        const found = o.kernel.kernelFunctions?.(t.func, mod);
        if (found === undefined) {
          throw new MissingProbeError(`cannot expand ${provider}:${ap.parts.join(':')}: this kernel lists no functions (tracefs available_filter_functions and /proc/kallsyms are unreadable)`, funcSpan);
        }
        const names = [...new Set(found.map((f) => f.name))];
        if (names.length === 0) throw new MissingProbeError(`no kernel function matches ${provider}:${ap.parts.join(':')}`, funcSpan);
        return names.map((func) => {
          const attach: AttachDef = { kind: provider, func, optional: true };
          if (t.module !== null) attach.module = t.module;
          return { provider, name: `${provider}:${t.module !== null ? `${t.module}:` : ''}${func}`, attach, progKind: 'kprobe' as const, ap };
        });
      }
      const attach: AttachDef = { kind: provider, func: t.func };
      if (t.offset !== null) attach.offset = Number(t.offset);
      if (t.module !== null) attach.module = t.module;
      if (o.multi) attach.optional = true;
      const name = `${provider}:${t.module !== null ? `${t.module}:` : ''}${t.func}${t.offset !== null ? `+${t.offset}` : ''}`;
      return one(attach, 'kprobe', name);
    }
    case 'uprobe':
    case 'uretprobe': {
      if (t.kind !== 'uprobe') break;
      let path = t.path;
      if (path === null) {
        if (o.pid === undefined) throw new ProbeError(`${provider} needs a binary path (or -p PID)`, ap.span, `write it as ${provider}:/path/to/binary:function`);
        path = `/proc/${o.pid}/exe`;
      }
      if (hasWildcard(path)) throw new ProbeError(`${provider} path wildcards are not supported yet`, ap.partSpans[0] ?? ap.span);
      if (t.func !== null && hasWildcard(t.func)) return uprobeWildcard(ap, provider, path, t.func, t.lang, o);
      const attach: AttachDef = { kind: provider, path, func: t.func ?? '' };
      if (t.address !== null) attach.address = t.address;
      if (t.offset !== null) attach.offset = Number(t.offset);
      const where = t.func !== null ? `${t.func}${t.offset !== null ? `+${t.offset}` : ''}` : `0x${(t.address ?? 0n).toString(16)}`;
      return one(attach, 'kprobe', `${provider}:${path}:${where}`);
    }
    case 'fentry':
    case 'fexit':
      if (t.kind !== 'fentry') break;
      return fentryInstances(ap, provider, t.module, t.func, o);
    case 'profile':
    case 'interval': {
      if (t.kind !== 'timer') break;
      if (t.value <= 0n) throw new ProbeError(`${provider} ${t.unit === 'hz' ? 'frequency' : 'period'} should be a positive integer`, ap.partSpans[ap.parts.length - 1] ?? ap.span);
      const name = ap.parts.length === 1 ? `${provider}:${t.unit}:${t.value}` : `${provider}:${ap.parts.join(':')}`;
      if (provider === 'profile') {
        const hz = t.unit === 'hz' ? Number(t.value) : 1e9 / Number(t.value * UNIT_NS[t.unit]!);
        return one({ kind: 'profile', hz }, 'perf_event', name);
      }
      const periodNs = t.unit === 'hz' ? Math.round(1e9 / Number(t.value)) : Number(t.value * UNIT_NS[t.unit]!);
      return one({ kind: 'interval', periodNs }, 'perf_event', name);
    }
    case 'software':
    case 'hardware': {
      if (t.kind !== 'perf') break;
      const table = provider === 'software' ? SOFTWARE_EVENTS : HARDWARE_EVENTS;
      const ev = table[t.event];
      if (!ev) throw new ProbeError(`${t.event} is not a known ${provider} event`, ap.partSpans[0] ?? ap.span, `known events: ${Object.keys(table).join(', ')}`);
      const period = t.count !== null ? Number(t.count) : ev[1];
      return one({ kind: provider, event: ev[0], period }, 'perf_event', `${provider}:${ap.parts.join(':')}`);
    }
    case 'watchpoint':
    case 'asyncwatchpoint': {
      if (t.kind !== 'watchpoint') break;
      if (t.address === null) return funcWatchpoints(ap, provider, t, o);
      // bpftrace's checks and words: what the CPU's debug registers can watch.
      if (provider === 'asyncwatchpoint') throw new ProbeError('asyncwatchpoint requires a function name', ap.span, `watch an address with watchpoint:0x${t.address.toString(16)}:${t.length}:${t.mode}`);
      if (t.address === 0n) throw new ProbeError('watchpoint must be attached to a non-zero address', ap.partSpans[0] ?? ap.span);
      checkWatchpoint(ap, t);
      return one({ kind: 'watchpoint', address: t.address, length: Number(t.length), mode: t.mode }, 'perf_event', `${provider}:${ap.parts.join(':')}`);
    }
    case 'usdt':
      if (t.kind !== 'usdt') break;
      try {
        return expandUsdt(ap, t, o);
      } catch (e) {
        if (e instanceof UsdtProbeError) throw new (e.missing ? MissingProbeError : ProbeError)(e.message, e.part === null ? ap.span : ap.partSpans[e.part] ?? ap.span, e.hint);
        throw e;
      }
    default:
      throw new ProbeError(`${provider} probes are not supported yet`, ap.span);
  }
  throw new ProbeError(`invalid ${provider} probe`, ap.span);
}

/** Length and mode of a watchpoint, as bpftrace checks them: what the CPU's debug registers can watch. */
function checkWatchpoint(ap: AttachPoint, t: Extract<ProbeTarget, { kind: 'watchpoint' }>): void {
  if (![1n, 2n, 4n, 8n].includes(t.length)) throw new ProbeError('watchpoint length must be one of (1,2,4,8)', ap.partSpans[1] ?? ap.span);
  const modeSpan = ap.partSpans[2] ?? ap.span;
  if ([...t.mode].some((c, i) => t.mode.indexOf(c) !== i)) throw new ProbeError('watchpoint modes may not be duplicated', modeSpan);
  // x86's debug registers watch writes, reads-and-writes or execution (Intel SDM vol. 3, 17.2.4).
  const sorted = [...t.mode].sort().join('');
  if (['r', 'rx', 'wx', 'rwx'].includes(sorted)) throw new ProbeError(`invalid watchpoint mode: ${t.mode}`, modeSpan, 'x86 watches w, rw or x');
}

/**
 * `watchpoint:FUNC+argN:LEN:MODE` (and `asyncwatchpoint:`): one instance per function of the
 * traced program (-c CMD's executable, or -p PID's /proc/PID/exe) that FUNC names — a wildcard
 * expands over its functions. Each is a breakpoint armed at run time on the address its setup
 * uprobe sees in argument N (src/lang/spec.ts, funcwatchpoint).
 */
function funcWatchpoints(ap: AttachPoint, provider: 'watchpoint' | 'asyncwatchpoint', t: Extract<ProbeTarget, { kind: 'watchpoint' }>, o: ExpandOptions): ProbeInstance[] {
  const where = ap.partSpans[0] ?? ap.span;
  const path = o.commandPath ?? (o.pid !== undefined ? `/proc/${o.pid}/exe` : undefined);
  if (path === undefined) throw new ProbeError('-p PID or -c CMD required for watchpoint', ap.span, 'the address is in that process: trace a command (-c) or a running process (-p)');
  const arg = t.arg!;
  if (arg >= ARG_REGS.length) throw new ProbeError(`x86_64 doesn't support arg${arg}`, where, `arguments arg0 to arg${ARG_REGS.length - 1} are in registers`);
  checkWatchpoint(ap, t);
  const glob = t.func!;
  let funcs = [glob];
  if (hasWildcard(glob)) {
    if (!o.kernel.userFunctions) throw new ProbeError(`cannot expand ${provider} wildcards: no symbol reader was given to the compiler`, where);
    try {
      funcs = o.kernel.userFunctions(path, glob, o.pid);
    } catch (e) {
      throw new MissingProbeError(e instanceof Error ? e.message : String(e), where);
    }
    if (funcs.length === 0) throw new MissingProbeError(`no function in ${path} matches ${glob}`, where);
  }
  const mode = [...t.mode].sort().join('');
  const length = Number(t.length);
  return funcs.map((func) => ({
    provider,
    // bpftrace 0.17's name: the argument number shows where an address would, so arg0 leaves it out.
    name: `${provider}:${path}:${func}${arg !== 0 ? `:${arg}` : ''}:${length}:${mode}`,
    attach: {
      kind: 'funcwatchpoint', path, func, arg, length, mode: t.mode, async: provider === 'asyncwatchpoint', watch: o.nextWatch?.() ?? 0,
      // As uprobe wildcards: a function whose setup uprobe cannot be attached is skipped with a warning.
      ...(hasWildcard(glob) ? { optional: true } : {}),
    },
    progKind: 'perf_event' as const,
    ap,
  }));
}

/**
 * `fentry:f` / `fexit:f` (bpftrace's kfunc/kretfunc): a BPF trampoline program per function, its
 * parameters as `args` fields typed from BTF, `retval` after them for fexit. Wildcards expand
 * over the traceable functions that have BTF.
 */
function fentryInstances(ap: AttachPoint, provider: 'fentry' | 'fexit', module: string | null, func: string, o: ExpandOptions): ProbeInstance[] {
  const funcSpan = ap.partSpans[ap.parts.length - 1] ?? ap.span;
  if (module !== null && module !== 'vmlinux') throw new ProbeError(`${provider} on module functions is not supported yet`, ap.partSpans[0] ?? ap.span, 'kprobe:module:function works');
  const btf = o.kernel.btf();
  if (!btf) throw new ProbeError(`${provider} needs the kernel's BTF, and this kernel has none`, ap.span);
  let names = [func];
  if (hasWildcard(func)) {
    const found = o.kernel.kernelFunctions?.(func, 'vmlinux');
    if (found === undefined) throw new MissingProbeError(`cannot expand ${provider}:${func}: this kernel lists no functions`, funcSpan);
    names = [...new Set(found.map((f) => f.name))].filter((n) => btf.find(n, 'func').length > 0);
    if (names.length === 0) throw new MissingProbeError(`no kernel function with BTF matches ${provider}:${func}`, funcSpan);
  } else if (btf.find(func, 'func').length === 0) {
    throw new MissingProbeError(`kernel function ${func} has no BTF entry (inlined, static or not in vmlinux)`, funcSpan);
  }
  return names.map((name) => {
    const info = btf.funcProto(name);
    const fields: TracepointFieldInfo[] = info.params.map((p, i) => {
      const id = btf.resolve(p.type);
      const t = btf.typeById(id);
      const size = t.kind === 'struct' || t.kind === 'union' ? btf.sizeof(id) : 8;
      if (size > 8) throw new ProbeError(`${name} takes a ${btf.sizeof(id)}-byte ${t.kind} by value: ${provider} arguments larger than 8 bytes are not supported yet`, funcSpan);
      const signed = t.kind === 'int' ? t.signed : t.kind === 'enum' || t.kind === 'enum64' ? t.signed : false;
      const pname = p.name || `arg${i}`;
      // An int argument is read at its own size: the upper bits of its register are undefined.
      const space = t.kind === 'ptr' ? paramSpace(btf, t.type) : undefined;
      return {
        decl: `${btf.typeName(p.type)} ${pname}`, name: pname, offset: 8 * i, size: t.kind === 'ptr' ? 8 : Math.min(btf.sizeof(id), 8), signed, dataLoc: false,
        ...(space ? { space } : {}),
      };
    });
    const attach: AttachDef = { kind: provider, func: name, btfId: info.funcId };
    if (hasWildcard(func) || o.multi) attach.optional = true;
    return {
      provider, name: `${provider}:${name}`, attach, progKind: 'tracing' as const, ap,
      fentry: { nargs: info.params.length, btfId: info.funcId, fields },
    };
  });
}

/** `uprobe:/bin/bash:read*`: one instance per function of the file whose name matches. */
function uprobeWildcard(ap: AttachPoint, provider: 'uprobe' | 'uretprobe', path: string, glob: string, lang: string | null, o: ExpandOptions): ProbeInstance[] {
  const span = ap.partSpans[ap.parts.length - 1] ?? ap.span;
  if (lang !== null) throw new ProbeError(`${provider} wildcards with a symbol language (${lang}) are not supported yet`, span);
  if (!o.kernel.userFunctions) throw new ProbeError(`cannot expand ${provider} wildcards: no symbol reader was given to the compiler`, span);
  let names: string[];
  try {
    names = o.kernel.userFunctions(path, glob, o.pid);
  } catch (e) {
    throw new MissingProbeError(e instanceof Error ? e.message : String(e), ap.partSpans[0] ?? ap.span);
  }
  if (names.length === 0) throw new MissingProbeError(`no function in ${path} matches ${glob}`, span);
  return names.map((func) => ({
    provider, name: `${provider}:${path}:${func}`, attach: { kind: provider, path, func, optional: true }, progKind: 'kprobe' as const, ap,
  }));
}

function tracepointInstance(ap: AttachPoint, category: string, event: string, fields: TracepointFieldInfo[]): ProbeInstance {
  return {
    provider: 'tracepoint',
    name: `tracepoint:${category}:${event}`,
    attach: { kind: 'tracepoint', category, event },
    progKind: 'tracepoint',
    tracepoint: { category, event, fields },
    ap,
  };
}

/**
 * Wildcards matching more functions than this stay kprobes: each fentry function needs its own
 * program load and trampoline, which costs far more to set up than a kprobe.
 */
export const FENTRY_MAX_EXPANSION = 32;

/** x86-64 BPF trampolines before Linux 6.6 take up to six arguments, all in registers. */
const FENTRY_MAX_ARGS = 6;

/**
 * The mechanism policy for `kprobe:`/`kretprobe:`: where the kernel runs fentry/fexit programs
 * and the function has a BTF FUNC whose arguments are all integers or pointers, a kprobe is
 * compiled as fentry (kretprobe as fexit): cheaper to run, and arguments come from the
 * trampoline's context instead of pt_regs. What only a kprobe can do keeps the kprobe: reg(),
 * override(), an offset, module functions, functions without BTF or not traceable, arguments
 * past the function's own, kernel stacks (they would start in the trampoline), `func` where
 * fentry programs lack bpf_get_func_ip. The decision rests on the feature facts the KernelView
 * gives (feature probing), never on the kernel's version or name.
 */
export function choosePrograms(instances: ProbeInstance[], probe: Probe, kernel: KernelView): ProbeInstance[] {
  const kprobes = instances.filter((i) => i.attach.kind === 'kprobe' || i.attach.kind === 'kretprobe');
  if (kprobes.length === 0 || !kernel.probeMechanisms) return instances;
  const facts = kernel.probeMechanisms();
  if (!facts.fentry) {
    const why = 'this kernel does not run fentry programs';
    return instances.map((i) => (i.attach.kind === 'kprobe' || i.attach.kind === 'kretprobe' ? { ...i, attach: { ...i.attach, kprobeReason: why } } : i));
  }
  const needs = scriptNeeds(probe);
  const btf = kernel.btf();
  const perAp = new Map<AttachPoint, number>();
  for (const i of kprobes) perAp.set(i.ap, (perAp.get(i.ap) ?? 0) + 1);
  return instances.map((inst) => {
    const a = inst.attach;
    if (a.kind !== 'kprobe' && a.kind !== 'kretprobe') return inst;
    const decide = (): string | { nargs: number; btfId: number } => {
      if (needs.reg) return 'reg() reads pt_regs';
      if (needs.sarg) return 'sargN reads the stack pointer from pt_regs';
      if (needs.override) return 'override() needs a kprobe';
      if (needs.kstack) return 'kstack is taken as a kprobe sees it (under fentry it would start in the trampoline)';
      if (a.offset !== undefined) return 'an offset (+N) needs a kprobe';
      if (a.module !== undefined && a.module !== 'vmlinux') return 'module functions use kprobes';
      if (needs.func && !facts.fentryFuncIp) return 'func needs bpf_get_func_ip() in fentry programs (Linux 5.15+)';
      const n = perAp.get(inst.ap) ?? 1;
      if (n > FENTRY_MAX_EXPANSION) return `the wildcard matched ${n} functions (more than ${FENTRY_MAX_EXPANSION}: kprobes attach faster)`;
      if (!btf) return 'the kernel has no BTF';
      const ids = btf.find(a.func, 'func');
      if (ids.length === 0) return `${a.func} has no BTF FUNC`;
      const traceable = kernel.kernelFunctions?.(a.func, 'vmlinux');
      if (traceable !== undefined && traceable.length === 0) return `${a.func} is not in the kernel's traceable functions`;
      const info = btf.funcProto(a.func);
      if (info.variadic) return `${a.func} is variadic`;
      if (info.params.length > FENTRY_MAX_ARGS) return `${a.func} has more than ${FENTRY_MAX_ARGS} arguments`;
      for (const p of info.params) {
        const t = btf.typeById(btf.resolve(p.type));
        if ((t.kind !== 'int' && t.kind !== 'ptr' && t.kind !== 'enum' && t.kind !== 'enum64') || btf.sizeof(t.id) > 8) {
          return `${a.func} takes a ${t.kind} argument (fentry reads integers and pointers)`;
        }
      }
      if (needs.maxArg >= info.params.length) return `the script reads arg${needs.maxArg} and ${a.func} has ${info.params.length} argument${info.params.length === 1 ? '' : 's'}`;
      return { nargs: info.params.length, btfId: ids[0]! };
    };
    const d = decide();
    if (typeof d === 'string') return { ...inst, attach: { ...a, kprobeReason: d } };
    return { ...inst, progKind: 'tracing', attach: { ...a, fentryBtfId: d.btfId }, fentry: { ...d, fallback: inst } };
  });
}

interface ScriptNeeds {
  reg: boolean;
  /** sargN: arguments on the stack, found from pt_regs' stack pointer. */
  sarg: boolean;
  override: boolean;
  kstack: boolean;
  func: boolean;
  /** Highest argN read (-1: none). */
  maxArg: number;
}

function scriptNeeds(probe: Probe): ScriptNeeds {
  const n: ScriptNeeds = { reg: false, sarg: false, override: false, kstack: false, func: false, maxArg: -1 };
  forEachExpr(probe, (e) => {
    if (e.kind === 'Call') {
      if (e.name === 'reg') n.reg = true;
      if (e.name === 'override') n.override = true;
      if (e.name === 'kstack') n.kstack = true;
    } else if (e.kind === 'Builtin') {
      if (e.name === 'kstack') n.kstack = true;
      if (e.name === 'func') n.func = true;
      if (/^sarg[0-9]+$/.test(e.name)) n.sarg = true;
      const m = /^arg([0-9]+)$/.exec(e.name);
      if (m) n.maxArg = Math.max(n.maxArg, Number(m[1]));
    }
  });
  return n;
}

/** The record `args` points to in an fentry/fexit program: each parameter a u64 slot of the context. */
/**
 * The memory an fentry/fexit pointer parameter points into, from the pointee's BTF (`pointee`: the
 * id a PTR refers to). A kernel built by clang with BTF type tags marks `__user` pointers with a
 * type_tag "user": tagged is user memory, untagged kernel memory. A kernel whose BTF has no "user"
 * tag at all (GCC builds — Debian's, among others — cannot emit them) says nothing: the parameter
 * may be a syscall's `const char __user *filename` as well as a `struct file *`, so it is 'any',
 * read with bpf_probe_read(_str), which picks by the address (x86-64). Pointers read out of the
 * memory it points to are typed from BTF as usual (kernel, unless tagged).
 */
export function paramSpace(btf: Btf, pointee: number): AddrSpace {
  for (let depth = 0, id = pointee; depth < 64 && id !== 0; depth++) {
    const t = btf.typeById(id);
    if (t.kind === 'type_tag' && t.name === 'user') return 'user';
    if (t.kind !== 'type_tag' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict') break;
    id = t.type;
  }
  return hasUserTags(btf) ? 'kernel' : 'any';
}

const userTagged = new WeakMap<Btf, boolean>();
function hasUserTags(btf: Btf): boolean {
  let v = userTagged.get(btf);
  if (v === undefined) userTagged.set(btf, v = btf.find('user', 'type_tag').length > 0);
  return v;
}

export function fentryArgsRecord(attach: AttachDef, fields: TracepointFieldInfo[]): RecordType {
  const name = attach.kind === 'fentry' || attach.kind === 'fexit' ? attach.func : 'args';
  return {
    kind: 'record', name: `struct _${attach.kind}_${name}_args`, size: 8 * fields.length, align: 8, union: false,
    fields: fields.map((f) => ({ name: f.name, type: tracepointFieldType(f, f.space ?? 'kernel'), offset: f.offset })),
  };
}

/**
 * Semantic analysis: probes expanded into units (one BPF program each), every expression typed
 * with bpftrace 0.17's rules, scratch variables typed per probe, maps typed across the whole
 * script (first assignment wins; a later different one is an error naming the first).
 *
 * Like bpftrace, typing runs in passes: early passes only collect map types (so a map may be
 * read in a probe that comes before the one assigning it) and report nothing; the final pass
 * reports the first error as a LangError.
 */
import type {
  Program, Probe, Expr, Stmt, Block, Call, Binary, Unary, MapRef, Variable, Builtin, Cast, CType,
  FieldAccess, IndexAccess, AssignStmt, IncDec, Ternary, CStructDef, Include, ConfigBlock, ForStmt, LetStmt, MapDecl,
} from '../ast.js';
import { dirname, resolve } from 'node:path';
import { HeaderResolver, isStoodInFor } from '../headers.js';
import type { Btf } from '../../btf/btf.js';
import type { AttachDef } from '../spec.js';
import { DwarfTypes } from './dwarf-types.js';
import { uprobeArgsRecord, type UprobeArgsRecord } from './uprobe-args.js';
import { BtfTypes, BUILTIN_CONSTANTS, fieldNames, findField, layoutRecord, type DeclaredField, type FieldHit } from './records.js';
import { isType } from '../ast.js';
import { LangError, formatDiagnostic } from '../diagnostic.js';
import { type KernelView, type TaskOffsets, taskOffsetsFromBtf } from '../kernel-view.js';
import { SourceFile, joinSpans, type Span } from '../source.js';
import {
  INT64, UINT64, UINT32, VOID, BOOL, tupleType, isBucketedAgg, bucketParams, llhistBounds, typeName as baseTypeName, sizeOf,
  type SType, type IntType, type AggType, type RecordType, type StringType, type PointerType, type StackType, type AddrSpace,
} from '../types.js';
import { intTypeByName, opaqueRecord, tracepointRecord } from './ctypes.js';
import { parseFormat, checkArgs, FormatError } from '../../output/printf.js';
import { choosePrograms, expandAttachPoint, fentryArgsRecord, MissingProbeError, ProbeError, type ProbeInstance } from './probes.js';
import { planUnits, type UnitPlan } from './units.js';
import { builtinsUsed, forEachExpr, forEachStmt } from './walk.js';
import { usdtArgProblem } from '../usdt.js';
import { hasWildcard } from '../probe-spec.js';
import { SYSTEM_CALLS, typeSystemCall, type CallContext } from './system-calls.js';

export interface SemaOptions {
  file?: string;
  params?: string[];
  kernel: KernelView;
  strlen?: number;
  pid?: number;
  /** -c CMD's executable (PATH searched), for `watchpoint:FUNC+argN`. */
  commandPath?: string;
  unsafe?: boolean;
  /** Maximum entries of a map (BPFTRACE_MAX_MAP_KEYS); wins over the script's config block. */
  maxMapKeys?: number;
  /** Default stack mode of kstack/ustack (BPFTRACE_STACK_MODE); wins over the config block. */
  stackMode?: StackType['mode'];
  /** What to do with probes this system does not have (BPFTRACE_MISSING_PROBES); wins over the config block. */
  missingProbes?: MissingProbes;
  /** --include FILE: headers included before the script, as `#include <FILE>` lines would be. */
  includes?: readonly string[];
  /** -I DIR: directories searched for headers before the system ones. */
  includeDirs?: readonly string[];
}

/** An --include header that is on no search path. */
export class HeaderNotFoundError extends Error {
  override readonly name = 'HeaderNotFoundError';
  constructor(readonly header: string) {
    super(`--include ${header}: '${header}' file not found`);
  }
}

/** What a `config = { … }` block set (newer bpftrace), after the environment's overrides. */
export interface ScriptConfig {
  maxMapKeys?: number;
  printMapsOnExit?: boolean;
  /** `missing_probes` when not `error` (the default). */
  missingProbes?: 'warn' | 'ignore';
}

/**
 * newer bpftrace's `missing_probes`: an attach point this system does not have (or that cannot be
 * attached) is an error, or is skipped with a warning, or silently.
 */
export type MissingProbes = 'error' | 'warn' | 'ignore';

/** Parses a `missing_probes` value; undefined when it is none of error, warn, ignore. */
export function parseMissingProbes(text: string): MissingProbes | undefined {
  return text === 'error' || text === 'warn' || text === 'ignore' ? text : undefined;
}

/** bpftrace's words for a bad `missing_probes` value. */
export const MISSING_PROBES_VALUES = 'Invalid value for missing_probes: valid values are ignore, warn, and error.';

export interface MapInfo {
  name: string;
  /** `let @m = lruhash(100);` (newer bpftrace): the declared kind and size. */
  decl?: { kind: 'hash' | 'lruhash' | 'percpuhash' | 'percpulruhash'; maxEntries: number };
  /** Key parts; [] for a scalar map; undefined until the first access. */
  keys?: SType[];
  keySpan?: Span;
  value?: SType;
  valueSpan?: Span;
  firstSpan: Span;
}

export interface VarInfo {
  name: string;
  /** void for `let $x;` until something is assigned. */
  type: SType;
  span: Span;
  /** The `for` loop whose body declares it (it lives in that loop's callback); null: the probe. */
  loop: ForStmt | null;
}

/** A `for` loop: its variable, and what its callback needs. */
export interface LoopInfo {
  variable: VarInfo;
  /** The body leaves the probe (`return`, `exit()`): the callback sets a flag and stops the loop. */
  returns: boolean;
}

/** One BPF program to be: a probe block specialised for a group of its instances. */
export interface Unit {
  probe: Probe;
  probeIndex: number;
  plan: UnitPlan;
  /** Address space of plain integers used as pointers (str(arg0) in a uprobe reads user memory): unitSpace. */
  space: AddrSpace;
  /** What `args` points to in a tracepoint unit. */
  args?: RecordType;
  types: Map<Expr, SType>;
  /** Variables of the probe's scope (first assigned outside any `for`, or `let` at the top). */
  vars: Map<string, VarInfo>;
  /** Variables of inner scopes: `let` in a block, `for` variables, first assignments in a loop body. */
  scoped: VarInfo[];
  /** The variable each `$x` in the probe refers to. */
  varRefs: Map<Variable, VarInfo>;
  loops: Map<ForStmt, LoopInfo>;
  /** delete(@m, k) / has_key(@m, k) with a tuple value as the key: the key expressions (keyArgs). */
  callKeys: Map<Call, Expr[]>;
  /** Constant strings known at compile time: string literals, str($1); also pton()'s address bytes. */
  strings: Map<Expr, Uint8Array>;
  /** probe builtin: the id of each instance (index into probeNames); for syscall dispatch, id = base + nr. */
  probeIds: number[];
  probeBase?: number;
  /**
   * Field accesses into structs in memory (BTF or script structs, not the tracepoint record):
   * where the field is and how its struct is reached ('ptr': through `p->f`, the pointer is the
   * object's value; 'value': `s.f` where `s` itself is such a field, `*p` or `p[i]`).
   */
  fieldLocs: Map<FieldAccess, FieldLoc>;
  /** Fields of struct values the program holds (on its stack, in a map): their byte offset. */
  localFields: Map<FieldAccess, number>;
  /** Values fixed at compile time: kaddr()/uaddr() addresses, cgroupid() ids (sema/system-calls.ts). */
  addresses: Map<Call, bigint>;
  /** uaddr() calls in a relocatable file: their `addresses` entry is an offset from the probe's ip. */
  ipRelative: Set<Call>;
  /** The kprobe twin of an fentry unit (the run-time fallback): compiled, not attached by itself. */
  fallbackOf?: Unit;
}

export interface FieldLoc extends FieldHit {
  via: 'ptr' | 'value';
  space: AddrSpace;
}

/**
 * The memory a unit's integers point into when cast to pointers (bpftrace's find_addrspace): user
 * for uprobes, USDT, syscall tracepoints (their arguments are user pointers) and watchpoints on a
 * function's argument (they watch the process's memory); kernel for kprobes, fentry, tracepoints,
 * raw tracepoints, iterators and the shared raw_syscalls program (it reads the kernel's pt_regs);
 * 'any' where nobody can know — BEGIN/END, interval, profile, software, hardware, watchpoints on an
 * address — or where a unit mixes kinds: bpf_probe_read then picks by the address (types.ts).
 */
export function unitSpace(plan: Pick<UnitPlan, 'instances' | 'syscalls'>): AddrSpace {
  if (plan.syscalls) return 'kernel';
  const of = (i: ProbeInstance): AddrSpace => {
    if (i.attach.kind === 'funcwatchpoint') return 'user';
    switch (i.provider) {
      case 'uprobe': case 'uretprobe': case 'usdt': return 'user';
      case 'tracepoint': return i.tracepoint?.category === 'syscalls' ? 'user' : 'kernel';
      case 'kprobe': case 'kretprobe': case 'rawtracepoint': case 'fentry': case 'fexit': case 'iter': return 'kernel';
      default: return 'any';
    }
  };
  const spaces = new Set(plan.instances.map(of));
  return spaces.size === 1 ? [...spaces][0]! : 'any';
}

export interface Analysis {
  program: Program;
  source: SourceFile;
  units: Unit[];
  maps: Map<string, MapInfo>;
  probeNames: string[];
  probeCount: number;
  unsafe: boolean;
  strlen: number;
  /** Internal maps the programs need: 'elapsed' (start time), 'cpid' (child pid). */
  uses: Set<'elapsed' | 'cpid'>;
  /** Frame limits of the kstack/ustack used: one '.stacks_<limit>' stack_trace map each. */
  stackLimits: Set<number>;
  /** strftime() formats and cgroup_path() filters; values carry their index here. */
  strftimeFormats: string[];
  cgroupPathFilters: string[];
  /** Warnings, formatted as errors are (file:line:col: warning: …, the line, a caret). */
  warnings: string[];
  params: string[];
  config: ScriptConfig;
  /** Possible CPUs of the kernel (reads of per-CPU aggregations loop over them). */
  possibleCpus: number;
  /** Compile-time value of an integer expression (literals, $N, #define, enum, folded operators). */
  constInt(e: Expr): bigint | undefined;
  /**
   * Where the current task keeps pid (the thread id), tgid (the process id) and comm (char[16]),
   * from the kernel's BTF; undefined without BTF. Lowering then reads them straight from
   * bpf_get_current_task_btf() instead of calling helpers (looked up only when asked: BTF costs).
   */
  currentTask(): TaskOffsets | undefined;
}

export type { TaskOffsets };

/** bpftrace's default and largest kstack/ustack frame counts. */
export const DEFAULT_STACK_LIMIT = 127;
export const MAX_STACK_LIMIT = 1024;

/** Old names of configuration options bpftrace still takes (with a warning). */
const CONFIG_RENAMED: Record<string, string> = { strlen: 'max_strlen', map_keys_max: 'max_map_keys', cat_bytes_max: 'max_cat_bytes' };
/** bpftrace's configuration options (src/config.cpp) that sonde does not take. */
const BPFTRACE_CONFIG_KEYS = new Set([
  'cache_user_symbols', 'cpp_demangle', 'lazy_symbolication', 'license', 'log_size', 'max_bpf_progs', 'max_cat_bytes',
  'max_probes', 'on_stack_limit', 'perf_rb_pages', 'str_trunc_trailer', 'use_blazesym',
  'show_debug_info', 'unstable_macro', 'unstable_map_decl', 'unstable_import', 'unstable_tseries', 'unstable_typeinfo',
  'unstable_dw_ustack', 'symbol_source',
]);

/** Builtins and functions that read the probe's context, which a loop body (a callback) has not. */
const CTX_BUILTINS = new Set(['args', 'retval', 'func', 'kstack', 'ustack']);
const CTX_CALLS = new Set(['reg', 'kstack', 'ustack', 'override']);
/** Aggregations whose value a probe may read as an integer (summed / compared across CPUs). */
const CASTABLE_AGGS = new Set(['count', 'sum', 'min', 'max', 'avg']);
const AGG_FUNCS = new Set(['count', 'sum', 'avg', 'min', 'max', 'stats', 'hist', 'lhist', 'llhist', 'bhist']);
const UNSAFE_FUNCS = new Set(['system', 'signal', 'override']);
/** x86-64 pt_regs offsets of the argument registers and friends. */
export const PT_REGS: Record<string, number> = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72, ax: 80, cx: 88,
  dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
};
export const ARG_REGS = ['di', 'si', 'dx', 'cx', 'r8', 'r9'];

/** The record `args` points to: a tracepoint's, or an fentry/fexit function's parameters. */
function isArgsRecord(name: string): boolean {
  return name.startsWith('struct _tracepoint_') || name.startsWith('struct _fentry_') || name.startsWith('struct _fexit_') || name.startsWith('struct _uprobe_');
}

/** Message text of a type, in bpftrace's words where they differ from typeName(). */
export function typeName(t: SType): string {
  if (t.kind === 'agg') return t.fn;
  return baseTypeName(t);
}

/**
 * The named structs and unions that BTF's definitions of `names` ('struct task_struct') contain by
 * value, through arrays, typedefs and anonymous members, the named ones themselves included.
 */
function btfValueClosure(btf: Btf, names: readonly string[]): Set<string> {
  const out = new Set<string>();
  const seen = new Set<number>();
  const queue: number[] = [];
  for (const n of names) {
    const m = /^(struct|union) (\w+)$/.exec(n);
    if (m) queue.push(...btf.find(m[2]!, m[1] as 'struct' | 'union'));
  }
  while (queue.length > 0) {
    let id = btf.resolve(queue.pop()!);
    for (let t = btf.typeById(id); t.kind === 'array'; t = btf.typeById(id)) id = btf.resolve(t.type);
    if (id === 0 || seen.has(id)) continue;
    seen.add(id);
    const t = btf.typeById(id);
    if (t.kind !== 'struct' && t.kind !== 'union') continue;
    if (t.name !== '') out.add(`${t.kind} ${t.name}`);
    for (const m of t.members) queue.push(m.type);
  }
  return out;
}

/** The arguments that must be string literals, by builtin (str($N) stands for one there). */
const LITERAL_ARGS: Readonly<Record<string, readonly number[]>> = {
  kaddr: [0], uaddr: [0], cgroupid: [0], cgroup_path: [1], reg: [0], signal: [0], printf: [0], system: [0], cat: [0],
  time: [0], strftime: [0], debugf: [0], join: [1],
};

export function analyze(program: Program, opts: SemaOptions): Analysis {
  return new Analyzer(program, opts).run();
}

class Analyzer {
  private readonly file: string;
  private readonly source: SourceFile;
  private readonly params: string[];
  private strlen: number;
  private stackMode: StackType['mode'] = 'bpftrace';
  private readonly config: ScriptConfig = {};
  private final = false;
  private readonly maps = new Map<string, MapInfo>();
  private readonly units: Unit[] = [];
  private readonly probeNames: string[] = [];
  private probeCount = 0;
  private unsafeUsed = false;
  private readonly uses = new Set<'elapsed' | 'cpid'>();
  private readonly stackLimits = new Set<number>();
  private readonly defines = new Map<string, Expr>();
  private readonly enums = new Map<string, bigint>();
  private readonly sizeofs = new Map<Expr, number>();
  private readonly scriptRecords = new Map<string, RecordType>();
  private readonly typedefs = new Map<string, SType>();
  private btfTypes: BtfTypes | null | undefined;
  /** DWARF of the binaries uprobes name (as written): looked up only when a script needs a type. */
  private readonly dwarfTypes = new Map<string, { types: DwarfTypes | null; path: string } | Error>();
  private readonly headerDefines = new Map<string, bigint>();
  private readonly strftimeFormats: string[] = [];
  private readonly cgroupPathFilters: string[] = [];
  private readonly warnings: string[] = [];
  // Per-unit state while typing.
  private unit!: Unit;
  private loopDepth = 0;
  /** Depth of `for` bodies (callbacks: no access to the probe's context). */
  private forDepth = 0;
  private inStr = false;
  /** Block scopes inside the probe body, innermost last; `loop` marks a `for` body. */
  private scopes: { vars: Map<string, VarInfo>; loop: ForStmt | null }[] = [];

  constructor(private readonly program: Program, private readonly opts: SemaOptions) {
    this.file = opts.file ?? program.file;
    this.source = new SourceFile(this.file, program.source);
    this.params = opts.params ?? [];
    this.strlen = opts.strlen ?? 64;
  }

  run(): Analysis {
    this.literalPositionals();
    this.preamble();
    const decls = this.mapDecls();
    this.plan();
    // Early passes collect map types; stop as soon as nothing changes.
    let before = '';
    for (let pass = 0; pass < 8; pass++) {
      this.typeAll();
      const now = this.mapSignature();
      if (now === before) break;
      before = now;
    }
    this.final = true;
    this.typeAll();
    for (const m of this.maps.values()) {
      if (m.value === undefined) this.error(`Undefined map: ${m.name}`, m.firstSpan);
    }
    for (const d of decls) {
      const m = this.maps.get(d.name);
      if (!m) {
        this.warn(`Unused map: ${d.name}`, d.span);
        continue;
      }
      const kind = d.mapType as NonNullable<MapInfo['decl']>['kind'];
      const agg = m.value?.kind === 'agg';
      if (!agg && kind.startsWith('percpu')) {
        this.error(`${d.name}: a ${kind} map holds aggregations (count(), sum(), …); a map of plain values is a hash or lruhash`, d.span);
      }
      m.decl = { kind, maxEntries: Number(d.size.value) };
    }
    return {
      program: this.program, source: this.source, units: this.units, maps: this.maps,
      probeNames: this.probeNames, probeCount: this.probeCount, unsafe: this.unsafeUsed,
      currentTask: () => this.currentTask(),
      strlen: this.strlen, uses: this.uses, params: this.params, constInt: (e) => this.constInt(e),
      stackLimits: this.stackLimits, strftimeFormats: this.strftimeFormats, cgroupPathFilters: this.cgroupPathFilters, warnings: this.warnings, config: this.config, possibleCpus: this.opts.kernel.possibleCpus,
    };
  }

  /**
   * `kaddr(str($1))`: where a builtin takes a string literal, `str($N)` is one, the parameter's
   * text (bpftrace 0.17 marks it a literal). Replaced before typing, so every later pass sees the
   * string. bpftrace 0.17 also accepts it as printf's, system's, cat's, time's and strftime's
   * format but then uses the text "str" (a bug); sonde uses the parameter.
   */
  private literalPositionals(): void {
    for (const probe of this.program.probes) {
      forEachExpr(probe, (e) => {
        if (e.kind !== 'Call') return;
        const at = LITERAL_ARGS[e.name];
        if (at === undefined) return;
        for (const i of at) {
          const a = e.args[i];
          if (a?.kind !== 'Call' || a.name !== 'str' || a.args.length !== 1 || a.args[0]!.kind !== 'Positional') continue;
          const n = a.args[0].index;
          if (n < 1) continue;
          // A parameter not given is the empty string, as str($N) is anywhere else.
          const value = this.params[n - 1] ?? '';
          e.args[i] = { kind: 'String', value, bytes: new TextEncoder().encode(value), span: a.span };
        }
      });
    }
  }

  private mapSignature(): string {
    return [...this.maps.values()].map((m) => `${m.name}:${m.keys?.map(typeName).join(',')}:${m.value ? typeName(m.value) : '?'}`).join(';');
  }

  // ─── errors ────────────────────────────────────────────────────────────────

  /** Reports an error: thrown in the final pass, ignored in earlier ones (the caller carries on with void). */
  private error(message: string, span: Span, hint?: string): void {
    if (!this.final) return;
    throw new LangError(message, this.file, span, { source: this.source, ...(hint !== undefined ? { hint } : {}) });
  }

  /** A warning (final pass only), formatted like an error. */
  private warn(message: string, span: Span): void {
    if (!this.final) return;
    const text = formatDiagnostic({ severity: 'warning', message, file: this.file, span }, this.source);
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }

  /**
   * A warning in bpftrace's form (`file:L:C: WARNING: …`), recorded whatever the pass (for those
   * of passes that run once, as plan()).
   */
  private warnNow(message: string, span: Span): void {
    const text = formatDiagnostic({ severity: 'warning', message, file: this.file, span }, this.source).replace(': warning: ', ': WARNING: ');
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }

  /**
   * With `missing_probes` warn/ignore, as bpftrace's probe matcher does before attaching: a
   * kprobe's function the kernel does not list, or a uprobe's function its binary (or the binary
   * itself) does not have, is missing. Without a way to look (no function list), it is left to
   * the attach.
   */
  private checkPresent(found: ProbeInstance[]): void {
    const kernel = this.opts.kernel;
    for (const inst of found) {
      const a = inst.attach;
      // A wildcard's expansion lists what is there; a symbol language's names are demangled.
      if (inst.ap.parts.some((p, i) => !inst.ap.quoted[i] && hasWildcard(p)) || (inst.ap.target?.kind === 'uprobe' && inst.ap.target.lang !== null)) continue;
      const span = inst.ap.partSpans[inst.ap.parts.length - 1] ?? inst.ap.span;
      if ((a.kind === 'kprobe' || a.kind === 'kretprobe') && a.offset === undefined) {
        const funcs = kernel.kernelFunctions?.(a.func, a.module);
        if (funcs !== undefined && funcs.length === 0) throw new MissingProbeError(`no kernel function ${a.func}`, span);
      }
      if ((a.kind === 'uprobe' || a.kind === 'uretprobe') && a.address === undefined && a.func !== '' && kernel.userFunctions) {
        let funcs: string[];
        try {
          funcs = kernel.userFunctions(a.path, a.func, this.opts.pid);
        } catch (e) {
          throw new MissingProbeError(e instanceof Error ? e.message : String(e), inst.ap.partSpans[0] ?? inst.ap.span);
        }
        if (funcs.length === 0) throw new MissingProbeError(`no function ${a.func} in ${a.path}`, span);
      }
    }
  }

  private fail(message: string, span: Span, hint?: string): never {
    throw new LangError(message, this.file, span, { source: this.source, ...(hint !== undefined ? { hint } : {}) });
  }

  private where(span: Span): string {
    return `${this.file}:${span.line}:${span.col}`;
  }

  // ─── preamble: #define constants and enums ────────────────────────────────

  private preamble(): void {
    this.commandLineIncludes();
    for (const item of this.program.preamble) {
      if (item.kind === 'Define' && item.params === null && item.value) this.defines.set(item.name, item.value);
      if (item.kind === 'Include') this.include(item);
      if (item.kind === 'CStructDef' && item.name !== null && item.members) this.defineRecord(item);
      if (item.kind === 'CTypedef') this.typedefs.set(item.name, this.scriptType(item.type));
      if (item.kind === 'CEnumDef' && item.values) {
        let next = 0n;
        for (const v of item.values) {
          if (v.value) {
            const c = this.constInt(v.value);
            if (c === undefined) this.fail(`enum value ${v.name} is not a constant`, v.value.span);
            next = c;
          }
          this.enums.set(v.name, next);
          next++;
        }
      }
    }
    if (this.program.config) this.configBlock(this.program.config);
    if (this.opts.strlen !== undefined) this.strlen = this.opts.strlen;
    if (this.opts.maxMapKeys !== undefined) this.config.maxMapKeys = this.opts.maxMapKeys;
    if (this.opts.stackMode !== undefined) this.stackMode = this.opts.stackMode;
    if (this.opts.missingProbes === 'error') delete this.config.missingProbes;
    else if (this.opts.missingProbes !== undefined) this.config.missingProbes = this.opts.missingProbes;
  }

  /** `let @m = lruhash(100);` at the top (newer bpftrace): checked here, applied to the map's layout. */
  private mapDecls(): MapDecl[] {
    const seen = new Map<string, MapDecl>();
    for (const d of this.program.maps) {
      if (!['hash', 'lruhash', 'percpuhash', 'percpulruhash'].includes(d.mapType)) {
        this.fail(`Invalid bpf map type: ${d.mapType}`, d.span, 'valid types: hash, lruhash, percpuhash, percpulruhash');
      }
      if (d.size.value < 1n || d.size.value > 0xffffffffn) this.fail(`${d.name}: the number of entries must be between 1 and 4294967295`, d.size.span);
      const prev = seen.get(d.name);
      if (prev) this.fail(`${d.name} is already declared`, d.span, `first declared at ${this.where(prev.span)}`);
      seen.set(d.name, d);
    }
    return [...seen.values()];
  }

  /**
   * `config = { max_strlen = 128; stack_mode = perf }`: names as bpftrace takes them (any case, with
   * or without BPFTRACE_). The environment (options here) wins, as in bpftrace.
   */
  private configBlock(block: ConfigBlock): void {
    for (const set of block.settings) {
      let key = set.name.toLowerCase();
      if (key.startsWith('bpftrace_')) key = key.slice('bpftrace_'.length);
      key = CONFIG_RENAMED[key] ?? key;
      const v = set.value;
      const int = (min: bigint): number => {
        if (v.kind !== 'Integer') this.fail(`${set.name}: expects an integer`, v.span);
        if (v.value < min) this.fail(`${set.name}: must be at least ${min}`, v.span);
        return Number(v.value);
      };
      switch (key) {
        case 'max_strlen':
          this.strlen = int(1n);
          break;
        case 'max_map_keys':
          this.config.maxMapKeys = int(1n);
          break;
        case 'stack_mode': {
          const mode = v.kind === 'Identifier' || v.kind === 'String' ? (v.kind === 'String' ? v.value : v.name) : '';
          if (mode !== 'bpftrace' && mode !== 'perf' && mode !== 'raw') this.fail(`${set.name}: Invalid value for stack_mode: expected bpftrace, perf or raw`, v.span);
          this.stackMode = mode;
          break;
        }
        case 'missing_probes': {
          const mode = parseMissingProbes(v.kind === 'String' ? v.value : v.kind === 'Identifier' ? v.name : '');
          if (mode === undefined) this.fail(`${set.name}: ${MISSING_PROBES_VALUES}`, v.span);
          if (mode === 'error') delete this.config.missingProbes;
          else this.config.missingProbes = mode;
          break;
        }
        case 'print_maps_on_exit': {
          const text = v.kind === 'Bool' ? String(v.value) : v.kind === 'Integer' ? String(v.value) : v.kind === 'String' ? v.value : v.name;
          if (/^(true|1|yes|on)$/i.test(text)) this.config.printMapsOnExit = true;
          else if (/^(false|0|no|off)$/i.test(text)) this.config.printMapsOnExit = false;
          else this.fail(`${set.name}: expects true or false`, v.span);
          break;
        }
        case 'btf': case 'kernel_build': case 'kernel_source': case 'vmlinux':
          this.fail(`${set.name}: can only be set as an environment variable`, set.span);
          break;
        default:
          if (BPFTRACE_CONFIG_KEYS.has(key)) this.fail(`${set.name}: this bpftrace configuration option is not supported by sonde`, set.span, 'sonde takes max_strlen, max_map_keys, stack_mode, print_maps_on_exit and missing_probes');
          this.fail(`${set.name}: not a known configuration option`, set.span, 'known options: max_strlen, max_map_keys, stack_mode, print_maps_on_exit, missing_probes');
      }
    }
  }

  /**
   * `#include <x.h>`: a header found on this system contributes its simple numeric `#define`s
   * and those of the headers it includes (src/lang/headers.ts). An absent kernel header
   * (linux/sched.h, net/sock.h: kernel-internal, absent from most systems) is fine, as BTF and
   * the built-in table give types, enums and the usual constants; any other absent header is an
   * error, as in C.
   */
  private include(inc: Include): void {
    const fromDir = this.file === 'stdin' || this.file === '-' ? process.cwd() : dirname(resolve(this.file));
    if (this.headers().collect(inc.path, inc.angled, this.headerDefines, fromDir) !== undefined || isStoodInFor(inc.path)) return;
    // The caret under `<lol/no.h>`, where the C compiler puts it.
    const line = this.source.lineText(inc.span.line);
    const at = line.indexOf(inc.angled ? `<${inc.path}` : `"${inc.path}`);
    const start = inc.span.offset + (at >= 0 ? at - (inc.span.col - 1) : 0);
    this.fail(`'${inc.path}' file not found`, this.source.span(start, start + inc.path.length + 2),
      `headers are searched in ${[...(inc.angled ? [] : ["the script's directory"]), ...this.headers().searchDirs()].join(', ')} (-I DIR adds one)` +
      '; an absent kernel header (linux/, net/, asm/, …) or C library header (sys/, netinet/, errno.h, …) is stood in for by BTF');
  }

  private headerResolver: HeaderResolver | undefined;

  private headers(): HeaderResolver {
    return (this.headerResolver ??= new HeaderResolver({ includeDirs: this.opts.includeDirs ?? [] }));
  }

  /** --include FILE: before the script's own lines, as `#include <FILE>`. */
  private commandLineIncludes(): void {
    for (const h of this.opts.includes ?? []) {
      if (this.headers().collect(h, true, this.headerDefines) === undefined && !isStoodInFor(h)) throw new HeaderNotFoundError(h);
    }
  }

  /**
   * C's rule for a member held by value (`struct thread_info x;`, or an array of them): its type
   * must be complete — defined above by the script, or supplied by BTF. BTF supplies it as
   * bpftrace's does (src/clang_parser.cpp, "type resolution rules"): kernel types the program
   * uses and the types the script's structs hold come from BTF, unless one of them, or of the
   * types they hold by value, is one the script redefines — then no BTF type is used and the
   * script must define them all. With #include lines (or --include) the headers would define
   * them, and BTF stands in for the headers: bpftrace's runqlen.bt defines `struct cfs_rq {
   * struct load_weight load; … }` after `#include <linux/sched.h>` (bpftrace itself then needs
   * the kernel's headers installed).
   */
  private completeMember(type: CType): void {
    let t = type;
    while (t.kind === 'ArrayType') t = t.of;
    if (t.kind !== 'TaggedType' || t.tag === 'enum' || t.name === null || (t.body?.kind === 'CStructDef' && t.body.members)) return;
    const name = `${t.tag} ${t.name}`;
    if (this.scriptRecords.has(name)) return;
    const btf = this.opts.kernel.btf();
    const inBtf = btf !== undefined && btf.find(t.name, t.tag).length > 0;
    const included = !!this.opts.includes?.length || this.program.preamble.some((i) => i.kind === 'Include');
    let why: string;
    if (this.scriptRecordNames().has(name)) why = `the script defines ${name} below; define it before it is used`;
    else if (!inBtf) why = `neither the script nor the kernel's BTF defines ${name}`;
    else if (included) return;
    else {
      const conflict = this.btfConflict();
      if (conflict === undefined) return;
      why = `the script redefines ${conflict}, a kernel type the program uses (or one it holds); then, as in bpftrace, BTF supplies no types and the script defines them all: define ${name} too, hold a pointer to it, or #include its header (BTF then stands in)`;
    }
    // clang's words, which bpftrace prints (`error: field has incomplete type 'struct thread_info'`).
    this.fail(`error: field has incomplete type '${name}'`, t.span, why);
  }

  private recordNames: Set<string> | undefined;

  /** Every struct and union the script defines, nested definitions included. */
  private scriptRecordNames(): Set<string> {
    if (this.recordNames) return this.recordNames;
    const names = new Set<string>();
    const visit = (def: CStructDef): void => {
      if (def.name !== null && def.members) names.add(`${def.tag} ${def.name}`);
      for (const m of def.members ?? []) {
        let t = m.type;
        while (t.kind === 'ArrayType' || t.kind === 'PointerType') t = t.kind === 'ArrayType' ? t.of : t.to;
        if (t.kind === 'TaggedType' && t.body?.kind === 'CStructDef') visit(t.body);
      }
    };
    for (const item of this.program.preamble) if (item.kind === 'CStructDef') visit(item);
    return (this.recordNames = names);
  }

  private conflict: { name: string | undefined } | undefined;

  /**
   * The script-defined struct that BTF would redefine, if any: one among the kernel types the
   * program uses (curtask's task_struct, casts, sizeof, offsetof), the types the script's structs
   * hold by value, and everything those hold by value (what bpftrace's BTF header would define).
   */
  private btfConflict(): string | undefined {
    if (this.conflict) return this.conflict.name;
    const own = this.scriptRecordNames();
    const uses = new Set<string>();
    const tagged = (t: CType): void => {
      while (t.kind === 'ArrayType' || t.kind === 'PointerType') t = t.kind === 'ArrayType' ? t.of : t.to;
      if (t.kind === 'TaggedType' && t.tag !== 'enum' && t.name !== null) uses.add(`${t.tag} ${t.name}`);
    };
    for (const probe of this.program.probes) {
      forEachExpr(probe, (e) => {
        if (e.kind === 'Builtin' && e.name === 'curtask') uses.add('struct task_struct');
        else if (e.kind === 'Cast') tagged(e.type);
        else if (e.kind === 'Sizeof' && isType(e.arg)) tagged(e.arg);
        else if (e.kind === 'Offsetof' && isType(e.of)) tagged(e.of);
      });
    }
    const members = (def: CStructDef): void => {
      for (const m of def.members ?? []) {
        let t = m.type;
        while (t.kind === 'ArrayType') t = t.of;
        if (t.kind === 'TaggedType' && t.body?.kind === 'CStructDef' && t.body.members) members(t.body);
        else if (t.kind === 'TaggedType' && t.tag !== 'enum' && t.name !== null && !own.has(`${t.tag} ${t.name}`)) uses.add(`${t.tag} ${t.name}`);
      }
    };
    for (const item of this.program.preamble) if (item.kind === 'CStructDef') members(item);
    const btf = this.opts.kernel.btf();
    let name: string | undefined;
    if (btf) {
      const held = btfValueClosure(btf, [...uses]);
      name = [...own].find((n) => held.has(n));
    }
    this.conflict = { name };
    return name;
  }

  /** A script `struct X { … };`, laid out as C does; it hides BTF's struct X. */
  private defineRecord(def: CStructDef): void {
    const name = `${def.tag} ${def.name}`;
    const fields: DeclaredField[] = [];
    for (const m of def.members ?? []) {
      this.completeMember(m.type);
      let type = this.scriptType(m.type);
      // char name[N] is a string, as in BTF structs (bpftrace reads it so).
      if (type.kind === 'array' && m.type.kind === 'ArrayType' && m.type.of.kind === 'NamedType' && m.type.of.name.trim() === 'char') {
        type = { kind: 'string', size: type.length };
      }
      let bits: number | undefined;
      if (m.bits) {
        const n = this.constInt(m.bits);
        if (n === undefined || n < 0n) this.fail('bitfield width must be a non-negative constant', m.bits.span);
        bits = Number(n);
        if (type.kind !== 'int' || bits > type.size * 8) this.fail(`bitfield ${m.name ?? ''} is wider than its type`, m.bits.span);
      } else if (sizeOf(type) === 0 && type.kind === 'record') {
        this.fail(`field ${m.name ?? ''} has incomplete type ${type.name}`, m.type.span);
      }
      fields.push({ name: m.name ?? '', type, ...(bits !== undefined ? { bits } : {}) });
    }
    this.scriptRecords.set(name, layoutRecord(name, def.tag === 'union', fields));
  }

  private btf(): BtfTypes | null {
    if (this.btfTypes === undefined) {
      const b = this.opts.kernel.btf();
      this.btfTypes = b ? new BtfTypes(b, this.scriptRecords) : null;
    }
    return this.btfTypes;
  }

  private taskOffsets: TaskOffsets | null | undefined;

  private currentTask(): TaskOffsets | undefined {
    if (this.taskOffsets === undefined) {
      const k = this.opts.kernel;
      this.taskOffsets = (k.taskOffsets ? k.taskOffsets() : taskOffsetsFromBtf(k.btf())) ?? null;
    }
    return this.taskOffsets ?? undefined;
  }

  /**
   * A struct/union by its full name ('struct sock'): the script's definition first, then (in a
   * uprobe) the probed binary's DWARF, then the kernel's BTF. `kernel`: BTF only (curtask).
   */
  private record(name: string, kernel = false): RecordType | undefined {
    const own = this.scriptRecords.get(name);
    if (own) return own;
    const m = /^(struct|union) (\w+)$/.exec(name);
    if (!m) return undefined;
    if (!kernel) {
      for (const d of this.unitDwarf()) {
        const r = d.types?.record(m[1] as 'struct' | 'union', m[2]!);
        if (r) return r;
      }
    }
    return this.btf()?.record(m[1] as 'struct' | 'union', m[2]!);
  }

  /** The DWARF of the binaries the current unit's uprobes probe (none outside uprobe units, or without debug info). */
  private unitDwarf(): { types: DwarfTypes | null; path: string }[] {
    const u = this.unit as Unit | undefined;
    if (!u) return [];
    const out: { types: DwarfTypes | null; path: string }[] = [];
    for (const inst of u.plan.instances) {
      if (inst.attach.kind !== 'uprobe' && inst.attach.kind !== 'uretprobe') continue;
      const d = this.dwarfOf(inst.attach.path);
      if (!(d instanceof Error) && !out.includes(d)) out.push(d);
    }
    return out;
  }

  /** The DWARF of a uprobe's binary as written; an Error when the file cannot be read. */
  private dwarfOf(binary: string): { types: DwarfTypes | null; path: string } | Error {
    let d = this.dwarfTypes.get(binary);
    if (d === undefined) {
      const view = this.opts.kernel.userDebugInfo;
      if (!view) d = { types: null, path: binary };
      else {
        try {
          const info = view.call(this.opts.kernel, binary, this.opts.pid);
          d = { types: info.dwarf ? new DwarfTypes(info.dwarf, this.scriptRecords) : null, path: info.path };
        } catch (e) {
          d = e instanceof Error ? e : new Error(String(e));
        }
      }
      this.dwarfTypes.set(binary, d);
    }
    return d;
  }

  /**
   * `args` of a uprobe: the function's parameters from the binary's DWARF, each read from its
   * argument register in pt_regs. Undefined (after an error at `span`) when that cannot be.
   */
  private uprobeArgs(span: Span): UprobeArgsRecord | undefined {
    const u = this.unit;
    if (u.args) return u.args as UprobeArgsRecord;
    const a = u.plan.instances[0]!.attach;
    if (a.kind !== 'uprobe') return undefined;
    if (a.func === '' || a.address !== undefined) {
      this.error('args needs a function name: this uprobe is on an address', span);
      return undefined;
    }
    if (a.offset !== undefined && a.offset !== 0) {
      this.error(`args is not available in a uprobe at an offset into ${a.func} (the parameters are only in their registers at the function's entry)`, span);
      return undefined;
    }
    const d = this.dwarfOf(a.path);
    if (d instanceof Error) {
      this.error(`cannot read the debug info of ${a.path}: ${d.message}`, span);
      return undefined;
    }
    if (!d.types) {
      this.error(`${a.path} has no DWARF debug info, which args needs to know the parameters of ${a.func}`, span, 'build it with -g, or install its debug symbols (a -dbg/-dbgsym/-debuginfo package)');
      return undefined;
    }
    let rec: UprobeArgsRecord | undefined;
    try {
      const kernel = this.opts.kernel;
      const address = () => {
        const sym = kernel.userSymbol?.(a.path, a.func, this.opts.pid);
        return sym ? Number(sym.address) : undefined;
      };
      rec = uprobeArgsRecord(d.types, a.func, address);
    } catch (e) {
      if (!(e instanceof Error) || e.name !== 'DwarfError') throw e;
      this.error(`cannot read the debug info of ${a.path}: ${e.message}`, span);
      return undefined;
    }
    if (!rec) {
      this.error(`the debug info of ${a.path} has no function ${a.func}`, span);
      return undefined;
    }
    u.args = rec;
    return rec;
  }

  /** The complete record behind a possibly opaque one (a tracepoint's `struct task_struct *`). */
  private complete(rec: RecordType): RecordType | undefined {
    if (rec.size > 0 || rec.fields.length > 0) return rec;
    return this.record(rec.name);
  }

  private missingRecord(name: string, span: Span): void {
    const btf = this.btf();
    this.error(btf ? `${name} is not defined in the script and the kernel's BTF has no such type` : `${name} is not defined in the script and this kernel has no BTF`, span);
  }

  // ─── probes → units ────────────────────────────────────────────────────────

  private plan(): void {
    const kernel = this.opts.kernel;
    let watches = 0;
    const nextWatch = (): number => watches++;
    const expanded = this.program.probes.map((probe) => {
      const instances: ProbeInstance[] = [];
      const missing = this.config.missingProbes;
      let skipped = 0;
      for (const ap of probe.attachPoints) {
        try {
          const found = expandAttachPoint(ap, {
            kernel, params: this.params, multi: probe.attachPoints.length > 1, nextWatch,
            ...(this.opts.pid !== undefined ? { pid: this.opts.pid } : {}),
            ...(this.opts.commandPath !== undefined ? { commandPath: this.opts.commandPath } : {}),
          });
          if (missing) this.checkPresent(found);
          instances.push(...found);
        } catch (e) {
          if (e instanceof MissingProbeError && missing) {
            // bpftrace's words (ap_probe_expansion.cpp): "No matches for tracepoint syscalls:nonsense. Skipping."
            if (missing === 'warn') this.warnNow(`No matches for ${ap.provider ?? ap.providerWritten} ${ap.parts.join(':')}. Skipping.`, ap.span);
            skipped++;
            continue;
          }
          if (e instanceof ProbeError) this.fail(e.message, e.span, e.hint);
          throw e;
        }
      }
      if (skipped > 0 && instances.length === 0 && missing === 'warn') {
        this.warnNow('Probe has no valid attach points. It is being removed which may cause issues with program behavior.', probe.attachPoints[0]?.span ?? probe.span);
      }
      return instances;
    });
    // Syscall tracepoints that more than one probe block attaches to: those blocks must run in
    // source order on each event, which a raw sys_enter/sys_exit program cannot promise.
    const blocks = new Map<string, number>();
    for (const instances of expanded) {
      for (const ev of new Set(instances.filter((i) => i.tracepoint?.category === 'syscalls').map((i) => i.tracepoint!.event))) {
        blocks.set(ev, (blocks.get(ev) ?? 0) + 1);
      }
    }
    const sharedSyscall = (event: string): boolean => (blocks.get(event) ?? 0) > 1;
    this.program.probes.forEach((probe, probeIndex) => {
      const instances = expanded[probeIndex]!;
      this.probeCount += instances.length;
      // One id per name: the sites of one USDT probe are instances of the same name.
      const idOf = new Map<string, number>();
      const ids = instances.map((inst) => {
        let id = idOf.get(inst.name);
        if (id === undefined) {
          idOf.set(inst.name, (id = this.probeNames.length));
          this.probeNames.push(inst.name);
        }
        return id;
      });
      const used = builtinsUsed(probe);
      // uaddr() is an address in the probed binary: one program per attach point, as for `probe`.
      const split = new Set(used);
      forEachExpr(probe, (e) => {
        if (e.kind === 'Call' && e.name === 'uaddr') split.add('probe');
      });
      // kprobes become fentry where the kernel and the script allow; each keeps its kprobe twin.
      const chosen = choosePrograms(instances, probe, kernel);
      const idOfInstance = new Map<ProbeInstance, number>();
      chosen.forEach((inst, i) => {
        idOfInstance.set(inst, ids[i]!);
        if (inst.fentry?.fallback) idOfInstance.set(inst.fentry.fallback, ids[i]!);
      });
      const makeUnit = (plan: UnitPlan): Unit => {
        const space = unitSpace(plan);
        return {
          probe, probeIndex, plan, space, types: new Map(), vars: new Map(), strings: new Map(),
          scoped: [], varRefs: new Map(), loops: new Map(), callKeys: new Map(),
          fieldLocs: new Map(), localFields: new Map(), addresses: new Map(), ipRelative: new Set(),
          probeIds: plan.instances.map((i) => idOfInstance.get(i)!),
        };
      };
      for (const plan of planUnits(chosen, split, kernel, sharedSyscall)) {
        const unit = makeUnit(plan);
        if (plan.fields && plan.instances[0]?.tracepoint) {
          const tp = plan.instances[0].tracepoint;
          unit.args = tracepointRecord(tp.category, tp.event, plan.fields, tp.category === 'syscalls' ? 'user' : 'kernel');
        }
        if (plan.fields && plan.instances[0]?.fentry?.fields) unit.args = fentryArgsRecord(plan.instances[0].attach, plan.fields);
        if (plan.syscalls && used.has('probe')) {
          unit.probeBase = this.probeNames.length;
          const max = plan.syscalls.entries[plan.syscalls.entries.length - 1]!.nr;
          const byNr = new Map(plan.syscalls.entries.map((e) => [e.nr, e.instance.name]));
          for (let nr = 0; nr <= max; nr++) this.probeNames.push(byNr.get(nr) ?? '');
        }
        this.units.push(unit);
        if (plan.progKind === 'tracing' && plan.instances.every((i) => i.fentry?.fallback)) {
          const twin = makeUnit({ provider: plan.provider, progKind: 'kprobe', instances: plan.instances.map((i) => i.fentry!.fallback!) });
          twin.fallbackOf = unit;
          this.units.push(twin);
        }
      }
    });
  }

  private typeAll(): void {
    for (const u of this.units) {
      this.unit = u;
      u.types.clear();
      u.vars.clear();
      u.scoped.length = 0;
      u.varRefs.clear();
      u.loops.clear();
      u.callKeys.clear();
      this.scopes = [];
      u.strings.clear();
      u.fieldLocs.clear();
      u.localFields.clear();
      u.addresses.clear();
      u.ipRelative.clear();
      this.loopDepth = 0;
      this.forDepth = 0;
      this.inStr = false;
      if (u.probe.predicate) {
        const t = this.expr(u.probe.predicate);
        if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') {
          this.error(`Invalid type for predicate: ${typeName(t)}`, u.probe.predicate.span);
        }
      }
      // The body's own statements are in the probe's scope (a `let` there is probe-wide).
      for (const s of u.probe.body.stmts) this.stmt(s);
    }
  }

  private provider(): ProbeInstance['provider'] {
    return this.unit.plan.provider;
  }

  // ─── statements ────────────────────────────────────────────────────────────

  /** A nested block: its own scope for `let` (newer bpftrace). The probe body is the probe's scope. */
  private block(b: Block): void {
    this.scopes.push({ vars: new Map(), loop: null });
    try {
      for (const s of b.stmts) this.stmt(s);
    } finally {
      this.scopes.pop();
    }
  }

  // ─── scratch variables and scopes ─────────────────────────────────────────

  /** The variable `$name` means here: the innermost scope's, else the probe's. */
  private lookupVar(name: string): VarInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.vars.get(name);
      if (v) return v;
    }
    return this.unit.vars.get(name);
  }

  /** The innermost `for` whose body we are in. */
  private currentLoop(): ForStmt | null {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const l = this.scopes[i]!.loop;
      if (l) return l;
    }
    return null;
  }

  /**
   * A variable's first assignment declares it: in the probe's scope (bpftrace 0.17: a variable
   * first assigned in an `if` is still there after it), or inside a `for` body in that body's scope
   * (it lives in the loop's callback).
   */
  private declareImplicit(target: Variable, type: SType): VarInfo {
    const loop = this.currentLoop();
    const v: VarInfo = { name: target.name, type, span: target.span, loop };
    if (loop) {
      const scope = [...this.scopes].reverse().find((s) => s.loop === loop)!;
      scope.vars.set(target.name, v);
      this.unit.scoped.push(v);
    } else {
      this.unit.vars.set(target.name, v);
    }
    return v;
  }

  /** `let $x…`: declared in the innermost block (the probe's scope at the top of the body). */
  private declareLet(s: LetStmt, type: SType): VarInfo | undefined {
    const name = s.variable.name;
    const old = this.lookupVar(name);
    if (old) {
      this.error(`Variable ${name} was already declared. Variable shadowing is not allowed.`, s.span, `${name} was first declared at ${this.where(old.span)}`);
      return undefined;
    }
    const v: VarInfo = { name, type, span: s.variable.span, loop: this.currentLoop() };
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) {
      scope.vars.set(name, v);
      this.unit.scoped.push(v);
    } else {
      this.unit.vars.set(name, v);
    }
    return v;
  }

  private stmt(s: Stmt): void {
    switch (s.kind) {
      case 'Block':
        this.block(s);
        return;
      case 'ExprStmt':
        this.expr(s.expr);
        return;
      case 'Assign':
        this.assign(s);
        return;
      case 'Let': {
        // The value is typed before the variable exists: `let $x = $x + 1` reads an outer $x.
        const init = s.init ? this.expr(s.init) : undefined;
        const t = s.type ? this.scriptType(s.type) : VOID;
        if (s.type && (t.kind === 'void' || t.kind === 'record')) this.error(`Invalid variable type: ${typeName(t)}`, s.type.span);
        const v = this.declareLet(s, t);
        if (!v) return;
        this.unit.varRefs.set(s.variable, v);
        this.unit.types.set(s.variable, t);
        if (s.init && init) this.assignVar(s.variable, init, s.init, s.span);
        return;
      }
      case 'If': {
        const t = this.expr(s.cond);
        if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') this.error(`Invalid condition in if(): ${typeName(t)}`, s.cond.span);
        this.block(s.then);
        if (s.else) this.stmt(s.else);
        return;
      }
      case 'Unroll': {
        this.expr(s.count);
        const n = this.constInt(s.count);
        if (n === undefined) this.error('invalid unroll value', s.count.span, 'unroll takes a constant, e.g. unroll(5)');
        else if (n > 100n) this.error('unroll maximum value is 100', s.count.span);
        else if (n < 1n) this.error('unroll minimum value is 1', s.count.span);
        this.block(s.body);
        return;
      }
      case 'While': {
        const t = this.expr(s.cond);
        if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') this.error(`Invalid condition in while(): ${typeName(t)}`, s.cond.span);
        this.loopDepth++;
        this.block(s.body);
        this.loopDepth--;
        return;
      }
      case 'For':
        this.forLoop(s);
        return;
      case 'Jump':
        if (s.jump !== 'return' && this.loopDepth === 0) this.error(`${s.jump} used outside of a loop`, s.span);
        if (s.value) this.fail('return with a value is not supported', s.value.span);
        return;
    }
  }

  /**
   * `for ($kv : @map)` (bpf_for_each_map_elem) and `for ($i : a..b)` (bpf_loop): the body becomes a
   * callback. The loop variable is `(key, value)` — `((k1, k2), value)` for several keys — or the
   * integer. Variables of the probe used in the body are shared with it (read and written).
   */
  private forLoop(s: ForStmt): void {
    let vt: SType = VOID;
    if (s.iterable.kind === 'Range') {
      const a = this.expr(s.iterable.start);
      const b = this.expr(s.iterable.end);
      if (a.kind !== 'int' && a.kind !== 'void') this.error('Loop range requires an integer for the start value', s.iterable.start.span);
      if (b.kind !== 'int' && b.kind !== 'void') this.error('Loop range requires an integer for the end value', s.iterable.end.span);
      if (a.kind === 'int' && b.kind === 'int') vt = { kind: 'int', size: 8, signed: a.signed || b.signed };
    } else {
      const ref = s.iterable;
      const m = this.mapInfo(ref);
      this.unit.types.set(ref, m.value ?? VOID);
      if (ref.keys.length > 0) {
        this.error(`${ref.name}: iterate over the map, not one of its values (for ($kv : ${ref.name}))`, ref.span);
      } else if (!m.value) {
        this.error(`Undefined map: ${ref.name}`, ref.span);
      } else if (m.keys !== undefined && m.keys.length === 0) {
        this.error(`${ref.name} has no explicit keys (scalar map), and cannot be used for iteration`, ref.span);
      } else if (m.keys !== undefined) {
        let value: SType = m.value;
        if (value.kind === 'agg') {
          if (CASTABLE_AGGS.has(value.fn)) value = value.fn === 'count' ? UINT64 : { kind: 'int', size: 8, signed: value.signed };
          else this.error(`Loop expression does not support type: ${value.fn}`, ref.span);
        }
        const key = m.keys.length === 1 ? m.keys[0]! : tupleType(m.keys);
        if (value.kind !== 'agg') vt = tupleType([key, value]);
      }
    }
    const old = this.lookupVar(s.variable.name);
    if (old) {
      this.error(`Loop declaration shadows existing variable: ${s.variable.name}`, s.variable.span, `${s.variable.name} was first assigned at ${this.where(old.span)}`);
      return;
    }
    const v: VarInfo = { name: s.variable.name, type: vt, span: s.variable.span, loop: s };
    this.unit.scoped.push(v);
    this.unit.varRefs.set(s.variable, v);
    this.unit.types.set(s.variable, vt);
    let returns = false;
    forEachStmt(s.body, (x) => {
      if (x.kind === 'Jump' && x.jump === 'return') returns = true;
      if (x.kind === 'ExprStmt' && x.expr.kind === 'Call' && x.expr.name === 'exit') returns = true;
    });
    this.unit.loops.set(s, { variable: v, returns });
    this.scopes.push({ vars: new Map([[v.name, v]]), loop: s });
    this.loopDepth++;
    const outer = this.forDepth;
    this.forDepth++;
    try {
      for (const x of s.body.stmts) this.stmt(x);
    } finally {
      this.forDepth = outer;
      this.loopDepth--;
      this.scopes.pop();
    }
  }

  private assign(s: AssignStmt): void {
    const target = s.target;
    if (target.kind === 'Variable') {
      if (s.op === '=') {
        const t = this.expr(s.value);
        this.assignVar(target, t, s.value, s.span);
        return;
      }
      const v = this.lookupVar(target.name);
      if (!v) {
        this.error(`Undefined or undeclared variable: ${target.name}`, target.span);
        this.expr(s.value);
        return;
      }
      // `let $n; $n += x`: the declared 0 takes the type of what is added.
      if (v.type.kind === 'void') {
        const t = this.expr(s.value);
        if (t.kind === 'int') v.type = { kind: 'int', size: 8, signed: t.signed };
        else if (t.kind !== 'void') this.error(`Type mismatch for '${s.op.slice(0, -1)}': comparing 'none' with '${typeName(t)}'`, s.span);
        this.unit.varRefs.set(target, v);
        this.unit.types.set(target, v.type);
        return;
      }
      this.unit.varRefs.set(target, v);
      this.unit.types.set(target, v.type);
      const t = this.expr(s.value);
      this.compound(s, v.type, t);
      return;
    }
    // Map target.
    if (s.op === '=' && s.value.kind === 'Call' && AGG_FUNCS.has(s.value.name)) {
      this.mapKeys(target, true);
      const agg = this.aggCall(s.value);
      this.unit.types.set(s.value, agg ?? VOID);
      if (agg) this.assignMap(target, agg, s.span);
      const m = this.maps.get(target.name);
      if (m?.value) this.unit.types.set(target, m.value);
      return;
    }
    if (s.op === '=') {
      this.mapKeys(target, true);
      const t = this.expr(s.value);
      if (t.kind === 'agg') {
        this.aggRead(t, s.value);
        return;
      }
      if (t.kind === 'void') {
        if (this.final) this.error('Invalid expression for assignment: none', s.value.span);
      } else this.assignMap(target, t, s.span);
      const m = this.maps.get(target.name);
      this.unit.types.set(target, m?.value ?? t);
      return;
    }
    // Compound assignment on a map: an undefined map starts as int64 0.
    this.mapKeys(target, true);
    const m = this.maps.get(target.name)!;
    const t = this.expr(s.value);
    // As in bpftrace 0.17, `@m += v` on a map nothing assigned yet reads an untyped (unsigned) 0,
    // so the map becomes uint64.
    if (!m.value && t.kind === 'int') this.assignMap(target, UINT64, s.span);
    const cur = m.value ?? VOID;
    this.unit.types.set(target, cur);
    if (cur.kind === 'agg') {
      this.error(`Type mismatch for ${target.name}: trying to assign value of type 'int64' when map already contains a value of type '${typeName(cur)}'`, target.span);
      return;
    }
    this.compound(s, cur, t);
  }

  private compound(s: AssignStmt, cur: SType, t: SType): void {
    if (cur.kind === 'void' || t.kind === 'void') return;
    const op = s.op.slice(0, -1);
    if (cur.kind !== 'int' || t.kind !== 'int') {
      if (cur.kind === 'pointer' && t.kind === 'int' && (op === '+' || op === '-')) return;
      this.error(`Type mismatch for '${op}': comparing '${typeName(cur)}' with '${typeName(t)}'`, s.span);
    }
  }

  private assignVar(target: Variable, t: SType, value: Expr, span: Span): void {
    if (t.kind === 'void') {
      if (this.final) this.error('Invalid expression for assignment: none', value.span);
      return;
    }
    if (t.kind === 'agg') {
      this.aggRead(t, value);
      return;
    }
    if (t.kind === 'pointer' && t.to.kind === 'record' && isArgsRecord(t.to.name) && value.kind === 'Builtin') {
      this.error('args cannot be assigned to a variable', span);
      return;
    }
    const v = this.lookupVar(target.name);
    if (!v) {
      this.unit.varRefs.set(target, this.declareImplicit(target, t));
      this.unit.types.set(target, t);
      return;
    }
    this.unit.varRefs.set(target, v);
    if (v.type.kind === 'void') {
      // `let $x;` takes the type of its first value.
      v.type = t;
      this.unit.types.set(target, t);
      return;
    }
    const merged = mergeType(v.type, t);
    if (merged === null) {
      this.error(`Type mismatch for ${target.name}: trying to assign value of type '${typeName(t)}' when variable already contains a value of type '${typeName(v.type)}'`, span,
        `${target.name} was first assigned at ${this.where(v.span)}`);
      return;
    }
    v.type = merged;
    this.unit.types.set(target, merged);
  }

  /** Aggregations live per CPU; a program only sees its own CPU's part, so reading one is refused. */
  private aggRead(t: AggType, value: Expr): void {
    const what = value.kind === 'Map' ? `${value.name} is a ${t.fn}() map: its` : `the ${t.fn}()`;
    this.error(`${what} value cannot be read in a probe`, value.span, 'count, sum, min, max and avg values can be; print the map, or keep the value in a map of its own (@x = @x + v)');
  }

  private assignMap(target: MapRef, t: SType, span: Span): void {
    const m = this.mapInfo(target);
    if (t.kind === 'pointer' && t.to.kind === 'record' && isArgsRecord(t.to.name)) {
      this.error('context cannot be assigned to a map', span);
      return;
    }
    if (t.kind === 'record' && t.size === 0) {
      this.missingRecord(t.name, span);
      return;
    }
    const stored: SType = t.kind === 'int' ? { kind: 'int', size: 8, signed: t.signed, ...(t.bool ? { bool: true as const } : {}) } : t;
    if (!m.value) {
      m.value = stored;
      m.valueSpan = span;
      return;
    }
    const merged = mergeType(m.value, stored);
    if (merged === null) {
      this.error(`Type mismatch for ${target.name}: trying to assign value of type '${typeName(t)}' when map already contains a value of type '${typeName(m.value)}'`, target.span,
        `${target.name} was first assigned at ${this.where(m.valueSpan ?? m.firstSpan)}`);
      return;
    }
    if (merged.kind === 'agg' && stored.kind === 'agg' && isBucketedAgg(merged.fn) && bucketParams(merged) !== bucketParams(stored)) {
      this.error(`${merged.fn}() arguments differ from the first use of ${target.name} (${bucketParams(stored)} here, ${bucketParams(merged)} there)`, span,
        `first used at ${this.where(m.valueSpan ?? m.firstSpan)}`);
    }
    m.value = merged;
  }

  private mapInfo(ref: MapRef): MapInfo {
    let m = this.maps.get(ref.name);
    if (!m) {
      m = { name: ref.name, firstSpan: ref.span };
      this.maps.set(ref.name, m);
    }
    return m;
  }

  /** Types the keys of a map access and checks them against the map's key. */
  private mapKeys(ref: MapRef, validate: boolean): void {
    const m = this.mapInfo(ref);
    const keys: SType[] = [];
    for (const k of ref.keys) {
      const t = this.expr(k);
      keys.push(this.keyType(t, k));
    }
    if (!validate) return;
    if (keys.some((k) => k.kind === 'void')) return;
    if (m.keys === undefined) {
      m.keys = keys;
      m.keySpan = ref.span;
      return;
    }
    const merged = mergeKeys(m.keys, keys);
    if (merged === null) {
      const list = (ks: SType[]) => `[${ks.map(typeName).join(', ')}]`;
      this.error(`Argument mismatch for ${ref.name}: trying to access with arguments: ${list(keys)} when map expects arguments: ${list(m.keys)}`, ref.span,
        `${ref.name} was first used at ${this.where(m.keySpan ?? m.firstSpan)}`);
      return;
    }
    m.keys = merged;
  }

  private keyType(t: SType, e: Expr): SType {
    switch (t.kind) {
      case 'int': return { kind: 'int', size: 8, signed: t.signed };
      case 'tuple':
        this.error('tuple cannot be used as a map key. Try a multi-key associative array instead (eg `@map[$1, $2] = ...)`.', e.span);
        return VOID;
      case 'agg':
        this.error(`${typeName(t)} cannot be used as a map key`, e.span);
        return VOID;
      case 'record':
        // A struct value is a key by its bytes, printed {.m=2,.n=3} as bpftrace does.
        if (t.size === 0) {
          this.error(`${typeName(t)} cannot be used as a map key`, e.span);
          return VOID;
        }
        return t;
      case 'pointer':
        if (t.to.kind === 'record' && isArgsRecord(t.to.name)) {
          this.error('context cannot be used as a map key', e.span);
          return VOID;
        }
        return t;
      default:
        return t;
    }
  }

  // ─── expressions ───────────────────────────────────────────────────────────

  private expr(e: Expr): SType {
    const t = this.exprInner(e);
    this.unit.types.set(e, t);
    return t;
  }

  private exprInner(e: Expr): SType {
    switch (e.kind) {
      case 'Integer':
        return INT64;
      case 'Bool':
        return BOOL;
      case 'String':
        this.unit.strings.set(e, e.bytes);
        return { kind: 'string', size: e.bytes.length + 1 };
      case 'Identifier': {
        const d = this.defines.get(e.name);
        if (d) return this.expr(d);
        if (this.enums.has(e.name)) return UINT64;
        if (this.externalConst(e.name) !== undefined) return INT64;
        this.error(`Unknown identifier: '${e.name}'`, e.span);
        return VOID;
      }
      case 'Builtin':
        return this.builtin(e);
      case 'Variable': {
        const v = this.lookupVar(e.name);
        if (!v) {
          this.error(`Undefined or undeclared variable: ${e.name}`, e.span);
          return VOID;
        }
        this.unit.varRefs.set(e, v);
        if (v.type.kind === 'void') this.error(`Variable used before it was assigned: ${e.name}`, e.span, `${e.name} is declared at ${this.where(v.span)} without a type or a value`);
        return v.type;
      }
      case 'Map':
        return this.mapRead(e);
      case 'Positional': {
        if (e.index <= 0) {
          this.error(`$${e.index} is not a valid parameter`, e.span);
          return VOID;
        }
        const p = this.params[e.index - 1];
        if (this.inStr) return INT64;
        if (p !== undefined && !isNumeric(p)) {
          this.error(`$${e.index} used numerically but given "${p}". Try using str($${e.index}).`, e.span);
          return VOID;
        }
        return INT64;
      }
      case 'PositionalCount':
        if (this.inStr) this.error('use $#, not str($#)', e.span);
        return INT64;
      case 'Unary':
        return this.unary(e);
      case 'IncDec':
        return this.incDec(e);
      case 'Binary':
        return this.binary(e);
      case 'Ternary':
        return this.ternary(e);
      case 'Cast':
        return this.cast(e);
      case 'Call':
        return this.call(e);
      case 'FieldAccess':
        return this.field(e);
      case 'IndexAccess':
        return this.index(e);
      case 'TupleAccess': {
        const t = this.expr(e.object);
        if (t.kind === 'void') return VOID;
        if (t.kind !== 'tuple') {
          this.error(`Can not access index '${e.index}' on expression of type '${typeName(t)}'`, e.span);
          return VOID;
        }
        if (e.index >= t.elems.length) {
          this.error(`Invalid tuple index: ${e.index}. Found ${t.elems.length} elements in tuple.`, e.span);
          return VOID;
        }
        return t.elems[e.index]!;
      }
      case 'Tuple': {
        const elems: SType[] = [];
        for (const x of e.elements) {
          const t = this.expr(x);
          if (t.kind === 'void') return VOID;
          if (t.kind === 'agg' || (t.kind === 'pointer' && t.to.kind === 'record' && isArgsRecord(t.to.name))) {
            this.error(`${typeName(t)} cannot be part of a tuple`, x.span);
            return VOID;
          }
          elems.push(t);
        }
        if (elems.length === 0) {
          this.error('empty tuples are not supported', e.span);
          return VOID;
        }
        return tupleType(elems);
      }
      case 'Sizeof': {
        const named = e.arg.kind === 'Identifier' && !this.defines.has(e.arg.name) && !this.enums.has(e.arg.name) ? this.typedefByName(e.arg.name) : undefined;
        const t = named ?? (isType(e.arg) ? this.scriptType(e.arg) : this.expr(e.arg));
        if (t.kind === 'record' && t.size === 0) {
          this.missingRecord(t.name, e.arg.span);
          return VOID;
        }
        this.sizeofs.set(e, sizeOf(t));
        return UINT64;
      }
      case 'Offsetof': {
        let t = isType(e.of) ? this.scriptType(e.of) : this.expr(e.of);
        if (t.kind === 'void') return VOID;
        if (t.kind !== 'record') {
          this.error(`offsetof() needs a struct or union, not ${typeName(t)}`, e.of.span);
          return VOID;
        }
        let off = 0;
        for (const name of e.field) {
          const rec = t.kind === 'record' ? this.complete(t) : undefined;
          if (!rec) {
            if (t.kind === 'record') this.missingRecord(t.name, e.of.span);
            else this.error(`${typeName(t)} is not a struct or union, so it has no field '${name}'`, e.span);
            return VOID;
          }
          const hit = findField(rec, name);
          if (!hit) {
            this.error(`${rec.name} has no field '${name}'`, e.span, fieldHint(fieldNames(rec), name));
            return VOID;
          }
          off += hit.offset;
          t = hit.type;
        }
        this.sizeofs.set(e, off);
        return UINT64;
      }
    }
  }

  private builtin(e: Builtin): SType {
    const p = this.provider();
    const name = e.name;
    // A loop body is a callback: it has no access to the probe's context (as in bpftrace).
    if (this.forDepth > 0 && (CTX_BUILTINS.has(name) || /^arg[0-9]+$/.test(name) || (name === 'probe' && this.unit.plan.syscalls))) {
      this.error(`'${name}' builtin is not allowed in a for-loop`, e.span, 'read it into a variable before the loop');
      return VOID;
    }
    switch (name) {
      case 'pid': case 'tid': case 'uid': case 'gid': case 'nsecs': case 'cpu': case 'rand': case 'cgroup':
      case 'numaid': case 'jiffies':
        return UINT64;
      case 'elapsed':
        this.uses.add('elapsed');
        return UINT64;
      case 'cpid':
        this.uses.add('cpid');
        return UINT32;
      case 'comm':
        return { kind: 'string', size: 16 };
      case 'username':
        return { kind: 'symbol', what: 'username', size: 8 };
      case 'curtask':
        return { kind: 'pointer', to: this.record('struct task_struct', true) ?? opaqueRecord('struct task_struct'), space: 'kernel' };
      case 'probe':
        return { kind: 'symbol', what: 'probe', size: 8 };
      case 'retval':
        if (p === 'kretprobe' || p === 'uretprobe' || p === 'fexit') return UINT64;
        this.error(`The retval builtin can only be used with 'kretprobe' and 'uretprobe' probes${p === 'tracepoint' ? ' (try to use args->ret instead)' : ''}`, e.span);
        return VOID;
      case 'func':
        if (p === 'kprobe' || p === 'kretprobe' || p === 'fentry' || p === 'fexit') return { kind: 'symbol', what: 'ksym', size: 8 };
        if (p === 'uprobe' || p === 'uretprobe') return { kind: 'symbol', what: 'usym', size: 16 };
        this.error(`The func builtin can not be used with '${this.providerWord()}' probes`, e.span);
        return VOID;
      case 'ctx':
        // The program's context as an untyped kernel pointer (pt_regs, the tracepoint record, …):
        // scripts cast it to a struct of their own, as in bpftrace.
        return { kind: 'pointer', to: VOID, space: 'kernel' };
      case 'args':
        if ((p === 'tracepoint' || p === 'fentry' || p === 'fexit') && this.unit.args) {
          return { kind: 'pointer', to: this.unit.args, space: this.unit.space };
        }
        if (p === 'uprobe') {
          // The record lives in the context (pt_regs), read like a tracepoint's fields.
          const rec = this.uprobeArgs(e.span);
          return rec ? { kind: 'pointer', to: rec, space: 'kernel' } : VOID;
        }
        this.error(`The args builtin can only be used with tracepoint, fentry/fexit and uprobe probes (${this.providerWord()} used here)`, e.span);
        return VOID;
    }
    if (/^sarg[0-9]+$/.test(name)) {
      // x86-64: arguments past the sixth are on the stack, above the return address.
      if ((p === 'kprobe' || p === 'uprobe') && this.unit.plan.progKind !== 'tracing') return UINT64;
      this.error(`The ${name} builtin can only be used with 'kprobes' and 'uprobes' probes`, e.span);
      return VOID;
    }
    const m = /^arg([0-9]+)$/.exec(name);
    if (m) {
      const n = Number(m[1]);
      if (p === 'kprobe' || p === 'uprobe') {
        if (n >= ARG_REGS.length) {
          this.error(`x86_64 doesn't support ${name}`, e.span, `arguments arg0 to arg${ARG_REGS.length - 1} are in registers`);
          return VOID;
        }
        return UINT64;
      }
      if (p === 'rawtracepoint') return UINT64;
      if (p === 'usdt') {
        const problem = usdtArgProblem(this.unit.plan.instances.map((i) => i.usdt!), n);
        if (problem) this.error(problem.message, e.span, problem.hint);
        return UINT64;
      }
      this.error(`The ${name} builtin can only be used with 'kprobes', 'uprobes', 'usdt' and 'rawtracepoint' probes`, e.span);
      return VOID;
    }
    if (name === 'kstack' || name === 'ustack') return this.stack(name, this.stackMode, DEFAULT_STACK_LIMIT);
    this.error(`${name} is not supported yet`, e.span);
    return VOID;
  }

  private stack(name: 'kstack' | 'ustack', mode: StackType['mode'], limit: number): StackType {
    this.stackLimits.add(limit);
    return { kind: 'stack', space: name === 'kstack' ? 'kernel' : 'user', mode, limit };
  }

  /** kstack(mode), kstack(limit), kstack(mode, limit). */
  private stackCall(c: Call): SType {
    const name = c.name as 'kstack' | 'ustack';
    if (!this.nargs(c, 0, 2)) return VOID;
    let mode: StackType['mode'] = this.stackMode;
    let limit = DEFAULT_STACK_LIMIT;
    const args = [...c.args];
    if (args[0] && args[0].kind === 'Identifier') {
      const m = args.shift()!;
      const id = (m as Expr & { kind: 'Identifier' }).name;
      if (id !== 'bpftrace' && id !== 'perf' && id !== 'raw') {
        this.error(`Unknown stack mode: '${id}'`, m.span, 'stack modes are bpftrace, perf and raw');
        return VOID;
      }
      mode = id;
    }
    if (args[0]) {
      const a = args.shift()!;
      const n = this.constInt(a);
      if (n === undefined) {
        this.error(`${name}() expects an integer literal as the limit`, c.span);
        return VOID;
      }
      if (n > BigInt(MAX_STACK_LIMIT)) {
        this.error(`${name}([int limit]): limit shouldn't exceed ${MAX_STACK_LIMIT}, ${n} given`, c.span);
        return VOID;
      }
      if (n < 1n) {
        this.error(`${name}([int limit]): limit should be at least 1, ${n} given`, c.span);
        return VOID;
      }
      limit = Number(n);
    }
    if (args.length > 0) {
      this.error(`Invalid arguments for ${name}(): write ${name}(mode, limit)`, c.span);
      return VOID;
    }
    return this.stack(name, mode, limit);
  }

  private providerWord(): string {
    const i = this.unit.plan.instances[0]!;
    return i.ap.providerWritten;
  }

  private mapRead(e: MapRef): SType {
    this.mapKeys(e, true);
    const m = this.maps.get(e.name)!;
    if (!m.value) {
      this.error(`Undefined map: ${e.name}`, e.span);
      return VOID;
    }
    // Newer bpftrace: a count/sum/min/max value reads as an integer, every CPU's part combined.
    if (m.value.kind === 'agg' && CASTABLE_AGGS.has(m.value.fn)) {
      return m.value.fn === 'count' ? UINT64 : { kind: 'int', size: 8, signed: m.value.signed };
    }
    return m.value;
  }

  private unary(e: Unary): SType {
    const t = this.expr(e.operand);
    if (t.kind === 'void') return VOID;
    switch (e.op) {
      case '!':
        if (t.kind !== 'int' && t.kind !== 'pointer') break;
        if (t.kind === 'int' && t.bool) return BOOL;
        return { kind: 'int', size: t.kind === 'int' ? t.size : 8, signed: false };
      case '-': case '~': case '+':
        if (t.kind !== 'int') break;
        return { kind: 'int', size: 8, signed: t.signed };
      case '*':
        if (t.kind === 'pointer') {
          if (t.to.kind === 'void') {
            this.error(`Can not dereference a pointer to ${typeName(t.to)}`, e.span);
            return VOID;
          }
          if (t.to.kind === 'record') {
            const full = this.complete(t.to);
            if (!full) {
              this.missingRecord(t.to.name, e.span);
              return VOID;
            }
            return full;
          }
          return t.to;
        }
        if (t.kind === 'int') return UINT64;
        break;
      case '&':
        this.error('the address-of operator & is not supported', e.span);
        return VOID;
    }
    this.error(`The ${e.op} operator can not be used on expressions of type '${typeName(t)}'`, e.span);
    return VOID;
  }

  private incDec(e: IncDec): SType {
    const target = e.target;
    if (target.kind === 'Map') {
      this.mapKeys(target, true);
      const m = this.maps.get(target.name)!;
      if (!m.value) {
        m.value = INT64;
        m.valueSpan = e.span;
      }
      this.unit.types.set(target, m.value);
      if (m.value.kind !== 'int' && m.value.kind !== 'pointer') {
        this.error(`The ${e.op} operator can not be used on expressions of type '${typeName(m.value)}'`, e.span);
        return VOID;
      }
      return m.value;
    }
    const v = this.lookupVar(target.name);
    if (!v) {
      this.error(`Undefined or undeclared variable: ${target.name}`, target.span);
      return VOID;
    }
    if (v.type.kind === 'void') v.type = INT64;
    this.unit.varRefs.set(target, v);
    this.unit.types.set(target, v.type);
    if (v.type.kind !== 'int' && v.type.kind !== 'pointer') {
      this.error(`The ${e.op} operator can not be used on expressions of type '${typeName(v.type)}'`, e.span);
      return VOID;
    }
    return v.type.kind === 'int' ? { kind: 'int', size: 8, signed: v.type.signed } : v.type;
  }

  private binary(e: Binary): SType {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    const op = e.op;
    if (l.kind === 'void' || r.kind === 'void') {
      // Only in early passes (an unknown map read): bpftrace types the operation anyway, with the
      // unknown side unsigned, which is how `@u = @u - 3` makes @u a uint64.
      if (this.final) return VOID;
      const other = l.kind === 'void' ? r : l;
      if (other.kind !== 'int' && other.kind !== 'void') return VOID;
      return { kind: 'int', size: 8, signed: false };
    }
    const cmp = op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=';
    if (l.kind === 'pointer' || r.kind === 'pointer') {
      const ptr = (l.kind === 'pointer' ? l : r) as PointerType;
      const other = l.kind === 'pointer' ? r : l;
      if (op === '&&' || op === '||') {
        if (other.kind === 'int' || other.kind === 'pointer') return INT64;
      } else if (other.kind === 'pointer') {
        if (cmp) return UINT64;
      } else if (other.kind === 'int') {
        if (op === '+' || (op === '-' && l.kind === 'pointer')) {
          // Arithmetic steps by the pointee's size: an opaque struct (a tracepoint's `struct cred *`) is completed.
          if (ptr.to.kind === 'record' && ptr.to.size === 0) {
            const full = this.complete(ptr.to);
            if (full) return { ...ptr, to: full };
          }
          return ptr;
        }
        if (cmp) return INT64;
      }
      this.error(`The ${op} operator can not be used on expressions of types ${typeName(l)}, ${typeName(r)}`, e.span);
      return VOID;
    }
    if (l.kind === 'int' && r.kind === 'int') {
      const signed = op === '<<' || op === '>>' ? l.signed : l.signed && r.signed;
      // kaddr("x") + 8 is still a kernel address; two addresses of different spaces, either (bpftrace).
      const space = cmp || op === '&&' || op === '||' ? undefined : l.space && r.space && l.space !== r.space ? 'any' : l.space ?? r.space;
      return space ? { kind: 'int', size: 8, signed, space } : { kind: 'int', size: 8, signed };
    }
    if (l.kind !== r.kind) {
      this.error(`Type mismatch for '${op}': comparing '${typeName(l)}' with '${typeName(r)}'`, joinSpans(e.left.span, e.right.span));
      return VOID;
    }
    if (l.kind === 'string' && (op === '==' || op === '!=')) return UINT64;
    // Arrays of one type and buffers compare byte for byte, as in bpftrace.
    if ((op === '==' || op === '!=') && (l.kind === 'buffer' || (l.kind === 'array' && typeName(l) === typeName(r)))) return UINT64;
    this.error(`The ${op} operator can not be used on expressions of types ${typeName(l)}, ${typeName(r)}`, e.span);
    return VOID;
  }

  private ternary(e: Ternary): SType {
    const c = this.expr(e.cond);
    const a = this.expr(e.then);
    const b = this.expr(e.else);
    if (c.kind !== 'int' && c.kind !== 'pointer' && c.kind !== 'void') this.error(`Invalid condition in ternary: ${typeName(c)}`, e.cond.span);
    if (a.kind === 'void' && b.kind === 'void') return VOID;
    if (a.kind === 'int' && b.kind === 'int') {
      // Two addresses of one space (c ? kaddr("a") : kaddr("b")) stay addresses of that space.
      return a.space && a.space === b.space ? { kind: 'int', size: 8, signed: a.signed, space: a.space } : { kind: 'int', size: 8, signed: a.signed };
    }
    if (a.kind === 'string' && b.kind === 'string') return { kind: 'string', size: Math.max(a.size, b.size) };
    if (a.kind === 'void' || b.kind === 'void') {
      if (!this.final) return VOID;
    }
    if (a.kind === b.kind && a.kind !== 'int' && a.kind !== 'string') {
      const m = mergeType(a, b);
      if (m && (m.kind === 'tuple' || m.kind === 'pointer' || m.kind === 'symbol')) return m;
    }
    this.error(`Ternary operator must return the same type: have '${typeName(a)}' and '${typeName(b)}'`, e.span);
    return VOID;
  }

  private cast(e: Cast): SType {
    const from = this.expr(e.expr);
    if (from.kind === 'void') return VOID;
    const to = this.scriptType(e.type);
    if (to.kind === 'int') {
      if (from.kind !== 'int' && from.kind !== 'pointer') {
        this.error(`Casts are not supported for type: "${typeName(from)}"`, e.span);
        return VOID;
      }
      // (uint64)curtask still addresses kernel memory (bpftrace keeps the address space on casts).
      return from.space && !to.bool ? { ...to, space: from.space } : to;
    }
    if (to.kind === 'pointer') {
      if (from.kind !== 'int' && from.kind !== 'pointer') {
        this.error(`Casts are not supported for type: "${typeName(from)}"`, e.span);
        return VOID;
      }
      // An integer becomes a pointer into the memory it is known to address, else the probe's.
      const space = from.space ?? this.unit.space;
      return { ...to, space };
    }
    if (to.kind === 'record') {
      this.error(`Cannot cast to struct type "${to.name}"`, e.span);
      return VOID;
    }
    this.error(`Cannot cast to "${typeName(to)}"`, e.span);
    return VOID;
  }

  /** A type written in the script (casts, sizeof, let). */
  private scriptType(t: CType): SType {
    switch (t.kind) {
      case 'NamedType': {
        if (t.name === 'void') return VOID;
        const i = intTypeByName(t.name);
        if (i) return i;
        if (t.name === 'string') return { kind: 'string', size: this.strlen };
        const own = this.typedefs.get(t.name);
        if (own) return own;
        const td = this.btf()?.typedef(t.name);
        if (td && td.kind !== 'void') return td;
        this.fail(`Unknown type: '${t.name}'`, t.span);
        break;
      }
      case 'TaggedType': {
        if (t.tag === 'enum') return UINT64;
        if (t.body && t.body.kind === 'CStructDef' && t.body.members) {
          if (t.name === null) {
            this.defineRecord({ ...t.body, name: `(anonymous at ${t.span.line}:${t.span.col})` });
            return this.scriptRecords.get(`${t.tag} (anonymous at ${t.span.line}:${t.span.col})`)!;
          }
          this.defineRecord(t.body);
        }
        const name = `${t.tag} ${t.name ?? ''}`.trim();
        return this.record(name) ?? opaqueRecord(name, t.tag === 'union');
      }
      case 'PointerType': {
        const to = this.scriptType(t.to);
        return { kind: 'pointer', to, space: this.unit?.space ?? 'kernel' };
      }
      case 'ArrayType': {
        if (t.of.kind === 'NamedType' && t.of.name === 'string' && t.length) {
          const n = this.constInt(t.length);
          if (n === undefined || n <= 0n) this.fail('string length must be a positive constant', t.length.span);
          return { kind: 'string', size: Number(n) };
        }
        const of = this.scriptType(t.of);
        const n = t.length ? this.constInt(t.length) : undefined;
        if (n === undefined) this.fail('array length must be a constant', t.span);
        return { kind: 'array', of, length: Number(n) };
      }
      case 'FunctionType':
        this.fail('function types are not supported', t.span);
    }
    return VOID;
  }

  private field(e: FieldAccess): SType {
    const t = this.expr(e.object);
    if (t.kind === 'void') return VOID;
    const rec = t.kind === 'pointer' && t.to.kind === 'record' ? t.to : t.kind === 'record' ? t : undefined;
    if (rec && isArgsRecord(rec.name)) {
      const f = rec.fields.find((x) => x.name === e.field);
      if (rec.name.startsWith('struct _uprobe_')) {
        const info = (rec as UprobeArgsRecord).uprobe;
        const problem = info.unsupported.get(e.field);
        if (problem) {
          this.error(`args.${e.field}: ${problem}`, e.span);
          return VOID;
        }
        if (f) return f.type;
        const a = this.unit.plan.instances[0]!.attach as AttachDef & { kind: 'uprobe' };
        this.error(`${a.func} in ${a.path} has no parameter '${e.field}'`, e.span,
          info.params.length === 0 ? `${a.func} takes no parameters` : `its parameters are: ${info.params.join(', ')}`);
        return VOID;
      }
      if (!rec.name.startsWith('struct _tracepoint_')) {
        // fentry/fexit: the function's parameters.
        if (f) return f.type;
        const a = this.unit.plan.instances[0]!.attach;
        this.error(`${a.kind}:${'func' in a ? a.func : ''} has no parameter '${e.field}'`, e.span, fieldHint(rec.fields.map((x) => x.name), e.field));
        return VOID;
      }
      if (f && f.offset < 8) {
        // The verifier refuses tracepoint programs the first 8 bytes of their context.
        this.error('BPF does not support accessing common tracepoint fields', e.span);
        return VOID;
      }
      if (!f) {
        const tp = this.unit.plan.instances[0]!.tracepoint!;
        this.error(`tracepoint ${tp.category}:${tp.event} has no field '${e.field}'`, e.span, fieldHint(rec.fields.filter((x) => !x.name.startsWith('common_')).map((x) => x.name)));
        return VOID;
      }
      return f.type;
    }
    if (rec) {
      if (t.kind === 'pointer' && !e.arrow) {
        this.error(`Can not access field '${e.field}' on type '${typeName(t)}'. Try dereferencing it first, or using '->'`, e.span);
        return VOID;
      }
      if (t.kind === 'record' && e.arrow) {
        this.error(`Can not use '->' on ${rec.name}, which is not a pointer. Try '.'`, e.span);
        return VOID;
      }
      const full = this.complete(rec);
      if (!full) {
        this.missingRecord(rec.name, e.object.span);
        return VOID;
      }
      const hit = findField(full, e.field);
      if (!hit) {
        this.error(`${full.name} has no field '${e.field}'`, e.span, fieldHint(fieldNames(full), e.field));
        return VOID;
      }
      let space: AddrSpace;
      if (t.kind === 'pointer') space = t.space;
      else {
        const loc = this.memLoc(e.object);
        if (!loc) {
          // A struct value the program holds ($s = *p, a map's value, $arr[0]): the field is a place in it.
          if (hit.bitWidth === undefined && isHeldValue(e.object)) {
            this.unit.localFields.set(e, hit.offset);
            return hit.type;
          }
          this.error(`Can not access field '${e.field}' of this ${rec.name} value`, e.span, 'read fields through a pointer: p->field');
          return VOID;
        }
        space = loc;
      }
      this.unit.fieldLocs.set(e, { ...hit, via: t.kind === 'pointer' ? 'ptr' : 'value', space });
      // A pointer read out of user memory points into user memory (so do an array's pointers); one
      // in a struct of the script's own read from memory of unknown space, into that (bpftrace:
      // a field has its struct's address space). The kernel's own types keep their kernel pointers.
      if (space === 'user' || (space === 'any' && this.scriptRecords.get(full.name) === full)) return pointersInto(hit.type, space);
      return hit.type;
    }
    this.error(`Can not access field '${e.field}' on expression of type '${typeName(t)}'`, e.span);
    return VOID;
  }

  /**
   * The address space of an expression whose value sits in kernel or user memory and is read from
   * there (a struct field, `*p`, `p[i]`), or undefined for values the program holds itself.
   */
  memLoc(e: Expr): AddrSpace | undefined {
    if (e.kind === 'FieldAccess') return this.unit.fieldLocs.get(e)?.space;
    if (e.kind === 'Unary' && e.op === '*') {
      const t = this.unit.types.get(e.operand);
      return t?.kind === 'pointer' ? t.space : undefined;
    }
    if (e.kind === 'IndexAccess') {
      const t = this.unit.types.get(e.object);
      if (t?.kind === 'pointer') return t.space;
      return this.memLoc(e.object);
    }
    return undefined;
  }

  private index(e: IndexAccess): SType {
    const t = this.expr(e.object);
    const it = this.expr(e.index);
    if (t.kind === 'void' || it.kind === 'void') return VOID;
    if (it.kind !== 'int') {
      this.error(`The array index must be an integer (${typeName(it)} provided)`, e.index.span);
      return VOID;
    }
    if (t.kind === 'string' && this.memLoc(e.object)) {
      // A char[N] member: bpftrace types it as a string, yet indexing gives its chars.
      const i = this.constInt(e.index);
      if (i !== undefined && (i < 0n || i >= BigInt(t.size))) {
        this.error(`the index ${i} is out of bounds for array of size ${t.size}`, e.span);
        return VOID;
      }
      return { kind: 'int', size: 1, signed: true };
    }
    if (t.kind === 'array' && this.memLoc(e.object)) {
      const i = this.constInt(e.index);
      if (i !== undefined && t.length > 0 && (i < 0n || i >= BigInt(t.length))) {
        this.error(`the index ${i} is out of bounds for array of size ${t.length}`, e.span);
        return VOID;
      }
      return t.of;
    }
    if (t.kind === 'array') {
      const i = this.constInt(e.index);
      if (i === undefined) {
        this.error('array index must be a constant here', e.index.span, 'tracepoint arrays are read directly from the record, at a fixed offset');
        return VOID;
      }
      if (i < 0n || i >= BigInt(t.length)) {
        this.error(`the index ${i} is out of bounds for array of size ${t.length}`, e.span);
        return VOID;
      }
      return t.of;
    }
    if (t.kind === 'pointer') {
      if (t.to.kind === 'void' || sizeOf(t.to) === 0) {
        this.error('The array index operator [] cannot be used on a pointer to an unsized type (void *).', e.span);
        return VOID;
      }
      if (t.to.kind === 'record') {
        const full = this.complete(t.to);
        if (!full) {
          this.missingRecord(t.to.name, e.object.span);
          return VOID;
        }
        return full;
      }
      return t.to;
    }
    this.error(`The array index operator [] can only be used on arrays and pointers, found ${typeName(t)}.`, e.span);
    return VOID;
  }

  // ─── calls ─────────────────────────────────────────────────────────────────

  private nargs(c: Call, min: number, max = min): boolean {
    const n = c.args.length;
    if (n >= min && n <= max) return true;
    let msg: string;
    if (min === max) msg = min === 0 ? `${c.name}() requires no arguments` : min === 1 ? `${c.name}() requires one argument` : `${c.name}() requires ${min} arguments`;
    else if (n < min) msg = min === 1 ? `${c.name}() requires at least one argument` : `${c.name}() requires at least ${min} arguments`;
    else msg = max === 1 ? `${c.name}() takes up to one argument` : `${c.name}() takes up to ${max} arguments`;
    this.error(`${msg} (${n} provided)`, c.span);
    return false;
  }

  private args(c: Call): SType[] {
    return c.args.map((a) => this.expr(a));
  }

  private aggCall(c: Call): AggType | undefined {
    const ts = this.args(c);
    const intArg = (i: number): boolean => {
      const t = ts[i]!;
      if (t.kind === 'void') return false;
      if (t.kind !== 'int') {
        this.error(`${c.name}() only supports integer arguments (${argWord(t)} provided)`, c.span);
        return false;
      }
      return true;
    };
    switch (c.name) {
      case 'count':
        if (!this.nargs(c, 0)) return undefined;
        return { kind: 'agg', fn: 'count', signed: false };
      case 'sum': case 'min': case 'max': case 'avg': case 'stats': {
        if (!this.nargs(c, 1) || !intArg(0)) return undefined;
        const t = ts[0] as IntType;
        // bpftrace keeps avg/stats and min/max as signed 64-bit whatever the input (min of uint64
        // values compares and prints signed); only sum follows the value's signedness.
        const signed = c.name === 'sum' ? t.signed : true;
        return { kind: 'agg', fn: c.name, signed };
      }
      case 'hist': {
        // hist(value [, k]): newer bpftrace splits each power of two into 2^k buckets.
        if (c.args.length !== 1 && c.args.length !== 2) {
          this.error(`hist() requires 1 or 2 arguments (${c.args.length} provided)`, c.span);
          return undefined;
        }
        if (!intArg(0)) return undefined;
        const t: AggType = { kind: 'agg', fn: 'hist', signed: (ts[0] as IntType).signed };
        if (c.args.length === 2) {
          const k = this.constInt(c.args[1]!);
          if (k === undefined) {
            this.error('hist(): the bits argument must be a constant', c.args[1]!.span);
            return undefined;
          }
          if (k < 0n || k > 5n) {
            this.error(`hist: bits argument must be between 0 and 5 (${k} provided)`, c.args[1]!.span);
            return undefined;
          }
          if (k > 0n) t.histBits = Number(k);
        }
        return t;
      }
      case 'llhist': {
        // DTrace's llquantize(value, factor, low, high, steps): log-linear buckets.
        if (!this.nargs(c, 5) || !intArg(0)) return undefined;
        const vals: bigint[] = [];
        const what = ['factor', 'low', 'high', 'steps'];
        for (let i = 1; i < 5; i++) {
          const v = this.constInt(c.args[i]!);
          if (v === undefined) {
            this.error(`llhist(): invalid ${what[i - 1]} value`, c.args[i]!.span, 'llhist(value, factor, low, high, steps) takes constant factor, low, high and steps');
            return undefined;
          }
          vals.push(v);
        }
        const [factor, low, high, steps] = vals as [bigint, bigint, bigint, bigint];
        if (factor < 2n) this.error(`llhist() factor must be >= 2 (${factor} provided)`, c.args[1]!.span);
        else if (low < 0n) this.error(`llhist() low must be non-negative (${low} provided)`, c.args[2]!.span);
        else if (high <= low) this.error(`llhist() high must be greater than low (low ${low}, high ${high})`, c.args[3]!.span);
        else if (factor ** high > 1n << 62n) this.error(`llhist() factor^high is too large (${factor}^${high} > 2^62)`, c.args[3]!.span);
        else if (steps < 1n) this.error(`llhist() steps must be >= 1 (${steps} provided)`, c.args[4]!.span);
        else {
          const bounds = llhistBounds(factor, Number(low), Number(high), steps);
          if (bounds.length > 1000) this.error(`llhist() too many buckets, must be <= 1000 (would need ${bounds.length})`, c.span);
          else return { kind: 'agg', fn: 'llhist', signed: (ts[0] as IntType).signed, bounds, llhist: { factor, low: Number(low), high: Number(high), steps } };
        }
        return undefined;
      }
      case 'bhist': {
        // bhist(value, b0, b1, …): a histogram with the bucket bounds the user chose.
        if (c.args.length < 2) {
          this.error(`bhist() requires a value and at least one bucket bound (${c.args.length} argument${c.args.length === 1 ? '' : 's'} provided)`, c.span);
          return undefined;
        }
        if (!intArg(0)) return undefined;
        const bounds: bigint[] = [];
        for (let i = 1; i < c.args.length; i++) {
          const v = this.constInt(c.args[i]!);
          if (v === undefined) {
            this.error('bhist(): bucket bounds must be integer constants', c.args[i]!.span);
            return undefined;
          }
          if (bounds.length > 0 && v <= bounds[bounds.length - 1]!) {
            this.error(`bhist(): bucket bounds must be ascending (${v} after ${bounds[bounds.length - 1]})`, c.args[i]!.span);
            return undefined;
          }
          bounds.push(v);
        }
        if (bounds.length > 256) {
          this.error(`bhist() takes at most 256 bounds (${bounds.length} provided)`, c.span);
          return undefined;
        }
        return { kind: 'agg', fn: 'bhist', signed: (ts[0] as IntType).signed, bounds };
      }
      case 'lhist': {
        if (!this.nargs(c, 4) || !intArg(0)) return undefined;
        const vals: bigint[] = [];
        const what = ['min', 'max', 'step'];
        for (let i = 1; i < 4; i++) {
          const v = this.constInt(c.args[i]!);
          if (v === undefined) {
            this.error(`lhist(): invalid ${what[i - 1]} value`, c.args[i]!.span, 'lhist() takes constant min, max and step');
            return undefined;
          }
          vals.push(v);
        }
        const [min, max, step] = vals as [bigint, bigint, bigint];
        if (step <= 0n) this.error(`lhist() step must be >= 1 (${step} provided)`, c.span);
        else if ((max - min) / step > 1000n) this.error(`lhist() too many buckets, must be <= 1000 (would need ${(max - min) / step})`, c.span);
        if (min < 0n) this.error(`lhist() min must be non-negative (provided min ${min})`, c.span);
        if (min > max) this.error(`lhist() min must be less than max (provided min ${min} and max ${max})`, c.span);
        if (step > 0n && max - min < step) this.error(`lhist() step is too large for the given range (provided step ${step} for range ${max - min})`, c.span);
        return { kind: 'agg', fn: 'lhist', signed: (ts[0] as IntType).signed, lhist: { min, max, step } };
      }
    }
    return undefined;
  }

  private call(c: Call): SType {
    const name = c.name;
    if (this.forDepth > 0 && CTX_CALLS.has(name)) {
      this.args(c);
      this.error(`${name}() is not allowed in a for-loop`, c.span, 'call it before the loop and keep the value in a variable');
      return VOID;
    }
    if (UNSAFE_FUNCS.has(name) && !this.opts.unsafe) {
      this.error(`${name}() is an unsafe function being used in safe mode`, c.span, 'run with --unsafe to allow it');
    }
    if (AGG_FUNCS.has(name)) {
      this.args(c);
      this.error(`${name}() should be directly assigned to a map`, c.span);
      return VOID;
    }
    if (SYSTEM_CALLS.has(name)) return typeSystemCall(this.callContext(), c);
    switch (name) {
      case 'printf': case 'system': case 'cat': {
        if (name === 'system') this.unsafeUsed = true;
        if (c.args.length === 0) {
          this.nargs(c, 1, 128);
          return VOID;
        }
        const ts = this.args(c);
        const fmt = c.args[0]!;
        if (fmt.kind !== 'String') {
          this.error(`${name}() expects a string literal (${argWord(ts[0]!)} provided)`, c.span);
          return VOID;
        }
        if (ts.slice(1).some((t) => t.kind === 'void')) {
          if (this.final) this.error(`${name}: an argument has no value`, c.span);
          return VOID;
        }
        try {
          const errs = checkArgs(parseFormat(fmt.value, name), ts.slice(1), name);
          if (errs.length > 0) this.error(errs[0]!.message, c.span);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          this.error(e.message, c.span);
        }
        for (let i = 1; i < ts.length; i++) {
          const t = ts[i]!;
          if (t.kind === 'pointer' && t.to.kind === 'record' && isArgsRecord(t.to.name)) this.error('args cannot be printed', c.args[i]!.span);
        }
        return VOID;
      }
      case 'time': {
        if (!this.nargs(c, 0, 1)) return VOID;
        this.args(c);
        if (c.args.length === 1 && c.args[0]!.kind !== 'String') this.error('time() expects a string literal', c.span);
        return VOID;
      }
      case 'join': {
        // join(char **arr [, "sep"]): prints up to JOIN_MAX strings of a NULL-terminated array.
        if (!this.nargs(c, 1, 2)) return VOID;
        const [t] = this.args(c);
        if (t && t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') {
          this.error(`join() only supports int or pointer arguments (${argWord(t)} provided)`, c.span);
        }
        if (c.args[1] && c.args[1].kind !== 'String') this.error('join() expects a string literal as its delimiter', c.args[1].span);
        return VOID;
      }
      case 'unwatch': {
        // Removes the breakpoints watching an address (funcwatchpoint): sent to user space.
        if (!this.nargs(c, 1)) return VOID;
        const [t] = this.args(c);
        if (t && t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') this.error(`unwatch() only supports integer arguments (${argWord(t)} provided)`, c.span);
        return VOID;
      }
      case 'exit': {
        // exit(code) is newer bpftrace: the code becomes sonde's exit status.
        if (!this.nargs(c, 0, 1)) return VOID;
        const [t] = this.args(c);
        if (t && t.kind !== 'int' && t.kind !== 'void') this.error(`exit() only supports integer arguments (${argWord(t)} provided)`, c.span);
        return VOID;
      }
      case 'print': {
        if (!this.nargs(c, 1, 3)) return VOID;
        const a0 = c.args[0]!;
        if (a0.kind === 'Map') {
          if (a0.keys.length > 0) {
            this.args(c);
            this.error(`The map passed to ${name}() should not be indexed by a key`, c.span);
            return VOID;
          }
          this.mapInfo(a0);
          const m = this.maps.get(a0.name)!;
          this.unit.types.set(a0, m.value ?? VOID);
          for (let i = 1; i < c.args.length; i++) {
            this.expr(c.args[i]!);
            if (this.constInt(c.args[i]!) === undefined) this.error(`${name}() expects an integer literal (${argWord(this.unit.types.get(c.args[i]!)!)} provided)`, c.span);
          }
          if (!m.value) this.error(`Undefined map: ${a0.name}`, a0.span);
          return VOID;
        }
        const t = this.expr(a0);
        if (c.args.length !== 1) this.error(`Non-map print() only takes 1 argument, ${c.args.length} found`, c.span);
        if (t.kind === 'void' || t.kind === 'agg' || (t.kind === 'record' && t.size === 0) || (t.kind === 'pointer' && t.to.kind === 'record' && isArgsRecord(t.to.name))) {
          if (this.final) this.error(`${typeName(t)} type passed to ${name}() is not printable`, c.span);
        }
        return VOID;
      }
      case 'clear': case 'zero': {
        if (!this.nargs(c, 1)) return VOID;
        const a0 = c.args[0]!;
        if (a0.kind !== 'Map') {
          this.args(c);
          this.error(`${name}() expects a map to be provided`, c.span);
          return VOID;
        }
        if (a0.keys.length > 0) {
          this.args(c);
          this.error(`The map passed to ${name}() should not be indexed by a key`, c.span);
          return VOID;
        }
        this.mapInfo(a0);
        this.unit.types.set(a0, this.maps.get(a0.name)!.value ?? VOID);
        return VOID;
      }
      case 'delete': {
        if (c.args.length === 0 || c.args.length > 2) {
          this.nargs(c, 1);
          return VOID;
        }
        const a0 = c.args[0]!;
        if (a0.kind !== 'Map') {
          this.args(c);
          this.error('delete() expects a map to be provided', c.span);
          return VOID;
        }
        if (c.args.length === 2) {
          // Newer form delete(@m, key): checked as @m[key].
          if (a0.keys.length > 0) this.error('delete(@map, key) takes the map without a key', a0.span);
          const synthetic: MapRef = { ...a0, keys: this.keyArgs(c, a0, c.args[1]!), span: c.span };
          this.mapKeys(synthetic, true);
          this.unit.types.set(synthetic, VOID);
          return VOID;
        }
        this.mapKeys(a0, true);
        const m = this.maps.get(a0.name)!;
        this.unit.types.set(a0, m.value ?? VOID);
        return VOID;
      }
      case 'has_key': {
        // has_key(@m, key) (newer bpftrace): 1 when the key is in the map. bpftrace's value is a
        // bool printed as true/false; sonde's is an integer (1/0).
        if (!this.nargs(c, 2)) return VOID;
        const a0 = c.args[0]!;
        if (a0.kind !== 'Map' || a0.keys.length > 0) {
          this.args(c);
          this.error('has_key() expects a map without a key as its first argument', c.span);
          return VOID;
        }
        const m = this.mapInfo(a0);
        if (m.keys !== undefined && m.keys.length === 0) {
          this.error(`${a0.name}: has_key() expects a map with explicit keys (non-scalar map)`, c.span);
          return VOID;
        }
        if (m.value?.kind === 'agg' && (m.value.fn === 'hist' || m.value.fn === 'lhist')) {
          this.error(`${a0.name}: has_key() of a ${m.value.fn}() map is not supported`, c.span);
          return VOID;
        }
        const synthetic: MapRef = { ...a0, keys: this.keyArgs(c, a0, c.args[1]!), span: c.span };
        this.mapKeys(synthetic, true);
        this.unit.types.set(synthetic, m.value ?? VOID);
        return BOOL;
      }
      case 'len': {
        // len(@m) (newer bpftrace): the number of entries, counted with bpf_for_each_map_elem.
        if (!this.nargs(c, 1)) return VOID;
        const a0 = c.args[0]!;
        if (a0.kind !== 'Map' || a0.keys.length > 0) {
          this.args(c);
          this.error('len() expects a map without a key (len() of a stack is not supported yet)', c.span);
          return VOID;
        }
        const m = this.mapInfo(a0);
        this.unit.types.set(a0, m.value ?? VOID);
        if (!m.value) this.error(`Undefined map: ${a0.name}`, a0.span);
        else if (m.keys !== undefined && m.keys.length === 0) this.error('call to len() expects a map with explicit keys (non-scalar map)', c.span);
        else if (m.value.kind === 'agg' && (m.value.fn === 'hist' || m.value.fn === 'lhist')) this.error(`${a0.name}: len() of a ${m.value.fn}() map is not supported`, c.span);
        return INT64;
      }
      case 'str': {
        if (!this.nargs(c, 1, 2)) return VOID;
        const a0 = c.args[0]!;
        const lit = this.positionalString(a0);
        if (lit !== undefined) {
          this.inStr = true;
          this.expr(a0);
          this.inStr = false;
          if (c.args[1]) this.expr(c.args[1]);
          const bytes = lit.slice(0, Math.max(0, this.strlen - 1));
          this.unit.strings.set(c, bytes);
          return { kind: 'string', size: this.strlen };
        }
        const t = this.expr(a0);
        if (c.args[1]) {
          const nt = this.expr(c.args[1]);
          if (nt.kind !== 'int' && nt.kind !== 'void') this.error(`str() only supports integer arguments (${argWord(nt)} provided)`, c.span);
          const n = this.constInt(c.args[1]);
          if (n !== undefined && n < 0n) this.error(`str() cannot use negative length (${n})`, c.span);
        }
        if (t.kind === 'void') return { kind: 'string', size: this.strlen };
        // A char[N] field (BTF, script struct or tracepoint record): newer bpftrace accepts it, 0.17 does not.
        if (t.kind === 'string' && c.args[0]!.kind === 'FieldAccess' && c.args.length === 1) return t;
        if (t.kind !== 'int' && t.kind !== 'pointer') {
          this.error(`str() expects an integer or a pointer type as first argument (${typeName(t)} provided)`, c.span);
          return VOID;
        }
        if (t.kind === 'pointer' && t.to.kind === 'record' && isArgsRecord(t.to.name)) {
          this.error('str() expects an integer or a pointer type as first argument (args provided)', c.span);
          return VOID;
        }
        return { kind: 'string', size: this.strlen };
      }
      case 'strncmp': {
        if (!this.nargs(c, 3)) return UINT64;
        const ts = this.args(c);
        for (let i = 0; i < 2; i++) {
          const t = ts[i]!;
          if (t.kind !== 'string' && t.kind !== 'void') {
            this.error(`strncmp() only supports string arguments (${argWord(t)} provided)`, c.span);
            return UINT64;
          }
        }
        const n = this.constInt(c.args[2]!);
        if (n === undefined) this.error(`strncmp() expects a integer literal (${argWord(ts[2]!)} provided)`, c.span);
        else if (n < 0n) this.error('Builtin strncmp requires a non-negative size', c.span);
        return UINT64;
      }
      case 'kstack': case 'ustack':
        return this.stackCall(c);
      case 'ksym': case 'usym': {
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'void') this.error(`${name}() expects an integer or pointer argument`, c.span);
        return name === 'ksym' ? { kind: 'symbol', what: 'ksym', size: 8 } : { kind: 'symbol', what: 'usym', size: 16 };
      }
      case 'bswap': {
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        if (t.kind === 'void') return VOID;
        if (t.kind !== 'int') {
          this.error(`bswap() only supports integer arguments (${argWord(t)} provided)`, c.span);
          return VOID;
        }
        return { kind: 'int', size: t.size, signed: false };
      }
      case 'ntop': {
        if (!this.nargs(c, 1, 2)) return VOID;
        const ts = this.args(c);
        if (ts.some((t) => t.kind === 'void')) return VOID;
        if (ts.length === 2 && ts[0]!.kind !== 'int') {
          this.error(`ntop() only supports integer arguments (${argWord(ts[0]!)} provided)`, c.span);
          return VOID;
        }
        const a = ts[ts.length - 1]!;
        if (a.kind !== 'int' && a.kind !== 'array' && a.kind !== 'string') {
          this.error(`ntop() expects an integer or array argument, got ${argWord(a)}`, c.span);
          return VOID;
        }
        if (a.kind !== 'int' && sizeOf(a) !== 4 && sizeOf(a) !== 16) {
          this.error('ntop() argument must be 4 or 16 bytes in size', c.span);
          return VOID;
        }
        return { kind: 'symbol', what: 'inet', size: 24 };
      }
      case 'strerror': {
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        if (t.kind !== 'int' && t.kind !== 'void') {
          this.error(`strerror() only supports integer arguments (${argWord(t)} provided)`, c.span);
          return VOID;
        }
        return { kind: 'symbol', what: 'strerror', size: 8 };
      }
      case 'macaddr': {
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        if (t.kind === 'void') return VOID;
        if (t.kind !== 'array' && t.kind !== 'pointer' && t.kind !== 'string' && t.kind !== 'int') {
          this.error(`macaddr() only supports array or pointer arguments (${argWord(t)} provided)`, c.span);
          return VOID;
        }
        if (c.args[0]!.kind === 'String') {
          this.error('macaddr() does not support literal string arguments', c.span);
          return VOID;
        }
        if ((t.kind === 'array' || t.kind === 'string') && sizeOf(t) !== 6) {
          this.error('macaddr() argument must be 6 bytes in size', c.span);
          return VOID;
        }
        return { kind: 'symbol', what: 'macaddr', size: 8 };
      }
      case 'reg': {
        if (!this.nargs(c, 1)) return VOID;
        this.args(c);
        const a0 = c.args[0]!;
        if (a0.kind !== 'String') {
          this.error('reg() expects a string literal', c.span);
          return VOID;
        }
        if (PT_REGS[a0.value] === undefined) {
          this.error(`'${a0.value}' is not a valid register on this architecture (x86_64)`, c.span, `registers: ${Object.keys(PT_REGS).join(', ')}`);
          return VOID;
        }
        const p = this.provider();
        if (p !== 'kprobe' && p !== 'kretprobe' && p !== 'uprobe' && p !== 'uretprobe') {
          this.error(`reg can not be used with "${this.providerWord()}" probes`, c.span);
          return VOID;
        }
        return UINT64;
      }
      case 'buf': {
        if (!this.nargs(c, 1, 2)) return VOID;
        const ts = this.args(c);
        const t = ts[0]!;
        if (t.kind === 'void') return VOID;
        if (t.kind !== 'int' && t.kind !== 'pointer' && t.kind !== 'array' && t.kind !== 'string') {
          this.error(`buf() expects an integer, string, or array argument but saw ${argWord(t)}`, c.span);
          return VOID;
        }
        let size = this.strlen;
        if (c.args.length === 1) {
          if (t.kind !== 'array' && t.kind !== 'string') {
            this.error(`buf() expects a length argument for non-array type ${argWord(t)}`, c.span);
            return VOID;
          }
          size = sizeOf(t);
        } else {
          if (ts[1]!.kind !== 'int' && ts[1]!.kind !== 'void') {
            this.error(`buf() only supports integer arguments (${argWord(ts[1]!)} provided)`, c.span);
            return VOID;
          }
          const n = this.constInt(c.args[1]!);
          if (n !== undefined) {
            if (n < 0n) {
              this.error(`buf cannot use negative length (${n})`, c.span);
              return VOID;
            }
            size = Number(n);
          }
        }
        return { kind: 'buffer', size: Math.min(size, this.strlen) };
      }
      case 'override': {
        this.unsafeUsed = true;
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        if (t.kind !== 'int' && t.kind !== 'void') this.error(`override() only supports integer arguments (${argWord(t)} provided)`, c.span);
        if (this.provider() !== 'kprobe') this.error('override can only be used with kprobes.', c.span);
        return VOID;
      }
      case 'kptr': case 'uptr': {
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        if (t.kind === 'void') return VOID;
        if (t.kind !== 'int' && t.kind !== 'pointer') {
          this.error(`${name}() only supports integer or pointer arguments (${argWord(t)} provided)`, c.span);
          return VOID;
        }
        const space = name === 'kptr' ? 'kernel' : 'user';
        // A plain integer keeps its type; the space is remembered through a pointer to uint8.
        return t.kind === 'pointer' ? { ...t, space } : { kind: 'pointer', to: { kind: 'int', size: 1, signed: false }, space };
      }
      case 'signal': {
        this.unsafeUsed = true;
        if (!this.nargs(c, 1)) return VOID;
        const t = this.expr(c.args[0]!);
        const a0 = c.args[0]!;
        if (a0.kind === 'String') {
          if (signalNumber(a0.value) === undefined) this.error(`${a0.value} is not a valid signal`, c.span);
        } else if (t.kind === 'int') {
          const n = this.constInt(a0);
          if (n !== undefined && (n < 1n || n > 64n)) this.error(`${n} is not a valid signal, allowed range: [1,64]`, c.span);
        } else if (t.kind !== 'void') {
          this.error('signal only accepts string literals or integers', c.span);
        }
        const p = this.provider();
        if (p === 'BEGIN' || p === 'END' || p === 'interval' || p === 'software' || p === 'hardware') {
          this.error(`signal can not be used with "${this.providerWord()}" probes`, c.span);
        }
        return VOID;
      }
    }
    this.args(c);
    this.error(`Unknown function: ${name}`, c.nameSpan);
    return VOID;
  }

  private callContext(): CallContext {
    const tableIndex = (table: string[], v: string): number => {
      const i = table.indexOf(v);
      return i >= 0 ? i : table.push(v) - 1;
    };
    return {
      final: this.final, kernel: this.opts.kernel, strlen: this.strlen, pid: this.opts.pid,
      instances: this.unit.plan.instances, providerWord: this.providerWord(),
      expr: (e) => this.expr(e),
      error: (m, span, hint) => this.error(m, span, hint),
      warn: (message, span) => {
        if (!this.final) return;
        const text = formatDiagnostic({ severity: 'warning', message, file: this.file, span }, this.source);
        if (!this.warnings.includes(text)) this.warnings.push(text);
      },
      nargs: (c, min, max) => this.nargs(c, min, max),
      constInt: (e) => this.constInt(e),
      btf: () => this.opts.kernel.btf(),
      addresses: this.unit.addresses,
      ipRelative: this.unit.ipRelative,
      bytes: this.unit.strings,
      strftimeFormat: (f) => tableIndex(this.strftimeFormats, f),
      cgroupPathFilter: (f) => tableIndex(this.cgroupPathFilters, f),
    };
  }

  /**
   * The key of `delete(@m, k)` / `has_key(@m, k)` as key expressions: `(a, b)` written out, or a
   * tuple value (`$kv.0` of a loop over a map of several keys) taken apart element by element.
   * Kept per call, so that lowering sees the very nodes typed here.
   */
  private keyArgs(c: Call, map: MapRef, key: Expr): Expr[] {
    if (key.kind === 'Tuple') return key.elements;
    const known = this.unit.callKeys.get(c);
    if (known) {
      for (const k of known) this.unit.types.delete(k);
      this.unit.callKeys.delete(c);
    }
    const t = this.expr(key);
    const n = this.maps.get(map.name)?.keys?.length ?? 0;
    if (t.kind !== 'tuple' || n < 2) return [key];
    const parts: Expr[] = t.elems.map((_, index) => ({ kind: 'TupleAccess', object: key, index, span: key.span }));
    this.unit.callKeys.set(c, parts);
    return parts;
  }

  /** The bytes a positional parameter stands for inside str(): `str($1)`, `str($1 + 2)`. */
  private positionalString(e: Expr): Uint8Array | undefined {
    const enc = (s: string) => new TextEncoder().encode(s);
    if (e.kind === 'Positional') return enc(this.params[e.index - 1] ?? '');
    if (e.kind === 'Binary' && e.op === '+') {
      const [p, k] = e.left.kind === 'Positional' ? [e.left, e.right] : e.right.kind === 'Positional' ? [e.right, e.left] : [null, null];
      if (p && k && p.kind === 'Positional') {
        const s = enc(this.params[p.index - 1] ?? '');
        const off = this.constInt(k);
        if (off === undefined || off < 0n || off > BigInt(s.length)) {
          this.error(`only addition of a single constant less or equal to the length of $${p.index} (which is ${s.length}) is allowed inside str()`, e.span);
          return new Uint8Array(0);
        }
        return s.slice(Number(off));
      }
    }
    return undefined;
  }

  /** Compile-time value of an integer expression, or undefined. */
  /** `sizeof(name)`: a script typedef, an integer type name or a BTF typedef. */
  private typedefByName(name: string): SType | undefined {
    const own = this.typedefs.get(name);
    if (own) return own;
    const i = intTypeByName(name);
    if (i) return i;
    const td = this.btf()?.typedef(name);
    return td && td.kind !== 'void' ? td : undefined;
  }

  /** A constant from an included header, the kernel's enums (BTF) or the built-in table. */
  private externalConst(name: string): bigint | undefined {
    const h = this.headerDefines.get(name);
    if (h !== undefined) return h;
    const ev = this.btf()?.btf.findEnumValue(name);
    if (ev) return ev.value;
    return BUILTIN_CONSTANTS[name];
  }

  constInt(e: Expr): bigint | undefined {
    const wrap = (v: bigint) => BigInt.asIntN(64, v);
    switch (e.kind) {
      case 'Integer': return wrap(e.value);
      case 'Bool': return e.value ? 1n : 0n;
      case 'Positional': {
        const p = this.params[e.index - 1];
        if (p === undefined || p === '') return 0n;
        return isNumeric(p) ? paramValue(p) : undefined;
      }
      case 'PositionalCount': return BigInt(this.params.length);
      case 'Sizeof': case 'Offsetof': {
        const n = this.sizeofs.get(e);
        return n === undefined ? undefined : BigInt(n);
      }
      case 'Identifier': {
        const d = this.defines.get(e.name);
        if (d) return this.constInt(d);
        return this.enums.get(e.name) ?? this.externalConst(e.name);
      }
      case 'Unary': {
        const v = this.constInt(e.operand);
        if (v === undefined) return undefined;
        if (e.op === '-') return wrap(-v);
        if (e.op === '~') return wrap(~v);
        if (e.op === '!') return v === 0n ? 1n : 0n;
        if (e.op === '+') return v;
        return undefined;
      }
      case 'Binary': {
        const a = this.constInt(e.left);
        const b = this.constInt(e.right);
        if (a === undefined || b === undefined) return undefined;
        const ua = BigInt.asUintN(64, a);
        const ub = BigInt.asUintN(64, b);
        switch (e.op) {
          case '+': return wrap(a + b);
          case '-': return wrap(a - b);
          case '*': return wrap(a * b);
          case '/': return ub === 0n ? 0n : wrap(ua / ub);
          case '%': return ub === 0n ? a : wrap(ua % ub);
          case '&': return wrap(a & b);
          case '|': return wrap(a | b);
          case '^': return wrap(a ^ b);
          case '<<': return wrap(ua << (ub & 63n));
          case '>>': return wrap(ua >> (ub & 63n));
          default: return undefined;
        }
      }
      default: return undefined;
    }
  }
}

function argWord(t: SType): string {
  switch (t.kind) {
    case 'int': return 'integer';
    case 'string': return 'string';
    case 'void': return 'none';
    default: return typeName(t);
  }
}

function fieldHint(names: string[], wanted?: string): string | undefined {
  if (names.length === 0) return undefined;
  if (names.length <= 12) return `its fields are: ${names.join(', ')}`;
  // A big kernel struct: name only the fields spelled like the one asked for.
  const close = wanted === undefined ? [] : names.filter((n) => editDistance(n, wanted) <= 2 || (wanted.length >= 3 && n.includes(wanted)));
  return close.length > 0 ? `did you mean: ${close.slice(0, 8).join(', ')}?` : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** A parameter read as a number the way bpftrace 0.17 does (std::stoll, base 0): 10, 0x10, 010 (octal), -5. */
const NUMERIC = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

export function isNumeric(s: string): boolean {
  return NUMERIC.test(s);
}

export function paramValue(s: string): bigint {
  const m = NUMERIC.exec(s)!;
  const digits = m[2]!;
  const v = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return BigInt.asIntN(64, m[1] === '-' ? -v : v);
}

/**
 * The type a variable or map holds after another assignment: integers keep the stored type,
 * strings (also inside tuples) widen to the longer one; otherwise the types must be equal.
 * null when they do not fit.
 */
export function mergeType(stored: SType, incoming: SType): SType | null {
  if (stored.kind !== incoming.kind) return null;
  switch (stored.kind) {
    case 'int': return stored;
    case 'string': return { kind: 'string', size: Math.max(stored.size, (incoming as StringType).size) };
    case 'tuple': {
      const inc = incoming as typeof stored;
      if (inc.elems.length !== stored.elems.length) return null;
      const elems: SType[] = [];
      for (let i = 0; i < stored.elems.length; i++) {
        const a = stored.elems[i]!;
        const b = inc.elems[i]!;
        if (a.kind === 'string' && b.kind === 'string') elems.push({ kind: 'string', size: Math.max(a.size, b.size) });
        else if (typeName(a) === typeName(b)) elems.push(a);
        else return null;
      }
      return tupleType(elems);
    }
    case 'agg':
      return (incoming as AggType).fn === stored.fn ? stored : null;
    case 'pointer':
      return typeName(stored) === typeName(incoming) ? stored : null;
    default:
      return typeName(stored) === typeName(incoming) ? stored : null;
  }
}

/** Keys compare as bpftrace compares them: integers by size only, strings widen. */
function mergeKeys(a: SType[], b: SType[]): SType[] | null {
  if (a.length !== b.length) return null;
  const out: SType[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind === 'string' && y.kind === 'string') out.push({ kind: 'string', size: Math.max(x.size, y.size) });
    else if (x.kind === 'int' && y.kind === 'int' && x.size === y.size) out.push(x);
    else if (typeName(x) === typeName(y)) out.push(x);
    else return null;
  }
  return out;
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

export function signalNumber(name: string): number | undefined {
  const n = name.startsWith('SIG') ? name : `SIG${name}`;
  return SIGNALS[n];
}

/** A type read out of `space`'s memory: its pointers (also an array's elements) point there. */
function pointersInto(t: SType, space: AddrSpace): SType {
  if (t.kind === 'pointer') return t.space === space ? t : { ...t, space };
  if (t.kind === 'array') {
    const of = pointersInto(t.of, space);
    return of === t.of ? t : { ...t, of };
  }
  return t;
}

/** Expressions whose value the program holds itself (not read out of kernel or user memory). */
function isHeldValue(e: Expr): boolean {
  return e.kind === 'Variable' || e.kind === 'Map' || e.kind === 'IndexAccess' || e.kind === 'TupleAccess' || e.kind === 'FieldAccess';
}

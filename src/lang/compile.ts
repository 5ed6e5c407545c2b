/**
 * The compiler's entry point: script text → CompiledScript (pure data, deterministic).
 *
 *   parse (parser.ts) → sema (sema/: probes expanded into units, types, maps) →
 *   lower (lower/: one IrProgram per unit) → codegen (codegen/: eBPF instructions)
 *
 * ```ts
 * const script = compile('BEGIN { printf("hello\\n"); exit(); }', { kernel: new LiveKernelView() });
 * ```
 * Syntax and semantic errors are thrown as LangError (file:line:col, the line, a caret).
 */
import type { AsmItem } from '../asm/insn.js';
import { generate, CodegenError, StackOverflowError } from './codegen/index.js';
import { LangError } from './diagnostic.js';
import { formatIr, type IrProgram } from './ir.js';
import type { KernelView } from './kernel-view.js';
import { EventTable } from './lower/events.js';
import { lowerUnit, lowerWatchSetup, SCRATCH_MAP, type LowerContext } from './lower/lower.js';
import { aggSlotArray, internalMaps, kernelMapNames, layoutMap, tidSlotArray, type MapLayout } from './lower/maps.js';
import { AGG_SLOTS_BYTES_MAX, aggSlotSize, slotAggMaps, tidIndexedMaps, tidSlotCount } from './lower/tidmaps.js';
import { parse } from './parser.js';
import { analyze, type Analysis, type Unit } from './sema/analyze.js';
import type { AttachDef, CompiledScript, MapDef, ProgramDef } from './spec.js';

export interface CompileOptions {
  /** File name for messages (default "stdin", as bpftrace calls a -e program). */
  file?: string;
  /** Positional parameters $1, $2, … */
  params?: string[];
  kernel: KernelView;
  /** Bytes of str() buffers, NUL included (BPFTRACE_STRLEN; default 64). */
  strlen?: number;
  /** -p PID: `uprobe:func` without a path probes this process's executable; `usdt:name` searches the files it maps. */
  pid?: number;
  /** -c CMD's executable as found in PATH (a word with a '/' as written): `watchpoint:FUNC+argN` probes it. */
  commandPath?: string;
  /** --unsafe: allow system(), signal(). */
  unsafe?: boolean;
  /**
   * Flight recorder: printf/print(value)/time() records go to overwritable per-CPU rings
   * ('.recorder') that user space reads only when asked (SIGUSR1, end of the run).
   */
  recorder?: boolean;
  /** Entries of each map (BPFTRACE_MAX_MAP_KEYS; default 4096, or the script's config block). */
  maxMapKeys?: number;
  /**
   * Array slots of tid-indexed maps (src/lang/lower/tidmaps.ts); default min(the kernel's
   * pid_max, 262144). 0 keeps them plain hashes; a small number sends the tids above it to the
   * hash (tests of both halves). The same N for pid/tid-indexed aggregations (their per-CPU
   * arrays also within AGG_SLOTS_BYTES_MAX).
   */
  tidSlots?: number;
  /** Default kstack/ustack mode (BPFTRACE_STACK_MODE; default bpftrace, or the config block). */
  stackMode?: 'bpftrace' | 'perf' | 'raw';
  /** Probes this system does not have: error, warn or ignore (BPFTRACE_MISSING_PROBES; wins over the config block). */
  missingProbes?: 'error' | 'warn' | 'ignore';
  /** --include FILE: headers included before the script, as `#include <FILE>` lines would be. */
  includes?: readonly string[];
  /** -I DIR: directories searched for headers before the system ones. */
  includeDirs?: readonly string[];
  /**
   * -k (1) / -kk (2): test helpers' return values in the programs and report failures as
   * helper_error events (lower.ts, checkHelper). 0 (default): no checks, not one instruction more.
   */
  helperChecks?: number;
}

/** A program before the back end: its IR (and its fallback's). */
export type IrProgramDef = Omit<ProgramDef, 'insns' | 'ir' | 'fallback'> & { ir: IrProgram; fallback?: IrProgramDef };

/** Everything but the machine code: what compile() produces before the back end runs. */
export interface CompiledIr extends Omit<CompiledScript, 'programs'> {
  programs: IrProgramDef[];
  analysis: Analysis;
}

export function compile(source: string, opts: CompileOptions): CompiledScript {
  const c = compileToIr(source, opts);
  const gen = (p: IrProgramDef): ProgramDef => {
    let insns: AsmItem[];
    try {
      insns = generate(p.ir);
    } catch (e) {
      if (e instanceof StackOverflowError) {
        const probe = c.analysis.program.probes[p.probeIndex]!;
        const what = e.objects.slice(0, 3).map((o) => `${o.name} ${o.size} B`).join(', ');
        throw new LangError(`${p.probeName}: needs ${e.used} bytes of stack, more than the ${e.limit} the kernel allows${what ? ` (${what})` : ''}`,
          c.file, e.span ?? probe.span, { source: c.analysis.source, hint: 'long strings take stack space: fewer or shorter strings (strlen), or smaller map keys' });
      }
      if (e instanceof CodegenError) {
        const probe = c.analysis.program.probes[p.probeIndex]!;
        throw new LangError(`${p.probeName}: ${e.message}`, c.file, e.span ?? probe.span, { source: c.analysis.source });
      }
      throw e;
    }
    const { fallback, ...own } = p;
    return { ...own, insns, ...(fallback ? { fallback: gen(fallback) } : {}) };
  };
  const programs: ProgramDef[] = c.programs.map(gen);
  const { analysis: _a, ...rest } = c;
  return { ...rest, programs };
}

/** Parses, analyses and lowers; the IR of every program, no machine code. */
export function compileToIr(source: string, opts: CompileOptions): CompiledIr {
  const file = opts.file ?? 'stdin';
  const program = parse(source, { file });
  const a = analyze(program, { ...opts, file });
  const names = kernelMapNames([...a.maps.keys()]);
  const layouts = new Map<string, MapLayout>();
  for (const m of a.maps.values()) layouts.set(m.name, layoutMap(m, names.get(m.name)!, a.config.maxMapKeys));
  const slotCount = opts.tidSlots ?? tidSlotCount(opts.kernel.pidMax?.());
  const usedKernelNames = new Set(names.values());
  const tidArrays = tidSlotArrays(a, layouts, slotCount, usedKernelNames);
  tidArrays.push(...aggSlotArrays(a, layouts, slotCount, opts.kernel.possibleCpus, usedKernelNames));
  const events = new EventTable();
  const ctx: LowerContext = {
    analysis: a, layouts, events, ...(opts.recorder ? { recorder: { maxRecord: 0 } } : {}),
    ...(opts.helperChecks ? { helperChecks: Math.min(2, opts.helperChecks) } : {}),
  };

  const progNames = new Set<string>();
  const programs: CompiledIr['programs'] = [];
  /** The attach points (as written) each program serves, for its probeName. */
  const written = new Map<CompiledIr['programs'][number], string[]>();
  // Programs of the same probe block that came out identical serve all their attach points.
  const byText = new Map<string, CompiledIr['programs'][number]>();
  const programOf = new Map<Unit, IrProgramDef>();
  /** The setup uprobes of watchpoint:FUNC+argN attach points (after the other programs). */
  const setups: IrProgramDef[] = [];
  for (const unit of a.units) {
    const name = uniqueName(programName(unit), progNames);
    const ir = lowerUnit(ctx, unit, name);
    const attach = attachDefs(unit);
    if (unit.fallbackOf) {
      // The kprobe twin of an fentry program: kept with it, loaded only if fentry fails.
      const main = programOf.get(unit.fallbackOf)!;
      if (main.fallback) progNames.delete(name);
      else main.fallback = { name, probeIndex: unit.probeIndex, probeName: probeName(unit), progKind: unit.plan.progKind, attach, ir };
      continue;
    }
    // watchpoint:FUNC+argN: a uprobe on each function arms the breakpoints at run time.
    for (const inst of unit.plan.instances) {
      const w = inst.attach;
      if (w.kind !== 'funcwatchpoint') continue;
      const setupName = uniqueName(`ws_${w.func}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 15), progNames);
      setups.push({
        name: setupName, probeIndex: unit.probeIndex, probeName: `${inst.name} (setup: uprobe:${w.path}:${w.func})`, progKind: 'kprobe',
        attach: [{ kind: 'uprobe', path: w.path, func: w.func, ...(w.optional ? { optional: true } : {}) }], ir: lowerWatchSetup(ctx, unit, w, setupName),
      });
    }
    const key = `${unit.probeIndex}|${unit.plan.progKind}|${formatIr({ ...ir, name: '', main: { ...ir.main, name: '' } })}`;
    const same = byText.get(key);
    const raws = unit.plan.instances.map((i) => i.ap.raw);
    if (same && !unit.plan.syscalls) {
      same.attach.push(...attach);
      written.get(same)!.push(...raws);
      progNames.delete(name);
      programOf.set(unit, same);
      continue;
    }
    const p: IrProgramDef = { name, probeIndex: unit.probeIndex, probeName: probeName(unit), progKind: unit.plan.progKind, attach, ir };
    programOf.set(unit, p);
    byText.set(key, p);
    written.set(p, raws);
    programs.push(p);
  }
  for (const p of programs) {
    if (p.attach.length > 1) p.probeName = [...new Set(written.get(p))].join(',');
  }
  programs.push(...setups);
  const maps: MapDef[] = [...layouts.values()].map((l) => l.def);
  maps.push(...tidArrays);
  maps.push(...internalMaps(a.uses, events.events.length > 0, a.stackLimits, ctx.recorder?.maxRecord ?? 0));
  if (ctx.scratch && ctx.scratch.size > 0) {
    // Large objects (long strings) live in this CPU's slot of one per-CPU array entry (lower.ts).
    maps.push({
      name: SCRATCH_MAP, kernelName: SCRATCH_MAP, kind: 'percpu_array', keySize: 4, valueSize: ctx.scratch.size, maxEntries: 1,
      key: { kind: 'void' }, value: { kind: 'array', of: { kind: 'int', size: 1, signed: false }, length: ctx.scratch.size }, user: false,
    });
  }
  return {
    file, source, maps, programs, events: events.events, probeCount: a.probeCount, unsafe: a.unsafe,
    params: a.params, probeNames: a.probeNames, analysis: a,
    ...(a.strftimeFormats.length > 0 ? { strftimeFormats: a.strftimeFormats } : {}),
    ...(a.cgroupPathFilters.length > 0 ? { cgroupPathFilters: a.cgroupPathFilters } : {}),
    ...(a.warnings.length > 0 ? { warnings: a.warnings } : {}),
    ...(a.config.printMapsOnExit !== undefined ? { printMapsOnExit: a.config.printMapsOnExit } : {}),
    ...(a.config.missingProbes !== undefined ? { missingProbes: a.config.missingProbes } : {}),
  };
}

/**
 * Makes the tid-indexed maps (src/lang/lower/tidmaps.ts) so: each one's layout and MapDef get
 * `tidSlots`, and its array is returned as an internal MapDef ('.tid' + the map's name).
 */
function tidSlotArrays(a: Analysis, layouts: Map<string, MapLayout>, slots: number, usedKernelNames: Set<string>): MapDef[] {
  if (!Number.isSafeInteger(slots) || slots <= 0) return [];
  const out: MapDef[] = [];
  for (const name of [...tidIndexedMaps(a.program, a.maps)].sort()) {
    const l = layouts.get(name)!;
    const base = `.tid_${l.def.kernelName.replace(/^AT_/, '')}`.slice(0, 15);
    let kernelName = base;
    for (let i = 1; usedKernelNames.has(kernelName); i++) kernelName = base.slice(0, 15 - `_${i}`.length) + `_${i}`;
    usedKernelNames.add(kernelName);
    const tidSlots = { slots, array: `.tid${name}` };
    l.tidSlots = tidSlots;
    l.def.tidSlots = tidSlots;
    out.push(tidSlotArray(l.def, tidSlots.array, kernelName, slots));
  }
  return out;
}

/**
 * Makes the pid/tid-indexed aggregations (src/lang/lower/tidmaps.ts) so, when their per-CPU array
 * (slots × slot size × possible CPUs) fits AGG_SLOTS_BYTES_MAX: each one's layout and MapDef get
 * `aggSlots`, and its array is returned as an internal MapDef ('.slots' + the map's name).
 */
function aggSlotArrays(a: Analysis, layouts: Map<string, MapLayout>, slots: number, cpus: number, usedKernelNames: Set<string>): MapDef[] {
  if (!Number.isSafeInteger(slots) || slots <= 0) return [];
  const out: MapDef[] = [];
  for (const [name, builtin] of slotAggMaps(a.program, a.maps)) {
    const l = layouts.get(name)!;
    if (l.def.value.kind !== 'agg' || l.def.kind !== 'percpu_hash') continue;
    if (slots * aggSlotSize(l.def.value.fn) * Math.max(1, cpus) > AGG_SLOTS_BYTES_MAX) continue;
    const base = `.slt_${l.def.kernelName.replace(/^AT_/, '')}`.slice(0, 15);
    let kernelName = base;
    for (let i = 1; usedKernelNames.has(kernelName); i++) kernelName = base.slice(0, 15 - `_${i}`.length) + `_${i}`;
    usedKernelNames.add(kernelName);
    const array = `.slots${name}`;
    l.aggSlots = { slots, array, builtin };
    l.def.aggSlots = { slots, array };
    out.push(aggSlotArray(l.def, array, kernelName, slots));
  }
  return out;
}

function attachDefs(unit: Unit): AttachDef[] {
  if (unit.plan.syscalls) return [{ kind: 'rawtracepoint', name: unit.plan.syscalls.dir === 'enter' ? 'sys_enter' : 'sys_exit' }];
  if (unit.plan.probeCookie) {
    return unit.plan.instances.map((i, n) => (i.attach.kind === 'kprobe' || i.attach.kind === 'kretprobe' ? { ...i.attach, cookie: unit.probeIds[n]! } : i.attach));
  }
  return unit.plan.instances.map((i) => i.attach);
}

function probeName(unit: Unit): string {
  const insts = unit.plan.instances;
  if (unit.plan.syscalls) return unit.plan.instances.map((i) => i.ap.raw).filter((r, i, all) => all.indexOf(r) === i).join(',');
  if (insts.length === 1) return insts[0]!.name;
  return insts.map((i) => i.ap.raw).filter((r, i, all) => all.indexOf(r) === i).join(',');
}

const PREFIX: Record<string, string> = {
  tracepoint: 't', rawtracepoint: 'rt', kprobe: 'k', kretprobe: 'kr', uprobe: 'u', uretprobe: 'ur',
  profile: 'p', interval: 'i', software: 's', hardware: 'h',
};

/** Kernel program name (≤ 15 chars of [A-Za-z0-9_]): BEGIN, END, or kind_target. */
function programName(unit: Unit): string {
  const i = unit.plan.instances[0]!;
  if (unit.plan.syscalls) return `sys_${unit.plan.syscalls.dir}_all`;
  let base: string;
  switch (i.attach.kind) {
    case 'begin': base = 'BEGIN'; break;
    case 'end': base = 'END'; break;
    case 'tracepoint': base = `t_${i.attach.event}`; break;
    case 'rawtracepoint': base = `rt_${i.attach.name}`; break;
    case 'kprobe': case 'kretprobe':
      base = `${unit.plan.progKind === 'tracing' ? (i.attach.kind === 'kprobe' ? 'f' : 'fr') : PREFIX[i.attach.kind]}_${i.attach.func}`;
      break;
    case 'uprobe': case 'uretprobe': base = `${PREFIX[i.attach.kind]}_${i.attach.func || 'addr'}`; break;
    case 'fentry': case 'fexit': base = `${i.attach.kind === 'fentry' ? 'f' : 'fr'}_${i.attach.func}`; break;
    case 'usdt': base = `usdt_${i.attach.name}`; break;
    case 'funcwatchpoint': base = `w_${i.attach.func}`; break;
    default: base = `${PREFIX[i.provider] ?? 'p'}_${i.ap.parts.join('_')}`;
  }
  return base.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 15);
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) {
    const suffix = `_${n}`;
    name = base.slice(0, 15 - suffix.length) + suffix;
  }
  used.add(name);
  return name;
}

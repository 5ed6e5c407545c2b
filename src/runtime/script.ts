// Running a compiled script (src/lang/spec.ts) the way bpftrace runs one:
//
//   maps created → every program loaded (verifier errors reported against the script) → BEGIN
//   run once → probes attached → "Attaching N probes..." (N: those attached) → -c command started →
//   events read and printed … until exit(), Ctrl-C/SIGTERM, the command's exit or stop() →
//   probes detached → END run once → its output printed → every user map printed → cleanup.
//
// bpftrace 0.17 runs BEGIN before it attaches the other probes (strace shows BPF_PROG_TEST_RUN
// of BEGIN, then the perf_event_open calls), so does sonde. Nothing stays attached on any path:
// every kernel object belongs to a Session.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { BpfMap, type MapKind } from '../bpf/map.js';
import { Program, type ProgKind } from '../bpf/program.js';
import { VerifierError } from '../bpf/verifier.js';
import { RingBuffer } from '../bpf/ringbuf.js';
import { FlightRecorder } from '../bpf/recorder.js';
import { EventReader } from '../bpf/events.js';
import { assemble } from '../asm/encode.js';
import { runOnce } from '../attach/once.js';
import { detachAll } from '../attach/link.js';
import { enableStats, close, AttachType, UnsupportedError } from '../sys/index.js';
import { attachFentry, fentryLoadError } from '../attach/fentry.js';
import { kprobeMechanism, attachKprobeMulti } from '../attach/kprobe.js';
import { kprobeMultiWorks } from './features.js';
import { onlineCpus } from '../kernel/cpus.js';
import type { AttachDef, CompiledScript, EventDef, MapDef, ProgramDef } from '../lang/spec.js';
import { Session } from './session.js';
import { attachDef, attachDefName, attachFuncWatchpoint, loadTargetFor, targetOfAttachDef, type ProbeTarget } from './probes.js';
import { OutOfWatchpointRegistersError } from '../attach/watchpoint.js';
import type { Link } from '../attach/link.js';
import { SymbolNotFoundError } from '../elf/index.js';
import { readMap, clearMap, zeroMap, type RawMapEntry } from './map-read.js';
import { verifierReport, probeReport, ScriptError } from './script-error.js';
import { FdTextOut, type TextOut } from './text-out.js';
import type { PausedCommand } from './child.js';
import { bpftraceRenderer, type MapEntryValue } from './render.js';
import { TimeFormatError, strerror, formatHelperError, type HelperFailure, type Value } from '../output/index.js';
import { Mov, St, Add, LdMapFd, Call, Exit, JEq, Stx } from '../asm/builders.js';
import { Label, R0, R1, R2, R6, R10 } from '../asm/insn.js';
import { Helper } from '../asm/helpers.js';

/** The 8-byte header every ring buffer record starts with: u32 event id, u32 reserved. */
export const EVENT_HEADER_SIZE = 8;

/** A record of the '.events' ring buffer, valid only during the call it is passed to. */
export interface EventRecord {
  view: DataView;
  /** Offset of the record's header in `view`. */
  offset: number;
  length: number;
}

export type FormatEventDef = Extract<EventDef, { kind: 'printf' | 'system' | 'cat' }>;
export type PrintValueDef = Extract<EventDef, { kind: 'print_value' }>;

/**
 * Turns kernel data into bpftrace's text and into typed values. The default renders exactly as
 * bpftrace 0.17 does (src/runtime/render.ts over src/output/); a library user may supply another.
 */
export interface Renderer<V = unknown, E = unknown> {
  /** printf, and the command / path of system() and cat(). */
  format(def: FormatEventDef, rec: EventRecord): { text: string; values: V[] };
  /** print(value) of a non-map expression: the line bpftrace prints. */
  printValue(def: PrintValueDef, rec: EventRecord): { text: string; value: V };
  /** A whole map as print(@m, top, div) and the exit-time printing show it (possibly empty). */
  map(def: MapDef, entries: RawMapEntry[], opts: { top: number; div: number }): { text: string; entries: E[] };
  /** time(fmt) at `at`. */
  time(format: string, at: Date): string;
  /** The "Attaching N probes..." line (default: bpftrace's text). */
  attached?(n: number): string;
  /** The lost-records message (default: `Lost N events`, on stderr). */
  lost?(n: number): string;
  /** A message bpftrace prints with the output (a watchpoint it could not set); default: the text and a newline. */
  message?(text: string): string;
  /** What system() printed / the file cat() read, as it goes to the output. */
  output?(kind: 'system' | 'cat', text: string): string;
  /** -k/-kk: a helper call failed (default: bpftrace's WARNING with the script's line). */
  helperError?(f: HelperFailure): string;
}

/** What a running script produces, in order; `text` is exactly what bpftrace prints for it. */
export type ScriptEvent<V = Value, E = MapEntryValue> =
  | { type: 'printf'; text: string; values: V[] }
  | { type: 'print'; text: string; value: V }
  | { type: 'map'; name: string; entries: E[]; text: string; when: 'print' | 'exit' }
  | { type: 'clear' | 'zero'; name: string }
  | { type: 'time'; text: string }
  | { type: 'system'; command: string; text: string; status: number | null }
  | { type: 'cat'; path: string; text: string }
  | { type: 'lost'; count: number; text: string }
  /** A message in the output: `Failed to attach watchpoint probe. You are out of watchpoint registers.` */
  | { type: 'message'; text: string }
  /** -k/-kk: a helper call failed in a probe; `line`/`col` of the call in the script (0 when unknown). */
  | { type: 'helper_error'; helper: string; retcode: number; line: number; col: number; text: string }
  /** exit() ran in a probe; also sent (reason 'signal', 'command' — the -c command or the -p process ended —, 'stop') when the run ends otherwise. */
  | { type: 'exit'; reason: StopReason };

export type StopReason = 'exit' | 'signal' | 'command' | 'stop' | 'error';

export interface ScriptOptions<V = Value, E = MapEntryValue> {
  /** Default: bpftrace 0.17's text through src/output, with symbols from the running system. */
  renderer?: Renderer<V, E>;
  /** printf, print, maps…: stdout by default (-o FILE replaces it). */
  out?: TextOut;
  /** bpftrace writes the two line feeds before the exit-time maps to stdout even with -o. */
  stdout?: TextOut;
  /** Messages (lost events, -v statistics, the attach notification). Default: stderr. */
  err?: (text: string) => void;
  /** Every event as it happens (the library API); printing to `out` happens regardless. */
  onEvent?: (e: ScriptEvent<V, E>) => void;
  /** Print nothing to `out` (the library API collects events instead). */
  silent?: boolean;
  /** No "Attaching N probes..." (-q). */
  quiet?: boolean;
  /** -v: verifier logs, per-program run counts and in-kernel time. */
  verbose?: boolean;
  /** Allow system() and other unsafe actions (--unsafe). */
  unsafe?: boolean;
  /** -p PID: uprobes and USDT probes only in this process; the run ends when the process does. */
  pid?: number;
  /** -c CMD: started once the probes are attached; the run ends when it exits. */
  command?: PausedCommand;
  /** Print __BPFTRACE_NOTIFY_PROBES_ATTACHED on stderr once attached (default: from the environment, like bpftrace). */
  notifyAttached?: boolean;
  /** bpftrace's -f: text (default) or json lines. */
  format?: 'text' | 'json';
  /** Size of the '.events' ring buffer in bytes (a power of two, at least a page). */
  ringBufferBytes?: number;
  /** Print every user map when the run ends (default true). */
  printMapsAtExit?: boolean;
  /** Print every user map on SIGUSR1, as bpftrace does (the CLI turns this on). */
  printMapsOnSigusr1?: boolean;
  /** Pages per CPU of the flight recorder's rings (scripts compiled with `recorder`); default 64. */
  recorderPages?: number;
}

const DEFAULT_RING_BYTES = 2 * 1024 * 1024;

function ringBytes(opts: ScriptOptions<unknown, unknown>, def: MapDef): number {
  if (opts.ringBufferBytes !== undefined) return opts.ringBufferBytes;
  // bpftrace sizes its buffers by BPFTRACE_PERF_RB_PAGES per CPU; one shared ring, same total.
  const pages = Number(process.env['BPFTRACE_PERF_RB_PAGES'] ?? '');
  if (pages > 0) {
    const want = pages * 4096 * onlineCpus().length;
    let size = 4096;
    while (size < want && size < 1 << 30) size *= 2;
    return size;
  }
  const hint = def.maxEntries;
  return hint >= 4096 && (hint & (hint - 1)) === 0 ? hint : DEFAULT_RING_BYTES;
}

/** Probe kinds whose hook runs the most recently attached program first (bpftrace's attach_reverse). */
const LIFO_KINDS: ReadonlySet<AttachDef['kind']> = new Set(['kprobe', 'uprobe', 'uretprobe', 'usdt', 'software', 'fentry']);

const stderrOut = (text: string): void => {
  process.stderr.write(text);
};

interface LoadedProgram {
  def: ProgramDef;
  prog: Program;
  /** The attach points this loaded program serves (an fentry program serves exactly one). */
  attach: AttachDef[];
  /** Loaded for a kprobe_multi link (expected attach type BPF_TRACE_KPROBE_MULTI): see multiKprobes. */
  multi?: true;
}

type KprobeDef = Extract<AttachDef, { kind: 'kprobe' | 'kretprobe' }>;
type FuncWatchDef = Extract<AttachDef, { kind: 'funcwatchpoint' }>;

/** bpftrace 0.17's words when perf_event_open says ENOSPC for a watchpoint armed at run time. */
const OUT_OF_WATCHPOINT_REGISTERS = 'Failed to attach watchpoint probe. You are out of watchpoint registers.';
type FentryDef = Extract<AttachDef, { kind: 'fentry' | 'fexit' }>;
/** An attach point whose program is loaded against a function's BTF id. */
type TrampolineDef = (KprobeDef & { fentryBtfId: number }) | (FentryDef & { btfId: number });

/** A kprobe compiled for fentry/fexit (AttachDef.fentryBtfId), or an fentry/fexit the compiler resolved. */
function isFentryDef(a: AttachDef): a is TrampolineDef {
  if (a.kind === 'kprobe' || a.kind === 'kretprobe') return a.fentryBtfId !== undefined;
  return (a.kind === 'fentry' || a.kind === 'fexit') && a.btfId !== undefined;
}

function trampoline(a: TrampolineDef): { btfId: number; exit: boolean } {
  return 'fentryBtfId' in a && a.fentryBtfId !== undefined
    ? { btfId: a.fentryBtfId, exit: a.kind === 'kretprobe' }
    : { btfId: (a as FentryDef).btfId!, exit: a.kind === 'fexit' };
}

/** The kprobe an fentry attach point stands for. */
function asKprobe(a: KprobeDef): KprobeDef {
  const { fentryBtfId: _id, kprobeReason: _why, ...k } = a;
  return k;
}

/**
 * A kprobe program that serves several functions (a wildcard, or a block naming several) goes
 * through one kprobe_multi link where the kernel has them: kprobes or kretprobes alike, on
 * vmlinux functions by name, without offsets.
 */
function multiKprobes(def: ProgramDef): boolean {
  if (def.progKind !== 'kprobe' || def.attach.length < 2) return false;
  return def.attach.every((a) => (a.kind === 'kprobe' || a.kind === 'kretprobe') && !a.offset && (a.module === undefined || a.module === 'vmlinux'));
}

function reasonOf(e: unknown): string {
  if (e instanceof VerifierError) return `the verifier refused it: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * One run of a compiled script. `start()` returns once the probes are attached (or throws a
 * ScriptError with nothing left behind); `done` settles with the exit status after the end
 * sequence and cleanup.
 */
export class ScriptRun<V = unknown, E = unknown> {
  readonly script: CompiledScript;
  private readonly opts: ScriptOptions<V, E>;
  private readonly session = new Session();
  private readonly maps = new Map<string, BpfMap>();
  private readonly programs: LoadedProgram[] = [];
  private readonly out: TextOut;
  private readonly stdout: TextOut;
  private readonly err: (text: string) => void;
  private ring: RingBuffer | undefined;
  private recorder: FlightRecorder | undefined;
  private reader: EventReader | undefined;
  private readerDone: Promise<void> = Promise.resolve();
  private statsFd = -1;
  private renderer!: Renderer<V, E>;
  /** exit() was seen: records after it are not processed (bpftrace stops there too). */
  private exited = false;
  private ending = false;
  private reason: StopReason | undefined;
  /** Probes are being attached (BEGIN has run). */
  private attaching = false;
  /** Attach points attached by the attach pass (what `missing_probes` counts). */
  private attachedCount = 0;
  /** Attach points of `probeCount` skipped (warned about) instead of attached. */
  private skippedCount = 0;
  /** exit(code): the status the run ends with (newer bpftrace). */
  private exitCode: number | undefined;
  private lostReported = 0n;
  /** watchpoint:FUNC+argN attach points by number: the program to attach, the last address watched. */
  private readonly watches = new Map<number, { progFd: number; def: FuncWatchDef; last?: bigint }>();
  /** Breakpoints set at run time, with the address each watches (unwatch() removes them). */
  private watched: { address: bigint; links: Link[] }[] = [];
  /** system() records still queued when a signal stopped the run: not run (see onRecord). */
  private systemSkipped = 0;
  private lostTimer: NodeJS.Timeout | undefined;
  private pidTimer: NodeJS.Timeout | undefined;
  private readonly onUsr1 = (): void => {
    if (this.ending) return;
    if (this.recorder) this.dumpRecorder('SIGUSR1');
    if (this.opts.printMapsOnSigusr1) for (const def of this.userMaps()) this.printMap(def, 0, 0, 'print');
    this.out.flush();
  };
  private resolveDone!: (code: number) => void;
  /** Exit status once the end sequence has run and everything is released. */
  readonly done: Promise<number>;

  private constructor(script: CompiledScript, opts: ScriptOptions<V, E>) {
    this.script = script;
    this.opts = opts;
    this.out = opts.out ?? new FdTextOut(1, 'line');
    this.stdout = opts.stdout ?? this.out;
    this.err = opts.err ?? stderrOut;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Loads and attaches everything; throws ScriptError (after releasing all of it) on failure. */
  static async start<V, E>(script: CompiledScript, opts: ScriptOptions<V, E>): Promise<ScriptRun<V, E>> {
    const run = new ScriptRun(script, opts);
    try {
      run.setUp();
    } catch (e) {
      await run.release();
      opts.command?.kill('SIGKILL');
      throw e instanceof ScriptError ? e : probeReport(script, 'cannot start the script', e);
    }
    run.running();
    return run;
  }

  /** Asks the run to end (as Ctrl-C does): END runs, maps are printed; `done` settles after. */
  stop(reason: StopReason = 'stop'): void {
    this.reason ??= reason;
    this.session.stop(reason);
  }

  /** Why the run ended (or is ending); undefined while it runs. */
  get stopReason(): StopReason | undefined {
    return this.reason;
  }

  /** The current contents of the user maps (all of them, or the one named). */
  snapshot(name?: string): { def: MapDef; entries: E[] }[] {
    const out: { def: MapDef; entries: E[] }[] = [];
    for (const def of this.userMaps()) {
      if (name !== undefined && def.name !== name) continue;
      const map = this.maps.get(def.name);
      if (!map) continue;
      out.push({ def, entries: this.renderer.map(def, readMap(map, def, this.maps), { top: 0, div: 0 }).entries });
    }
    return out;
  }

  /** The kernel map behind a script map (for tests and tools). */
  kernelMap(name: string): BpfMap | undefined {
    return this.maps.get(name);
  }

  private userMaps(): MapDef[] {
    return this.script.maps.filter((m) => m.user).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private emit(e: ScriptEvent<V, E>, text?: string): void {
    if (text !== undefined && !this.opts.silent) this.out.write(text);
    this.opts.onEvent?.(e);
  }

  private setUp(): void {
    const s = this.script;
    const o = this.opts;
    const watch = s.programs.flatMap((p) => p.attach).find((a) => a.kind === 'funcwatchpoint');
    if (watch && this.targetPid() === undefined) {
      throw new ScriptError('no process', `${s.file}: ERROR: ${attachDefName(watch)}: -p PID or -c CMD required for watchpoint`);
    }
    if (s.unsafe && !o.unsafe) {
      throw new ScriptError('unsafe script', `${s.file}: ERROR: this script uses unsafe functions (system(), signal()…); run it with --unsafe`);
    }
    for (const def of s.maps) this.createMap(def);
    this.renderer = o.renderer ?? (bpftraceRenderer(s, this.maps, { ...(o.format ? { format: o.format } : {}), watch: [...(o.pid !== undefined ? [{ pid: o.pid }] : []), ...(o.command ? [{ pid: o.command.pid, awaitExec: true }] : [])] }) as unknown as Renderer<V, E>);
    const skipped = this.missingFunctions();
    this.skippedCount = skipped.size;
    // Run-time statistics cost a little per event: on only while we run, only if asked, only if off.
    if (o.verbose && !statsAlreadyOn()) {
      try {
        this.statsFd = enableStats();
      } catch {
        this.statsFd = -1;
      }
    }
    const elapsed = this.maps.get('.elapsed');
    if (elapsed) this.writeBootTime(elapsed);
    const cpid = this.maps.get('.cpid');
    if (cpid && o.command) {
      const key = new Uint8Array(cpid.spec.keySize);
      const value = new Uint8Array(cpid.lookupSize);
      const dv = new DataView(value.buffer);
      if (value.length >= 8) dv.setBigUint64(0, BigInt(o.command.pid), true);
      else dv.setUint32(0, o.command.pid, true);
      cpid.update(key, value);
    }
    for (const def of s.programs) this.load(def);
    const rec = this.maps.get('.recorder');
    if (rec) this.recorder = new FlightRecorder(rec, o.recorderPages !== undefined ? { pages: o.recorderPages } : {});
    const events = this.maps.get('.events');
    if (events) {
      this.ring = new RingBuffer(events);
      this.reader = new EventReader({
        onRecord: (view, offset, length) => this.onRecord({ view, offset, length }),
        onBatch: () => (this.out.endOfBatch ? this.out.endOfBatch() : this.out.flush()),
      });
      this.reader.addRingBuffer(this.ring);
    }
    // BEGIN first, then every other probe (bpftrace 0.17's order).
    for (const p of this.programs) {
      if (p.def.attach.some((a) => a.kind === 'begin')) {
        try {
          runOnce(p.prog);
        } catch (e) {
          throw probeReport(s, `cannot run ${p.def.probeName}`, e);
        }
      }
    }
    this.attaching = true;
    // Blocks on one event run in the order they are written. The kernel runs the programs of some
    // hooks in the order they were attached and of others (kprobe, uprobe, uretprobe, software
    // perf events…) newest first: those are attached in reverse, as bpftrace 0.17 does.
    // A watchpoint on a function's argument is set when its setup uprobe sees a call (onWatch).
    for (const p of this.programs) {
      for (const a of p.attach) if (a.kind === 'funcwatchpoint') this.watches.set(a.watch, { progFd: p.prog.fd, def: a });
    }
    const all = [...this.programs].flatMap((p) => [...p.attach].filter((a) => a.kind !== 'begin' && a.kind !== 'end' && a.kind !== 'funcwatchpoint' && !skipped.has(a)).map((a) => ({ p, a })));
    const order = [...all.filter((x) => !LIFO_KINDS.has(x.a.kind)), ...all.filter((x) => LIFO_KINDS.has(x.a.kind)).reverse()];
    const multiDone = new Set<LoadedProgram>();
    for (const { p, a } of order) {
      if (p.multi) {
        if (!multiDone.has(p)) this.attachMulti(p, order.filter((x) => x.p === p).map((x) => x.a));
        multiDone.add(p);
        continue;
      }
      if (isFentryDef(a)) {
        try {
          const tr = trampoline(a);
          const kind = tr.exit ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY;
          this.session.link(attachFentry(p.prog.fd, { func: a.func, btfId: tr.btfId, btfObjFd: 0, expectedAttachType: kind }));
          this.attachedCount++;
        } catch (e) {
          try {
            this.fallBack(p.def, a, `attaching it failed: ${reasonOf(e)}`);
          } catch (f) {
            if (!this.skipMissing(a, f)) throw f;
          }
        }
        continue;
      }
      this.attachOne(p.prog.fd, a);
    }
    // bpftrace (src/bpftrace.cpp): BEGIN and END count as attached; with missing_probes
    // warn/ignore a run that attached nothing else at all fails.
    const special = s.programs.some((d) => d.attach.some((a) => a.kind === 'begin' || a.kind === 'end' || a.kind === 'funcwatchpoint'));
    if (s.missingProbes && this.attachedCount === 0 && !special) {
      throw new ScriptError('attachment failed', `${s.file}: ERROR: Attachment failed for all probes.`);
    }
    // bpftrace 0.17's words, but printed once the attach pass is over (as bpftrace master does
    // with its "Attached N probes"), so N leaves out every attach point skipped there. BEGIN's
    // output is read only once the run starts, so it still comes after this line.
    if (!o.quiet && !o.silent) {
      const n = s.probeCount - this.skippedCount;
      this.out.write(this.renderer.attached?.(n) ?? `Attaching ${n} probe${n === 1 ? '' : 's'}...\n`);
      this.out.flush();
    }
  }

  /**
   * `missing_probes` warn/ignore: an attach point that cannot be attached, whatever the reason
   * (bpftrace: any failure to attach one), is skipped; under warn with bpftrace's two lines.
   */
  private skipMissing(a: AttachDef, e: unknown): boolean {
    const mode = this.script.missingProbes;
    if (!mode) return false;
    this.skippedCount++;
    if (mode === 'warn') {
      const why = e instanceof ScriptError ? e.message : reasonOf(e);
      this.err(`WARNING: ${why}\nWARNING: Unable to attach probe: ${attachDefName(a)}. Skipping.\n`);
    }
    return true;
  }

  /** Attaches one (non-fentry) attach point; an optional one that cannot be probed is skipped. */
  private attachOne(progFd: number, a: AttachDef): void {
    try {
      this.session.link(attachDef(progFd, a, {
        ...(this.targetPid() !== undefined ? { pid: this.targetPid()! } : {}),
      }));
      this.attachedCount++;
    } catch (e) {
      if (this.skipMissing(a, e)) return;
      // As bpftrace 0.17: a wildcard's expansion (or one of several attach points of a block)
      // that cannot be attached is skipped with a warning. A kernel that cannot do the kind of
      // probe at all is an error whatever the attach point.
      if ('optional' in a && a.optional && !(e instanceof UnsupportedError)) {
        this.skippedCount++;
        this.err(`WARNING: could not attach probe ${attachDefName(a)}, skipping.\n`);
        if (this.opts.verbose) this.err(`  (${reasonOf(e)})\n`);
        return;
      }
      throw probeReport(this.script, `cannot attach ${attachDefName(a)}`, e);
    }
  }

  /**
   * The kernel refused an fentry program or its attachment: the attach point becomes a kprobe,
   * run by the program's kprobe twin (loaded once, the first time it is needed).
   */
  private fallBack(def: ProgramDef, a: TrampolineDef, why: string): void {
    const name = attachDefName(a);
    if (!def.fallback || (a.kind !== 'kprobe' && a.kind !== 'kretprobe')) throw probeReport(this.script, `cannot attach ${name}`, new Error(why));
    if (this.opts.verbose) this.err(`${name}: fentry failed (${why}); falling back to kprobe\n`);
    let twin = this.programs.find((p) => p.def === def.fallback);
    if (!twin) {
      twin = this.loadProgram(def.fallback, undefined);
      this.programs.push(twin);
    }
    const k = asKprobe(a);
    // While loading, the attach pass (after BEGIN) attaches it with the rest; later, now.
    if (this.attaching) this.attachOne(twin.prog.fd, k);
    else twin.attach.push(k);
  }

  /**
   * A probe listing several user functions attaches to those the binary has and skips the others
   * with a warning, as bpftrace does (sslsnoop.bt lists OpenSSL 1.1's internal rsa_ossl_* names,
   * which OpenSSL 3 does not export). A probe with none of its functions present stays an error.
   */
  private missingFunctions(): Set<AttachDef> {
    const skipped = new Set<AttachDef>();
    // With missing_probes warn/ignore every attach point that fails is skipped as it fails.
    if (this.script.missingProbes) return skipped;
    const pid = this.targetPid();
    for (const def of this.script.programs) {
      const user = def.attach.filter((a): a is Extract<AttachDef, { kind: 'uprobe' | 'uretprobe' }> => (a.kind === 'uprobe' || a.kind === 'uretprobe') && a.address === undefined);
      if (def.attach.length < 2 || user.length === 0) continue;
      const missing: [AttachDef, SymbolNotFoundError][] = [];
      for (const a of user) {
        try {
          targetOfAttachDef(a, pid);
        } catch (e) {
          if (e instanceof SymbolNotFoundError) missing.push([a, e]);
        }
      }
      if (missing.length === def.attach.length) continue; // nothing to attach: the attach error stands
      for (const [a, e] of missing) {
        skipped.add(a);
        this.err(`WARNING: skipping ${attachDefName(a)}: ${e.message}\n`);
      }
    }
    return skipped;
  }

  /**
   * '.elapsed' holds CLOCK_BOOTTIME at start (`elapsed` is now minus it). The kernel's own clock,
   * read by a one-instruction-long program run once, is exactly the clock the probes read.
   */
  private writeBootTime(map: BpfMap): void {
    const items = [
      Call.helper(Helper.ktime_get_boot_ns), Mov.reg(R6, R0),
      St(4, R10, -4, 0), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, '.elapsed'),
      Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'), Stx(8, R0, 0, R6),
      Label('out'), Mov.imm(R0, 0), Exit(),
    ];
    const a = assemble(items, { mapFd: () => map.fd });
    const p = Program.load({ name: 'sonde_boottime', kind: 'raw_tracepoint', bytes: a.bytes });
    try {
      runOnce(p);
    } finally {
      p.close();
    }
  }

  private targetPid(): number | undefined {
    return this.opts.pid ?? this.opts.command?.pid;
  }

  private createMap(def: MapDef): void {
    const ring = def.kind === 'ringbuf';
    try {
      const map = this.session.map(BpfMap.create({
        name: def.kernelName,
        kind: def.kind as MapKind,
        keySize: ring ? 0 : def.keySize,
        valueSize: ring ? 0 : def.valueSize,
        maxEntries: ring ? ringBytes(this.opts as ScriptOptions<unknown, unknown>, def) : def.maxEntries,
      }));
      this.maps.set(def.name, map);
    } catch (e) {
      throw probeReport(this.script, `cannot create map ${def.name}`, e);
    }
  }

  private load(def: ProgramDef): void {
    if (def.progKind === 'tracing' && def.attach.length > 0 && def.attach.every(isFentryDef)) {
      // A kprobe compiled as fentry: one program per function (each is verified against its
      // own BTF prototype); a function whose program the kernel refuses falls back to kprobe.
      const kprobeToo = this.opts.verbose ? typeof kprobeMechanism() === 'string' : false;
      for (const a of def.attach) {
        let loaded: LoadedProgram;
        try {
          loaded = this.loadProgram(def, a, true);
        } catch (e) {
          // fentry:/fexit: have nothing to fall back to: the verifier's refusal, at the script's line.
          const noTwin = !def.fallback || (a.kind !== 'kprobe' && a.kind !== 'kretprobe');
          if (noTwin && e instanceof VerifierError) throw verifierReport(this.script, { ...def, probeName: attachDefName(a) }, e, !!this.opts.verbose);
          try {
            this.fallBack(def, a, e instanceof VerifierError ? reasonOf(e) : reasonOf(fentryLoadError(e)));
          } catch (f) {
            // missing_probes warn/ignore: a kernel refusing fentry programs cannot attach this one.
            if (e instanceof VerifierError || !this.skipMissing(a, f)) throw f;
          }
          continue;
        }
        this.programs.push(loaded);
        if (this.opts.verbose && (a.kind === 'kprobe' || a.kind === 'kretprobe')) {
          this.err(`${attachDefName(a)}: using ${a.kind === 'kretprobe' ? 'fexit' : 'fentry'} (BTF id ${a.fentryBtfId})${kprobeToo ? '; kprobe also available' : ''}\n`);
        }
      }
      return;
    }
    if (this.opts.verbose) {
      for (const a of def.attach) {
        if ((a.kind === 'kprobe' || a.kind === 'kretprobe') && a.kprobeReason) this.err(`${attachDefName(a)}: using kprobe (${a.kprobeReason})\n`);
      }
    }
    if (multiKprobes(def) && kprobeMultiWorks()) {
      try {
        this.programs.push({ ...this.loadProgram(def, undefined, true, true), multi: true });
        return;
      } catch (e) {
        if (this.opts.verbose) this.err(`${def.probeName}: kprobe_multi program refused (${reasonOf(e)}); one kprobe per function\n`);
      }
    }
    this.programs.push(this.loadProgram(def, undefined));
  }

  /**
   * A program loaded for kprobe_multi: all its functions through one link. Where the kernel
   * refuses the link (a function fprobe cannot probe, though a kprobe might: ENOENT, EINVAL…), the
   * program is loaded again as a plain kprobe and attached function by function, which skips the
   * ones that cannot be probed with bpftrace's warning.
   */
  private attachMulti(p: LoadedProgram, attach: AttachDef[]): void {
    let single: LoadedProgram | undefined;
    // A link probes entries or returns: one per kind.
    for (const kind of ['kprobe', 'kretprobe'] as const) {
      const defs = (attach as KprobeDef[]).filter((a) => a.kind === kind);
      if (defs.length === 0) continue;
      try {
        const cookies = defs.every((a) => a.cookie !== undefined) ? defs.map((a) => BigInt(a.cookie!)) : undefined;
        this.session.link(attachKprobeMulti(p.prog.fd, defs.map((a) => a.func), { retprobe: kind === 'kretprobe', ...(cookies ? { cookies } : {}) }));
        this.attachedCount += defs.length;
        if (this.opts.verbose) this.err(`${p.def.probeName}: ${defs.length} ${kind === 'kprobe' ? 'functions' : 'function returns'} through one kprobe_multi link\n`);
        continue;
      } catch (e) {
        if (this.opts.verbose) this.err(`${p.def.probeName}: kprobe_multi link refused (${reasonOf(e)}); one ${kind} per function\n`);
      }
      if (!single) {
        single = this.loadProgram(p.def, undefined);
        this.programs.push(single);
      }
      for (const a of defs) this.attachOne(single.prog.fd, a);
    }
  }

  /**
   * Assembles and loads one program. `fentry`: load it as fentry/fexit against that attach
   * point's function; `raw` then lets the error through (the caller falls back to kprobe).
   */
  private loadProgram(def: ProgramDef, fentry: TrampolineDef | undefined, raw = false, multi = false): LoadedProgram {
    const a = (() => {
      try {
        return assemble(def.insns, { mapFd: (name) => this.maps.get(name)?.fd });
      } catch (e) {
        throw probeReport(this.script, `internal error: cannot assemble ${def.probeName}`, e);
      }
    })();
    const first = def.attach[0];
    // fentry/fexit programs are verified against their target function's BTF.
    const tr = fentry ? trampoline(fentry) : undefined;
    const target = multi ? { expectedAttachType: AttachType.TRACE_KPROBE_MULTI, btfId: 0, btfObjFd: 0 } : tr
      ? { expectedAttachType: tr.exit ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY, btfId: tr.btfId, btfObjFd: 0 }
      : first && (first.kind === 'fentry' || first.kind === 'fexit') ? loadTargetFor(first as ProbeTarget) : undefined;
    let prog: Program;
    try {
      prog = Program.load({
        name: def.name, kind: def.progKind as ProgKind, bytes: a.bytes, spans: a.spans,
        ...(target ? { expectedAttachType: target.expectedAttachType, attachBtfId: target.btfId, attachBtfObjFd: target.btfObjFd } : {}),
      }, { logLevel: this.opts.verbose ? 1 : 0 });
    } catch (e) {
      if (raw) throw e;
      if (e instanceof VerifierError) throw verifierReport(this.script, def, e, !!this.opts.verbose);
      throw probeReport(this.script, `cannot load ${def.probeName}`, e);
    }
    this.session.program(prog);
    if (this.opts.verbose && prog.log) this.err(`verifier log for ${def.name} (${def.probeName}):\n${prog.log.trimEnd()}\n\n`);
    return { def, prog, attach: fentry ? [fentry] : [...def.attach] };
  }

  /** Attached: start the command, say so, read events until asked to stop, then end. */
  private running(): void {
    const o = this.opts;
    // Before anyone is told we are attached: a SIGUSR1 without a listener starts Node's inspector.
    if (o.printMapsOnSigusr1 || this.recorder) process.on('SIGUSR1', this.onUsr1);
    o.command?.start();
    const notify = o.notifyAttached ?? process.env['__BPFTRACE_NOTIFY_PROBES_ATTACHED'] !== undefined;
    if (notify) this.err('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
    if (o.command) void o.command.exited.then(() => this.stop('command'));
    // -p: the run ends when that process does, as bpftrace's does.
    if (o.pid !== undefined) {
      const pid = o.pid;
      this.pidTimer = setInterval(() => {
        if (!processAlive(pid)) this.stop('command');
      }, 200);
    }
    // Newer bpftrace (0.20+) ends a script that has only BEGIN/END probes once BEGIN has run
    // (0.17 waited for Ctrl-C). What BEGIN sent is read first: an exit() there is the reason.
    const onlyBeginEnd = this.programs.every((p) => p.def.attach.every((a) => a.kind === 'begin' || a.kind === 'end'));
    if (onlyBeginEnd) this.drain();
    if (this.reader) this.readerDone = this.reader.run();
    if (this.maps.has('.lost')) this.lostTimer = setInterval(() => this.reportLost(), 1000);
    if (onlyBeginEnd && this.reason === undefined) this.stop('stop');
    void this.session.stopped.then((why) => {
      this.reason ??= why === 'signal' ? 'signal' : (why as StopReason);
      return this.finish();
    }).then(
      (code) => this.resolveDone(code),
      async (e) => {
        this.err(`ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
        // Whatever failed, nothing stays attached or loaded.
        await this.release().catch(() => {});
        if (this.opts.command?.running) this.opts.command.kill('SIGTERM');
        this.resolveDone(1);
      },
    );
  }

  private async finish(): Promise<number> {
    this.ending = true;
    clearInterval(this.lostTimer);
    clearInterval(this.pidTimer);
    // Detached first: a probe that fires on what its own output does (system() under
    // sched_switch) would otherwise refill the buffer as fast as it is read. Everything already
    // in the buffer is still output (unless exit() said stop).
    await detachAll(this.session.links.splice(0));
    this.reader?.stop();
    await this.readerDone;
    this.drain();
    if (this.systemSkipped) {
      this.err(`sonde: stopped by a signal: ${this.systemSkipped} queued system() command${this.systemSkipped === 1 ? ' was' : 's were'} not run\n`);
    }
    if (this.reason !== 'exit') this.opts.onEvent?.({ type: 'exit', reason: this.reason ?? 'stop' });
    // END sees everything the probes did; its own output comes after whatever exit() cut off.
    this.exited = false;
    for (const p of this.programs) {
      if (p.def.attach.some((a) => a.kind === 'end')) {
        try {
          runOnce(p.prog);
        } catch (e) {
          this.err(`ERROR: cannot run ${p.def.probeName}: ${e instanceof Error ? e.message : String(e)}\n`);
        }
        this.drain();
      }
    }
    if (this.recorder) this.dumpRecorder('end of run');
    this.reportLost();
    if ((this.opts.printMapsAtExit ?? this.script.printMapsOnExit) !== false) {
      this.out.flush();
      if (!this.opts.silent) {
        this.stdout.write('\n\n');
        this.stdout.flush();
      }
      for (const def of this.userMaps()) this.printMap(def, 0, 0, 'exit');
    }
    this.out.flush();
    if (this.opts.verbose) this.printStats();
    await this.release();
    if (this.opts.command?.running) this.opts.command.kill('SIGTERM');
    return this.exitCode ?? 0;
  }

  /** Prints what the flight recorder kept since its last dump, oldest first. */
  private dumpRecorder(why: string): void {
    const recs = this.recorder!.snapshot();
    this.err(`sonde: flight recorder (${why}): ${recs.length} event${recs.length === 1 ? '' : 's'}\n`);
    for (const r of recs) this.onRecord({ view: new DataView(r.data.buffer, r.data.byteOffset, r.data.length), offset: 0, length: r.data.length });
    this.out.flush();
  }

  private drain(): void {
    if (!this.ring) return;
    this.ring.drain((view, offset, length) => this.onRecord({ view, offset, length }));
    if (this.out.endOfBatch) this.out.endOfBatch();
    else this.out.flush();
  }

  private async release(): Promise<void> {
    clearInterval(this.lostTimer);
    process.off('SIGUSR1', this.onUsr1);
    const reader = this.reader;
    this.reader = undefined;
    if (reader) await reader.close();
    if (this.watches.size > 0) {
      // On every way out (a failed start, an error): probes off first, then a process that a
      // watchpoint's setup probe stopped meanwhile is let go. The run's output is over by now.
      await detachAll(this.session.links.splice(0));
      this.ring?.drain((view, offset) => {
        const def = this.script.events[view.getUint32(offset, true)];
        const w = def?.kind === 'watch' ? this.watches.get(def.watch) : undefined;
        const pid = this.targetPid();
        if (w && !w.def.async && pid !== undefined) continueProcess(pid);
      });
    }
    this.ring?.close();
    this.ring = undefined;
    this.recorder?.close();
    this.recorder = undefined;
    await this.session.close();
    close(this.statsFd);
    this.statsFd = -1;
    if (this.out instanceof FdTextOut) this.out.flush();
  }

  private onRecord(rec: EventRecord): void {
    const id = rec.view.getUint32(rec.offset, true);
    const def = this.script.events[id];
    // Even after exit(): a process a watchpoint's setup stopped must be let go.
    if (def?.kind === 'watch') {
      this.onWatch(def.watch, rec);
      return;
    }
    if (this.exited) return;
    if (!def) {
      this.err(`sonde: internal error: event id ${id} is not in the script's event table\n`);
      return;
    }
    const r = this.renderer;
    switch (def.kind) {
      case 'printf': {
        const { text, values } = r.format(def, rec);
        this.emit({ type: 'printf', text, values }, text);
        return;
      }
      case 'print_value': {
        const { text, value } = r.printValue(def, rec);
        this.emit({ type: 'print', text, value }, text);
        return;
      }
      case 'print_map': {
        const m = this.script.maps.find((x) => x.name === def.map);
        if (m) this.printMap(m, def.top, def.div, 'print');
        return;
      }
      case 'clear_map':
      case 'zero_map': {
        const map = this.maps.get(def.map);
        if (map) def.kind === 'clear_map' ? clearMap(map) : zeroMap(map, this.script.maps.find((x) => x.name === def.map));
        this.emit({ type: def.kind === 'clear_map' ? 'clear' : 'zero', name: def.map });
        return;
      }
      case 'time': {
        let text: string;
        try {
          text = r.time(def.format, new Date());
        } catch (e) {
          if (!(e instanceof TimeFormatError)) throw e;
          this.err(`ERROR: ${e.message}\n`);
          return;
        }
        this.emit({ type: 'time', text }, text);
        return;
      }
      case 'exit':
        if (def.code && !this.exited && this.exitCode === undefined) this.exitCode = Number(BigInt.asUintN(8, rec.view.getBigInt64(rec.offset + EVENT_HEADER_SIZE, true)));
        this.exited = true;
        this.reason ??= 'exit';
        this.emit({ type: 'exit', reason: 'exit' });
        if (!this.ending) this.stop('exit');
        return;
      case 'system': {
        // Ctrl-C/SIGTERM means stop acting now: the commands still queued behind it (thousands
        // when the probe fires on what system() itself does) would hold the end for minutes.
        if (this.reason === 'signal') {
          this.systemSkipped++;
          return;
        }
        const { text: command } = r.format(def, rec);
        this.out.flush();
        // bpftrace runs the command synchronously and its output lands in bpftrace's stdout.
        const res = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
        const text = res.stdout ?? '';
        this.emit({ type: 'system', command, text, status: res.status }, r.output?.('system', text) ?? text);
        return;
      }
      case 'unwatch':
        if (!this.ending) this.onUnwatch(rec);
        return;
      case 'helper_error': {
        // The helper's int return value, sign-extended into the record's i64.
        const f: HelperFailure = { helper: def.helper, retcode: Number(rec.view.getBigInt64(rec.offset + EVENT_HEADER_SIZE, true)), ...(def.span ? { span: def.span } : {}) };
        const text = r.helperError?.(f) ?? formatHelperError(f, this.script.file, this.script.source);
        this.emit({ type: 'helper_error', helper: f.helper, retcode: f.retcode, line: f.span?.line ?? 0, col: f.span?.col ?? 0, text }, text);
        return;
      }
      case 'cat': {
        const { text: path } = r.format(def, rec);
        let text: string;
        try {
          const max = Number(process.env['BPFTRACE_CAT_BYTES_MAX'] ?? 10240);
          text = readFileSync(path).subarray(0, max > 0 ? max : 10240).toString('utf8');
        } catch (e) {
          // bpftrace's line, strerror() and all.
          const errno = (e as NodeJS.ErrnoException).errno;
          this.err(`ERROR: failed to open file '${path}': ${errno !== undefined ? strerror(Math.abs(errno)) : String(e)}\n`);
          return;
        }
        this.emit({ type: 'cat', path, text }, r.output?.('cat', text) ?? text);
        return;
      }
    }
  }

  /**
   * The setup uprobe of watchpoint:FUNC+argN attach point `watch` saw a call: a breakpoint on the
   * address (unless the last one this attach point saw was the same: bpftrace's rule), then the
   * process, stopped by the setup program, goes on. Not once the run is ending.
   */
  private onWatch(watch: number, rec: EventRecord): void {
    const w = this.watches.get(watch);
    const pid = this.targetPid();
    if (!w || pid === undefined) {
      this.err(`sonde: internal error: watch event ${watch} without its watchpoint or process\n`);
      return;
    }
    const address = rec.view.getBigUint64(rec.offset + EVENT_HEADER_SIZE, true);
    try {
      if (this.exited || this.ending || w.last === address) return;
      w.last = address;
      try {
        const links = attachFuncWatchpoint(w.progFd, w.def, address, pid);
        this.session.link(links);
        this.watched.push({ address, links });
      } catch (e) {
        if (e instanceof OutOfWatchpointRegistersError) {
          // bpftrace carries on: other addresses may still find a register later (after unwatch()).
          const text = this.renderer.message?.(OUT_OF_WATCHPOINT_REGISTERS) ?? `${OUT_OF_WATCHPOINT_REGISTERS}\n`;
          this.emit({ type: 'message', text }, text);
          return;
        }
        this.err(`ERROR: cannot watch 0x${address.toString(16)} for ${attachDefName(w.def)}: ${reasonOf(e)}\n`);
        this.exitCode ??= 1;
        this.stop('error');
      }
    } finally {
      if (!w.def.async) continueProcess(pid);
    }
  }

  /** unwatch(addr): every breakpoint set on that address goes (none: nothing happens, as in bpftrace). */
  private onUnwatch(rec: EventRecord): void {
    const address = rec.view.getBigUint64(rec.offset + EVENT_HEADER_SIZE, true);
    const gone = this.watched.filter((x) => x.address === address);
    if (gone.length === 0) return;
    this.watched = this.watched.filter((x) => x.address !== address);
    this.session.detach(gone.flatMap((x) => x.links));
  }

  private printMap(def: MapDef, top: number, div: number, when: 'print' | 'exit'): void {
    const map = this.maps.get(def.name);
    if (!map) return;
    const { text, entries } = this.renderer.map(def, readMap(map, def, this.maps), { top, div });
    this.emit({ type: 'map', name: def.name, entries, text, when }, text);
  }

  /** Records the programs could not send ('.lost', an array u32 → u64 the compiler counts into). */
  private reportLost(): void {
    const lost = this.maps.get('.lost');
    if (!lost) return;
    let total = 0n;
    for (const [, v] of lost.entries()) {
      for (const slot of lost.nCpus > 1 ? lost.perCpu(v) : [v]) total += new DataView(slot.buffer, slot.byteOffset, 8).getBigUint64(0, true);
    }
    if (total > this.lostReported) {
      const n = total - this.lostReported;
      this.lostReported = total;
      const text = this.renderer.lost?.(Number(n)) ?? `Lost ${n} events\n`;
      // bpftrace's JSON consumers read the lost count with the rest; text goes to stderr.
      if (this.opts.format === 'json' && !this.opts.silent) this.out.write(text);
      else this.err(text);
      this.opts.onEvent?.({ type: 'lost', count: Number(n), text });
    }
  }

  private printStats(): void {
    for (const { def, prog, attach } of this.programs) {
      try {
        const inf = prog.info();
        const per = inf.runCnt > 0n ? `, ${inf.runTimeNs / inf.runCnt} ns/run` : '';
        // An fentry program serves one function of its probe: name that function.
        const what = def.progKind === 'tracing' && attach.length === 1 ? attachDefName(attach[0]!) : def.probeName;
        this.err(`${def.name} (${what}): ${inf.runCnt} runs${per}\n`);
      } catch {
        // Statistics are best effort: a program that cannot be queried is skipped.
      }
    }
  }
}

function statsAlreadyOn(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() !== '0';
  } catch {
    return false;
  }
}

/** Runs a compiled script to its end; resolves with the exit status (0, or 1 when it cannot start). */
export async function runScript<V, E>(script: CompiledScript, opts: ScriptOptions<V, E>): Promise<number> {
  let run: ScriptRun<V, E>;
  try {
    run = await ScriptRun.start(script, opts);
  } catch (e) {
    if (e instanceof ScriptError) {
      (opts.err ?? stderrOut)(`${e.format()}\n`);
      return 1;
    }
    throw e;
  }
  return run.done;
}

/** SIGCONT to a process a watchpoint's setup program stopped; one that is gone needs nothing. */
function continueProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // ESRCH: it ended meanwhile.
  }
}

/** Is `pid` a running process (not gone, not a zombie waiting for its parent)? */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) STATE …: comm may hold spaces and parentheses, so read after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

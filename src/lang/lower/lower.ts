/**
 * Lowering: one sema'd unit → one IrProgram.
 *
 * Values: integers (and pointers, and 8-byte symbols such as `probe`) live in virtual registers,
 * always normalised to 64 bits according to their type (sign- or zero-extended), so arithmetic is
 * plain 64-bit arithmetic as in bpftrace. Everything else (strings, tuples, usym, tracepoint
 * arrays) is memory: a stack object, or a pointer the program may read directly (the context, a
 * map value). Memory values are written to their destination by `valueInto`, which lets str(),
 * comm and literals write straight into a map key, a variable or an event record.
 *
 * Events are written into ring buffer space reserved with bpf_ringbuf_reserve: arguments are
 * evaluated first (so their side effects happen even when the ring is full), then the record is
 * reserved, filled and submitted; large printf records never touch the 512-byte stack.
 */
import { Helper, helperName } from '../../asm/helpers.js';
import type {
  Block, Call, Expr, MapRef, Stmt, AssignStmt, IncDec, Binary, FieldAccess, IndexAccess, Builtin, Probe, Ternary,
  ForStmt, Variable,
} from '../ast.js';
import { forEachExpr, forEachExprIn, forEachStmt } from '../sema/walk.js';
import type { IrFunction } from '../ir.js';
import type { AluOp, CmpOp, IrBlock, IrProgram, ObjId, Value, VReg } from '../ir.js';
import type { Analysis, TaskOffsets, Unit, VarInfo } from '../sema/analyze.js';
import type { Span } from '../source.js';
import { ARG_REGS, PT_REGS, signalNumber } from '../sema/analyze.js';
import type { AttachDef, EventDef } from '../spec.js';
import { sizeOf, isBucketedAgg, type AddrSpace, type AggType, type IntType, type SType, type StackType, type TupleType } from '../types.js';
import { FnBuilder } from './builder.js';
import { lowerUsdtArg } from '../usdt.js';
import { EVENT_HEADER, EventTable, recordLayout } from './events.js';
import type { MapLayout } from './maps.js';

export interface LowerContext {
  analysis: Analysis;
  layouts: Map<string, MapLayout>;
  events: EventTable;
  /** Flight recorder: output records (printf, print(value), time) go to the overwritable
   *  '.recorder' perf rings through a per-CPU '.recbuf' scratch value, not to '.events'. */
  recorder?: { maxRecord: number };
  /** Bytes of the per-CPU '.scratch' map value the programs need (the largest of them); set by lowering. */
  scratch?: { size: number };
  /** -k (1) / -kk (2): report failed helper calls (see checkHelper). Absent: no checks at all. */
  helperChecks?: number;
}

/**
 * Helpers whose failures only -kk reports (bpftrace's rule): a failed read leaves zeroes, a
 * lookup that finds nothing reads as 0, and scripts often count on both.
 */
const KK_ONLY_HELPERS = new Set<number>([
  Helper.probe_read, Helper.probe_read_str, Helper.probe_read_kernel, Helper.probe_read_kernel_str,
  Helper.probe_read_user, Helper.probe_read_user_str, Helper.map_lookup_elem,
]);

/**
 * The target has bpf_probe_read/bpf_probe_read_str (helpers 4 and 45), which read user or kernel
 * memory by the address: only arches whose kernel and user addresses never overlap (x86-64, the
 * only one sonde emits code for). On any other, 'any' reads would fall back to probe_read_kernel.
 */
const COMPAT_PROBE_READ = true;

/** Event kinds that only print: what the flight recorder keeps. The rest (exit, clear, print of a
 *  map, system…) must act when they happen, so they still go through '.events'. */
const RECORDED_KINDS = new Set(['printf', 'print_value', 'time']);
const BPF_F_CURRENT_CPU = 0xffffffffn;

/**
 * Objects larger than this (long strings: BPFTRACE_STRLEN / max_strlen of 1024–4096, keys and
 * values holding them) live in the per-CPU array map '.scratch' instead of the 512-byte stack.
 */
export const SCRATCH_THRESHOLD = 256;
/** The per-CPU map holding large objects: one entry, u32 key 0. */
export const SCRATCH_MAP = '.scratch';

type Base = { obj: ObjId } | { reg: VReg };
/** Memory the program may read directly: a stack object, or a register holding a ctx / map value / ring buffer pointer. */
interface Mem {
  base: Base;
  off: number;
}

/** A scratch variable: a register, or memory (a stack object, or a pointer into the probe's frame
 *  that a loop body's callback received in its context). */
type VarSlot = { kind: 'reg'; reg: VReg; type: SType } | { kind: 'mem'; mem: Mem; type: SType };

/** What a loop body's callback knows about its loop (see forLoop). */
interface LoopFrame {
  /** The callback's context pointer (a struct in the caller's frame). */
  ctxp: VReg;
  /** Shared variables: where each is in the context (the value of a register one, a pointer to a memory one). */
  shared: { info: VarInfo; off: number }[];
  /** Offset of the "return from the probe" flag, when the body returns. */
  flagOff?: number;
}

/** A printf/print argument: either already a value, or a write deferred until the record exists. */
type Pending = { kind: 'reg'; reg: VReg } | { kind: 'write'; write: (dst: Mem) => void };

const BPF_ANY = 0n;
const BPF_F_USER_STACK = 256n;

export function lowerUnit(ctx: LowerContext, unit: Unit, name: string): IrProgram {
  return new UnitLowering(ctx, unit, name).run();
}

/**
 * The setup program of a `watchpoint:FUNC+argN` attach point (a uprobe on FUNC): sends a `watch`
 * record holding argument N. The record is reserved first, so that a `watchpoint:` (not
 * `asyncwatchpoint:`) stops the process (SIGSTOP, delivered on the return to user space) only
 * when user space will hear of it and let it go on (SIGCONT) once the breakpoint is set.
 */
export function lowerWatchSetup(ctx: LowerContext, unit: Unit, def: Extract<AttachDef, { kind: 'funcwatchpoint' }>, name: string): IrProgram {
  return new UnitLowering(ctx, unit, name).watchSetup(def);
}

/** Integers, pointers and 8-byte symbols travel in registers; everything else in memory. */
export function isScalar(t: SType): boolean {
  return t.kind === 'int' || t.kind === 'pointer' || (t.kind === 'symbol' && t.size === 8 && t.what !== 'macaddr') || (t.kind === 'stack' && t.space === 'kernel');
}

/** The stack_trace map serving kstack/ustack with `limit` frames. */
export function stackMapName(limit: number): string {
  return `.stacks_${limit}`;
}

/** Builtins whose value cannot change during one run of a program. */
const INVARIANT_BUILTINS = new Set(['pid', 'tid', 'uid', 'gid', 'cpu', 'cgroup', 'comm']);

const fitsImm = (v: bigint) => v >= -0x8000_0000n && v <= 0x7fff_ffffn;

class UnitLowering {
  /** The function being built: the program, or a loop body's callback. */
  private b: FnBuilder;
  private readonly a: Analysis;
  private vars = new Map<VarInfo, VarSlot>();
  private loops: { brk: IrBlock; cont: IrBlock }[] = [];
  /** Set while lowering a `for` body (a callback). */
  private frame: LoopFrame | undefined;
  private readonly subprograms: IrFunction[] = [];
  private loopCount = 0;
  private syscallId: VReg | undefined;
  /** pid_tgid / uid_gid fetched once at entry when a probe reads them more than once: they cannot
   *  change during one run of the program, and each helper call costs ~10 ns. */
  private cached = new Map<number, VReg>();
  /** While the variables are set up: this CPU's '.scratch' value, shared by them. */
  private scratchReg: VReg | undefined;
  private inPrologue = false;
  /** Next free byte of the '.scratch' value in this program. */
  private scratchTop = 0;
  /**
   * Integer map reads already made on every path to the current point, by map and key (see
   * readKeyText), each in a register of its own: a second `@s[tid]` (the predicate's, read again
   * in the body) reuses the value instead of a second lookup. Only reads made unconditionally
   * (condDepth 0) are recorded; a write to the map by this program (assignment, aggregation,
   * ++/--, delete, clear, zero) forgets that map's reads, and a loop forgets everything. Another
   * CPU writing meanwhile is no different from it writing just after the first read.
   */
  private reads = new Map<string, { map: string; reg: VReg }>();
  /** > 0 while lowering code that runs only on some paths (branches, loop bodies, && / || right sides). */
  private condDepth = 0;

  constructor(private readonly ctx: LowerContext, private readonly unit: Unit, private readonly name: string) {
    this.b = new FnBuilder(name);
    this.a = ctx.analysis;
  }

  run(): IrProgram {
    const b = this.b;
    const probe = this.unit.probe;
    b.span = probe.span;
    this.allocVars([...this.unit.vars.values(), ...this.unit.scoped.filter((v) => v.loop === null)]);
    if (this.unit.plan.syscalls) this.syscallPrologue();
    this.hoistInvariantHelpers(probe);
    if (probe.predicate) {
      b.span = probe.predicate.span;
      const body = b.newBlock();
      const out = b.newBlock();
      this.cond(probe.predicate, body, out);
      b.setBlock(out);
      b.terminate({ op: 'ret', value: 0n });
      b.setBlock(body);
    }
    this.block(probe.body);
    b.span = probe.body.span;
    b.terminate({ op: 'ret', value: 0n });
    return { name: this.name, main: b.finish(), subprograms: this.subprograms };
  }

  watchSetup(def: Extract<AttachDef, { kind: 'funcwatchpoint' }>): IrProgram {
    const b = this.b;
    b.span = this.unit.plan.instances.find((i) => i.attach === def)?.ap.span ?? this.unit.probe.span;
    const addr = this.ctxLoad(PT_REGS[ARG_REGS[def.arg]!]!);
    this.emitRecord(this.ctx.events.add({ kind: 'watch', watch: def.watch }), EVENT_HEADER + 8, (rec) => {
      if (!def.async) b.emit({ op: 'call', helper: Helper.send_signal, args: [{ imm: BigInt(signalNumber('SIGSTOP')!) }] });
      b.emit({ op: 'store', addr: rec.base, off: rec.off + EVENT_HEADER, size: 8, value: addr });
    });
    b.terminate({ op: 'ret', value: 0n });
    return { name: this.name, main: b.finish(), subprograms: this.subprograms };
  }

  /** Slots for the variables a function owns, zeroed at its entry (bpftrace's initial value). */
  private allocVars(vs: VarInfo[]): void {
    const b = this.b;
    this.inPrologue = true;
    for (const v of vs) {
      if (v.type.kind === 'void') continue;
      if (isScalar(v.type)) {
        const reg = b.reg();
        b.emit({ op: 'const', dst: reg, value: 0n });
        this.vars.set(v, { kind: 'reg', reg, type: v.type });
      } else {
        const size = sizeOf(v.type);
        const mem = this.alloc(size, v.name, v.span);
        this.zero(mem, size);
        this.vars.set(v, { kind: 'mem', mem, type: v.type });
      }
    }
    this.inPrologue = false;
    this.scratchReg = undefined;
  }

  /** The slot of the variable a `$x` refers to. */
  private slot(v: Variable): VarSlot {
    const info = this.unit.varRefs.get(v);
    const slot = info && this.vars.get(info);
    if (!slot) throw new Error(`lowering: no slot for ${v.name} at ${v.span.line}:${v.span.col}`);
    return slot;
  }

  /**
   * This CPU's '.scratch' value: looked up where a large object is made (so the lookup dominates
   * every use of the object; one lookup serves all variables, made at entry).
   */
  private scratchValue(): VReg {
    if (this.scratchReg !== undefined) return this.scratchReg;
    const b = this.b;
    const key = b.obj(4, 4, `key of ${SCRATCH_MAP}`);
    b.emit({ op: 'store', addr: { obj: key }, off: 0, size: 4, value: 0n });
    const p = this.lookup(SCRATCH_MAP, key);
    const ok = b.newBlock();
    const out = b.newBlock();
    // A one-entry array: the lookup cannot miss, but the verifier wants the check.
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: out.id, else: ok.id });
    b.setBlock(out);
    b.terminate({ op: 'ret', value: 0n });
    b.setBlock(ok);
    return p;
  }

  /**
   * Memory for an object of `size` bytes: a stack object, or for a large one a slice of the
   * '.scratch' map value (never reused within the program: no liveness needed).
   */
  private alloc(size: number, name: string, span?: Span): Mem {
    if (size <= SCRATCH_THRESHOLD) {
      return { base: { obj: this.b.obj(Math.max(size, 1), 8, name, span) }, off: 0 };
    }
    const p = this.scratchValue();
    if (this.inPrologue) this.scratchReg = p;
    const off = this.scratchTop;
    this.scratchTop += (size + 7) & ~7;
    const sc = (this.ctx.scratch ??= { size: 0 });
    sc.size = Math.max(sc.size, this.scratchTop);
    return { base: { reg: p }, off };
  }

  /**
   * The current task's pid, tgid and comm offsets when the kernel has BTF: pid, tid and comm are
   * then plain loads from bpf_get_current_task_btf() (PTR_TO_BTF_ID: the verifier checks them
   * against BTF and the JIT makes them fault-safe) instead of bpf_get_current_pid_tgid() and
   * bpf_get_current_comm(). Same values (those helpers read these fields; comm is always
   * NUL-padded, as __set_task_comm writes it with strscpy_pad), without the calls: the first
   * program on an event no longer pays for bringing the helpers' kernel code into the cache
   * (measured: ~40 ns of ~200 for `@[comm] = count()`).
   */
  private taskFields(): TaskOffsets | undefined {
    if (this.task === undefined) this.task = this.a.currentTask() ?? null;
    return this.task ?? undefined;
  }

  private task: TaskOffsets | null | undefined;

  /** bpf_get_current_task_btf(), hoisted at entry when the probe needs it more than once. */
  private currentTask(): VReg {
    const hoisted = this.cached.get(Helper.get_current_task_btf);
    if (hoisted !== undefined) return hoisted;
    const r = this.b.reg();
    this.b.emit({ op: 'call', helper: Helper.get_current_task_btf, args: [], dst: r });
    return r;
  }

  /**
   * task->comm into 16 bytes at `dst` (8-aligned), as bpf_get_current_comm() gives it: the name,
   * then zeros. Kernels that set comm with strlcpy (before strscpy_pad) can leave bytes of an
   * older, longer name after the NUL, so everything after the first zero byte is cleared, without
   * branches: per word, (w - 0x01…01) & ~w & 0x80…80 flags the first zero byte exactly (false
   * flags only come above a true one), and its lowest bit gives the mask of the bytes before it.
   */
  private commFromTask(task: TaskOffsets, dst: Mem): void {
    const b = this.b;
    const t = this.currentTask();
    const alu = (op: AluOp, a: VReg, v: VReg | bigint): VReg => {
      const d = b.reg();
      b.emit({ op: 'alu', alu: op, dst: d, a, b: v });
      return d;
    };
    let flags: VReg | undefined;
    for (const half of [0, 8]) {
      const w = b.reg();
      b.emit({ op: 'load', dst: w, addr: { reg: t }, off: task.comm + half, size: 8 });
      const zeroByte = alu('and', alu('and', alu('sub', w, 0x0101010101010101n), alu('xor', w, -1n)), BigInt.asIntN(64, 0x8080808080808080n));
      const lowest = b.reg();
      b.emit({ op: 'neg', dst: lowest, a: zeroByte });
      // Bytes before the first zero byte: (lowest flag >> 7) - 1 (all ones when there is none).
      let clean = alu('and', w, alu('sub', alu('rsh', alu('and', lowest, zeroByte), 7n), 1n));
      if (flags !== undefined) {
        // A NUL in the first word: the second is all padding. (f | -f) >> 63 (arithmetic) is all
        // ones exactly when f != 0.
        const neg = b.reg();
        b.emit({ op: 'neg', dst: neg, a: flags });
        clean = alu('and', clean, alu('xor', alu('arsh', alu('or', flags, neg), 63n), -1n));
      }
      b.emit({ op: 'store', addr: dst.base, off: dst.off + half, size: 8, value: clean });
      flags = zeroByte;
    }
  }

  private hoistInvariantHelpers(probe: Probe): void {
    const uses = new Map<number, number>();
    let taskUses = 0;
    forEachExpr(probe, (e) => {
      if (e.kind === 'Builtin' && (e.name === 'pid' || e.name === 'tid' || e.name === 'comm')) taskUses++;
    });
    const viaTask = taskUses > 0 && this.taskFields() !== undefined;
    const helperOf: Record<string, number> = {
      pid: viaTask ? Helper.get_current_task_btf : Helper.get_current_pid_tgid,
      tid: viaTask ? Helper.get_current_task_btf : Helper.get_current_pid_tgid,
      comm: viaTask ? Helper.get_current_task_btf : -1,
      uid: Helper.get_current_uid_gid, gid: Helper.get_current_uid_gid, username: Helper.get_current_uid_gid,
    };
    forEachExpr(probe, (e) => {
      const h = e.kind === 'Builtin' ? helperOf[e.name] : undefined;
      if (h !== undefined) uses.set(h, (uses.get(h) ?? 0) + 1);
    });
    for (const [helper, n] of uses) {
      if (n < 2 || helper < 0) continue;
      const r = this.b.reg();
      this.b.emit({ op: 'call', helper, args: [], dst: r });
      this.cached.set(helper, r);
    }
  }

  // ─── raw syscall dispatch ─────────────────────────────────────────────────

  /**
   * `raw_syscalls` programs: ctx is u64[] — sys_enter(regs, id), sys_exit(regs, ret). The id of
   * an exiting syscall is regs->orig_ax. Syscalls not in the script's set return at once; the set
   * is a bitmap held in 64-bit immediates, one per 64 syscall numbers.
   */
  private syscallPrologue(): void {
    const b = this.b;
    const sc = this.unit.plan.syscalls!;
    const c = this.ctxReg();
    const id = b.reg();
    if (sc.dir === 'enter') {
      b.emit({ op: 'load', dst: id, addr: { reg: c }, off: 8, size: 8 });
    } else {
      const regs = b.reg();
      b.emit({ op: 'load', dst: regs, addr: { reg: c }, off: 0, size: 8 });
      const at = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: at, a: regs, b: BigInt(PT_REGS.orig_ax!) });
      const tmp = b.obj(8, 8, 'syscall id');
      b.emit({ op: 'call', helper: Helper.probe_read_kernel, args: [{ obj: tmp, off: 0 }, { imm: 8n }, { reg: at }] });
      b.emit({ op: 'load', dst: id, addr: { obj: tmp }, off: 0, size: 8 });
    }
    const out = b.newBlock();
    const max = sc.entries[sc.entries.length - 1]!.nr;
    const inRange = b.newBlock();
    b.terminate({ op: 'br', cmp: 'gt', a: id, b: BigInt(max), then: out.id, else: inRange.id });
    b.setBlock(inRange);
    const words = new Map<number, bigint>();
    for (const e of sc.entries) words.set(e.nr >> 6, (words.get(e.nr >> 6) ?? 0n) | (1n << BigInt(e.nr & 63)));
    const word = b.reg();
    b.emit({ op: 'alu', alu: 'rsh', dst: word, a: id, b: 6n });
    const bit = b.reg();
    b.emit({ op: 'alu', alu: 'and', dst: bit, a: id, b: 63n });
    const mask = b.reg();
    const test = b.newBlock();
    for (const [w, m] of [...words].sort((x, y) => x[0] - y[0])) {
      const hit = b.newBlock();
      const next = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: word, b: BigInt(w), then: hit.id, else: next.id });
      b.setBlock(hit);
      b.emit({ op: 'const', dst: mask, value: BigInt.asIntN(64, m) });
      b.jmp(test);
      b.setBlock(next);
    }
    b.jmp(out);
    b.setBlock(test);
    const sh = b.reg();
    b.emit({ op: 'alu', alu: 'rsh', dst: sh, a: mask, b: bit });
    const one = b.reg();
    b.emit({ op: 'alu', alu: 'and', dst: one, a: sh, b: 1n });
    const body = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: one, b: 0n, then: out.id, else: body.id });
    b.setBlock(out);
    b.terminate({ op: 'ret', value: 0n });
    b.setBlock(body);
    this.syscallId = id;
  }

  // ─── statements ────────────────────────────────────────────────────────────

  private block(blk: Block): void {
    for (const s of blk.stmts) this.stmt(s);
  }

  private stmt(s: Stmt): void {
    const b = this.b;
    b.span = s.span;
    switch (s.kind) {
      case 'Block':
        this.block(s);
        return;
      case 'ExprStmt':
        this.exprStmt(s.expr);
        return;
      case 'Assign':
        this.assign(s);
        return;
      case 'Let': {
        if (s.init) {
          this.assignVar(s.variable, s.init);
          return;
        }
        // `let $x;` is 0 (again, each time it is reached: in a loop, on every iteration).
        const info = this.unit.varRefs.get(s.variable);
        const slot = info && this.vars.get(info);
        if (!slot) return;
        if (slot.kind === 'reg') b.emit({ op: 'const', dst: slot.reg, value: 0n });
        else this.zero(slot.mem, sizeOf(slot.type));
        return;
      }
      case 'If': {
        const then = b.newBlock();
        const join = b.newBlock();
        const els = s.else ? b.newBlock() : join;
        this.cond(s.cond, then, els);
        b.setBlock(then);
        this.conditional(() => this.block(s.then));
        b.jmp(join);
        if (s.else) {
          b.setBlock(els);
          this.conditional(() => this.stmt(s.else!));
          b.jmp(join);
        }
        b.setBlock(join);
        return;
      }
      case 'Unroll': {
        const n = Number(this.a.constInt(s.count) ?? 0n);
        for (let i = 0; i < n; i++) this.block(s.body);
        return;
      }
      case 'While': {
        const head = b.newBlock();
        const body = b.newBlock();
        const exit = b.newBlock();
        b.jmp(head);
        b.setBlock(head);
        b.span = s.cond.span;
        // Code in the loop runs again after the body's writes: no read from before it is reused.
        this.reads.clear();
        this.conditional(() => {
          this.cond(s.cond, body, exit);
          b.setBlock(body);
          this.loops.push({ brk: exit, cont: head });
          this.block(s.body);
          this.loops.pop();
        });
        b.jmp(head);
        b.setBlock(exit);
        return;
      }
      case 'Jump': {
        if (s.jump === 'return') {
          this.returnFromProbe();
          return;
        }
        const loop = this.loops[this.loops.length - 1]!;
        b.jmp(s.jump === 'break' ? loop.brk : loop.cont);
        return;
      }
      case 'For':
        this.forLoop(s);
        return;
    }
  }

  /** `return`, and the end of exit(): leaves the probe (from a loop body, through every enclosing loop). */
  private returnFromProbe(): void {
    const f = this.frame;
    if (!f) {
      this.b.terminate({ op: 'ret', value: 0n });
      return;
    }
    // In a loop body: tell the caller (which returns in turn) and stop the loop.
    if (f.flagOff === undefined) throw new Error('lowering: return in a loop body without a flag');
    this.b.emit({ op: 'store', addr: { reg: f.ctxp }, off: f.flagOff, size: 8, value: 1n });
    this.writeBack();
    this.b.terminate({ op: 'ret', value: 1n });
  }

  /** Before a loop body's callback returns: the shared register variables go back to the caller. */
  private writeBack(): void {
    const f = this.frame!;
    for (const { info, off } of f.shared) {
      const slot = this.vars.get(info)!;
      if (slot.kind === 'reg') this.b.emit({ op: 'store', addr: { reg: f.ctxp }, off, size: 8, value: slot.reg });
    }
  }

  /**
   * `for ($kv : @map)` → bpf_for_each_map_elem, `for ($i : a..b)` → bpf_loop; the body is a
   * callback subprogram with its own frame. The caller passes a context struct on its stack: the
   * value of each register variable the body uses (the callback works on its own copy and writes
   * it back before returning; the caller reloads it), a pointer to each memory variable, the range
   * start, and a flag the body sets to leave the probe (`return`, `exit()`).
   */
  private forLoop(s: ForStmt): void {
    const b = this.b;
    const info = this.unit.loops.get(s)!;
    // Variables the body uses that are declared outside it.
    const inner = new Set<ForStmt>([s]);
    forEachStmt(s.body, (x) => {
      if (x.kind === 'For') inner.add(x);
    });
    const shared: { info: VarInfo; off: number }[] = [];
    forEachExprIn(s.body, (e) => {
      if (e.kind !== 'Variable') return;
      const v = this.unit.varRefs.get(e);
      if (!v || (v.loop !== null && inner.has(v.loop)) || !this.vars.has(v) || shared.some((x) => x.info === v)) return;
      shared.push({ info: v, off: shared.length * 8 });
    });
    let off = shared.length * 8;
    const range = s.iterable.kind === 'Range' ? s.iterable : undefined;
    const startOff = range ? off : -1;
    if (range) off += 8;
    const flagOff = info.returns ? off : undefined;
    if (info.returns) off += 8;
    // Range ends are evaluated once, before the loop (bpftrace: changing them in the body changes nothing).
    let count: VReg | undefined;
    let start: VReg | undefined;
    if (range) {
      const vt = info.variable.type;
      const signed = vt.kind === 'int' && vt.signed;
      start = this.extendAs(this.int(range.start), this.type(range.start), signed);
      const end = this.extendAs(this.int(range.end), this.type(range.end), signed);
      count = b.reg();
      b.emit({ op: 'const', dst: count, value: 0n });
      const some = b.newBlock();
      const go = b.newBlock();
      b.terminate({ op: 'br', cmp: signed ? 'sgt' : 'gt', a: end, b: start, then: some.id, else: go.id });
      b.setBlock(some);
      b.emit({ op: 'alu', alu: 'sub', dst: count, a: end, b: start });
      b.jmp(go);
      b.setBlock(go);
    }
    const ctxObj = b.obj(Math.max(8, off), 8, `context of the loop at ${s.span.line}:${s.span.col}`, s.span);
    if (off === 0) b.emit({ op: 'store', addr: { obj: ctxObj }, off: 0, size: 8, value: 0n });
    for (const x of shared) {
      const slot = this.vars.get(x.info)!;
      let v: VReg;
      if (slot.kind === 'reg') v = slot.reg;
      else if ('obj' in slot.mem.base) {
        v = b.reg();
        b.emit({ op: 'addr', dst: v, obj: slot.mem.base.obj, off: slot.mem.off });
      } else if (slot.mem.off === 0) v = slot.mem.base.reg;
      else {
        v = b.reg();
        b.emit({ op: 'alu', alu: 'add', dst: v, a: slot.mem.base.reg, b: BigInt(slot.mem.off) });
      }
      b.emit({ op: 'store', addr: { obj: ctxObj }, off: x.off, size: 8, value: v });
    }
    if (range) b.emit({ op: 'store', addr: { obj: ctxObj }, off: startOff, size: 8, value: start! });
    if (flagOff !== undefined) b.emit({ op: 'store', addr: { obj: ctxObj }, off: flagOff, size: 8, value: 0n });

    const cbName = `${this.name}_for${++this.loopCount}`;
    // The body may write any map, any number of times.
    this.reads.clear();
    this.subprograms.push(this.loopBody(s, cbName, shared, range ? startOff : undefined, flagOff));
    b.span = s.span;
    const fa = b.reg();
    b.emit({ op: 'funcaddr', dst: fa, func: cbName });
    if (range) {
      b.emit({ op: 'call', helper: Helper.loop, args: [{ reg: count! }, { reg: fa }, { obj: ctxObj, off: 0 }, { imm: 0n }] });
    } else {
      const fd = this.mapFd(this.layout((s.iterable as MapRef).name));
      b.emit({ op: 'call', helper: Helper.for_each_map_elem, args: [{ reg: fd }, { reg: fa }, { obj: ctxObj, off: 0 }, { imm: 0n }] });
    }
    for (const x of shared) {
      const slot = this.vars.get(x.info)!;
      if (slot.kind === 'reg') b.emit({ op: 'load', dst: slot.reg, addr: { obj: ctxObj }, off: x.off, size: 8 });
      else if ('obj' in slot.mem.base) {
        // The callback wrote it through a pointer the frame layout does not see: keep the object
        // live across the call, so that no other object gets its bytes meanwhile.
        const t = b.reg();
        b.emit({ op: 'load', dst: t, addr: slot.mem.base, off: slot.mem.off, size: 1 });
        b.emit({ op: 'store', addr: slot.mem.base, off: slot.mem.off, size: 1, value: t });
      }
    }
    this.reads.clear();
    if (flagOff !== undefined) {
      const flag = b.reg();
      b.emit({ op: 'load', dst: flag, addr: { obj: ctxObj }, off: flagOff, size: 8 });
      const leave = b.newBlock();
      const next = b.newBlock();
      b.terminate({ op: 'br', cmp: 'ne', a: flag, b: 0n, then: leave.id, else: next.id });
      b.setBlock(leave);
      this.returnFromProbe();
      b.setBlock(next);
    }
  }

  /** The callback of a `for` loop: `cb(index, ctx)` for bpf_loop, `cb(map, key, value, ctx)` for maps. */
  private loopBody(s: ForStmt, name: string, shared: { info: VarInfo; off: number }[], startOff: number | undefined, flagOff: number | undefined): IrFunction {
    const saved = {
      b: this.b, vars: this.vars, loops: this.loops, frame: this.frame, cached: this.cached, scratchReg: this.scratchReg,
      reads: this.reads, condDepth: this.condDepth,
    };
    const b = new FnBuilder(name);
    b.span = s.span;
    this.b = b;
    this.vars = new Map();
    this.loops = [];
    this.cached = new Map();
    this.scratchReg = undefined;
    // Registers of the caller mean nothing here; each run of the body starts unconditionally.
    this.reads = new Map();
    this.condDepth = 0;
    try {
      const params = s.iterable.kind === 'Range' ? [b.reg(), b.reg()] : [b.reg(), b.reg(), b.reg(), b.reg()];
      const ctxp = params[params.length - 1]!;
      for (const x of shared) {
        const outer = saved.vars.get(x.info)!;
        const r = b.reg();
        b.emit({ op: 'load', dst: r, addr: { reg: ctxp }, off: x.off, size: 8 });
        this.vars.set(x.info, outer.kind === 'reg' ? { kind: 'reg', reg: r, type: outer.type } : { kind: 'mem', mem: { base: { reg: r }, off: 0 }, type: outer.type });
      }
      this.frame = { ctxp, shared, ...(flagOff !== undefined ? { flagOff } : {}) };
      // The body's own variables (the loop variable first) live in this frame.
      const loopVar = this.unit.loops.get(s)!.variable;
      this.allocVars(this.unit.scoped.filter((v) => v.loop === s));
      const slot = this.vars.get(loopVar);
      if (slot && startOff !== undefined) {
        // $i = start + index.
        const st = b.reg();
        b.emit({ op: 'load', dst: st, addr: { reg: ctxp }, off: startOff, size: 8 });
        const idx = b.reg();
        b.emit({ op: 'zext', dst: idx, a: params[0]!, bits: 32 });
        if (slot.kind === 'reg') b.emit({ op: 'alu', alu: 'add', dst: slot.reg, a: st, b: idx });
      } else if (slot && slot.kind === 'mem') {
        // $kv = (key, value): the key's bytes, then the value (every CPU's part for per-CPU aggregations).
        const t = slot.type as TupleType;
        const l = this.layout((s.iterable as MapRef).name);
        const [keyp, valp] = [params[1]!, params[2]!];
        const at = (i: number): Mem => ({ base: slot.mem.base, off: slot.mem.off + t.offsets[i]! });
        this.copy(at(0), { base: { reg: keyp }, off: 0 }, sizeOf(t.elems[0]!));
        const vt = l.def.value;
        if (vt.kind === 'agg') {
          const v = this.aggValue(l, vt, { reg: keyp });
          b.emit({ op: 'store', addr: slot.mem.base, off: slot.mem.off + t.offsets[1]!, size: 8, value: v });
        } else {
          this.copy(at(1), { base: { reg: valp }, off: 0 }, sizeOf(t.elems[1]!));
        }
      }
      const cont = b.newBlock();
      const brk = b.newBlock();
      this.loops.push({ brk, cont });
      for (const x of s.body.stmts) this.stmt(x);
      b.span = s.body.span;
      b.jmp(cont);
      b.setBlock(cont);
      this.writeBack();
      b.terminate({ op: 'ret', value: 0n });
      b.setBlock(brk);
      this.writeBack();
      b.terminate({ op: 'ret', value: 1n });
      return b.finish(params);
    } finally {
      this.b = saved.b;
      this.vars = saved.vars;
      this.loops = saved.loops;
      this.frame = saved.frame;
      this.cached = saved.cached;
      this.scratchReg = saved.scratchReg;
      this.reads = saved.reads;
      this.condDepth = saved.condDepth;
    }
  }

  private exprStmt(e: Expr): void {
    if (e.kind === 'Call') {
      if (this.callStmt(e)) return;
    }
    if (e.kind === 'IncDec') {
      this.incDec(e, false);
      return;
    }
    if (e.kind === 'Ternary' && this.type(e).kind === 'void') {
      const t = this.b.newBlock();
      const f = this.b.newBlock();
      const j = this.b.newBlock();
      this.cond(e.cond, t, f);
      this.b.setBlock(t);
      this.conditional(() => this.exprStmt(e.then));
      this.b.jmp(j);
      this.b.setBlock(f);
      this.conditional(() => this.exprStmt(e.else));
      this.b.jmp(j);
      this.b.setBlock(j);
      return;
    }
    const t = this.type(e);
    if (isScalar(t)) this.int(e);
    else if (t.kind !== 'void') this.mem(e);
  }

  private assign(s: AssignStmt): void {
    this.assignInner(s);
    if (s.target.kind === 'Map') this.wrote(s.target.name);
  }

  private assignInner(s: AssignStmt): void {
    const target = s.target;
    if (target.kind === 'Variable') {
      if (s.op === '=') {
        this.assignVar(target, s.value);
        return;
      }
      const slot = this.slot(target);
      if (slot.kind !== 'reg') throw new Error('compound assignment on a memory variable');
      const v = this.scaledStep(slot.type, s.op.slice(0, -1), this.int(s.value));
      const r = this.binop(s.op.slice(0, -1), slot.reg, v);
      this.b.emit({ op: 'mov', dst: slot.reg, src: this.convert(r, slot.type) });
      return;
    }
    const layout = this.layout(target.name);
    const vt = layout.def.value;
    if (vt.kind === 'agg') {
      this.aggregate(target, layout, vt, s.value as Call);
      return;
    }
    if (s.op === '=') {
      if (layout.tidSlots) {
        // This thread's slot: the value, then present (a reader in user space never sees a
        // present slot with a stale value); beyond the array, the hash.
        const b = this.b;
        const v = this.int(s.value);
        const slot = this.tidSlot(layout, target.keys[0]!);
        const inSlot = b.newBlock();
        const inHash = b.newBlock();
        const done = b.newBlock();
        b.terminate({ op: 'br', cmp: 'eq', a: slot, b: 0n, then: inHash.id, else: inSlot.id });
        b.setBlock(inSlot);
        b.emit({ op: 'store', addr: { reg: slot }, off: 8, size: 8, value: v });
        b.emit({ op: 'store', addr: { reg: slot }, off: 0, size: 8, value: 1n });
        b.jmp(done);
        b.setBlock(inHash);
        const key = this.mapKey(layout, target.keys);
        const val = b.obj(8, 8, `value of ${target.name}`);
        b.emit({ op: 'store', addr: { obj: val }, off: 0, size: 8, value: v });
        this.update(layout, key, val);
        b.jmp(done);
        b.setBlock(done);
        return;
      }
      if (isScalar(vt)) {
        const v = this.int(s.value);
        const key = this.mapKey(layout, target.keys);
        const val = this.b.obj(8, 8, `value of ${target.name}`);
        this.b.emit({ op: 'store', addr: { obj: val }, off: 0, size: 8, value: v });
        this.update(layout, key, val);
        return;
      }
      // Evaluate the value first so that the key's temporaries are not live across it.
      const val = this.alloc(layout.def.valueSize, `value of ${target.name}`);
      this.valueInto(s.value, val, vt);
      const key = this.mapKey(layout, target.keys);
      this.update(layout, key, val);
      return;
    }
    // Compound assignment: update in place when the entry exists (atomically for + and -, which
    // other CPUs may be doing to the same entry), else insert `0 op v`.
    const op = s.op.slice(0, -1);
    const v = this.scaledStep(vt, op, this.int(s.value));
    const key = this.mapKey(layout, target.keys);
    const p = this.lookup(layout, key);
    this.checkHelper(Helper.map_lookup_elem, p, target.span);
    const b = this.b;
    const miss = b.newBlock();
    const hit = b.newBlock();
    const done = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: miss.id, else: hit.id });
    b.setBlock(hit);
    if (op === '+' || op === '-') {
      let d = v;
      if (op === '-') {
        d = b.reg();
        b.emit({ op: 'neg', dst: d, a: v });
      }
      b.emit({ op: 'atomic_add', addr: { reg: p }, off: 0, size: 8, value: d });
    } else {
      const old = b.reg();
      b.emit({ op: 'load', dst: old, addr: { reg: p }, off: 0, size: 8 });
      const r = this.binop(op, old, v);
      b.emit({ op: 'store', addr: { reg: p }, off: 0, size: 8, value: r });
    }
    b.jmp(done);
    b.setBlock(miss);
    const zero = b.reg();
    b.emit({ op: 'const', dst: zero, value: 0n });
    const r = this.binop(op, zero, v);
    const val = b.obj(8, 8, `value of ${target.name}`);
    b.emit({ op: 'store', addr: { obj: val }, off: 0, size: 8, value: r });
    this.update(layout, key, val);
    b.jmp(done);
    b.setBlock(done);
  }

  private assignVar(target: Variable, value: Expr): void {
    const slot = this.slot(target);
    if (slot.kind === 'reg') {
      const v = this.int(value);
      this.b.emit({ op: 'mov', dst: slot.reg, src: this.convert(v, slot.type, this.type(value)) });
    } else {
      this.valueInto(value, slot.mem, slot.type);
    }
  }

  // ─── maps ──────────────────────────────────────────────────────────────────

  private layout(name: string): MapLayout {
    return this.ctx.layouts.get(name)!;
  }

  private mapFd(layoutOrName: MapLayout | string): VReg {
    const r = this.b.reg();
    this.b.emit({ op: 'mapfd', dst: r, map: typeof layoutOrName === 'string' ? layoutOrName : layoutOrName.def.name });
    return r;
  }

  /** Builds the key of an access (without the hist bucket, which the caller stores). */
  private mapKey(l: MapLayout, keys: Expr[], name?: string): Mem {
    const b = this.b;
    const label = `key of ${name ?? l.def.name}`;
    if (l.scalarKey) {
      const k = b.obj(4, 4, label);
      b.emit({ op: 'store', addr: { obj: k }, off: 0, size: 4, value: 0n });
      return { base: { obj: k }, off: 0 };
    }
    const k = this.alloc(l.def.keySize, label);
    const needsZero = l.keyParts.length > 1 && sizeOf(l.def.key) > l.keyParts.reduce((s, t) => s + sizeOf(t), 0);
    if (needsZero) this.zero(k, sizeOf(l.def.key));
    keys.forEach((e, i) => this.valueInto(e, { base: k.base, off: k.off + l.keyOffsets[i]! }, l.keyParts[i]!));
    return k;
  }

  /** A key or value: a stack object, or memory from alloc(). */
  private ref(x: ObjId | Mem): Value {
    return typeof x === 'number' ? { obj: x, off: 0 } : this.addr(x);
  }

  private lookup(l: MapLayout | string, key: ObjId | Mem): VReg {
    const fd = this.mapFd(l);
    const p = this.b.reg();
    this.b.emit({ op: 'call', helper: Helper.map_lookup_elem, args: [{ reg: fd }, this.ref(key)], dst: p });
    return p;
  }

  // ─── -k / -kk: helper failures ─────────────────────────────────────────────

  /** Is a failure of `helper` reported (-k: all but reads and lookups; -kk: those too)? */
  private checking(helper: number): boolean {
    const level = this.ctx.helperChecks ?? 0;
    return level >= 2 || (level === 1 && !KK_ONLY_HELPERS.has(helper));
  }

  /**
   * A helper call whose result nothing else uses: with -k/-kk (checking) its return value is
   * tested and a failure reported; without, the same instruction as ever.
   */
  private checkedCall(helper: number, args: Value[], span?: Span): void {
    if (!this.checking(helper)) {
      this.b.emit({ op: 'call', helper, args });
      return;
    }
    const r = this.b.reg();
    this.b.emit({ op: 'call', helper, args, dst: r });
    this.checkHelper(helper, r, span);
  }

  /**
   * -k/-kk: when `ret` says `helper` failed — negative as an int (bpftrace tests the low 32 bits),
   * NULL for map_lookup_elem — sends a helper_error record and carries on. `span`: the call's
   * place in the script (default: the expression or statement being lowered).
   */
  private checkHelper(helper: number, ret: VReg, span?: Span): void {
    if (!this.checking(helper)) return;
    const b = this.b;
    const fail = b.newBlock();
    const ok = b.newBlock();
    const lookup = helper === Helper.map_lookup_elem;
    b.terminate(lookup
      ? { op: 'br', cmp: 'eq', a: ret, b: 0n, then: fail.id, else: ok.id }
      : { op: 'br', cmp: 'slt', a: ret, b: 0n, w32: true, then: fail.id, else: ok.id });
    b.setBlock(fail);
    this.helperError(helper, lookup ? 0n : ret, span);
    b.jmp(ok);
    b.setBlock(ok);
  }

  /** Sends a helper_error record: the return value (its low 32 bits, sign-extended) after the header. */
  private helperError(helper: number, code: VReg | bigint, span?: Span): void {
    const b = this.b;
    const where = span ?? b.span;
    const id = this.ctx.events.add({ kind: 'helper_error', helper: helperName(helper)?.replace(/^bpf_/, '') ?? `helper ${helper}`, ...(where ? { span: where } : {}) });
    let v: VReg | bigint = code;
    if (typeof code !== 'bigint') {
      v = b.reg();
      b.emit({ op: 'sext', dst: v, a: code, bits: 32 });
    }
    this.emitRecord(id, EVENT_HEADER + 8, (rec) => {
      b.emit({ op: 'store', addr: rec.base, off: rec.off + EVENT_HEADER, size: 8, value: v });
    });
  }

  /**
   * A pointer to this thread's `{ u64 present, u64 value }` slot in a tid-indexed map's array
   * (src/lang/lower/tidmaps.ts), or 0 when its tid is beyond the array (then the hash holds it).
   * The kernel inlines an array lookup: a bounds check and an address, no call.
   */
  private tidSlot(l: MapLayout, tid: Expr): VReg {
    const t = this.int(tid);
    const k = this.b.obj(4, 4, `key of ${l.tidSlots!.array}`);
    this.b.emit({ op: 'store', addr: { obj: k }, off: 0, size: 4, value: t });
    return this.lookup(l.tidSlots!.array, k);
  }

  /** bpf_map_update_elem; `span`: where a failure is reported (-k), default the statement. */
  private update(l: MapLayout, key: ObjId | Mem, val: ObjId | Mem, span?: Span): void {
    this.wrote(l.def.name);
    const fd = this.mapFd(l);
    this.checkedCall(Helper.map_update_elem, [{ reg: fd }, this.ref(key), this.ref(val), { imm: BPF_ANY }], span);
  }

  /** Reads a map value; a missing entry reads as zero. */
  private mapReadInt(e: MapRef): VReg {
    const b = this.b;
    const id = this.readKeyText(e);
    const known = id !== undefined ? this.reads.get(id) : undefined;
    if (known) {
      const r = b.reg();
      b.emit({ op: 'mov', dst: r, src: known.reg });
      return r;
    }
    const l = this.layout(e.name);
    let tid: { r: VReg; done: IrBlock } | undefined;
    if (l.tidSlots) {
      // This thread's slot; its value is 0 whenever it is not present (delete clears both words).
      const slot = this.tidSlot(l, e.keys[0]!);
      tid = { r: b.reg(), done: b.newBlock() };
      const inSlot = b.newBlock();
      const inHash = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: slot, b: 0n, then: inHash.id, else: inSlot.id });
      b.setBlock(inSlot);
      b.emit({ op: 'load', dst: tid.r, addr: { reg: slot }, off: 8, size: 8 });
      if (this.checking(Helper.map_lookup_elem)) {
        // -kk: a slot not present is a missing entry, as a lookup in the hash would find.
        const present = b.reg();
        b.emit({ op: 'load', dst: present, addr: { reg: slot }, off: 0, size: 8 });
        const absent = b.newBlock();
        b.terminate({ op: 'br', cmp: 'eq', a: present, b: 0n, then: absent.id, else: tid.done.id });
        b.setBlock(absent);
        this.helperError(Helper.map_lookup_elem, 0n, e.span);
      }
      b.jmp(tid.done);
      b.setBlock(inHash);
    }
    const key = this.mapKey(l, e.keys);
    if (l.def.value.kind === 'agg') return this.aggValue(l, l.def.value, this.ref(key));
    const p = this.lookup(l, key);
    this.checkHelper(Helper.map_lookup_elem, p, e.span);
    const r = tid?.r ?? b.reg();
    b.emit({ op: 'const', dst: r, value: 0n });
    const hit = b.newBlock();
    const done = tid?.done ?? b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: done.id, else: hit.id });
    b.setBlock(hit);
    b.emit({ op: 'load', dst: r, addr: { reg: p }, off: 0, size: 8 });
    b.jmp(done);
    b.setBlock(done);
    if (id !== undefined && this.condDepth === 0) {
      // A register of its own: callers may reuse the one they are given.
      const keep = b.reg();
      b.emit({ op: 'mov', dst: keep, src: r });
      this.reads.set(id, { map: e.name, reg: keep });
    }
    return r;
  }

  /**
   * Identifies a map read whose key cannot change during one run of the program (literals,
   * positional parameters, pid/tid/uid/gid/cpu/cgroup/comm, integer tracepoint arguments), so that
   * equal texts mean equal keys; undefined for any other key (variables, expressions, memory reads).
   */
  private readKeyText(e: MapRef): string | undefined {
    const parts: string[] = [];
    for (const k of e.keys) {
      if (k.kind === 'Integer') parts.push(`i${k.value}`);
      else if (k.kind === 'String') parts.push(`s${JSON.stringify(k.value)}`);
      else if (k.kind === 'Positional') parts.push(`p${k.index}`);
      else if (k.kind === 'Builtin' && INVARIANT_BUILTINS.has(k.name)) parts.push(`b${k.name}`);
      else if (
        k.kind === 'FieldAccess' && k.object.kind === 'Builtin' && k.object.name === 'args' &&
        !this.unit.fieldLocs.has(k) && this.type(k).kind === 'int'
      ) parts.push(`a${k.field}`);
      else return undefined;
    }
    return `${e.name}[${parts.join(',')}]`;
  }

  /** This program wrote `map`: reads of it made so far may be stale. */
  private wrote(map: string): void {
    for (const [id, r] of this.reads) if (r.map === map) this.reads.delete(id);
  }

  private conditional<T>(f: () => T): T {
    this.condDepth++;
    try {
      return f();
    } finally {
      this.condDepth--;
    }
  }

  private mapReadMem(e: MapRef): Mem {
    const l = this.layout(e.name);
    const size = l.def.valueSize;
    const outMem = this.alloc(size, `value of ${e.name}`);
    const key = this.mapKey(l, e.keys);
    const p = this.lookup(l, key);
    this.checkHelper(Helper.map_lookup_elem, p, e.span);
    const b = this.b;
    const hit = b.newBlock();
    const miss = b.newBlock();
    const done = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: miss.id, else: hit.id });
    b.setBlock(hit);
    this.copy(outMem, { base: { reg: p }, off: 0 }, size);
    b.jmp(done);
    b.setBlock(miss);
    this.zero(outMem, size);
    b.jmp(done);
    b.setBlock(done);
    return outMem;
  }

  /**
   * The value of a count/sum/min/max/avg entry as one integer (newer bpftrace's reads of per-CPU
   * maps): every CPU's slot through bpf_map_lookup_percpu_elem, summed (count, sum) or compared
   * among the CPUs that have a value (min, max). A missing entry reads as 0. The loop runs over
   * the possible CPUs (a constant), stopping at the first NULL (a missing key, or the end).
   */
  private aggValue(l: MapLayout, agg: AggType, key: Value): VReg {
    const b = this.b;
    const acc = b.reg();
    b.emit({ op: 'const', dst: acc, value: 0n });
    const seen = b.reg();
    b.emit({ op: 'const', dst: seen, value: 0n });
    const cpu = b.reg();
    b.emit({ op: 'const', dst: cpu, value: 0n });
    const head = b.newBlock();
    const body = b.newBlock();
    const done = b.newBlock();
    b.jmp(head);
    b.setBlock(head);
    b.terminate({ op: 'br', cmp: 'ge', a: cpu, b: BigInt(Math.max(1, this.a.possibleCpus)), then: done.id, else: body.id });
    b.setBlock(body);
    const fd = this.mapFd(l);
    const p = b.reg();
    b.emit({ op: 'call', helper: Helper.map_lookup_percpu_elem, args: [{ reg: fd }, key, { reg: cpu }], dst: p });
    const hit = b.newBlock();
    const next = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: done.id, else: hit.id });
    b.setBlock(hit);
    const v = b.reg();
    b.emit({ op: 'load', dst: v, addr: { reg: p }, off: 0, size: 8 });
    if (agg.fn === 'min' || agg.fn === 'max') {
      const set = b.reg();
      b.emit({ op: 'load', dst: set, addr: { reg: p }, off: 8, size: 8 });
      const check = b.newBlock();
      const take = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: set, b: 0n, then: next.id, else: check.id });
      b.setBlock(check);
      const first = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: seen, b: 0n, then: take.id, else: first.id });
      b.setBlock(first);
      const cmp: CmpOp = agg.fn === 'max' ? (agg.signed ? 'sgt' : 'gt') : agg.signed ? 'slt' : 'lt';
      b.terminate({ op: 'br', cmp, a: v, b: acc, then: take.id, else: next.id });
      b.setBlock(take);
      b.emit({ op: 'mov', dst: acc, src: v });
      b.emit({ op: 'const', dst: seen, value: 1n });
    } else {
      b.emit({ op: 'alu', alu: 'add', dst: acc, a: acc, b: v });
      if (agg.fn === 'avg') {
        // avg: [total, count] per CPU; `seen` sums the counts.
        const n = b.reg();
        b.emit({ op: 'load', dst: n, addr: { reg: p }, off: 8, size: 8 });
        b.emit({ op: 'alu', alu: 'add', dst: seen, a: seen, b: n });
      }
    }
    b.jmp(next);
    b.setBlock(next);
    b.emit({ op: 'alu', alu: 'add', dst: cpu, a: cpu, b: 1n });
    b.jmp(head);
    b.setBlock(done);
    if (agg.fn === 'avg') {
      // total / count (0 when there is none), signed as the printed average is.
      const r = b.reg();
      b.emit({ op: 'const', dst: r, value: 0n });
      const some = b.newBlock();
      const out = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: seen, b: 0n, then: out.id, else: some.id });
      b.setBlock(some);
      b.emit({ op: 'alu', alu: agg.signed ? 'sdiv' : 'div', dst: r, a: acc, b: seen });
      b.jmp(out);
      b.setBlock(out);
      return r;
    }
    return acc;
  }

  /** count/sum/min/max/avg/stats/hist/lhist: this CPU's slot, updated in place. */
  private aggregate(target: MapRef, l: MapLayout, agg: AggType, call: Call): void {
    const b = this.b;
    const v = call.args.length > 0 ? this.int(call.args[0]!) : undefined;
    let slotDone: IrBlock | undefined;
    if (l.aggSlots) {
      // A pid/tid-indexed aggregation (src/lang/lower/tidmaps.ts): this CPU's part of the key's
      // array slot (the kernel inlines the lookup), or the hash beyond the array.
      const t = this.int(target.keys[0]!);
      const k = b.obj(4, 4, `key of ${l.aggSlots.array}`);
      b.emit({ op: 'store', addr: { obj: k }, off: 0, size: 4, value: t });
      const slot = this.lookup(l.aggSlots.array, k);
      const inSlot = b.newBlock();
      const inHash = b.newBlock();
      slotDone = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: slot, b: 0n, then: inHash.id, else: inSlot.id });
      b.setBlock(inSlot);
      this.aggUpdate(slot, agg, agg.fn, v, slotDone);
      // sum's touched word: a key whose sum is 0 still exists.
      if (agg.fn === 'sum') b.emit({ op: 'store', addr: { reg: slot }, off: 8, size: 8, value: 1n });
      b.jmp(slotDone);
      b.setBlock(inHash);
    }
    const key = this.mapKey(l, target.keys);
    let fn = agg.fn;
    if (isBucketedAgg(fn)) {
      const bucket = fn === 'hist' ? (agg.histBits ? this.log2k(v!, agg.histBits) : this.log2(v!))
        : fn === 'lhist' ? this.linear(v!, agg.lhist!) : this.bounded(v!, agg.bounds!);
      b.emit({ op: 'store', addr: key.base, off: key.off + l.bucketOffset!, size: l.bucketArray ? 4 : 8, value: bucket });
      fn = 'count';
    }
    const p = this.lookup(l, key);
    const hit = b.newBlock();
    const miss = b.newBlock();
    const done = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: miss.id, else: hit.id });
    b.setBlock(hit);
    const init = this.aggUpdate(p, agg, fn, v, done);
    b.jmp(done);
    b.setBlock(miss);
    if (!l.array) {
      const val = b.obj(l.def.valueSize, 8, `value of ${target.name}`);
      init.forEach((x, i) => b.emit({ op: 'store', addr: { obj: val }, off: i * 8, size: 8, value: x }));
      // A failed insert is reported at the aggregation's call (count(), hist(…)), as bpftrace does.
      this.update(l, key, val, call.span);
    }
    b.jmp(done);
    b.setBlock(done);
    if (slotDone) {
      b.jmp(slotDone);
      b.setBlock(slotDone);
    }
  }

  /**
   * The in-place update of an aggregation's words at `p` (this CPU's part of its value); min/max
   * jump to `done` when the value stays. Returns the words a new entry starts with.
   */
  private aggUpdate(p: VReg, agg: AggType, fn: AggType['fn'], v: VReg | undefined, done: IrBlock): (VReg | bigint)[] {
    const b = this.b;
    const addTo = (off: number, d: VReg | bigint): void => {
      const cur = b.reg();
      b.emit({ op: 'load', dst: cur, addr: { reg: p }, off, size: 8 });
      const nv = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: nv, a: cur, b: d });
      b.emit({ op: 'store', addr: { reg: p }, off, size: 8, value: nv });
    };
    const init: (VReg | bigint)[] = [];
    switch (fn) {
      case 'count':
        addTo(0, 1n);
        init.push(1n);
        break;
      case 'sum':
        addTo(0, v!);
        init.push(v!);
        break;
      case 'avg':
      case 'stats':
        addTo(0, v!);
        addTo(8, 1n);
        init.push(v!, 1n);
        break;
      case 'min':
      case 'max': {
        const set = b.reg();
        b.emit({ op: 'load', dst: set, addr: { reg: p }, off: 8, size: 8 });
        const store = b.newBlock();
        const check = b.newBlock();
        b.terminate({ op: 'br', cmp: 'eq', a: set, b: 0n, then: store.id, else: check.id });
        b.setBlock(check);
        const cur = b.reg();
        b.emit({ op: 'load', dst: cur, addr: { reg: p }, off: 0, size: 8 });
        const cmp: CmpOp = fn === 'max' ? (agg.signed ? 'sgt' : 'gt') : agg.signed ? 'slt' : 'lt';
        b.terminate({ op: 'br', cmp, a: v!, b: cur, then: store.id, else: done.id });
        b.setBlock(store);
        b.emit({ op: 'store', addr: { reg: p }, off: 0, size: 8, value: v! });
        b.emit({ op: 'store', addr: { reg: p }, off: 8, size: 8, value: 1n });
        init.push(v!, 1n);
        break;
      }
    }
    return init;
  }

  /** bpftrace's hist() bucket: 0 for v < 0, 1 for 0, else 2 + floor(log2(v)) (64-bit). */
  private log2(v: VReg): VReg {
    const b = this.b;
    const r = b.reg();
    b.emit({ op: 'const', dst: r, value: 0n });
    const done = b.newBlock();
    const nonneg = b.newBlock();
    b.terminate({ op: 'br', cmp: 'slt', a: v, b: 0n, then: done.id, else: nonneg.id });
    b.setBlock(nonneg);
    b.emit({ op: 'const', dst: r, value: 1n });
    const nonzero = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: v, b: 0n, then: done.id, else: nonzero.id });
    b.setBlock(nonzero);
    const n = b.reg();
    b.emit({ op: 'mov', dst: n, src: v });
    b.emit({ op: 'const', dst: r, value: 2n });
    for (const s of [32n, 16n, 8n, 4n, 2n, 1n]) {
      const t = b.reg();
      b.emit({ op: 'alu', alu: 'rsh', dst: t, a: n, b: s });
      const take = b.newBlock();
      const next = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: t, b: 0n, then: next.id, else: take.id });
      b.setBlock(take);
      b.emit({ op: 'mov', dst: n, src: t });
      b.emit({ op: 'alu', alu: 'add', dst: r, a: r, b: s });
      b.jmp(next);
      b.setBlock(next);
    }
    b.jmp(done);
    b.setBlock(done);
    return r;
  }

  /**
   * hist(v, k) bucket (newer bpftrace): 0 for v < 0; v + 1 for 0 <= v < 2^(k+1); else, with
   * p = floor(log2(v)), ((p - k + 1) << k | the k bits of v below its top bit) + 1 — each power of
   * two split into 2^k equal buckets.
   */
  private log2k(v: VReg, k: number): VReg {
    const b = this.b;
    const r = b.reg();
    b.emit({ op: 'const', dst: r, value: 0n });
    const done = b.newBlock();
    const nonneg = b.newBlock();
    b.terminate({ op: 'br', cmp: 'slt', a: v, b: 0n, then: done.id, else: nonneg.id });
    b.setBlock(nonneg);
    b.emit({ op: 'alu', alu: 'add', dst: r, a: v, b: 1n });
    const big = b.newBlock();
    b.terminate({ op: 'br', cmp: 'lt', a: v, b: BigInt(2 << k), then: done.id, else: big.id });
    b.setBlock(big);
    const p = this.log2(v); // 2 + floor(log2(v)) here
    const shift = b.reg();
    b.emit({ op: 'alu', alu: 'sub', dst: shift, a: p, b: BigInt(2 + k) });
    const sub = b.reg();
    b.emit({ op: 'alu', alu: 'rsh', dst: sub, a: v, b: shift });
    b.emit({ op: 'alu', alu: 'and', dst: sub, a: sub, b: BigInt((1 << k) - 1) });
    b.emit({ op: 'alu', alu: 'sub', dst: r, a: p, b: BigInt(1 + k) });
    b.emit({ op: 'alu', alu: 'lsh', dst: r, a: r, b: BigInt(k) });
    b.emit({ op: 'alu', alu: 'or', dst: r, a: r, b: sub });
    b.emit({ op: 'alu', alu: 'add', dst: r, a: r, b: 1n });
    b.jmp(done);
    b.setBlock(done);
    return r;
  }

  /**
   * llhist()/bhist() bucket: the number of bounds <= v (0 below the first bound, n at or above the
   * last), found by a binary search unrolled over the constant bounds: log2(n) compares.
   */
  private bounded(v: VReg, bounds: readonly bigint[]): VReg {
    const b = this.b;
    const r = b.reg();
    const done = b.newBlock();
    const search = (lo: number, hi: number): void => {
      // The answer is in [lo, hi]: lo bounds are known <= v, bounds from hi on are known > v.
      if (lo === hi) {
        b.emit({ op: 'const', dst: r, value: BigInt(lo) });
        b.jmp(done);
        return;
      }
      const mid = (lo + hi + 1) >> 1; // is bounds[mid - 1] <= v?
      const below = b.newBlock();
      const atOrAbove = b.newBlock();
      const bound = bounds[mid - 1]!;
      b.terminate({ op: 'br', cmp: 'slt', a: v, b: fitsImm(bound) ? bound : this.constReg(bound), then: below.id, else: atOrAbove.id });
      b.setBlock(atOrAbove);
      search(mid, hi);
      b.setBlock(below);
      search(lo, mid - 1);
    };
    search(0, bounds.length);
    b.setBlock(done);
    return r;
  }

  /** bpftrace's lhist() bucket: 0 below min, 1 + (v - min) / step, 1 + (max - min) / step above max. */
  private linear(v: VReg, p: { min: bigint; max: bigint; step: bigint }): VReg {
    const b = this.b;
    const r = b.reg();
    b.emit({ op: 'const', dst: r, value: 0n });
    const done = b.newBlock();
    const geMin = b.newBlock();
    const min = this.constReg(p.min);
    b.terminate({ op: 'br', cmp: 'slt', a: v, b: min, then: done.id, else: geMin.id });
    b.setBlock(geMin);
    b.emit({ op: 'const', dst: r, value: 1n + (p.max - p.min) / p.step });
    const inRange = b.newBlock();
    const max = this.constReg(p.max);
    b.terminate({ op: 'br', cmp: 'sgt', a: v, b: max, then: done.id, else: inRange.id });
    b.setBlock(inRange);
    const d = b.reg();
    b.emit({ op: 'alu', alu: 'sub', dst: d, a: v, b: p.min });
    b.emit({ op: 'alu', alu: 'div', dst: d, a: d, b: p.step });
    b.emit({ op: 'alu', alu: 'add', dst: r, a: d, b: 1n });
    b.jmp(done);
    b.setBlock(done);
    return r;
  }

  private constReg(v: bigint): VReg {
    const r = this.b.reg();
    this.b.emit({ op: 'const', dst: r, value: BigInt.asIntN(64, v) });
    return r;
  }

  // ─── expressions: types and integer values ────────────────────────────────

  private type(e: Expr): SType {
    const t = this.unit.types.get(e);
    if (!t) throw new Error(`lowering: no type for ${e.kind} at ${e.span.line}:${e.span.col}`);
    return t;
  }

  private ctxReg(): VReg {
    const r = this.b.reg();
    this.b.emit({ op: 'ctx', dst: r });
    return r;
  }

  /** Re-normalises a 64-bit register to the width and signedness of `to`. */
  private convert(r: VReg, to: SType, from?: SType): VReg {
    if (to.kind !== 'int' || to.size === 8) return r;
    if (from && from.kind === 'int' && from.size <= to.size && from.signed === to.signed) return r;
    const d = this.b.reg();
    const bits = (to.size * 8) as 8 | 16 | 32;
    this.b.emit(to.signed ? { op: 'sext', dst: d, a: r, bits } : { op: 'zext', dst: d, a: r, bits });
    return d;
  }

  /**
   * A narrow integer widened the way LLVM's CreateIntCast(v, T, signed) does in bpftrace: by
   * `signed` rather than by the value's own type ((uint16)(int8)-5 is 251).
   */
  private extendAs(v: VReg, from: SType, signed: boolean): VReg {
    if (from.kind !== 'int' || from.size === 8 || from.signed === signed) return v;
    const d = this.b.reg();
    const bits = (from.size * 8) as 8 | 16 | 32;
    this.b.emit(signed ? { op: 'sext', dst: d, a: v, bits } : { op: 'zext', dst: d, a: v, bits });
    return d;
  }

  private binop(op: string, a: VReg, bv: VReg): VReg {
    const ALU: Record<string, AluOp> = {
      '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '&': 'and', '|': 'or', '^': 'xor', '<<': 'lsh', '>>': 'rsh',
    };
    const d = this.b.reg();
    this.b.emit({ op: 'alu', alu: ALU[op]!, dst: d, a, b: bv });
    return d;
  }

  /** Evaluates an integer-valued (register) expression. */
  private int(e: Expr): VReg {
    const saved = this.b.span;
    this.b.span = e.span;
    try {
      return this.intInner(e);
    } finally {
      this.b.span = saved;
    }
  }

  private intInner(e: Expr): VReg {
    const b = this.b;
    const t = this.type(e);
    if (e.kind === 'Integer' || e.kind === 'Bool' || e.kind === 'Identifier' || e.kind === 'Positional' || e.kind === 'PositionalCount' || e.kind === 'Binary' || e.kind === 'Unary' || e.kind === 'Sizeof' || e.kind === 'Offsetof') {
      const c = this.a.constInt(e);
      if (c !== undefined && t.kind === 'int') return this.constReg(c);
    }
    switch (e.kind) {
      case 'Builtin':
        return this.builtin(e);
      case 'Variable': {
        const slot = this.slot(e);
        if (slot.kind !== 'reg') throw new Error(`variable ${e.name} is not a register`);
        const r = b.reg();
        b.emit({ op: 'mov', dst: r, src: slot.reg });
        return r;
      }
      case 'Map':
        return this.mapReadInt(e);
      case 'Unary': {
        if (e.op === '!') return this.materialize(e);
        if (e.op === '*') {
          const ot = this.type(e.operand);
          // `*p` read with the pointer's own space and the pointee's width.
          if (ot.kind === 'pointer') return this.readInt(e);
          return this.deref(this.int(e.operand), ot, 0n);
        }
        const v = this.int(e.operand);
        if (e.op === '+') return v;
        const d = b.reg();
        if (e.op === '-') b.emit({ op: 'neg', dst: d, a: v });
        else b.emit({ op: 'alu', alu: 'xor', dst: d, a: v, b: -1n });
        // As bpftrace: an unsigned operand narrower than 64 bits keeps its width (~(uint8)3 is 252,
        // -(uint32)5 is 4294967291); a signed one behaves as its 64-bit value (-(int8)-128 is 128).
        const ot = this.type(e.operand);
        if (ot.kind === 'int' && !ot.signed && ot.size < 8) return this.convert(d, ot);
        return d;
      }
      case 'IncDec':
        return this.incDec(e, true)!;
      case 'Binary':
        return this.binary(e);
      case 'Ternary': {
        const r = b.reg();
        const then = b.newBlock();
        const els = b.newBlock();
        const join = b.newBlock();
        this.cond(e.cond, then, els);
        // Both sides are extended with the ternary's signedness (the then-side's), as bpftrace does.
        const signed = t.kind === 'int' && t.signed;
        b.setBlock(then);
        b.emit({ op: 'mov', dst: r, src: this.conditional(() => this.extendAs(this.int(e.then), this.type(e.then), signed)) });
        b.jmp(join);
        b.setBlock(els);
        b.emit({ op: 'mov', dst: r, src: this.conditional(() => this.extendAs(this.int(e.else), this.type(e.else), signed)) });
        b.jmp(join);
        b.setBlock(join);
        return r;
      }
      case 'Cast': {
        const v = this.int(e.expr);
        const from = this.type(e.expr);
        // bpftrace 0.17 widens with the *target's* signedness (LLVM CreateIntCast(v, T, T.signed)):
        // (uint16)(int8)-5 is 251, (int16)(uint8)255 is -1.
        if (t.kind === 'int' && from.kind === 'int' && from.size < t.size) return this.extendAs(v, from, t.signed);
        return this.convert(v, t, from);
      }
      case 'Call':
        return this.intCall(e);
      case 'FieldAccess': {
        if (this.unit.fieldLocs.has(e)) return this.readInt(e);
        const off = this.unit.localFields.get(e);
        if (off !== undefined) {
          const m = this.mem(e.object);
          return this.loadInt({ base: m.base, off: m.off + off }, t);
        }
        return this.fieldInt(e);
      }
      case 'IndexAccess':
        if (this.inMemory(e.object)) return this.readInt(e);
        return this.indexInt(e);
      case 'TupleAccess': {
        const m = this.mem(e.object);
        const tt = this.type(e.object) as TupleType;
        return this.loadInt({ base: m.base, off: m.off + tt.offsets[e.index]! }, t);
      }
      default:
        throw new Error(`lowering: ${e.kind} has no integer value`);
    }
  }

  /** True when `e` is a struct field, `*p` or `p[i]`: a value in kernel/user memory, not yet read. */
  private inMemory(e: Expr): boolean {
    if (e.kind === 'FieldAccess') return this.unit.fieldLocs.has(e);
    if (e.kind === 'Unary' && e.op === '*') return this.type(e.operand).kind === 'pointer';
    if (e.kind === 'IndexAccess') return this.type(e.object).kind === 'pointer' || this.inMemory(e.object);
    return false;
  }

  /** The address of an in-memory value (see inMemory): a register plus a constant offset. */
  private where(e: Expr): { reg: VReg; off: number; space: AddrSpace } {
    const b = this.b;
    if (e.kind === 'FieldAccess') {
      const loc = this.unit.fieldLocs.get(e)!;
      if (loc.via === 'ptr') return { reg: this.int(e.object), off: loc.offset, space: loc.space };
      const w = this.where(e.object);
      return { ...w, off: w.off + loc.offset };
    }
    if (e.kind === 'Unary' && e.op === '*') {
      const pt = this.type(e.operand) as SType & { kind: 'pointer' };
      return { reg: this.int(e.operand), off: 0, space: pt.space };
    }
    if (e.kind === 'IndexAccess') {
      const ot = this.type(e.object);
      const elem = sizeOf(this.type(e)) || 1;
      let base: { reg: VReg; off: number; space: AddrSpace };
      if (ot.kind === 'pointer') base = { reg: this.int(e.object), off: 0, space: ot.space };
      else base = this.where(e.object);
      const c = this.a.constInt(e.index);
      if (c !== undefined) return { ...base, off: base.off + Number(c) * elem };
      const i = this.int(e.index);
      const scaled = b.reg();
      b.emit({ op: 'alu', alu: 'mul', dst: scaled, a: i, b: BigInt(elem) });
      const r = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: r, a: base.reg, b: scaled });
      return { reg: r, off: base.off, space: base.space };
    }
    throw new Error(`lowering: ${e.kind} is not in memory`);
  }

  /**
   * The helper that reads memory of `space` (types.ts, AddrSpace): 'any' takes the old
   * bpf_probe_read(_str), which picks user or kernel memory by the address. It exists only where
   * the two never overlap (CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE); sonde emits x86-64 code
   * only (COMPAT_PROBE_READ). An arch without it would read 'any' with probe_read_kernel, as
   * bpftrace does where the old helper is refused.
   */
  private readHelper(space: AddrSpace, str = false): number {
    if (space === 'user') return str ? Helper.probe_read_user_str : Helper.probe_read_user;
    if (space === 'any' && COMPAT_PROBE_READ) return str ? Helper.probe_read_str : Helper.probe_read;
    return str ? Helper.probe_read_kernel_str : Helper.probe_read_kernel;
  }

  /** The memory an address of type `t` points into: a pointer's or address's own, else the probe's. */
  private spaceOf(t: SType): AddrSpace {
    if (t.kind === 'pointer') return t.space;
    if (t.kind === 'int' && t.space) return t.space;
    return this.unit.space;
  }

  /** Reads an integer (or pointer, or bitfield) that sits in kernel/user memory. */
  private readInt(e: Expr): VReg {
    const b = this.b;
    const t = this.type(e);
    const w = this.where(e);
    const loc = e.kind === 'FieldAccess' ? this.unit.fieldLocs.get(e) : undefined;
    const tmp = b.obj(8, 8, describe(e));
    b.emit({ op: 'zero', obj: tmp, off: 0, len: 8 });
    const addr = this.addr({ base: { reg: w.reg }, off: w.off });
    if (loc?.bitWidth !== undefined) {
      const bitOff = loc.bitOffset ?? 0;
      const n = Math.min(8, Math.ceil((bitOff + loc.bitWidth) / 8));
      this.checkedCall(this.readHelper(w.space), [{ obj: tmp, off: 0 }, { imm: BigInt(n) }, addr]);
      let v = this.loadInt({ base: { obj: tmp }, off: 0 }, { kind: 'int', size: 8, signed: false });
      if (t.kind === 'int' && t.signed && loc.bitWidth < 64) {
        // A signed bitfield: its top bit to bit 63, then an arithmetic shift back down.
        const up = b.reg();
        b.emit({ op: 'alu', alu: 'lsh', dst: up, a: v, b: BigInt(64 - bitOff - loc.bitWidth) });
        const d = b.reg();
        b.emit({ op: 'alu', alu: 'arsh', dst: d, a: up, b: BigInt(64 - loc.bitWidth) });
        return d;
      }
      if (bitOff > 0) {
        const d = b.reg();
        b.emit({ op: 'alu', alu: 'rsh', dst: d, a: v, b: BigInt(bitOff) });
        v = d;
      }
      if (loc.bitWidth < 64) {
        const d = b.reg();
        const mask = (1n << BigInt(loc.bitWidth)) - 1n;
        if (mask <= 0x7fffffffn) b.emit({ op: 'alu', alu: 'and', dst: d, a: v, b: mask });
        else {
          const m = this.constReg(mask);
          b.emit({ op: 'alu', alu: 'and', dst: d, a: v, b: m });
        }
        v = d;
      }
      return v;
    }
    const size = t.kind === 'int' ? t.size : 8;
    this.checkedCall(this.readHelper(w.space), [{ obj: tmp, off: 0 }, { imm: BigInt(size) }, addr]);
    return this.loadInt({ base: { obj: tmp }, off: 0 }, t.kind === 'int' ? t : { kind: 'int', size: 8, signed: false });
  }

  /** Copies an in-memory struct, array or string value onto the stack. */
  private readMem(e: Expr, t: SType): Mem {
    const b = this.b;
    const size = sizeOf(t);
    const w = this.where(e);
    const m = this.alloc(Math.max(size, 1), describe(e));
    this.zero(m, Math.max(size, 1));
    if (size > 0) this.checkedCall(this.readHelper(w.space), [this.addr(m), { imm: BigInt(size) }, this.addr({ base: { reg: w.reg }, off: w.off })]);
    return m;
  }

  private loadInt(m: Mem, t: SType): VReg {
    const r = this.b.reg();
    const size = (t.kind === 'int' ? t.size : 8) as 1 | 2 | 4 | 8;
    this.b.emit({ op: 'load', dst: r, addr: m.base, off: m.off, size, ...(t.kind === 'int' && t.signed && size < 8 ? { signed: true } : {}) });
    return r;
  }

  /** Reads `*(T *)(p + index)` from kernel or user memory. */
  private deref(p: VReg, pt: SType, index: bigint | VReg): VReg {
    const b = this.b;
    const to: SType = pt.kind === 'pointer' ? pt.to : { kind: 'int', size: 8, signed: false };
    const space = this.spaceOf(pt);
    const size = sizeOf(to) || 8;
    let addr = p;
    if (typeof index === 'bigint') {
      if (index !== 0n) {
        addr = b.reg();
        b.emit({ op: 'alu', alu: 'add', dst: addr, a: p, b: index * BigInt(size) });
      }
    } else {
      const off = b.reg();
      b.emit({ op: 'alu', alu: 'mul', dst: off, a: index, b: BigInt(size) });
      addr = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: addr, a: p, b: off });
    }
    const tmp = b.obj(8, 8, 'dereferenced value');
    b.emit({ op: 'zero', obj: tmp, off: 0, len: 8 });
    this.checkedCall(this.readHelper(space), [{ obj: tmp, off: 0 }, { imm: BigInt(Math.min(size, 8)) }, { reg: addr }]);
    return this.loadInt({ base: { obj: tmp }, off: 0 }, to.kind === 'int' ? to : { kind: 'int', size: 8, signed: false });
  }

  private builtin(e: Builtin): VReg {
    const b = this.b;
    const call = (helper: number): VReg => {
      const hoisted = this.cached.get(helper);
      if (hoisted !== undefined) return hoisted;
      const r = b.reg();
      b.emit({ op: 'call', helper, args: [], dst: r });
      return r;
    };
    const name = e.name;
    switch (name) {
      case 'pid': case 'tid': {
        const task = this.taskFields();
        if (task) {
          const d = b.reg();
          b.emit({ op: 'load', dst: d, addr: { reg: this.currentTask() }, off: name === 'pid' ? task.tgid : task.pid, size: 4 });
          return d;
        }
        const r = call(Helper.get_current_pid_tgid);
        const d = b.reg();
        b.emit(name === 'pid' ? { op: 'alu', alu: 'rsh', dst: d, a: r, b: 32n } : { op: 'zext', dst: d, a: r, bits: 32 });
        return d;
      }
      case 'uid': case 'gid': case 'username': {
        const r = call(Helper.get_current_uid_gid);
        const d = b.reg();
        b.emit(name === 'gid' ? { op: 'alu', alu: 'rsh', dst: d, a: r, b: 32n } : { op: 'zext', dst: d, a: r, bits: 32 });
        return d;
      }
      case 'nsecs': return call(Helper.ktime_get_boot_ns);
      case 'elapsed': {
        const now = call(Helper.ktime_get_boot_ns);
        const start = this.internalSlot('.elapsed', 8);
        const d = b.reg();
        b.emit({ op: 'alu', alu: 'sub', dst: d, a: now, b: start });
        return d;
      }
      case 'cpid': return this.internalSlot('.cpid', 4);
      case 'cpu': return call(Helper.get_smp_processor_id);
      case 'rand': return call(Helper.get_prandom_u32);
      case 'cgroup': return call(Helper.get_current_cgroup_id);
      case 'numaid': return call(Helper.get_numa_node_id);
      case 'jiffies': return call(Helper.jiffies64);
      case 'curtask': return call(Helper.get_current_task);
      case 'probe': {
        if (this.unit.probeBase !== undefined && this.syscallId !== undefined) {
          const d = b.reg();
          b.emit({ op: 'alu', alu: 'add', dst: d, a: this.syscallId, b: BigInt(this.unit.probeBase) });
          return d;
        }
        // One program for several kernel functions: each link carries its probe id as cookie.
        if (this.unit.plan.probeCookie) {
          const r = b.reg();
          b.emit({ op: 'call', helper: Helper.get_attach_cookie, args: [{ reg: this.ctxReg() }], dst: r });
          return r;
        }
        return this.constReg(BigInt(this.unit.probeIds[0]!));
      }
      case 'retval': {
        // fexit: the return value follows the function's arguments in the context.
        const fentry = this.unit.plan.progKind === 'tracing' ? this.unit.plan.instances[0]!.fentry : undefined;
        return fentry ? this.ctxLoad(8 * fentry.nargs) : this.ctxLoad(PT_REGS.ax!);
      }
      case 'func':
        if (this.unit.plan.progKind === 'tracing') return this.funcIp();
        return this.ctxLoad(PT_REGS.ip!);
      case 'args': return this.ctxReg();
      case 'ctx': return this.ctxReg();
      case 'kstack': return this.stackId(this.type(e) as StackType);
    }
    const s = /^sarg([0-9]+)$/.exec(name);
    if (s) {
      // *(u64 *)(sp + 8 * (N + 1)): the return address is at sp on entry (x86-64).
      const sp = this.ctxLoad(PT_REGS.sp!);
      const at = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: at, a: sp, b: 8n * (BigInt(s[1]!) + 1n) });
      const tmp = b.obj(8, 8, name);
      b.emit({ op: 'zero', obj: tmp, off: 0, len: 8 });
      const helper = this.unit.plan.provider === 'uprobe' ? Helper.probe_read_user : Helper.probe_read_kernel;
      this.checkedCall(helper, [{ obj: tmp, off: 0 }, { imm: 8n }, { reg: at }]);
      return this.loadInt({ base: { obj: tmp }, off: 0 }, { kind: 'int', size: 8, signed: false });
    }
    const m = /^arg([0-9]+)$/.exec(name);
    if (m) {
      const n = Number(m[1]);
      // raw tracepoints and fentry: the context is the array of arguments.
      if (this.unit.plan.provider === 'rawtracepoint' || this.unit.plan.progKind === 'tracing') return this.ctxLoad(8 * n);
      if (this.unit.plan.provider === 'usdt') {
        const site = this.unit.plan.instances[0]!.usdt!.site;
        return lowerUsdtArg(b, () => this.ctxReg(), site.args[n]!, site.pc, e.span, (args) => this.checkedCall(Helper.probe_read_user, args, e.span));
      }
      return this.ctxLoad(PT_REGS[ARG_REGS[n]!]!);
    }
    throw new Error(`lowering: builtin ${name}`);
  }

  /** bpf_get_stackid(ctx, .stacks_<limit>, flags): the id of the stack in the map (negative on failure). */
  private stackId(t: StackType): VReg {
    const b = this.b;
    const c = this.ctxReg();
    const fd = this.mapFd(stackMapName(t.limit));
    const r = b.reg();
    b.emit({ op: 'call', helper: Helper.get_stackid, args: [{ reg: c }, { reg: fd }, { imm: t.space === 'user' ? BPF_F_USER_STACK : 0n }], dst: r });
    this.checkHelper(Helper.get_stackid, r);
    return r;
  }

  /** bpf_get_func_ip(ctx): the traced function's address in an fentry/fexit program. */
  private funcIp(): VReg {
    const r = this.b.reg();
    this.b.emit({ op: 'call', helper: Helper.get_func_ip, args: [{ reg: this.ctxReg() }], dst: r });
    return r;
  }

  private ctxLoad(off: number): VReg {
    const c = this.ctxReg();
    const r = this.b.reg();
    this.b.emit({ op: 'load', dst: r, addr: { reg: c }, off, size: 8 });
    return r;
  }

  /** `args->field` of an integer, pointer or __data_loc field. */
  private fieldInt(e: FieldAccess): VReg {
    const f = this.tpField(e);
    const b = this.b;
    const c = this.ctxReg();
    if (f.dataLoc) {
      // u32 (length << 16 | offset of the data from the start of the record).
      const loc = b.reg();
      b.emit({ op: 'load', dst: loc, addr: { reg: c }, off: f.offset, size: 4 });
      const off = b.reg();
      b.emit({ op: 'alu', alu: 'and', dst: off, a: loc, b: 0xffffn });
      const p = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: p, a: c, b: off });
      return p;
    }
    return this.loadInt({ base: { reg: c }, off: f.offset }, this.type(e));
  }

  private tpField(e: FieldAccess): { offset: number; dataLoc: boolean } {
    const rec = this.unit.args!;
    const f = rec.fields.find((x) => x.name === e.field)!;
    const info = this.unit.plan.fields?.find((x) => x.name === e.field);
    return { offset: f.offset, dataLoc: info?.dataLoc ?? false };
  }

  private indexInt(e: IndexAccess): VReg {
    const ot = this.type(e.object);
    const t = this.type(e);
    if (ot.kind === 'array') {
      const m = this.mem(e.object);
      const i = Number(this.a.constInt(e.index)!);
      return this.loadInt({ base: m.base, off: m.off + i * sizeOf(ot.of) }, t);
    }
    const p = this.int(e.object);
    const c = this.a.constInt(e.index);
    return this.deref(p, ot, c !== undefined ? c : this.int(e.index));
  }

  private binary(e: Binary): VReg {
    const op = e.op;
    if (op === '&&' || op === '||' || op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      return this.materialize(e);
    }
    const lt = this.type(e.left);
    const rt = this.type(e.right);
    const a = this.int(e.left);
    let bv = this.int(e.right);
    const b = this.b;
    // Pointer arithmetic scales by the pointee's size.
    if ((op === '+' || op === '-') && (lt.kind === 'pointer' || rt.kind === 'pointer')) {
      const ptrLeft = lt.kind === 'pointer';
      const et = this.type(e);
      const pt = (et.kind === 'pointer' ? et : ptrLeft ? lt : rt) as SType & { kind: 'pointer' };
      const size = BigInt(sizeOf(pt.to) || 1);
      if (size !== 1n) {
        const scaled = b.reg();
        const idx = ptrLeft ? bv : a;
        b.emit({ op: 'alu', alu: 'mul', dst: scaled, a: idx, b: size });
        if (ptrLeft) bv = scaled;
        else return this.binop('+', bv, scaled);
      }
    }
    return this.binop(op, a, bv);
  }

  /** 0 or 1 from a condition. */
  private materialize(e: Expr): VReg {
    const b = this.b;
    const r = b.reg();
    b.emit({ op: 'const', dst: r, value: 1n });
    const f = b.newBlock();
    const join = b.newBlock();
    this.cond(e, join, f);
    b.setBlock(f);
    b.emit({ op: 'const', dst: r, value: 0n });
    b.jmp(join);
    b.setBlock(join);
    return r;
  }

  /** Branches to `t` when `e` is true (non-zero), else to `f`. */
  private cond(e: Expr, t: IrBlock, f: IrBlock): void {
    const b = this.b;
    const c = this.a.constInt(e);
    if (c !== undefined && (e.kind === 'Integer' || e.kind === 'Binary' || e.kind === 'Unary' || e.kind === 'Positional' || e.kind === 'Identifier' || e.kind === 'Bool' || e.kind === 'PositionalCount')) {
      b.jmp(c !== 0n ? t : f);
      return;
    }
    if (e.kind === 'Unary' && e.op === '!') {
      this.cond(e.operand, f, t);
      return;
    }
    if (e.kind === 'Binary') {
      if (e.op === '&&' || e.op === '||') {
        const mid = b.newBlock();
        if (e.op === '&&') this.cond(e.left, mid, f);
        else this.cond(e.left, t, mid);
        b.setBlock(mid);
        this.conditional(() => this.cond(e.right, t, f));
        return;
      }
      const CMP: Record<string, [CmpOp, CmpOp]> = {
        '==': ['eq', 'eq'], '!=': ['ne', 'ne'], '<': ['lt', 'slt'], '>': ['gt', 'sgt'], '<=': ['le', 'sle'], '>=': ['ge', 'sge'],
      };
      const ops = CMP[e.op];
      // strncmp(a, b, n) == 0 / != 0: branch on the comparison itself.
      if ((e.op === '==' || e.op === '!=') && this.a.constInt(e.right) === 0n && e.left.kind === 'Call' && e.left.name === 'strncmp') {
        const c = e.left;
        const n = Number(this.a.constInt(c.args[2]!) ?? 0n);
        if (e.op === '==') this.strEq(c.args[0]!, c.args[1]!, n, t, f);
        else this.strEq(c.args[0]!, c.args[1]!, n, f, t);
        return;
      }
      if (ops) {
        const lt = this.type(e.left);
        const rt = this.type(e.right);
        if (lt.kind === 'string' && rt.kind === 'string') {
          if (e.op === '==') this.strEq(e.left, e.right, Infinity, t, f);
          else this.strEq(e.left, e.right, Infinity, f, t);
          return;
        }
        if ((lt.kind === 'array' && rt.kind === 'array') || (lt.kind === 'buffer' && rt.kind === 'buffer')) {
          if (e.op === '==') this.memEq(e.left, e.right, t, f);
          else this.memEq(e.left, e.right, f, t);
          return;
        }
        const signed = lt.kind === 'int' && rt.kind === 'int' && lt.signed && rt.signed;
        const a = this.int(e.left);
        const rc = this.a.constInt(e.right);
        const rv: VReg | bigint = rc !== undefined && rt.kind === 'int' && fitsImm(rc) ? rc : this.int(e.right);
        b.terminate({ op: 'br', cmp: ops[signed ? 1 : 0], a, b: rv, then: t.id, else: f.id });
        return;
      }
    }
    const r = this.int(e);
    b.terminate({ op: 'br', cmp: 'ne', a: r, b: 0n, then: t.id, else: f.id });
  }

  /**
   * String equality, byte by byte up to the shorter declared size (or `limit`, for strncmp):
   * a difference goes to `ne`, a NUL in both at the same place (or reaching the end) to `eq`.
   */
  private strEq(l: Expr, r: Expr, limit: number, eq: IrBlock, ne: IrBlock): void {
    const b = this.b;
    const lc = this.constString(l);
    const rc = this.constString(r);
    if (lc && rc) {
      const n = Math.min(lc.length + 1, rc.length + 1, limit);
      let same = true;
      for (let i = 0; i < n; i++) {
        const x = lc[i] ?? 0;
        const y = rc[i] ?? 0;
        if (x !== y) { same = false; break; }
        if (x === 0) break;
      }
      b.jmp(same ? eq : ne);
      return;
    }
    if (lc || rc) {
      const lit = (lc ?? rc)!;
      const other = lc ? r : l;
      const m = this.mem(other);
      const size = sizeOf(this.type(other));
      const n = Math.min(size, lit.length + 1, limit);
      for (let i = 0; i < n; i++) {
        const c = b.reg();
        b.emit({ op: 'load', dst: c, addr: m.base, off: m.off + i, size: 1 });
        const next = b.newBlock();
        b.terminate({ op: 'br', cmp: 'ne', a: c, b: BigInt(lit[i] ?? 0), then: ne.id, else: next.id });
        b.setBlock(next);
      }
      b.jmp(eq);
      return;
    }
    const ml = this.mem(l);
    const mr = this.mem(r);
    const n = Math.min(sizeOf(this.type(l)), sizeOf(this.type(r)), limit);
    for (let i = 0; i < n; i++) {
      const x = b.reg();
      const y = b.reg();
      b.emit({ op: 'load', dst: x, addr: ml.base, off: ml.off + i, size: 1 });
      b.emit({ op: 'load', dst: y, addr: mr.base, off: mr.off + i, size: 1 });
      const same = b.newBlock();
      b.terminate({ op: 'br', cmp: 'ne', a: x, b: y, then: ne.id, else: same.id });
      b.setBlock(same);
      const next = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: x, b: 0n, then: eq.id, else: next.id });
      b.setBlock(next);
    }
    b.jmp(eq);
  }

  /**
   * Equality of two arrays or buffers: every byte (a buffer's length word included). Values of
   * different sizes (buf(x, 2) and buf(y, 3)) are unequal.
   */
  private memEq(l: Expr, r: Expr, eq: IrBlock, ne: IrBlock): void {
    const b = this.b;
    const n = sizeOf(this.type(l));
    if (n !== sizeOf(this.type(r))) {
      b.jmp(ne);
      return;
    }
    const ml = this.mem(l);
    const mr = this.mem(r);
    for (let i = 0; i < n; i++) {
      const x = b.reg();
      const y = b.reg();
      b.emit({ op: 'load', dst: x, addr: ml.base, off: ml.off + i, size: 1 });
      b.emit({ op: 'load', dst: y, addr: mr.base, off: mr.off + i, size: 1 });
      const next = b.newBlock();
      b.terminate({ op: 'br', cmp: 'ne', a: x, b: y, then: ne.id, else: next.id });
      b.setBlock(next);
    }
    b.jmp(eq);
  }

  /** The bytes of a string known at compile time (literal, str($1)), without the NUL. */
  private constString(e: Expr): Uint8Array | undefined {
    if (e.kind === 'String') return e.bytes;
    if (e.kind === 'Call' && e.name === 'str') return this.unit.strings.get(e);
    return undefined;
  }

  /** `p += n` / `p -= n` on a pointer steps by n elements, as `p + n` does. */
  private scaledStep(t: SType, op: string, v: VReg): VReg {
    if (t.kind !== 'pointer' || (op !== '+' && op !== '-')) return v;
    const size = BigInt(sizeOf(t.to) || 1);
    if (size === 1n) return v;
    const scaled = this.b.reg();
    this.b.emit({ op: 'alu', alu: 'mul', dst: scaled, a: v, b: size });
    return scaled;
  }

  private incDec(e: IncDec, wantValue: boolean): VReg | undefined {
    const b = this.b;
    const target = e.target;
    const t = this.type(target);
    const delta = (e.op === '++' ? 1n : -1n) * (t.kind === 'pointer' ? BigInt(sizeOf(t.to) || 1) : 1n);
    if (target.kind === 'Variable') {
      const slot = this.slot(target);
      if (slot.kind !== 'reg') throw new Error('++ on a memory variable');
      const step = delta;
      const old = b.reg();
      if (wantValue && !e.prefix) b.emit({ op: 'mov', dst: old, src: slot.reg });
      const nv = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: nv, a: slot.reg, b: step });
      b.emit({ op: 'mov', dst: slot.reg, src: this.convert(nv, slot.type) });
      if (!wantValue) return undefined;
      if (e.prefix) {
        const r = b.reg();
        b.emit({ op: 'mov', dst: r, src: slot.reg });
        return r;
      }
      return old;
    }
    const l = this.layout(target.name);
    this.wrote(target.name);
    const key = this.mapKey(l, target.keys);
    const p = this.lookup(l, key);
    this.checkHelper(Helper.map_lookup_elem, p, e.span);
    const hit = b.newBlock();
    const miss = b.newBlock();
    const done = b.newBlock();
    const result = b.reg();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: miss.id, else: hit.id });
    b.setBlock(hit);
    if (!wantValue) {
      const d = this.constReg(delta);
      b.emit({ op: 'atomic_add', addr: { reg: p }, off: 0, size: 8, value: d });
    } else {
      const old = b.reg();
      b.emit({ op: 'load', dst: old, addr: { reg: p }, off: 0, size: 8 });
      const nv = b.reg();
      b.emit({ op: 'alu', alu: 'add', dst: nv, a: old, b: delta });
      b.emit({ op: 'store', addr: { reg: p }, off: 0, size: 8, value: nv });
      b.emit({ op: 'mov', dst: result, src: e.prefix ? nv : old });
    }
    b.jmp(done);
    b.setBlock(miss);
    const val = b.obj(8, 8, `value of ${target.name}`);
    b.emit({ op: 'store', addr: { obj: val }, off: 0, size: 8, value: delta });
    this.update(l, key, val);
    if (wantValue) b.emit({ op: 'const', dst: result, value: e.prefix ? delta : 0n });
    b.jmp(done);
    b.setBlock(done);
    return wantValue ? result : undefined;
  }

  private intCall(c: Call): VReg {
    const b = this.b;
    switch (c.name) {
      case 'has_key':
        return this.hasKey(c);
      case 'len':
        return this.mapLen(c);
      case 'strncmp': {
        const n = Number(this.a.constInt(c.args[2]!) ?? 0n);
        const r = b.reg();
        b.emit({ op: 'const', dst: r, value: 1n });
        const eq = b.newBlock();
        const join = b.newBlock();
        this.strEq(c.args[0]!, c.args[1]!, n, eq, join);
        b.setBlock(eq);
        b.emit({ op: 'const', dst: r, value: 0n });
        b.jmp(join);
        b.setBlock(join);
        return r;
      }
      case 'ksym':
        return this.int(c.args[0]!);
      case 'bswap': {
        const t = this.type(c.args[0]!) as IntType;
        const v = this.int(c.args[0]!);
        if (t.size === 1) return this.convert(v, { kind: 'int', size: 1, signed: false });
        const d = b.reg();
        b.emit({ op: 'bswap', dst: d, a: v, bits: (t.size * 8) as 16 | 32 | 64 });
        return d;
      }
      case 'kptr': case 'uptr':
        return this.int(c.args[0]!);
      case 'kstack':
        return this.stackId(this.type(c) as StackType);
      case 'reg':
        return this.ctxLoad(PT_REGS[(c.args[0] as Expr & { kind: 'String' }).value]!);
      case 'strerror':
        return this.int(c.args[0]!);
      case 'kaddr': case 'uaddr': case 'cgroupid': {
        // Resolved at compile time (sema/system-calls.ts); in a PIE or library, relative to the ip.
        const v = BigInt.asIntN(64, this.unit.addresses.get(c) ?? 0n);
        if (!this.unit.ipRelative.has(c)) return this.constReg(v);
        const ip = this.ctxLoad(PT_REGS.ip!);
        const d = b.reg();
        if (fitsImm(v)) b.emit({ op: 'alu', alu: 'add', dst: d, a: ip, b: v });
        else b.emit({ op: 'alu', alu: 'add', dst: d, a: ip, b: this.constReg(v) });
        return d;
      }
      case 'strcontains':
        return this.strContains(c);
    }
    throw new Error(`lowering: call ${c.name} has no integer value`);
  }

  // ─── memory values ─────────────────────────────────────────────────────────

  /** Evaluates a memory-valued expression to memory the program can read directly. */
  private mem(e: Expr): Mem {
    const saved = this.b.span;
    this.b.span = e.span;
    try {
      return this.memInner(e);
    } finally {
      this.b.span = saved;
    }
  }

  private memInner(e: Expr): Mem {
    const t = this.type(e);
    switch (e.kind) {
      case 'Variable': {
        const slot = this.slot(e);
        if (slot.kind === 'mem') return slot.mem;
        break;
      }
      case 'Map':
        return this.mapReadMem(e);
      case 'FieldAccess': {
        if (this.unit.fieldLocs.has(e)) return this.readMem(e, t);
        const off = this.unit.localFields.get(e);
        if (off !== undefined) {
          const m = this.mem(e.object);
          return { base: m.base, off: m.off + off };
        }
        const f = this.tpField(e);
        return { base: { reg: this.ctxReg() }, off: f.offset };
      }
      case 'Unary':
        if (e.op === '*') return this.readMem(e, t);
        break;
      case 'IndexAccess': {
        if (this.inMemory(e.object) || this.type(e.object).kind === 'pointer') return this.readMem(e, t);
        // An element of an array already on the stack ($a[1] of `$a = s->arr2d`): a place inside it.
        const ot = this.type(e.object);
        const i = this.a.constInt(e.index);
        if (ot.kind === 'array' && i !== undefined) {
          const m = this.mem(e.object);
          return { base: m.base, off: m.off + Number(i) * sizeOf(ot.of) };
        }
        break;
      }
      case 'TupleAccess': {
        const m = this.mem(e.object);
        const tt = this.type(e.object) as TupleType;
        return { base: m.base, off: m.off + tt.offsets[e.index]! };
      }
      default:
        break;
    }
    const size = sizeOf(t);
    const dst = this.alloc(size, describe(e));
    this.valueInto(e, dst, t);
    return dst;
  }

  /** Writes the value of `e` into `dst`, in the layout of `dt` (strings NUL-padded to its size). */
  /** The value the runtime wrote in slot 0 of an internal array map (.elapsed, .cpid); 0 if none. */
  private internalSlot(map: string, size: 4 | 8): VReg {
    const b = this.b;
    const key = b.obj(4, 4, `key of ${map}`);
    b.emit({ op: 'store', addr: { obj: key }, off: 0, size: 4, value: 0n });
    const p = this.lookup(map, key);
    const r = b.reg();
    b.emit({ op: 'const', dst: r, value: 0n });
    const hit = b.newBlock();
    const done = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: done.id, else: hit.id });
    b.setBlock(hit);
    b.emit({ op: 'load', dst: r, addr: { reg: p }, off: 0, size });
    b.jmp(done);
    b.setBlock(done);
    return r;
  }

  /** `c ? a : b` evaluated into memory: each branch writes its value straight into `dst`. */
  private ternaryInto(e: Ternary, dst: Mem, dt: SType): void {
    const b = this.b;
    const then = b.newBlock();
    const els = b.newBlock();
    const join = b.newBlock();
    this.cond(e.cond, then, els);
    b.setBlock(then);
    this.conditional(() => this.valueInto(e.then, dst, dt));
    b.jmp(join);
    b.setBlock(els);
    this.conditional(() => this.valueInto(e.else, dst, dt));
    b.jmp(join);
    b.setBlock(join);
  }

  private valueInto(e: Expr, dst: Mem, dt: SType): void {
    const saved = this.b.span;
    this.b.span = e.span;
    try {
      this.valueIntoInner(e, dst, dt);
    } finally {
      this.b.span = saved;
    }
  }

  private valueIntoInner(e: Expr, dst: Mem, dt: SType): void {
    const b = this.b;
    const t = this.type(e);
    if (isScalar(dt)) {
      const v = this.convert(this.int(e), dt, t);
      const size = (dt.kind === 'int' ? dt.size : 8) as 1 | 2 | 4 | 8;
      b.emit({ op: 'store', addr: dst.base, off: dst.off, size, value: v });
      return;
    }
    const dsize = sizeOf(dt);
    if (dt.kind === 'string') {
      const lit = this.constString(e);
      if (lit) {
        this.storeBytes(dst, lit.slice(0, dsize - 1), dsize);
        return;
      }
      if (e.kind === 'Call' && e.name === 'str') {
        this.strInto(e, dst, dsize);
        return;
      }
      if (e.kind === 'Builtin' && e.name === 'comm') {
        // bpf_get_current_comm fills all of its buffer (the name, then zeros; zeros on failure),
        // and the verifier takes uninitialised memory for it: only bytes past 16 need zeroing.
        this.zero({ base: dst.base, off: dst.off + 16 }, dsize - 16);
        const task = this.taskFields();
        if (task && dsize >= 16 && dst.off % 8 === 0) {
          this.commFromTask(task, dst);
          return;
        }
        this.checkedCall(Helper.get_current_comm, [this.addr(dst), { imm: BigInt(Math.min(16, dsize)) }]);
        return;
      }
      if (e.kind === 'Ternary') return this.ternaryInto(e, dst, dt);
    }
    if (dt.kind === 'tuple' && e.kind === 'Tuple') {
      this.zero(dst, dsize);
      e.elements.forEach((x, i) => this.valueInto(x, { base: dst.base, off: dst.off + dt.offsets[i]! }, dt.elems[i]!));
      return;
    }
    if (e.kind === 'Builtin' && e.name === 'func' && dt.kind === 'symbol') {
      // usym: the address and the pid it belongs to.
      const ip = this.builtin(e);
      b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 8, value: ip });
      const pt = b.reg();
      b.emit({ op: 'call', helper: Helper.get_current_pid_tgid, args: [], dst: pt });
      const pid = b.reg();
      b.emit({ op: 'alu', alu: 'rsh', dst: pid, a: pt, b: 32n });
      b.emit({ op: 'store', addr: dst.base, off: dst.off + 8, size: 8, value: pid });
      return;
    }
    if (dt.kind === 'stack' && dt.space === 'user' && ((e.kind === 'Builtin' && e.name === 'ustack') || (e.kind === 'Call' && e.name === 'ustack'))) {
      // ustack: [stack id, pid] (user addresses need the process to be symbolised).
      const id = this.stackId(t as StackType);
      b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 8, value: id });
      const pt = b.reg();
      b.emit({ op: 'call', helper: Helper.get_current_pid_tgid, args: [], dst: pt });
      const pid = b.reg();
      b.emit({ op: 'alu', alu: 'rsh', dst: pid, a: pt, b: 32n });
      b.emit({ op: 'store', addr: dst.base, off: dst.off + 8, size: 8, value: pid });
      return;
    }
    if (e.kind === 'Call' && e.name === 'ntop') {
      this.ntopInto(e, dst);
      return;
    }
    if (e.kind === 'Call' && (e.name === 'strftime' || e.name === 'cgroup_path')) {
      // strftime: [u64 format index, u64 boot ns]; cgroup_path: [u64 cgroup id, u64 filter index].
      const a = this.a;
      const lit = (x: Expr | undefined, dflt: string) => (x && x.kind === 'String' ? x.value : dflt);
      if (e.name === 'strftime') {
        const v = this.int(e.args[1]!);
        b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 8, value: BigInt(a.strftimeFormats.indexOf(lit(e.args[0], ''))) });
        b.emit({ op: 'store', addr: dst.base, off: dst.off + 8, size: 8, value: v });
      } else {
        const v = this.int(e.args[0]!);
        b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 8, value: v });
        b.emit({ op: 'store', addr: dst.base, off: dst.off + 8, size: 8, value: BigInt(a.cgroupPathFilters.indexOf(lit(e.args[1], '*'))) });
      }
      return;
    }
    if (e.kind === 'Call' && e.name === 'pton') {
      // The address bytes, known at compile time (sema/system-calls.ts keeps them with the strings).
      this.storeBytes(dst, this.unit.strings.get(e) ?? new Uint8Array(0), dsize);
      return;
    }
    if (e.kind === 'Call' && e.name === 'path' && dt.kind === 'string') {
      this.pathInto(e, dst, dsize);
      return;
    }
    if (e.kind === 'Call' && e.name === 'macaddr') {
      this.zero(dst, dsize);
      this.bytesInto(e.args[0]!, dst, 6);
      return;
    }
    if (e.kind === 'Call' && e.name === 'buf' && dt.kind === 'buffer') {
      this.bufInto(e, dst, dt.size);
      return;
    }
    if (e.kind === 'Call' && e.name === 'usym') {
      const v = this.int(e.args[0]!);
      b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 8, value: v });
      const pt = b.reg();
      b.emit({ op: 'call', helper: Helper.get_current_pid_tgid, args: [], dst: pt });
      const pid = b.reg();
      b.emit({ op: 'alu', alu: 'rsh', dst: pid, a: pt, b: 32n });
      b.emit({ op: 'store', addr: dst.base, off: dst.off + 8, size: 8, value: pid });
      return;
    }
    if (e.kind === 'Ternary') return this.ternaryInto(e, dst, dt);
    if (this.inMemory(e) && t.kind !== 'string' && sizeOf(t) === dsize) {
      // A struct or array out of kernel/user memory: read straight into its destination.
      const w = this.where(e);
      this.checkedCall(this.readHelper(w.space), [this.addr(dst), { imm: BigInt(dsize) }, this.addr({ base: { reg: w.reg }, off: w.off })]);
      return;
    }
    const src = this.mem(e);
    this.convertMem(src, t, dst, dt);
  }

  /** Copies a memory value of type `st` into `dst` of type `dt` (strings resized, tuples per element). */
  private convertMem(src: Mem, st: SType, dst: Mem, dt: SType): void {
    if (st.kind === 'string' && dt.kind === 'string') {
      const n = Math.min(st.size, dt.size);
      this.copy(dst, src, n);
      if (dt.size > n) this.zero({ base: dst.base, off: dst.off + n }, dt.size - n);
      else if (st.size > dt.size) this.b.emit({ op: 'store', addr: dst.base, off: dst.off + dt.size - 1, size: 1, value: 0n });
      return;
    }
    if (st.kind === 'tuple' && dt.kind === 'tuple' && (st.size !== dt.size || st.offsets.some((o, i) => o !== dt.offsets[i]))) {
      this.zero(dst, dt.size);
      st.elems.forEach((et, i) => {
        const s = { base: src.base, off: src.off + st.offsets[i]! };
        const d = { base: dst.base, off: dst.off + dt.offsets[i]! };
        const dte = dt.elems[i]!;
        if (isScalar(dte)) {
          const v = this.loadInt(s, et);
          this.b.emit({ op: 'store', addr: d.base, off: d.off, size: (dte.kind === 'int' ? dte.size : 8) as 1 | 2 | 4 | 8, value: this.convert(v, dte, et) });
        } else this.convertMem(s, et, d, dte);
      });
      return;
    }
    this.copy(dst, src, Math.min(sizeOf(st), sizeOf(dt)));
    if (sizeOf(dt) > sizeOf(st)) this.zero({ base: dst.base, off: dst.off + sizeOf(st) }, sizeOf(dt) - sizeOf(st));
  }

  /** ntop([af,] addr): [u64 address family, 16 address bytes]. */
  private ntopInto(c: Call, dst: Mem): void {
    const b = this.b;
    const addr = c.args[c.args.length - 1]!;
    const at = this.type(addr);
    let af: VReg | bigint = at.kind === 'int' || sizeOf(at) === 4 ? 2n : 10n;
    if (c.args.length === 2) af = this.int(c.args[0]!);
    this.zero({ base: dst.base, off: dst.off + 8 }, 16);
    if (at.kind === 'int') {
      const v = this.int(addr);
      b.emit({ op: 'store', addr: dst.base, off: dst.off + 8, size: 4, value: v });
    } else {
      this.bytesInto(addr, { base: dst.base, off: dst.off + 8 }, sizeOf(at));
    }
    b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 8, value: af });
  }

  /** `n` bytes of an array/string value, or read through a pointer. */
  private bytesInto(e: Expr, dst: Mem, n: number): void {
    const t = this.type(e);
    if (t.kind === 'pointer' || t.kind === 'int') {
      const p = this.int(e);
      this.checkedCall(this.readHelper(this.spaceOf(t)), [this.addr(dst), { imm: BigInt(n) }, { reg: p }]);
      return;
    }
    const src = this.mem(e);
    this.copy(dst, src, Math.min(n, sizeOf(t)));
  }

  /** buf(x [, n]): u32 length, then `size` bytes (zero past the length). */
  private bufInto(c: Call, dst: Mem, size: number): void {
    const b = this.b;
    const x = c.args[0]!;
    const t = this.type(x);
    const data: Mem = { base: dst.base, off: dst.off + 4 };
    this.zero(data, size);
    if (t.kind === 'array' || t.kind === 'string') {
      const src = this.mem(x);
      const n = c.args[1] ? Math.min(size, Number(this.a.constInt(c.args[1]) ?? BigInt(size))) : size;
      this.copy(data, src, Math.min(n, sizeOf(t)));
      b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 4, value: BigInt(n) });
      return;
    }
    const p = this.int(x);
    const k = c.args[1] ? this.a.constInt(c.args[1]) : BigInt(size);
    let len: VReg | bigint;
    if (k !== undefined) {
      len = BigInt(Math.min(size, Number(k)));
    } else {
      // min(n, size), unsigned: a length the verifier can bound.
      const r = b.reg();
      b.emit({ op: 'mov', dst: r, src: this.int(c.args[1]!) });
      const big = b.newBlock();
      const ok = b.newBlock();
      b.terminate({ op: 'br', cmp: 'gt', a: r, b: BigInt(size), then: big.id, else: ok.id });
      b.setBlock(big);
      b.emit({ op: 'const', dst: r, value: BigInt(size) });
      b.jmp(ok);
      b.setBlock(ok);
      len = r;
    }
    this.checkedCall(this.readHelper(this.spaceOf(t)), [this.addr(data), typeof len === 'bigint' ? { imm: len } : { reg: len }, { reg: p }]);
    b.emit({ op: 'store', addr: dst.base, off: dst.off, size: 4, value: len });
  }

  /** str(p [, n]) into a buffer of `size` bytes: zeroed, then bpf_probe_read_*_str. */
  private strInto(c: Call, dst: Mem, size: number): void {
    const b = this.b;
    const pt = this.type(c.args[0]!);
    if (pt.kind === 'string') {
      const src = this.mem(c.args[0]!);
      this.convertMem(src, pt, dst, { kind: 'string', size });
      return;
    }
    const p = this.int(c.args[0]!);
    const space = this.spaceOf(pt);
    let len: Value = { imm: BigInt(size) };
    if (c.args[1]) {
      const n = this.a.constInt(c.args[1]);
      if (n !== undefined) {
        len = { imm: BigInt(Math.min(size, Number(BigInt.asUintN(64, n + 1n)))) };
      } else {
        // min(n + 1, size), unsigned, as bpftrace: the verifier sees a bounded length.
        const v = this.int(c.args[1]);
        const r = b.reg();
        b.emit({ op: 'alu', alu: 'add', dst: r, a: v, b: 1n });
        const big = b.newBlock();
        const ok = b.newBlock();
        b.terminate({ op: 'br', cmp: 'gt', a: r, b: BigInt(size), then: big.id, else: ok.id });
        b.setBlock(big);
        b.emit({ op: 'const', dst: r, value: BigInt(size) });
        b.jmp(ok);
        b.setBlock(ok);
        len = { reg: r };
      }
    }
    this.zero(dst, size);
    this.checkedCall(this.readHelper(space, true), [this.addr(dst), len, { reg: p }]);
  }

  private addr(m: Mem): Value {
    if ('obj' in m.base) return { obj: m.base.obj, off: m.off };
    if (m.off === 0) return { reg: m.base.reg };
    const r = this.b.reg();
    this.b.emit({ op: 'alu', alu: 'add', dst: r, a: m.base.reg, b: BigInt(m.off) });
    return { reg: r };
  }

  /** Stores constant bytes, NUL-padded to `size`. */
  private storeBytes(dst: Mem, bytes: Uint8Array, size: number): void {
    const buf = new Uint8Array(size);
    buf.set(bytes.slice(0, size));
    let i = 0;
    while (i < size) {
      const w = chunk(dst.off + i, dst.off + i, size - i);
      let v = 0n;
      for (let k = w - 1; k >= 0; k--) v = (v << 8n) | BigInt(buf[i + k]!);
      this.b.emit({ op: 'store', addr: dst.base, off: dst.off + i, size: w, value: w === 8 ? BigInt.asIntN(64, v) : v });
      i += w;
    }
  }

  private zero(dst: Mem, len: number): void {
    if (len <= 0) return;
    if ('obj' in dst.base) {
      this.b.emit({ op: 'zero', obj: dst.base.obj, off: dst.off, len });
      return;
    }
    let i = 0;
    while (i < len) {
      const w = chunk(dst.off + i, dst.off + i, len - i);
      this.b.emit({ op: 'store', addr: dst.base, off: dst.off + i, size: w, value: 0n });
      i += w;
    }
  }

  /** Copies with loads and stores as wide as the alignment of both sides allows. */
  private copy(dst: Mem, src: Mem, len: number): void {
    let i = 0;
    while (i < len) {
      const w = chunk(dst.off + i, src.off + i, len - i);
      const r = this.b.reg();
      this.b.emit({ op: 'load', dst: r, addr: src.base, off: src.off + i, size: w });
      this.b.emit({ op: 'store', addr: dst.base, off: dst.off + i, size: w, value: r });
      i += w;
    }
  }

  // ─── calls as statements ───────────────────────────────────────────────────

  /** The key expressions of delete(@m, k) / has_key(@m, k) (sema's keyArgs). */
  private callKeys(c: Call): Expr[] {
    const k = c.args[1]!;
    return this.unit.callKeys.get(c) ?? (k.kind === 'Tuple' ? k.elements : [k]);
  }

  /** has_key(@m, k): 1 when the key is in the map (this CPU's slot exists for per-CPU maps). */
  private hasKey(c: Call): VReg {
    const b = this.b;
    const l = this.layout((c.args[0] as MapRef).name);
    const key = this.mapKey(l, this.callKeys(c));
    const p = this.lookup(l, key);
    const r = b.reg();
    b.emit({ op: 'const', dst: r, value: 0n });
    const yes = b.newBlock();
    const done = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: done.id, else: yes.id });
    b.setBlock(yes);
    b.emit({ op: 'const', dst: r, value: 1n });
    b.jmp(done);
    b.setBlock(done);
    return r;
  }

  /** len(@m): bpf_for_each_map_elem with a callback that counts (one per program, shared). */
  private mapLen(c: Call): VReg {
    const b = this.b;
    const name = `${this.name}_count`;
    if (!this.subprograms.some((f) => f.name === name)) {
      const cb = new FnBuilder(name);
      const params = [cb.reg(), cb.reg(), cb.reg(), cb.reg()];
      const n = cb.reg();
      cb.emit({ op: 'load', dst: n, addr: { reg: params[3]! }, off: 0, size: 8 });
      cb.emit({ op: 'alu', alu: 'add', dst: n, a: n, b: 1n });
      cb.emit({ op: 'store', addr: { reg: params[3]! }, off: 0, size: 8, value: n });
      cb.terminate({ op: 'ret', value: 0n });
      this.subprograms.push(cb.finish(params));
    }
    const count = b.obj(8, 8, `len(${(c.args[0] as MapRef).name})`, c.span);
    b.emit({ op: 'store', addr: { obj: count }, off: 0, size: 8, value: 0n });
    const fd = this.mapFd(this.layout((c.args[0] as MapRef).name));
    const fa = b.reg();
    b.emit({ op: 'funcaddr', dst: fa, func: name });
    b.emit({ op: 'call', helper: Helper.for_each_map_elem, args: [{ reg: fd }, { reg: fa }, { obj: count, off: 0 }, { imm: 0n }] });
    const r = b.reg();
    b.emit({ op: 'load', dst: r, addr: { obj: count }, off: 0, size: 8 });
    return r;
  }

  /** Statement-level calls; false when the call is an ordinary value. */
  private callStmt(c: Call): boolean {
    const b = this.b;
    switch (c.name) {
      case 'printf': case 'system': case 'cat': {
        const fmt = c.args[0] as Expr & { kind: 'String' };
        const types = c.args.slice(1).map((x) => this.type(x));
        const { args, size } = recordLayout(types);
        const pending = c.args.slice(1).map((x, i) => this.pending(x, args[i]!.type));
        const ev: EventDef = c.name === 'printf'
          ? { kind: 'printf', format: fmt.value, args, size, span: c.span }
          : { kind: c.name as 'system' | 'cat', format: fmt.value, args, size };
        const id = this.ctx.events.add(ev);
        this.emitRecord(id, size, (rec) => pending.forEach((p, i) => this.writePending(p, { base: rec.base, off: args[i]!.offset }, args[i]!.type)));
        return true;
      }
      case 'print': {
        const a0 = c.args[0]!;
        if (a0.kind === 'Map') {
          const top = c.args[1] ? Number(this.a.constInt(c.args[1]) ?? 0n) : 0;
          const div = c.args[2] ? Number(this.a.constInt(c.args[2]) ?? 0n) : 0;
          this.emitRecord(this.ctx.events.add({ kind: 'print_map', map: a0.name, top, div }), EVENT_HEADER, () => {});
          return true;
        }
        const { args, size } = recordLayout([this.type(a0)]);
        const p = this.pending(a0, args[0]!.type);
        const id = this.ctx.events.add({ kind: 'print_value', args, size });
        this.emitRecord(id, size, (rec) => this.writePending(p, { base: rec.base, off: args[0]!.offset }, args[0]!.type));
        return true;
      }
      case 'clear': case 'zero': {
        const m = (c.args[0] as MapRef).name;
        this.wrote(m);
        this.emitRecord(this.ctx.events.add(c.name === 'clear' ? { kind: 'clear_map', map: m } : { kind: 'zero_map', map: m }), EVENT_HEADER, () => {});
        return true;
      }
      case 'time': {
        const format = c.args[0] && c.args[0].kind === 'String' ? c.args[0].value : '%H:%M:%S\n';
        this.emitRecord(this.ctx.events.add({ kind: 'time', format }), EVENT_HEADER, () => {});
        return true;
      }
      case 'join': {
        this.join(c);
        return true;
      }
      case 'debugf':
        this.debugf(c);
        return true;
      case 'exit': {
        if (c.args.length === 1) {
          const code = this.int(c.args[0]!);
          this.emitRecord(this.ctx.events.add({ kind: 'exit', code: true }), EVENT_HEADER + 8, (rec) => {
            b.emit({ op: 'store', addr: rec.base, off: rec.off + EVENT_HEADER, size: 8, value: code });
          });
        } else {
          this.emitRecord(this.ctx.events.add({ kind: 'exit' }), EVENT_HEADER, () => {});
        }
        this.returnFromProbe();
        return true;
      }
      case 'delete': {
        const a0 = c.args[0] as MapRef;
        this.wrote(a0.name);
        const keys = c.args.length === 2 ? this.callKeys(c) : a0.keys;
        const l = this.layout(a0.name);
        if (l.array) {
          // A per-CPU array entry cannot be deleted from a program; user space clears it.
          this.emitRecord(this.ctx.events.add({ kind: 'clear_map', map: a0.name }), EVENT_HEADER, () => {});
          return true;
        }
        if (l.bucketOffset !== undefined) {
          this.emitRecord(this.ctx.events.add({ kind: 'clear_map', map: a0.name }), EVENT_HEADER, () => {});
          return true;
        }
        let done: IrBlock | undefined;
        if (l.tidSlots && c.args.length === 1) {
          // This thread's slot: not present, and its value 0 (what a read of it returns).
          const slot = this.tidSlot(l, keys[0]!);
          const inSlot = b.newBlock();
          const inHash = b.newBlock();
          done = b.newBlock();
          b.terminate({ op: 'br', cmp: 'eq', a: slot, b: 0n, then: inHash.id, else: inSlot.id });
          b.setBlock(inSlot);
          if (this.checking(Helper.map_delete_elem)) {
            // -k: deleting a slot that is not present fails as the hash's delete would (ENOENT).
            const present = b.reg();
            b.emit({ op: 'load', dst: present, addr: { reg: slot }, off: 0, size: 8 });
            const absent = b.newBlock();
            const clear = b.newBlock();
            b.terminate({ op: 'br', cmp: 'eq', a: present, b: 0n, then: absent.id, else: clear.id });
            b.setBlock(absent);
            this.helperError(Helper.map_delete_elem, -2n, c.span);
            b.jmp(done);
            b.setBlock(clear);
          }
          b.emit({ op: 'store', addr: { reg: slot }, off: 0, size: 8, value: 0n });
          b.emit({ op: 'store', addr: { reg: slot }, off: 8, size: 8, value: 0n });
          b.jmp(done);
          b.setBlock(inHash);
        }
        const key = this.mapKey(l, keys);
        const fd = this.mapFd(l);
        this.checkedCall(Helper.map_delete_elem, [{ reg: fd }, this.ref(key)], c.span);
        if (done) {
          b.jmp(done);
          b.setBlock(done);
        }
        return true;
      }
      case 'override': {
        const v = this.int(c.args[0]!);
        b.emit({ op: 'call', helper: Helper.override_return, args: [{ reg: this.ctxReg() }, { reg: v }] });
        return true;
      }
      case 'unwatch': {
        const addr = this.int(c.args[0]!);
        this.emitRecord(this.ctx.events.add({ kind: 'unwatch' }), EVENT_HEADER + 8, (rec) => {
          b.emit({ op: 'store', addr: rec.base, off: rec.off + EVENT_HEADER, size: 8, value: addr });
        });
        return true;
      }
      case 'signal': {
        const a0 = c.args[0]!;
        const sig: Value = a0.kind === 'String' ? { imm: BigInt(signalNumber(a0.value)!) } : { reg: this.int(a0) };
        this.checkedCall(Helper.send_signal, [sig], c.span);
        return true;
      }
    }
    return false;
  }

  /** Evaluates a record argument now; strings that can be written straight into the record wait. */
  private pending(e: Expr, rt: SType): Pending {
    if (isScalar(rt)) return { kind: 'reg', reg: this.int(e) };
    if (rt.kind === 'string') {
      const lit = this.constString(e);
      if (lit) return { kind: 'write', write: (dst) => this.storeBytes(dst, lit.slice(0, rt.size - 1), rt.size) };
      if (e.kind === 'Builtin' && e.name === 'comm') return { kind: 'write', write: (dst) => this.valueInto(e, dst, rt) };
      // With -kk a failed read is reported, and its report must come before the record it
      // belongs to (as in bpftrace): the string is read before the record is reserved.
      if (e.kind === 'Call' && e.name === 'str' && this.type(e.args[0]!).kind !== 'string' && !this.checking(Helper.probe_read_kernel_str)) {
        // Evaluate the pointer (and length) now, read the string into the record later.
        const p = this.int(e.args[0]!);
        const n = e.args[1] ? this.int(e.args[1]) : undefined;
        const pt = this.type(e.args[0]!);
        return {
          kind: 'write',
          write: (dst) => {
            const b = this.b;
            let len: Value = { imm: BigInt(rt.size) };
            if (n !== undefined) {
              const r = b.reg();
              b.emit({ op: 'alu', alu: 'add', dst: r, a: n, b: 1n });
              const big = b.newBlock();
              const ok = b.newBlock();
              b.terminate({ op: 'br', cmp: 'gt', a: r, b: BigInt(rt.size), then: big.id, else: ok.id });
              b.setBlock(big);
              b.emit({ op: 'const', dst: r, value: BigInt(rt.size) });
              b.jmp(ok);
              b.setBlock(ok);
              len = { reg: r };
            }
            this.zero(dst, rt.size);
            b.emit({ op: 'call', helper: this.readHelper(this.spaceOf(pt), true), args: [this.addr(dst), len, { reg: p }] });
          },
        };
      }
    }
    const t = this.type(e);
    const m = this.mem(e);
    return { kind: 'write', write: (dst) => this.convertMem(m, t, dst, rt) };
  }

  private writePending(p: Pending, dst: Mem, rt: SType): void {
    if (p.kind === 'reg') {
      const size = (rt.kind === 'int' ? rt.size : 8) as 1 | 2 | 4 | 8;
      this.b.emit({ op: 'store', addr: dst.base, off: dst.off, size, value: p.reg });
    } else p.write(dst);
  }

  /** Reserves a record in the ring buffer, writes the header and the body, submits it. */
  /**
   * join(arr, sep): a printf event of JOIN_MAX strings ("%s" each, then a newline). Element i > 0
   * is the separator followed by arr[i]; the first NULL pointer empties the slots from there on.
   */
  private join(c: Call): void {
    const b = this.b;
    const pt = this.type(c.args[0]!);
    const space = this.spaceOf(pt);
    const sep = c.args[1] && c.args[1].kind === 'String' ? c.args[1].bytes : new TextEncoder().encode(' ');
    const slot = this.a.strlen;
    const types: SType[] = Array.from({ length: JOIN_MAX }, () => ({ kind: 'string', size: slot }));
    const { args, size } = recordLayout(types);
    const arr = this.int(c.args[0]!);
    const id = this.ctx.events.add({ kind: 'printf', format: `${'%s'.repeat(JOIN_MAX)}\n`, args, size, span: c.span, join: true });
    const read = this.readHelper(space);
    const readStr = this.readHelper(space, true);
    this.emitRecord(id, size, (rec) => {
      const tmp = b.obj(8, 8, 'join() element');
      const end = b.newBlock();
      for (let i = 0; i < JOIN_MAX; i++) {
        const off = args[i]!.offset;
        b.emit({ op: 'zero', obj: tmp, off: 0, len: 8 });
        const at = b.reg();
        b.emit({ op: 'alu', alu: 'add', dst: at, a: arr, b: BigInt(8 * i) });
        this.checkedCall(read, [{ obj: tmp, off: 0 }, { imm: 8n }, { reg: at }]);
        const q = b.reg();
        b.emit({ op: 'load', dst: q, addr: { obj: tmp }, off: 0, size: 8 });
        const have = b.newBlock();
        const none = b.newBlock();
        b.terminate({ op: 'br', cmp: 'eq', a: q, b: 0n, then: none.id, else: have.id });
        // The array ends here: the remaining slots print nothing.
        b.setBlock(none);
        for (let k = i; k < JOIN_MAX; k++) b.emit({ op: 'store', addr: rec.base, off: args[k]!.offset, size: 1, value: 0n });
        b.jmp(end);
        b.setBlock(have);
        const pre = i === 0 ? 0 : Math.min(sep.length, slot - 1);
        if (pre > 0) this.storeBytes({ base: rec.base, off }, sep.slice(0, pre), pre);
        const dst = this.addr({ base: rec.base, off: off + pre });
        this.checkedCall(readStr, [dst, { imm: BigInt(slot - pre) }, { reg: q }]);
      }
      b.jmp(end);
      b.setBlock(end);
    });
  }

  /**
   * debugf(fmt, a, b, c): bpf_trace_printk with the format (NUL-terminated) on the stack; integers
   * are passed as 64-bit values, strings as the address of their bytes (the kernel reads them).
   */
  private debugf(c: Call): void {
    const b = this.b;
    const fmt = c.args[0] as Expr & { kind: 'String' };
    const args: Value[] = c.args.slice(1).map((x) => {
      const t = this.type(x);
      if (isScalar(t)) return { reg: this.int(x) };
      return this.addr(this.mem(x));
    });
    const size = fmt.bytes.length + 1;
    const obj = b.obj(size, 8, 'debugf() format');
    this.storeBytes({ base: { obj }, off: 0 }, fmt.bytes, size);
    b.emit({ op: 'call', helper: Helper.trace_printk, args: [{ obj, off: 0 }, { imm: BigInt(size) }, ...args] });
  }

  /** path(p [, n]): bpf_d_path into a zeroed string buffer (fentry/fexit programs only). */
  private pathInto(c: Call, dst: Mem, size: number): void {
    const x = c.args[0]!;
    const t = this.type(x);
    // A struct path value (args.file->f_path) is passed by its address; a pointer as it is.
    const p: Value = t.kind === 'record' && this.inMemory(x)
      ? this.addr((({ reg, off }) => ({ base: { reg }, off }))(this.where(x)))
      : { reg: this.int(x) };
    this.zero(dst, size);
    this.checkedCall(Helper.d_path, [p, this.addr(dst), { imm: BigInt(size) }]);
  }

  /**
   * strcontains(h, n): 1 when the string n occurs in h. Unrolled: for each start i in h, compare
   * n's bytes (a literal needle's bytes are constants); the end of h (a NUL, or its size) stops the
   * search, the end of n (a NUL, or its size) is a match.
   */
  private strContains(c: Call): VReg {
    const b = this.b;
    const hay = c.args[0]!;
    const ndl = c.args[1]!;
    const hsize = sizeOf(this.type(hay));
    const lit = this.constString(ndl);
    const nsize = lit ? lit.length : sizeOf(this.type(ndl));
    const h = this.mem(hay);
    const n = lit ? undefined : this.mem(ndl);
    const r = b.reg();
    const found = b.newBlock();
    const notFound = b.newBlock();
    const done = b.newBlock();
    for (let i = 0; i < Math.max(hsize, 1); i++) {
      const next = b.newBlock();
      for (let j = 0; j < nsize; j++) {
        let nc: VReg | bigint;
        if (lit) nc = BigInt(lit[j]!);
        else {
          const v = b.reg();
          b.emit({ op: 'load', dst: v, addr: n!.base, off: n!.off + j, size: 1 });
          const more = b.newBlock();
          b.terminate({ op: 'br', cmp: 'eq', a: v, b: 0n, then: found.id, else: more.id });
          b.setBlock(more);
          nc = v;
        }
        if (i + j >= hsize) {
          b.jmp(notFound);
          break;
        }
        const hc = b.reg();
        b.emit({ op: 'load', dst: hc, addr: h.base, off: h.off + i + j, size: 1 });
        const same = b.newBlock();
        b.terminate({ op: 'br', cmp: 'ne', a: hc, b: nc, then: next.id, else: same.id });
        b.setBlock(same);
      }
      if (!b.isTerminated()) b.jmp(found);
      b.setBlock(next);
      if (i >= hsize) {
        b.jmp(notFound);
        break;
      }
      // The haystack ended here: no later start can match.
      const hc = b.reg();
      b.emit({ op: 'load', dst: hc, addr: h.base, off: h.off + i, size: 1 });
      const cont = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: hc, b: 0n, then: notFound.id, else: cont.id });
      b.setBlock(cont);
    }
    if (!b.isTerminated()) b.jmp(notFound);
    b.setBlock(found);
    b.emit({ op: 'const', dst: r, value: 1n });
    b.jmp(done);
    b.setBlock(notFound);
    b.emit({ op: 'const', dst: r, value: 0n });
    b.jmp(done);
    b.setBlock(done);
    return r;
  }

  private emitRecord(id: number, size: number, body: (rec: Mem) => void): void {
    const b = this.b;
    const recorder = this.ctx.recorder;
    if (recorder && RECORDED_KINDS.has(this.ctx.events.events[id]!.kind)) {
      recorder.maxRecord = Math.max(recorder.maxRecord, size);
      const key = b.obj(4, 4, 'key of .recbuf');
      b.emit({ op: 'store', addr: { obj: key }, off: 0, size: 4, value: 0n });
      const buf = this.lookup('.recbuf', key);
      const ok = b.newBlock();
      const done = b.newBlock();
      b.terminate({ op: 'br', cmp: 'eq', a: buf, b: 0n, then: done.id, else: ok.id });
      b.setBlock(ok);
      b.emit({ op: 'store', addr: { reg: buf }, off: 0, size: 4, value: BigInt(id) });
      b.emit({ op: 'store', addr: { reg: buf }, off: 4, size: 4, value: 0n });
      body({ base: { reg: buf }, off: 0 });
      const fd = this.mapFd('.recorder');
      b.emit({ op: 'call', helper: Helper.perf_event_output, args: [{ reg: this.ctxReg() }, { reg: fd }, { imm: BPF_F_CURRENT_CPU }, { reg: buf }, { imm: BigInt(size) }] });
      b.jmp(done);
      b.setBlock(done);
      return;
    }
    const fd = this.mapFd('.events');
    const rec = b.reg();
    b.emit({ op: 'call', helper: Helper.ringbuf_reserve, args: [{ reg: fd }, { imm: BigInt(size) }, { imm: 0n }], dst: rec });
    const ok = b.newBlock();
    const lost = b.newBlock();
    const done = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: rec, b: 0n, then: lost.id, else: ok.id });
    // The ring is full: count the record in this CPU's slot of '.lost' for user space to report.
    b.setBlock(lost);
    const key = b.obj(4, 4, 'key of .lost');
    b.emit({ op: 'store', addr: { obj: key }, off: 0, size: 4, value: 0n });
    const p = this.lookup('.lost', key);
    const count = b.newBlock();
    b.terminate({ op: 'br', cmp: 'eq', a: p, b: 0n, then: done.id, else: count.id });
    b.setBlock(count);
    const n = b.reg();
    b.emit({ op: 'load', dst: n, addr: { reg: p }, off: 0, size: 8 });
    b.emit({ op: 'alu', alu: 'add', dst: n, a: n, b: 1n });
    b.emit({ op: 'store', addr: { reg: p }, off: 0, size: 8, value: n });
    b.jmp(done);
    b.setBlock(ok);
    b.emit({ op: 'store', addr: { reg: rec }, off: 0, size: 4, value: BigInt(id) });
    b.emit({ op: 'store', addr: { reg: rec }, off: 4, size: 4, value: 0n });
    body({ base: { reg: rec }, off: 0 });
    b.emit({ op: 'call', helper: Helper.ringbuf_submit, args: [{ reg: rec }, { imm: 0n }] });
    b.jmp(done);
    b.setBlock(done);
  }
}

/** Widest access (8, 4, 2, 1) that is aligned at both offsets and fits in `left` bytes. */
function chunk(a: number, b: number, left: number): 1 | 2 | 4 | 8 {
  for (const w of [8, 4, 2] as const) {
    if (left >= w && a % w === 0 && b % w === 0) return w;
  }
  return 1;
}

/** Elements join() prints at most (bpftrace's limit). */
const JOIN_MAX = 16;

function describe(e: Expr): string {
  switch (e.kind) {
    case 'String': return 'string literal';
    case 'Call': return `${e.name}()`;
    case 'Builtin': return e.name;
    case 'Tuple': return 'tuple';
    default: return 'temporary';
  }
}

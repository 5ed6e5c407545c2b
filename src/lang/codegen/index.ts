/**
 * The compiler back end: IR (src/lang/ir.ts) in, eBPF instructions (src/asm) out.
 *
 * ```ts
 * const items = generate(irProgram);                      // main first, then subprograms
 * const { bytes, spans } = assemble(items, { mapFd: (name) => maps.get(name)?.fd });
 * ```
 *
 * Per function: expand IR into machine-shaped LIR (ABI moves, two-address ALU, immediates that
 * fit) → liveness → graph-colouring register allocation with spilling → stack layout by
 * liveness (objects and spill slots share bytes when never live together; StackOverflowError
 * names what is live where the frame is fullest) → block layout and emission. Every emitted
 * instruction carries the span of the IR instruction it came from.
 */
import type { AsmItem } from '../../asm/index.js';
import type { IrFunction, IrProgram } from '../ir.js';
import { buildCfg } from './cfg.js';
import { emitFunction } from './emit.js';
import { CodegenError, StackOverflowError, type StackUse } from './errors.js';
import { expand } from './expand.js';
import { layoutFrame } from './frame.js';
import { allocate } from './regalloc.js';

export { CodegenError, StackOverflowError, type StackUse } from './errors.js';

export interface GenerateOptions {
  /** Stack bytes one call chain may use (default 512, the kernel's MAX_BPF_STACK). */
  stackLimit?: number;
  /**
   * Use cpu v4 instructions (kernel 6.6+): movsx, sign-extending loads, sdiv/smod. Default
   * false: shifts and a branch-free sign fix-up instead, which every 5.x kernel accepts.
   */
  cpuV4?: boolean;
}

/** What was done to one function, for tests, `-d` output and budgets. */
export interface FunctionReport {
  name: string;
  /** Bytes of stack below r10. */
  frameSize: number;
  /** r10-relative offset of every stack object that is referenced (spill slots included). */
  offsets: Map<number, number>;
  /** Values kept in stack slots / recomputed at their uses. */
  spilled: number;
  rematerialised: number;
  /** Colouring rounds. */
  rounds: number;
  /** Most bytes of objects live at one point, and which. */
  peak: { bytes: number; objects: StackUse[] };
}

export interface Generated {
  items: AsmItem[];
  functions: FunctionReport[];
}

/**
 * Compiles an IR program: the main function first, then each subprogram it uses (directly or
 * not, by call or by address), each after a Label of its name.
 */
export function generate(p: IrProgram, opts: GenerateOptions = {}): AsmItem[] {
  return generateWithReport(p, opts).items;
}

export function generateWithReport(p: IrProgram, opts: GenerateOptions = {}): Generated {
  const limit = opts.stackLimit ?? 512;
  const cpuV4 = opts.cpuV4 === true;
  const funcs = [p.main, ...p.subprograms];
  const names = new Set<string>();
  for (const f of funcs) {
    if (names.has(f.name)) throw new CodegenError(`program ${p.name}: two functions are named ${f.name}`);
    names.add(f.name);
  }
  // Compile from main outwards; subprograms nothing calls or takes the address of are left
  // out, since the verifier rejects unreachable instructions.
  const byName = new Map(funcs.map((f) => [f.name, f]));
  const compiled = new Map<string, ReturnType<typeof compileFunction>>();
  const work = [p.main.name];
  while (work.length) {
    const name = work.pop()!;
    if (compiled.has(name)) continue;
    const f = byName.get(name)!;
    const r = compileFunction(f, limit, cpuV4, f !== p.main, byName);
    compiled.set(name, r);
    for (const c of r.callees) work.push(c);
  }
  const items: AsmItem[] = [];
  const functions: FunctionReport[] = [];
  const calls = new Map<string, Set<string>>();
  for (const f of funcs) {
    const r = compiled.get(f.name);
    if (!r) continue;
    items.push(...r.items);
    functions.push(r.report);
    calls.set(f.name, r.callees);
  }
  checkCallChains(p.main.name, functions, calls, limit);
  return { items, functions };
}

function compileFunction(
  f: IrFunction,
  limit: number,
  cpuV4: boolean,
  sub: boolean,
  funcs: Map<string, IrFunction>,
): { items: AsmItem[]; report: FunctionReport; callees: Set<string> } {
  const lf = expand(f, { cpuV4 });
  const callees = new Set<string>();
  for (const b of lf.blocks) {
    for (const i of b.insns) {
      const callee = i.k === 'call' && typeof i.target === 'string' ? i.target : i.k === 'func' ? i.func : undefined;
      if (callee === undefined) continue;
      const target = funcs.get(callee);
      if (target === undefined) throw new CodegenError(`function ${f.name} calls ${callee}, which is not in the program`, i.span);
      if (i.k === 'call' && i.nargs < target.params.length) {
        throw new CodegenError(`${callee} takes ${target.params.length} arguments; the call passes ${i.nargs}`, i.span);
      }
      callees.add(callee);
    }
  }
  const cfg = buildCfg(lf);
  const alloc = allocate(lf, cfg);
  const frame = layoutFrame(lf, cfg, limit);
  const items = emitFunction(lf, alloc.colour, frame, sub);
  return {
    items,
    callees,
    report: {
      name: f.name,
      frameSize: frame.size,
      offsets: frame.offsets,
      spilled: alloc.spilled,
      rematerialised: alloc.rematerialised,
      rounds: alloc.rounds,
      peak: { bytes: frame.peak.bytes, objects: frame.peak.objects },
    },
  };
}

/**
 * The verifier limits the stack of a whole call chain (callbacks included), each frame rounded
 * up to 16 bytes as with the JIT.
 */
function checkCallChains(main: string, fns: FunctionReport[], calls: Map<string, Set<string>>, limit: number): void {
  const frame = new Map(fns.map((f) => [f.name, Math.ceil(f.frameSize / 16) * 16]));
  const memo = new Map<string, { total: number; chain: string[] }>();
  const onPath = new Set<string>();
  const deepest = (name: string): { total: number; chain: string[] } => {
    const m = memo.get(name);
    if (m) return m;
    if (onPath.has(name)) throw new CodegenError(`function ${name} calls itself (directly or not); BPF forbids recursion`);
    onPath.add(name);
    let best = { total: 0, chain: [] as string[] };
    for (const c of calls.get(name) ?? []) {
      const d = deepest(c);
      if (d.total > best.total || best.chain.length === 0) best = d;
    }
    onPath.delete(name);
    const r = { total: frame.get(name)! + best.total, chain: [name, ...best.chain] };
    memo.set(name, r);
    return r;
  };
  const d = deepest(main);
  if (d.total > limit) {
    const objects = d.chain.map((n) => ({ name: `frame of ${n}`, size: frame.get(n)! })).sort((a, b) => b.size - a.size);
    throw new StackOverflowError(d.total, limit, objects, undefined, d.chain);
  }
}

/**
 * The back end's working form: IR expanded into machine-shaped instructions over *nodes*, before
 * registers are assigned. Nodes 0–9 are the physical registers r0–r9 (call arguments, call
 * results, return values, entry arguments are moves to/from them); nodes from NPHYS up are
 * virtual (IR vregs first, then temporaries the expansion or the spiller creates).
 *
 * Every instruction here is one eBPF instruction (or a short fixed sequence: `zero`, `copy`,
 * `addr`), already in two-address form (`d op= b`), with immediates that fit the encoding.
 * So register allocation only has to colour nodes, and emission is a table lookup.
 */
import type { AluOp, CmpOp, ObjId, StackObject } from '../ir.js';
import type { Span } from '../source.js';

export const NPHYS = 10;
export type Node = number;

/** A memory base: a register holding a pointer, or a stack object (r10 + its frame offset). */
export type Base = { reg: Node } | { obj: ObjId };

/** ALU operations in two-address form: `d op= b` (sdiv/smod only with cpu v4). */
export type LAluOp = AluOp;

export type LInsn = (
  /** d = s; `w32` zero-extends the low half (then it is not a plain copy). */
  | { k: 'mov'; d: Node; s: Node; w32?: boolean }
  /** d = v (mov imm, mov32 imm or ld_imm64 by size). */
  | { k: 'li'; d: Node; v: bigint }
  /** d op= b (register) or d op= imm; imm is a signed 32-bit integer. */
  | { k: 'alu'; op: LAluOp; d: Node; b: Node | null; imm: number; w32: boolean }
  | { k: 'neg'; d: Node; w32: boolean }
  /** d = (sN) s (cpu v4 movsx). */
  | { k: 'movsx'; d: Node; s: Node; bits: 8 | 16 | 32 }
  /** d = be<bits>(d): byte swap to big endian, truncating. */
  | { k: 'be'; d: Node; bits: 16 | 32 | 64 }
  /** d = *(size *)(base + off); `sx` sign-extends (cpu v4). */
  | { k: 'ld'; d: Node; base: Base; off: number; size: 1 | 2 | 4 | 8; sx?: boolean }
  /** *(size *)(base + off) = s (register) or imm. */
  | { k: 'st'; base: Base; off: number; size: 1 | 2 | 4 | 8; s: Node | null; imm: number }
  /** d = r10 + offset of obj + off. */
  | { k: 'addr'; d: Node; obj: ObjId; off: number }
  | { k: 'mapfd'; d: Node; map: string }
  | { k: 'func'; d: Node; func: string }
  /** Helper (number) or subprogram (name) call: uses r1..r<nargs>, clobbers r0–r5. */
  | { k: 'call'; target: number | string; nargs: number }
  | { k: 'atomic'; base: Base; off: number; size: 4 | 8; s: Node }
  | { k: 'zero'; obj: ObjId; off: number; len: number }
  /** Unrolled copy into a stack object through the scratch node `t` (written before src is last read). */
  | { k: 'copy'; obj: ObjId; off: number; src: Base; srcOff: number; len: number; t: Node }
) & { span?: Span };

export type LTerm = (
  /** `unlikely`: a successor not to lay out as the fall-through (e.g. a helper returned NULL). */
  | { k: 'br'; cmp: CmpOp; a: Node; b: Node | null; imm: number; w32: boolean; then: number; else: number; unlikely?: 'then' | 'else' }
  | { k: 'jmp'; to: number }
  /** exit; r0 holds the value (a `mov r0, …` precedes it). */
  | { k: 'ret' }
) & { span?: Span };

export interface LBlock {
  /** IR block id, or -1 for the prologue. */
  id: number;
  insns: LInsn[];
  term: LTerm;
}

export interface LFunc {
  name: string;
  /** Block 0 is the prologue (entry moves), the function starts there. */
  blocks: LBlock[];
  /** One more than the highest node in use; grows as the spiller adds temporaries. */
  nodeCount: number;
  /** Stack objects by id: the IR's, then spill slots added by the allocator. */
  objects: Map<ObjId, StackObject>;
  /** Spill slot ids (subset of objects). */
  spillSlots: Set<ObjId>;
  /** Temporaries that must never be spilled (scratch registers of copy, spill reload temps). */
  unspillable: Set<Node>;
  /** The IR function's vreg count, to translate node numbers back for messages. */
  vregCount: number;
}

/** Scratch space for usesOf/defsOf (an instruction has at most 6 of either). */
export const scratch = (): Int32Array => new Int32Array(8);

/** Writes the nodes an instruction reads into `out`; returns how many. */
export function usesOf(i: LInsn | LTerm, out: Int32Array): number {
  switch (i.k) {
    case 'mov':
    case 'movsx':
      out[0] = i.s;
      return 1;
    case 'alu':
      out[0] = i.d;
      if (i.b === null) return 1;
      out[1] = i.b;
      return 2;
    case 'neg':
    case 'be':
      out[0] = i.d;
      return 1;
    case 'ld':
      if (!('reg' in i.base)) return 0;
      out[0] = i.base.reg;
      return 1;
    case 'st': {
      let n = 0;
      if ('reg' in i.base) out[n++] = i.base.reg;
      if (i.s !== null) out[n++] = i.s;
      return n;
    }
    case 'atomic': {
      let n = 0;
      if ('reg' in i.base) out[n++] = i.base.reg;
      out[n++] = i.s;
      return n;
    }
    case 'copy':
      if (!('reg' in i.src)) return 0;
      out[0] = i.src.reg;
      return 1;
    case 'call':
      for (let r = 1; r <= i.nargs; r++) out[r - 1] = r;
      return i.nargs;
    case 'br':
      out[0] = i.a;
      if (i.b === null) return 1;
      out[1] = i.b;
      return 2;
    case 'ret':
      out[0] = 0;
      return 1;
    default:
      return 0;
  }
}

/** Writes the nodes an instruction writes into `out`; returns how many. */
export function defsOf(i: LInsn | LTerm, out: Int32Array): number {
  switch (i.k) {
    case 'mov':
    case 'li':
    case 'alu':
    case 'neg':
    case 'movsx':
    case 'be':
    case 'ld':
    case 'addr':
    case 'mapfd':
    case 'func':
      out[0] = i.d;
      return 1;
    case 'copy':
      out[0] = i.t;
      return 1;
    case 'call':
      for (let r = 0; r <= 5; r++) out[r] = r;
      return 6;
    default:
      return 0;
  }
}

/** A plain register copy, which the allocator tries to make disappear. */
export function isCopy(i: LInsn): i is Extract<LInsn, { k: 'mov' }> {
  return i.k === 'mov' && !i.w32;
}

/** Successor block indices of a terminator. */
export function successors(t: LTerm): number[] {
  switch (t.k) {
    case 'br':
      return t.then === t.else ? [t.then] : [t.then, t.else];
    case 'jmp':
      return [t.to];
    case 'ret':
      return [];
  }
}

/** The instruction with every node renamed through `f` (uses and defs alike). */
export function renameNodes<T extends LInsn | LTerm>(i: T, f: (n: Node) => Node): T {
  const base = (b: Base): Base => ('reg' in b ? { reg: f(b.reg) } : b);
  const x = i as LInsn | LTerm;
  let out: LInsn | LTerm;
  switch (x.k) {
    case 'mov':
    case 'movsx':
      out = { ...x, d: f(x.d), s: f(x.s) };
      break;
    case 'li':
    case 'neg':
    case 'be':
    case 'addr':
    case 'mapfd':
    case 'func':
      out = { ...x, d: f(x.d) };
      break;
    case 'alu':
      out = { ...x, d: f(x.d), b: x.b === null ? null : f(x.b) };
      break;
    case 'ld':
      out = { ...x, d: f(x.d), base: base(x.base) };
      break;
    case 'st':
      out = { ...x, base: base(x.base), s: x.s === null ? null : f(x.s) };
      break;
    case 'atomic':
      out = { ...x, base: base(x.base), s: f(x.s) };
      break;
    case 'copy':
      out = { ...x, src: base(x.src), t: f(x.t) };
      break;
    case 'br':
      out = { ...x, a: f(x.a), b: x.b === null ? null : f(x.b) };
      break;
    default:
      out = x;
  }
  return out as T;
}

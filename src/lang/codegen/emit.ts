/**
 * Emission: blocks laid out in chains so that most branches fall through, then every LIR
 * instruction turned into eBPF instructions with the registers the allocator chose and the
 * frame offsets the stack layout chose. Jumps name labels; `assemble` resolves them.
 */
import {
  Add, Add32, And, And32, Arsh, Arsh32, AtomicAdd, Call, Div, Div32, Endian, Exit, Ja,
  JEq, JEq32, JGe, JGe32, JGt, JGt32, JLe, JLe32, JLt, JLt32, JNe, JNe32, JSet, JSet32,
  JSGe, JSGe32, JSGt, JSGt32, JSLe, JSLe32, JSLt, JSLt32, Label, LdFunc, LdImm64, LdMapFd, Ldx, Ldxs,
  Lsh, Lsh32, Mod, Mod32, Mov, Mov32, Movsx, Mul, Mul32, Neg, Neg32, Or, Or32, R10, Rsh, Rsh32,
  SDiv, SDiv32, SMod, SMod32, St, Stx, Sub, Sub32, Xor, Xor32,
  type AluBuilder, type AsmItem, type Insn, type JmpBuilder, type Reg,
} from '../../asm/index.js';
import type { AluOp, CmpOp } from '../ir.js';
import type { Span } from '../source.js';
import { CodegenError } from './errors.js';
import { fitsS32 } from './expand.js';
import type { Frame } from './frame.js';
import type { Base, LFunc, LInsn, LTerm, Node } from './lir.js';

const ALU64: Record<AluOp, AluBuilder> = {
  add: Add, sub: Sub, mul: Mul, div: Div, sdiv: SDiv, mod: Mod, smod: SMod,
  and: And, or: Or, xor: Xor, lsh: Lsh, rsh: Rsh, arsh: Arsh,
};
const ALU32: Record<AluOp, AluBuilder> = {
  add: Add32, sub: Sub32, mul: Mul32, div: Div32, sdiv: SDiv32, mod: Mod32, smod: SMod32,
  and: And32, or: Or32, xor: Xor32, lsh: Lsh32, rsh: Rsh32, arsh: Arsh32,
};
const JMP64: Record<CmpOp, JmpBuilder> = {
  eq: JEq, ne: JNe, gt: JGt, ge: JGe, lt: JLt, le: JLe, sgt: JSGt, sge: JSGe, slt: JSLt, sle: JSLe, set: JSet,
};
const JMP32: Record<CmpOp, JmpBuilder> = {
  eq: JEq32, ne: JNe32, gt: JGt32, ge: JGe32, lt: JLt32, le: JLe32, sgt: JSGt32, sge: JSGe32, slt: JSLt32, sle: JSLe32, set: JSet32,
};
const INVERSE: Partial<Record<CmpOp, CmpOp>> = {
  eq: 'ne', ne: 'eq', gt: 'le', le: 'gt', ge: 'lt', lt: 'ge', sgt: 'sle', sle: 'sgt', sge: 'slt', slt: 'sge',
};

/** The block chain order: from the start, each block followed by its preferred successor. */
export function layoutBlocks(f: LFunc, fwd: (b: number) => number): number[] {
  const n = f.blocks.length;
  const placed = new Uint8Array(n);
  const order: number[] = [];
  const start = fwd(0);
  // Visit in DFS preorder from the start so that chains begin where control arrives first.
  const visit: number[] = [];
  const seen = new Uint8Array(n);
  const stack = [start];
  while (stack.length) {
    const b = stack.pop()!;
    if (seen[b]) continue;
    seen[b] = 1;
    visit.push(b);
    const t = f.blocks[b]!.term;
    const succ = t.k === 'br' ? [fwd(t.else), fwd(t.then)] : t.k === 'jmp' ? [fwd(t.to)] : [];
    for (const s of succ) if (!seen[s]) stack.push(s);
  }
  for (const b0 of visit) {
    let b = b0;
    while (b >= 0 && !placed[b]) {
      placed[b] = 1;
      order.push(b);
      const t = f.blocks[b]!.term;
      if (t.k === 'jmp') b = fwd(t.to);
      else if (t.k === 'br') {
        const th = fwd(t.then);
        const el = fwd(t.else);
        // Fall into `then` (branching on the inverse) unless the test cannot be inverted or
        // `then` is the unlikely side (a NULL check of what a helper returned).
        const elseFirst = t.cmp === 'set' || t.unlikely === 'then';
        const first = elseFirst ? el : th;
        const second = elseFirst ? th : el;
        b = !placed[first] ? first : !placed[second] ? second : -1;
      } else b = -1;
    }
  }
  return order;
}

export function emitFunction(f: LFunc, colour: Int8Array, frame: Frame, withLabel: boolean): AsmItem[] {
  const blocks = f.blocks;
  // A block with nothing but `jmp` is a forwarder: jumps to it go straight to its target.
  const fwdCache = new Int32Array(blocks.length).fill(-1);
  const fwd = (b: number): number => {
    if (fwdCache[b]! >= 0) return fwdCache[b]!;
    let x = b;
    const seen = new Set<number>();
    for (;;) {
      const blk = blocks[x]!;
      if (blk.insns.length !== 0 || blk.term.k !== 'jmp' || seen.has(x)) break;
      seen.add(x);
      x = blk.term.to;
    }
    fwdCache[b] = x;
    return x;
  };
  const order = layoutBlocks(f, fwd);
  const labelOf = (b: number): string => `${f.name}.bb${blocks[b]!.id < 0 ? 'entry' : blocks[b]!.id}`;
  const targeted = new Set<number>();
  const bodies: AsmItem[][] = [];
  const R = (n: Node): Reg => {
    const c = colour[n]!;
    if (c < 0) throw new CodegenError(`function ${f.name}: node ${n} has no register`);
    return c as Reg;
  };
  const objOff = (obj: number, off: number, span?: Span): number => {
    const o = frame.offsets.get(obj);
    if (o === undefined) throw new CodegenError(`function ${f.name}: stack object #${obj} has no place in the frame`, span);
    return o + off;
  };
  const mem = (b: Base, off: number, span?: Span): [Reg, number] =>
    'reg' in b ? [R(b.reg), off] : [R10, objOff(b.obj, off, span)];

  order.forEach((b, k) => {
    const out: AsmItem[] = [];
    const blk = blocks[b]!;
    for (const i of blk.insns) insn(i, out);
    const next = k + 1 < order.length ? order[k + 1]! : -1;
    term(blk.term, next, out);
    bodies.push(out);
  });

  const items: AsmItem[] = [];
  if (withLabel) items.push(Label(f.name));
  order.forEach((b, k) => {
    if (targeted.has(b)) items.push(Label(labelOf(b)));
    for (const it of bodies[k]!) items.push(it);
  });
  return items;

  function insn(i: LInsn, out: AsmItem[]): void {
    // Builders return fresh records: setting the span in place is safe.
    const put = (x: Insn): void => {
      if (i.span) x.span = i.span;
      out.push(x);
    };
    switch (i.k) {
      case 'mov':
        if (i.w32) put(Mov32.reg(R(i.d), R(i.s)));
        else if (R(i.d) !== R(i.s)) put(Mov.reg(R(i.d), R(i.s)));
        return;
      case 'li':
        put(loadImm(R(i.d), i.v));
        return;
      case 'alu': {
        const t = i.w32 ? ALU32[i.op] : ALU64[i.op];
        put(i.b === null ? t.imm(R(i.d), i.imm) : t.reg(R(i.d), R(i.b)));
        return;
      }
      case 'neg':
        put(i.w32 ? Neg32(R(i.d)) : Neg(R(i.d)));
        return;
      case 'movsx':
        put(Movsx(R(i.d), R(i.s), i.bits));
        return;
      case 'be':
        put(Endian.be(R(i.d), i.bits));
        return;
      case 'ld': {
        const [r, off] = mem(i.base, i.off, i.span);
        put(i.sx && i.size < 8 ? Ldxs(i.size as 1 | 2 | 4, R(i.d), r, off) : Ldx(i.size, R(i.d), r, off));
        return;
      }
      case 'st': {
        const [r, off] = mem(i.base, i.off, i.span);
        put(i.s === null ? St(i.size, r, off, i.imm) : Stx(i.size, r, off, R(i.s)));
        return;
      }
      case 'addr': {
        const d = R(i.d);
        put(Mov.reg(d, R10));
        put(Add.imm(d, objOff(i.obj, i.off, i.span)));
        return;
      }
      case 'mapfd':
        put(LdMapFd(R(i.d), i.map));
        return;
      case 'func':
        put(LdFunc(R(i.d), i.func));
        return;
      case 'call':
        put(typeof i.target === 'number' ? Call.helper(i.target) : Call.local(i.target));
        return;
      case 'atomic': {
        const [r, off] = mem(i.base, i.off, i.span);
        put(AtomicAdd(i.size, r, off, R(i.s)));
        return;
      }
      case 'zero': {
        // Stack accesses must be naturally aligned: widest store the address allows.
        let at = objOff(i.obj, i.off, i.span);
        let left = i.len;
        while (left > 0) {
          const w = widest(at, left);
          put(St(w, R10, at, 0));
          at += w;
          left -= w;
        }
        return;
      }
      case 'copy': {
        let dst = objOff(i.obj, i.off, i.span);
        const [sr, s0] = mem(i.src, i.srcOff, i.span);
        let src = s0;
        let left = i.len;
        const t = R(i.t);
        while (left > 0) {
          // A register source is assumed 8-byte aligned (map values are), so its offset decides.
          const w = Math.min(widest(dst, left), widest(src, left)) as 1 | 2 | 4 | 8;
          put(Ldx(w, t, sr, src));
          put(Stx(w, R10, dst, t));
          dst += w;
          src += w;
          left -= w;
        }
        return;
      }
    }
  }

  function term(t: LTerm, next: number, out: AsmItem[]): void {
    const put = (x: Insn): void => {
      if (t.span) x.span = t.span;
      out.push(x);
    };
    const jump = (b: number): string => {
      targeted.add(b);
      return labelOf(b);
    };
    switch (t.k) {
      case 'ret':
        put(Exit());
        return;
      case 'jmp': {
        const to = fwd(t.to);
        if (to !== next) put(Ja(jump(to)));
        return;
      }
      case 'br': {
        const th = fwd(t.then);
        const el = fwd(t.else);
        if (th === el) {
          if (th !== next) put(Ja(jump(th)));
          return;
        }
        const cond = (cmp: CmpOp, to: number): Insn => {
          const b = t.w32 ? JMP32[cmp] : JMP64[cmp];
          return t.b === null ? b.imm(R(t.a), t.imm, jump(to)) : b.reg(R(t.a), R(t.b), jump(to));
        };
        const inv = INVERSE[t.cmp];
        if (th === next && inv !== undefined) {
          put(cond(inv, el));
          return;
        }
        put(cond(t.cmp, th));
        if (el !== next) put(Ja(jump(el)));
        return;
      }
    }
  }
}

function widest(at: number, left: number): 1 | 2 | 4 | 8 {
  for (const w of [8, 4, 2] as const) if (left >= w && at % w === 0) return w;
  return 1;
}

/** mov for sign-extended 32-bit values, mov32 for other 32-bit unsigned ones, else ld_imm64. */
export function loadImm(d: Reg, v: bigint): Insn {
  const s = BigInt.asIntN(64, v);
  if (fitsS32(s)) return Mov.imm(d, Number(s));
  if (s >= 0n && s < 1n << 32n) return Mov32.imm(d, Number(s));
  return LdImm64(d, s);
}

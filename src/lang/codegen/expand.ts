/**
 * IR → LIR: every IR operation becomes machine-shaped instructions over nodes (see lir.ts).
 * Here the BPF ABI becomes explicit moves (arguments into r1–r5, results out of r0, entry
 * arguments out of r1–r5), three-address ALU operations become `mov d, a; d op= b`, immediates
 * that do not fit an instruction are materialised, and operations older kernels lack
 * (signed division, sign-extending moves and loads) are expanded into shifts and masks.
 */
import type { Addr, AluOp, IrBlock, IrFunction, IrInsn, StackObject, Terminator, VReg } from '../ir.js';
import type { Span } from '../source.js';
import { CodegenError } from './errors.js';
import { NPHYS, type Base, type LBlock, type LFunc, type LInsn, type LTerm, type Node } from './lir.js';

export interface ExpandOptions {
  /** Use cpu v4 instructions (movsx, sign-extending loads, sdiv/smod). */
  cpuV4: boolean;
}

const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;
export const fitsS32 = (v: bigint): boolean => v >= S32_MIN && v <= S32_MAX;

const SHIFTS: ReadonlySet<AluOp> = new Set(['lsh', 'rsh', 'arsh']);

export function expand(f: IrFunction, opts: ExpandOptions): LFunc {
  const byId = new Map<number, IrBlock>();
  for (const b of f.blocks) {
    if (byId.has(b.id)) throw new CodegenError(`function ${f.name}: block bb${b.id} is defined twice`);
    byId.set(b.id, b);
  }
  if (!byId.has(f.entry)) throw new CodegenError(`function ${f.name}: entry block bb${f.entry} does not exist`);
  const objects = new Map<number, StackObject>();
  for (const o of f.objects) {
    if (objects.has(o.id)) throw new CodegenError(`function ${f.name}: stack object #${o.id} is defined twice`, o.span);
    if (!Number.isInteger(o.size) || o.size < 0) throw new CodegenError(`stack object ${o.name} has size ${o.size}`, o.span);
    if (o.align !== 1 && o.align !== 2 && o.align !== 4 && o.align !== 8) {
      throw new CodegenError(`stack object ${o.name} has alignment ${o.align}, not 1, 2, 4 or 8`, o.span);
    }
    objects.set(o.id, o);
  }

  // Only blocks reachable from the entry are emitted: the verifier rejects unreachable code.
  const index = new Map<number, number>();
  const stack = [f.entry];
  const seen = new Set<number>([f.entry]);
  while (stack.length) {
    const id = stack.pop()!;
    const b = byId.get(id)!;
    const t = b.term;
    const succ = t.op === 'br' ? [t.else, t.then] : t.op === 'jmp' ? [t.to] : [];
    for (const s of succ) {
      if (!byId.has(s)) throw new CodegenError(`function ${f.name}: bb${b.id} jumps to bb${s}, which does not exist`, t.span);
      if (!seen.has(s)) {
        seen.add(s);
        stack.push(s);
      }
    }
  }
  // Keep the IR's own order among reachable blocks (lowering emits them in source order).
  const reachable = f.blocks.filter((b) => seen.has(b.id));
  reachable.forEach((b, i) => index.set(b.id, i + 1));

  let next = NPHYS + f.vregCount;
  const unspillable = new Set<Node>();
  const temp = (): Node => next++;
  const vr = (v: VReg, span?: Span): Node => {
    if (!Number.isInteger(v) || v < 0 || v >= f.vregCount) {
      throw new CodegenError(`function ${f.name}: virtual register %${v} is out of range (vregCount ${f.vregCount})`, span);
    }
    return NPHYS + v;
  };
  const obj = (id: number, off: number, len: number, span?: Span): StackObject => {
    const o = objects.get(id);
    if (o === undefined) throw new CodegenError(`function ${f.name}: stack object #${id} does not exist`, span);
    if (!Number.isInteger(off) || off < 0 || off + len > o.size) {
      throw new CodegenError(`access to bytes ${off}..${off + len} of ${o.name} (${o.size} bytes) is out of bounds`, span);
    }
    return o;
  };

  const usesCtx = reachable.some((b) => b.insns.some((i) => i.op === 'ctx'));
  // Values helpers return: a test of one against 0 is a NULL (or error) check, rarely taken.
  const returned = new Set<VReg>();
  for (const b of reachable) for (const i of b.insns) if ((i.op === 'call' || i.op === 'calllocal') && i.dst !== undefined) returned.add(i.dst);
  const ctxNode = usesCtx ? temp() : -1;

  const blocks: LBlock[] = [];
  // Prologue: entry arguments out of r1–r5, before anything can clobber them.
  const pro: LInsn[] = [];
  if (f.params.length > 5) throw new CodegenError(`function ${f.name} takes ${f.params.length} arguments; BPF allows 5`);
  f.params.forEach((p, i) => pro.push({ k: 'mov', d: vr(p), s: i + 1 }));
  if (usesCtx) pro.push({ k: 'mov', d: ctxNode, s: 1 });
  blocks.push({ id: -1, insns: pro, term: { k: 'jmp', to: index.get(f.entry)! } });

  for (const b of reachable) {
    const out: LInsn[] = [];
    const emit = (i: LInsn): void => {
      out.push(i);
    };
    for (const i of b.insns) expandInsn(i, emit);
    const term = expandTerm(b.term, emit);
    blocks.push({ id: b.id, insns: out, term });
  }

  return {
    name: f.name,
    blocks,
    nodeCount: next,
    objects,
    spillSlots: new Set(),
    unspillable,
    vregCount: f.vregCount,
  };

  // --- helpers (closures over the function's state) ---------------------------------------

  function base(a: Addr, off: number, size: number, span?: Span): Base {
    if ('reg' in a) return { reg: vr(a.reg, span) };
    obj(a.obj, off, size, span);
    return { obj: a.obj };
  }

  function li(d: Node, v: bigint, emit: (i: LInsn) => void, span?: Span): void {
    emit({ k: 'li', d, v: BigInt.asIntN(64, v), span });
  }

  function expandInsn(i: IrInsn, emit: (i: LInsn) => void): void {
    const s = i.span;
    switch (i.op) {
      case 'const':
        li(vr(i.dst, s), i.value, emit, s);
        return;
      case 'mov':
        emit({ k: 'mov', d: vr(i.dst, s), s: vr(i.src, s), span: s });
        return;
      case 'alu':
        alu(i.alu, vr(i.dst, s), vr(i.a, s), typeof i.b === 'bigint' ? i.b : vr(i.b, s), i.w32 === true, emit, s);
        return;
      case 'neg': {
        const d = vr(i.dst, s);
        emit({ k: 'mov', d, s: vr(i.a, s), span: s });
        emit({ k: 'neg', d, w32: false, span: s });
        return;
      }
      case 'sext': {
        const d = vr(i.dst, s);
        if (opts.cpuV4) {
          emit({ k: 'movsx', d, s: vr(i.a, s), bits: i.bits, span: s });
        } else {
          emit({ k: 'mov', d, s: vr(i.a, s), span: s });
          emit({ k: 'alu', op: 'lsh', d, b: null, imm: 64 - i.bits, w32: false, span: s });
          emit({ k: 'alu', op: 'arsh', d, b: null, imm: 64 - i.bits, w32: false, span: s });
        }
        return;
      }
      case 'zext': {
        const d = vr(i.dst, s);
        if (i.bits === 32) {
          emit({ k: 'mov', d, s: vr(i.a, s), w32: true, span: s });
        } else {
          emit({ k: 'mov', d, s: vr(i.a, s), span: s });
          emit({ k: 'alu', op: 'and', d, b: null, imm: i.bits === 8 ? 0xff : 0xffff, w32: false, span: s });
        }
        return;
      }
      case 'bswap': {
        const d = vr(i.dst, s);
        emit({ k: 'mov', d, s: vr(i.a, s), span: s });
        emit({ k: 'be', d, bits: i.bits, span: s });
        return;
      }
      case 'load': {
        const d = vr(i.dst, s);
        const b = base(i.addr, i.off, i.size, s);
        checkOff(i.off, s);
        if (i.signed === true && i.size < 8) {
          if (opts.cpuV4) {
            emit({ k: 'ld', d, base: b, off: i.off, size: i.size, sx: true, span: s });
          } else {
            const sh = 64 - i.size * 8;
            emit({ k: 'ld', d, base: b, off: i.off, size: i.size, span: s });
            emit({ k: 'alu', op: 'lsh', d, b: null, imm: sh, w32: false, span: s });
            emit({ k: 'alu', op: 'arsh', d, b: null, imm: sh, w32: false, span: s });
          }
        } else {
          emit({ k: 'ld', d, base: b, off: i.off, size: i.size, span: s });
        }
        return;
      }
      case 'store': {
        const b = base(i.addr, i.off, i.size, s);
        checkOff(i.off, s);
        if (typeof i.value === 'bigint') {
          const v = i.size === 8 ? BigInt.asIntN(64, i.value) : BigInt.asIntN(32, BigInt.asUintN(i.size * 8, i.value));
          if (fitsS32(v)) {
            emit({ k: 'st', base: b, off: i.off, size: i.size, s: null, imm: Number(v), span: s });
          } else {
            const t = temp();
            li(t, v, emit, s);
            emit({ k: 'st', base: b, off: i.off, size: i.size, s: t, imm: 0, span: s });
          }
        } else {
          emit({ k: 'st', base: b, off: i.off, size: i.size, s: vr(i.value, s), imm: 0, span: s });
        }
        return;
      }
      case 'addr':
        obj(i.obj, i.off, 0, s);
        emit({ k: 'addr', d: vr(i.dst, s), obj: i.obj, off: i.off, span: s });
        return;
      case 'mapfd':
        emit({ k: 'mapfd', d: vr(i.dst, s), map: i.map, span: s });
        return;
      case 'ctx':
        emit({ k: 'mov', d: vr(i.dst, s), s: ctxNode, span: s });
        return;
      case 'funcaddr':
        emit({ k: 'func', d: vr(i.dst, s), func: i.func, span: s });
        return;
      case 'call':
      case 'calllocal': {
        if (i.args.length > 5) throw new CodegenError(`a call takes at most 5 arguments, not ${i.args.length}`, s);
        // Registers first (they may die here, freeing their registers), constants and addresses last.
        i.args.forEach((a, n) => {
          if ('reg' in a) emit({ k: 'mov', d: n + 1, s: vr(a.reg, s), span: s });
        });
        i.args.forEach((a, n) => {
          if ('imm' in a) li(n + 1, a.imm, emit, s);
          else if ('obj' in a) {
            obj(a.obj, a.off, 0, s);
            emit({ k: 'addr', d: n + 1, obj: a.obj, off: a.off, span: s });
          }
        });
        const target = i.op === 'call' ? i.helper : i.func;
        emit({ k: 'call', target, nargs: i.args.length, span: s });
        if (i.dst !== undefined) emit({ k: 'mov', d: vr(i.dst, s), s: 0, span: s });
        return;
      }
      case 'atomic_add': {
        const b = base(i.addr, i.off, i.size, s);
        checkOff(i.off, s);
        emit({ k: 'atomic', base: b, off: i.off, size: i.size, s: vr(i.value, s), span: s });
        return;
      }
      case 'zero':
        obj(i.obj, i.off, i.len, s);
        if (i.len > 0) emit({ k: 'zero', obj: i.obj, off: i.off, len: i.len, span: s });
        return;
      case 'copy': {
        obj(i.obj, i.off, i.len, s);
        const src = base(i.src, i.srcOff, i.len, s);
        checkOff(i.srcOff + i.len, s);
        if (i.len > 0) {
          const t = temp();
          unspillable.add(t);
          emit({ k: 'copy', obj: i.obj, off: i.off, src, srcOff: i.srcOff, len: i.len, t, span: s });
        }
        return;
      }
      default: {
        const never: never = i;
        throw new CodegenError(`unknown IR operation ${(never as { op: string }).op}`);
      }
    }
  }

  function alu(op: AluOp, d: Node, a: Node, b: Node | bigint, w32: boolean, emit: (i: LInsn) => void, span?: Span): void {
    if (typeof b === 'bigint') {
      let v = w32 ? BigInt.asIntN(32, b) : BigInt.asIntN(64, b);
      // The machine masks shift counts of registers the same way; an immediate too large is refused.
      if (SHIFTS.has(op)) v &= w32 ? 31n : 63n;
      if (v === 0n && (op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod')) {
        // BPF defines x / 0 = 0 and x % 0 = x; the verifier refuses a constant zero divisor.
        if (op === 'div' || op === 'sdiv') li(d, 0n, emit, span);
        else emit({ k: 'mov', d, s: a, ...(w32 ? { w32: true } : {}), span: span });
        return;
      }
      if ((op === 'sdiv' || op === 'smod') && !opts.cpuV4) {
        if (v > 0n && fitsS32(v)) return signedDiv(op, d, a, v, w32, emit, span);
        const t = temp();
        li(t, v, emit, span);
        return signedDiv(op, d, a, t, w32, emit, span);
      }
      if (fitsS32(v)) {
        if (d !== a) emit({ k: 'mov', d, s: a, span: span });
        emit({ k: 'alu', op, d, b: null, imm: Number(v), w32, span: span });
        return;
      }
      const t = temp();
      li(t, v, emit, span);
      b = t;
    }
    if ((op === 'sdiv' || op === 'smod') && !opts.cpuV4) return signedDiv(op, d, a, b, w32, emit, span);
    if (b === d && a !== d) {
      // d = a - d: writing d first would destroy the right operand.
      const t = temp();
      emit({ k: 'mov', d: t, s: a, span: span });
      emit({ k: 'alu', op, d: t, b, imm: 0, w32, span: span });
      emit({ k: 'mov', d, s: t, span: span });
      return;
    }
    if (d !== a) emit({ k: 'mov', d, s: a, span: span });
    emit({ k: 'alu', op, d, b, imm: 0, w32, span: span });
  }

  /**
   * Signed division without cpu v4: divide magnitudes unsigned, then fix the sign with
   * (q ^ m) - m, m being the sign mask. Branch-free; matches sdiv/smod including x/0 = 0,
   * x%0 = x and INT_MIN / -1 = INT_MIN.
   */
  function signedDiv(op: 'sdiv' | 'smod', d: Node, a: Node, b: Node | bigint, w32: boolean, emit: (i: LInsn) => void, span?: Span): void {
    const sh = w32 ? 31 : 63;
    const un = op === 'sdiv' ? 'div' : 'mod';
    // y: a node, or an immediate wrapped in an array (nodes are numbers too).
    const A = (o: AluOp, x: Node, y: Node | [number]): void => {
      emit(Array.isArray(y) ? { k: 'alu', op: o, d: x, b: null, imm: y[0], w32, span: span } : { k: 'alu', op: o, d: x, b: y, imm: 0, w32, span: span });
    };
    const ta = temp();
    const sa = temp();
    emit({ k: 'mov', d: ta, s: a, span: span });
    emit({ k: 'mov', d: sa, s: a, span: span });
    A('arsh', sa, [sh]);
    A('xor', ta, sa);
    A('sub', ta, sa);
    if (typeof b === 'bigint') {
      A(un, ta, [Number(b)]);
    } else {
      const tb = temp();
      const sb = temp();
      emit({ k: 'mov', d: tb, s: b, span: span });
      emit({ k: 'mov', d: sb, s: b, span: span });
      A('arsh', sb, [sh]);
      A('xor', tb, sb);
      A('sub', tb, sb);
      A(un, ta, tb);
      if (op === 'sdiv') A('xor', sa, sb);
    }
    A('xor', ta, sa);
    A('sub', ta, sa);
    emit({ k: 'mov', d, s: ta, span: span });
  }

  function expandTerm(t: Terminator, emit: (i: LInsn) => void): LTerm {
    const s = t.span;
    switch (t.op) {
      case 'br': {
        const a = vr(t.a, s);
        let b: Node | null = null;
        let imm = 0;
        if (typeof t.b === 'bigint') {
          const v = t.w32 ? BigInt.asIntN(32, t.b) : BigInt.asIntN(64, t.b);
          if (fitsS32(v)) imm = Number(v);
          else {
            b = temp();
            li(b, v, emit, s);
          }
        } else b = vr(t.b, s);
        const nullCheck = b === null && imm === 0 && (t.cmp === 'eq' || t.cmp === 'ne') && returned.has(t.a);
        const unlikely = nullCheck ? (t.cmp === 'eq' ? 'then' : 'else') : undefined;
        return { k: 'br', cmp: t.cmp, a, b, imm, w32: t.w32 === true, then: index.get(t.then)!, else: index.get(t.else)!, span: s, ...(unlikely ? { unlikely } : {}) };
      }
      case 'jmp':
        return { k: 'jmp', to: index.get(t.to)!, span: s };
      case 'ret':
        if (typeof t.value === 'bigint') li(0, t.value, emit, s);
        else emit({ k: 'mov', d: 0, s: vr(t.value, s), span: s });
        return { k: 'ret', span: s };
    }
  }
}

function checkOff(off: number, span?: Span): void {
  if (!Number.isInteger(off) || off < -0x8000 || off > 0x7fff) {
    throw new CodegenError(`memory offset ${off} does not fit in an instruction's 16-bit offset`, span);
  }
}

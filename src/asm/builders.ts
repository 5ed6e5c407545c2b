/**
 * Builders: one small function per eBPF instruction, returning a plain `Insn` record.
 *
 * Conventions:
 * - Memory access sizes are byte widths: 1 | 2 | 4 | 8 (u8, u16, u32, u64).
 * - Argument order follows the C expression: `Ldx(size, dst, src, off)` is
 *   `dst = *(size *)(src + off)`, `Stx(size, dst, off, src)` is `*(size *)(dst + off) = src`.
 * - A jump target is a label name (resolved by `assemble`) or a number: a raw offset in 8-byte
 *   slots relative to the next instruction, used as is.
 * - Immediates accept -2^31 .. 2^32-1; unsigned values are stored as their signed 32-bit twin
 *   (0xffffffff becomes -1), matching what the instruction holds.
 */
import { AsmError } from './errors.js';
import type { Insn, MemSize, Reg } from './insn.js';
import {
  AluOp,
  AtomicOp,
  Class,
  Endianness,
  JmpOp,
  LD_IMM64,
  Mode,
  PseudoCall,
  PseudoJcond,
  PseudoLd,
  Size,
  Source,
} from './opcodes.js';

/** Jump target: a label, or a raw slot offset relative to the next instruction. */
export type Target = string | number;

function imm32(v: number, what = 'immediate'): number {
  if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0xffff_ffff) {
    throw new AsmError('operand-range', `${what} ${v} does not fit in 32 bits`);
  }
  return v | 0;
}

function off16(v: number, what = 'offset'): number {
  if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) {
    throw new AsmError('operand-range', `${what} ${v} does not fit in a signed 16-bit field`);
  }
  return v;
}

function sizeField(size: MemSize): number {
  switch (size) {
    case 1:
      return Size.B;
    case 2:
      return Size.H;
    case 4:
      return Size.W;
    case 8:
      return Size.DW;
    default:
      throw new AsmError('operand-range', `access size ${String(size)} is not 1, 2, 4 or 8 bytes`);
  }
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Insn {
  return { code, dst, src, off, imm };
}

/** A jump whose displacement lives in `off`. */
function offJump(code: number, dst: number, src: number, imm: number, target: Target): Insn {
  if (typeof target === 'number') return insn(code, dst, src, off16(target, 'jump offset'), imm);
  return { code, dst, src, off: 0, imm, target };
}

/** A jump/call whose displacement lives in `imm`. */
function immJump(code: number, dst: number, src: number, off: number, target: Target): Insn {
  if (typeof target === 'number') return insn(code, dst, src, off, imm32(target, 'jump offset'));
  return { code, dst, src, off, imm: 0, target };
}

// ---------------------------------------------------------------------------------------------
// ALU

export interface AluBuilder {
  /** `dst op= imm` */
  imm(dst: Reg, imm: number): Insn;
  /** `dst op= src` */
  reg(dst: Reg, src: Reg): Insn;
}

function alu(cls: number, op: number, off = 0): AluBuilder {
  return {
    imm: (dst, imm) => insn(cls | op | Source.K, dst, 0, off, imm32(imm)),
    reg: (dst, src) => insn(cls | op | Source.X, dst, src, off, 0),
  };
}

export const Add = alu(Class.ALU64, AluOp.ADD);
export const Sub = alu(Class.ALU64, AluOp.SUB);
export const Mul = alu(Class.ALU64, AluOp.MUL);
export const Div = alu(Class.ALU64, AluOp.DIV);
/** Signed division (cpu v4): DIV with off = 1. */
export const SDiv = alu(Class.ALU64, AluOp.DIV, 1);
export const Mod = alu(Class.ALU64, AluOp.MOD);
/** Signed modulo (cpu v4): MOD with off = 1. */
export const SMod = alu(Class.ALU64, AluOp.MOD, 1);
export const Or = alu(Class.ALU64, AluOp.OR);
export const And = alu(Class.ALU64, AluOp.AND);
export const Lsh = alu(Class.ALU64, AluOp.LSH);
export const Rsh = alu(Class.ALU64, AluOp.RSH);
export const Arsh = alu(Class.ALU64, AluOp.ARSH);
export const Xor = alu(Class.ALU64, AluOp.XOR);
export const Mov = alu(Class.ALU64, AluOp.MOV);

export const Add32 = alu(Class.ALU, AluOp.ADD);
export const Sub32 = alu(Class.ALU, AluOp.SUB);
export const Mul32 = alu(Class.ALU, AluOp.MUL);
export const Div32 = alu(Class.ALU, AluOp.DIV);
export const SDiv32 = alu(Class.ALU, AluOp.DIV, 1);
export const Mod32 = alu(Class.ALU, AluOp.MOD);
export const SMod32 = alu(Class.ALU, AluOp.MOD, 1);
export const Or32 = alu(Class.ALU, AluOp.OR);
export const And32 = alu(Class.ALU, AluOp.AND);
export const Lsh32 = alu(Class.ALU, AluOp.LSH);
export const Rsh32 = alu(Class.ALU, AluOp.RSH);
export const Arsh32 = alu(Class.ALU, AluOp.ARSH);
export const Xor32 = alu(Class.ALU, AluOp.XOR);
export const Mov32 = alu(Class.ALU, AluOp.MOV);

/** `dst = -dst` (64-bit). */
export function Neg(dst: Reg): Insn {
  return insn(Class.ALU64 | AluOp.NEG | Source.K, dst, 0, 0, 0);
}

/** `wdst = -wdst` (32-bit). */
export function Neg32(dst: Reg): Insn {
  return insn(Class.ALU | AluOp.NEG | Source.K, dst, 0, 0, 0);
}

/** `dst = (s8|s16|s32) src`, sign-extending to 64 bits (cpu v4). */
export function Movsx(dst: Reg, src: Reg, bits: 8 | 16 | 32): Insn {
  if (bits !== 8 && bits !== 16 && bits !== 32) {
    throw new AsmError('operand-range', `movsx width ${String(bits)} is not 8, 16 or 32`);
  }
  return insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src, bits, 0);
}

/** `wdst = (s8|s16) wsrc`, sign-extending to 32 bits, upper half zeroed (cpu v4). */
export function Movsx32(dst: Reg, src: Reg, bits: 8 | 16): Insn {
  if (bits !== 8 && bits !== 16) {
    throw new AsmError('operand-range', `movsx32 width ${String(bits)} is not 8 or 16`);
  }
  return insn(Class.ALU | AluOp.MOV | Source.X, dst, src, bits, 0);
}

export type SwapWidth = 16 | 32 | 64;

function swapWidth(bits: SwapWidth): number {
  if (bits !== 16 && bits !== 32 && bits !== 64) {
    throw new AsmError('operand-range', `byte swap width ${String(bits)} is not 16, 32 or 64`);
  }
  return bits;
}

/** Host-to-little / host-to-big endian conversion, truncating to `bits`. */
export const Endian = {
  le: (dst: Reg, bits: SwapWidth): Insn =>
    insn(Class.ALU | AluOp.END | Endianness.TO_LE, dst, 0, 0, swapWidth(bits)),
  be: (dst: Reg, bits: SwapWidth): Insn =>
    insn(Class.ALU | AluOp.END | Endianness.TO_BE, dst, 0, 0, swapWidth(bits)),
};

/** Unconditional byte swap of the low `bits` (cpu v4; ALU64 | END). */
export function Bswap(dst: Reg, bits: SwapWidth): Insn {
  return insn(Class.ALU64 | AluOp.END, dst, 0, 0, swapWidth(bits));
}

// ---------------------------------------------------------------------------------------------
// Jumps and calls

export interface JmpBuilder {
  /** `if dst op imm goto target` */
  imm(dst: Reg, imm: number, target: Target): Insn;
  /** `if dst op src goto target` */
  reg(dst: Reg, src: Reg, target: Target): Insn;
}

function jmp(cls: number, op: number): JmpBuilder {
  return {
    imm: (dst, imm, target) => offJump(cls | op | Source.K, dst, 0, imm32(imm), target),
    reg: (dst, src, target) => offJump(cls | op | Source.X, dst, src, 0, target),
  };
}

export const JEq = jmp(Class.JMP, JmpOp.JEQ);
export const JNe = jmp(Class.JMP, JmpOp.JNE);
export const JGt = jmp(Class.JMP, JmpOp.JGT);
export const JGe = jmp(Class.JMP, JmpOp.JGE);
export const JLt = jmp(Class.JMP, JmpOp.JLT);
export const JLe = jmp(Class.JMP, JmpOp.JLE);
export const JSGt = jmp(Class.JMP, JmpOp.JSGT);
export const JSGe = jmp(Class.JMP, JmpOp.JSGE);
export const JSLt = jmp(Class.JMP, JmpOp.JSLT);
export const JSLe = jmp(Class.JMP, JmpOp.JSLE);
export const JSet = jmp(Class.JMP, JmpOp.JSET);

export const JEq32 = jmp(Class.JMP32, JmpOp.JEQ);
export const JNe32 = jmp(Class.JMP32, JmpOp.JNE);
export const JGt32 = jmp(Class.JMP32, JmpOp.JGT);
export const JGe32 = jmp(Class.JMP32, JmpOp.JGE);
export const JLt32 = jmp(Class.JMP32, JmpOp.JLT);
export const JLe32 = jmp(Class.JMP32, JmpOp.JLE);
export const JSGt32 = jmp(Class.JMP32, JmpOp.JSGT);
export const JSGe32 = jmp(Class.JMP32, JmpOp.JSGE);
export const JSLt32 = jmp(Class.JMP32, JmpOp.JSLT);
export const JSLe32 = jmp(Class.JMP32, JmpOp.JSLE);
export const JSet32 = jmp(Class.JMP32, JmpOp.JSET);

/** `goto target` with a 16-bit offset (the assembler widens it to gotol when out of range). */
export function Ja(target: Target): Insn {
  return offJump(Class.JMP | JmpOp.JA, 0, 0, 0, target);
}

/** `gotol target`: JMP32 | JA with the displacement in imm (cpu v4). */
export function Ja32(target: Target): Insn {
  return immJump(Class.JMP32 | JmpOp.JA, 0, 0, 0, target);
}

/** `may_goto target`: jump once the kernel's loop budget runs out (JMP | JCOND). */
export function MayGoto(target: Target): Insn {
  return offJump(Class.JMP | JmpOp.JCOND, 0, PseudoJcond.MAY_GOTO, 0, target);
}

export const Call = {
  /** Call a BPF helper by id, e.g. `Call.helper(Helper.map_lookup_elem)`. */
  helper: (id: number): Insn => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, imm32(id, 'helper id')),
  /** bpf-to-bpf call of the subprogram at `target` (src = BPF_PSEUDO_CALL, imm = pc-relative). */
  local: (target: Target): Insn => immJump(Class.JMP | JmpOp.CALL, 0, PseudoCall.CALL, 0, target),
  /**
   * Call a kernel function by BTF id (src = BPF_PSEUDO_KFUNC_CALL). `btfFdIndex` selects the
   * module BTF in the program's fd_array; 0 means vmlinux.
   */
  kfunc: (btfId: number, btfFdIndex = 0): Insn =>
    insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC_CALL, off16(btfFdIndex, 'BTF fd index'), imm32(btfId, 'BTF id')),
};

/** Return r0 to the caller. */
export function Exit(): Insn {
  return insn(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0);
}

// ---------------------------------------------------------------------------------------------
// Memory

/** `dst = *(u<size*8> *)(src + off)` */
export function Ldx(size: MemSize, dst: Reg, src: Reg, off: number): Insn {
  return insn(Class.LDX | Mode.MEM | sizeField(size), dst, src, off16(off), 0);
}

/** `dst = *(s<size*8> *)(src + off)`, sign-extending (cpu v4). */
export function Ldxs(size: 1 | 2 | 4, dst: Reg, src: Reg, off: number): Insn {
  if (size !== 1 && size !== 2 && size !== 4) {
    throw new AsmError('operand-range', `sign-extending load size ${String(size)} is not 1, 2 or 4 bytes`);
  }
  return insn(Class.LDX | Mode.MEMSX | sizeField(size), dst, src, off16(off), 0);
}

/** `*(u<size*8> *)(dst + off) = src` */
export function Stx(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
  return insn(Class.STX | Mode.MEM | sizeField(size), dst, src, off16(off), 0);
}

/** `*(u<size*8> *)(dst + off) = imm` */
export function St(size: MemSize, dst: Reg, off: number, imm: number): Insn {
  return insn(Class.ST | Mode.MEM | sizeField(size), dst, 0, off16(off), imm32(imm));
}

/** `dst = value`, a 16-byte ld_imm64. Negative values are stored as their 64-bit two's complement. */
export function LdImm64(dst: Reg, value: bigint | number): Insn {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new AsmError('operand-range', `64-bit immediate ${value} is not a safe integer; pass a bigint`);
  }
  const big = BigInt(value);
  if (big < -(1n << 63n) || big >= 1n << 64n) {
    throw new AsmError('operand-range', `immediate ${big} does not fit in 64 bits`);
  }
  const imm64 = BigInt.asUintN(64, big);
  return { code: LD_IMM64, dst, src: PseudoLd.IMM, off: 0, imm: Number(BigInt.asIntN(32, imm64)), imm64 };
}

/** `dst = map` (BPF_PSEUDO_MAP_FD); the fd is filled in by `assemble`. */
export function LdMapFd(dst: Reg, name: string): Insn {
  return { code: LD_IMM64, dst, src: PseudoLd.MAP_FD, off: 0, imm: 0, mapRef: { name, kind: 'fd' } };
}

/** `dst = &map.value[0] + offset` (BPF_PSEUDO_MAP_VALUE, direct value access). */
export function LdMapValue(dst: Reg, name: string, offset = 0): Insn {
  return {
    code: LD_IMM64,
    dst,
    src: PseudoLd.MAP_VALUE,
    off: 0,
    imm: 0,
    mapRef: { name, kind: 'value', offset: imm32(offset, 'map value offset') },
  };
}

/** `dst = &subprog` (BPF_PSEUDO_FUNC), a callback for bpf_loop / for_each_map_elem. */
export function LdFunc(dst: Reg, target: Target): Insn {
  const base = immJump(LD_IMM64, dst, PseudoLd.FUNC, 0, target);
  return { ...base, imm64: BigInt(base.imm >>> 0) };
}

/** `dst = &ksym` for the kernel variable with this BTF id (BPF_PSEUDO_BTF_ID). */
export function LdBtfId(dst: Reg, btfId: number): Insn {
  const imm = imm32(btfId, 'BTF id');
  return { code: LD_IMM64, dst, src: PseudoLd.BTF_ID, off: 0, imm, imm64: BigInt(imm >>> 0) };
}

/** Legacy packet access: `r0 = *(size *)skb[imm]` (socket filters only). */
export function LdAbs(size: 1 | 2 | 4, imm: number): Insn {
  if (size === (8 as number)) throw new AsmError('operand-range', 'LD_ABS has no 8-byte form');
  return insn(Class.LD | Mode.ABS | sizeField(size), 0, 0, 0, imm32(imm));
}

/** Legacy packet access: `r0 = *(size *)skb[src + imm]`. */
export function LdInd(size: 1 | 2 | 4, src: Reg, imm: number): Insn {
  if (size === (8 as number)) throw new AsmError('operand-range', 'LD_IND has no 8-byte form');
  return insn(Class.LD | Mode.IND | sizeField(size), 0, src, 0, imm32(imm));
}

// ---------------------------------------------------------------------------------------------
// Atomics: STX | ATOMIC | size, the operation in imm. Only 4- and 8-byte widths exist.

export interface AtomicOptions {
  /** Also load the previous memory value into `src`. */
  fetch?: boolean;
}

function atomicSize(size: 4 | 8): number {
  if (size !== 4 && size !== 8) {
    throw new AsmError('operand-range', `atomic access size ${String(size)} is not 4 or 8 bytes`);
  }
  return sizeField(size);
}

function atomic(op: number) {
  return (size: 4 | 8, dst: Reg, off: number, src: Reg, opts: AtomicOptions = {}): Insn =>
    insn(Class.STX | Mode.ATOMIC | atomicSize(size), dst, src, off16(off), op | (opts.fetch ? AtomicOp.FETCH : 0));
}

/** `lock *(size *)(dst + off) += src` (with fetch: `src = atomic_fetch_add(...)`). */
export const AtomicAdd = atomic(AtomicOp.ADD);
export const AtomicOr = atomic(AtomicOp.OR);
export const AtomicAnd = atomic(AtomicOp.AND);
export const AtomicXor = atomic(AtomicOp.XOR);

/** `src = xchg(*(size *)(dst + off), src)` */
export function Xchg(size: 4 | 8, dst: Reg, off: number, src: Reg): Insn {
  return insn(Class.STX | Mode.ATOMIC | atomicSize(size), dst, src, off16(off), AtomicOp.XCHG);
}

/** `r0 = cmpxchg(*(size *)(dst + off), r0, src)` */
export function CmpXchg(size: 4 | 8, dst: Reg, off: number, src: Reg): Insn {
  return insn(Class.STX | Mode.ATOMIC | atomicSize(size), dst, src, off16(off), AtomicOp.CMPXCHG);
}

/** `dst = load_acquire((size *)(src + off))` (kernel 6.15+). */
export function LoadAcquire(size: MemSize, dst: Reg, src: Reg, off: number): Insn {
  return insn(Class.STX | Mode.ATOMIC | sizeField(size), dst, src, off16(off), AtomicOp.LOAD_ACQ);
}

/** `store_release((size *)(dst + off), src)` (kernel 6.15+). */
export function StoreRelease(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
  return insn(Class.STX | Mode.ATOMIC | sizeField(size), dst, src, off16(off), AtomicOp.STORE_REL);
}

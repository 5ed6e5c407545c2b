/**
 * Decoding bytes back into instruction records, and a disassembler whose text follows the
 * kernel's print_bpf_insn (kernel/bpf/disasm.c) as used by `bpftool prog dump xlated`:
 *
 *    0: (bf) r6 = r1
 *    1: (85) call bpf_get_current_pid_tgid#14
 *    2: (18) r1 = map[fd:3]
 *    4: (7b) *(u64 *)(r10 -8) = r1
 *
 * Deviations, chosen for programs that have not been loaded yet: a map ld_imm64 prints the name
 * of its `mapRef` (`map[events]`), or the raw imm as `map[fd:N]` (`map[id:N]` with
 * `mapImm: 'id'`, bpftool's spelling for dumps read back from the kernel); `call pc+N` uses
 * the imm of the call as the kernel's own disassembler does.
 */
import { assemble } from './encode.js';
import { AsmError } from './errors.js';
import type { AsmItem, Insn, SourceSpan } from './insn.js';
import { helperName } from './helpers.js';
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
  classOf,
  modeOf,
  opOf,
  sizeOf,
  sourceOf,
} from './opcodes.js';

/** Decode little-endian instruction bytes; an ld_imm64 becomes one record with `imm64`. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % 8 !== 0) {
    throw new AsmError('decode', `${bytes.length} bytes is not a whole number of 8-byte instructions`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length / 8;
  const out: Insn[] = [];
  for (let slot = 0; slot < count; slot++) {
    const p = slot * 8;
    const code = view.getUint8(p);
    const regs = view.getUint8(p + 1);
    const insn: Insn = { code, dst: regs & 0xf, src: regs >> 4, off: view.getInt16(p + 2, true), imm: view.getInt32(p + 4, true) };
    if (code === LD_IMM64) {
      if (slot + 1 >= count) {
        throw new AsmError('decode', 'ld_imm64 at the end of the program has no second half', { slot, index: out.length, insn });
      }
      const q = p + 8;
      if (view.getUint8(q) !== 0 || view.getUint8(q + 1) !== 0 || view.getInt16(q + 2, true) !== 0) {
        throw new AsmError('decode', 'second half of ld_imm64 must have zero opcode, registers and offset', {
          slot: slot + 1,
          index: out.length,
          insn,
        });
      }
      insn.imm64 = (BigInt(view.getUint32(q + 4, true)) << 32n) | BigInt(insn.imm >>> 0);
      slot++;
    }
    out.push(insn);
  }
  return out;
}

export interface FormatOptions {
  /** How to print the imm of a map ld_imm64 that has no mapRef: `map[fd:N]` (default) or `map[id:N]`. */
  mapImm?: 'fd' | 'id';
  /** Name for a kfunc call, given its BTF id; default `kernel-function`. */
  kfuncName?: (btfId: number, btfFdIndex: number) => string | undefined;
}

export interface DisasmOptions extends FormatOptions {
  /** Print `name:` lines before labelled instructions, and ` <name>` after jumps to labels. */
  labels?: boolean;
  /** Print the raw bytes under each instruction, as `bpftool ... opcodes`. */
  opcodes?: boolean;
  /** Print `; file:line:col` before the first instruction of each new source span. */
  spans?: boolean;
}

const R = (cls: number): string => (cls === Class.ALU || cls === Class.JMP32 ? 'w' : 'r');
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** printf("%+d") */
const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

const ALU_STR: Record<number, string> = {
  [AluOp.ADD]: '+=',
  [AluOp.SUB]: '-=',
  [AluOp.MUL]: '*=',
  [AluOp.DIV]: '/=',
  [AluOp.OR]: '|=',
  [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=',
  [AluOp.RSH]: '>>=',
  [AluOp.NEG]: 'neg',
  [AluOp.MOD]: '%=',
  [AluOp.XOR]: '^=',
  [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>=',
  [AluOp.END]: 'endian',
};

const JMP_STR: Record<number, string> = {
  [JmpOp.JA]: 'jmp',
  [JmpOp.JEQ]: '==',
  [JmpOp.JGT]: '>',
  [JmpOp.JLT]: '<',
  [JmpOp.JGE]: '>=',
  [JmpOp.JLE]: '<=',
  [JmpOp.JSET]: '&',
  [JmpOp.JNE]: '!=',
  [JmpOp.JSGT]: 's>',
  [JmpOp.JSLT]: 's<',
  [JmpOp.JSGE]: 's>=',
  [JmpOp.JSLE]: 's<=',
  [JmpOp.CALL]: 'call',
  [JmpOp.EXIT]: 'exit',
};

const ATOMIC_NAME: Record<number, string> = {
  [AtomicOp.ADD]: 'add',
  [AtomicOp.AND]: 'and',
  [AtomicOp.OR]: 'or',
  [AtomicOp.XOR]: 'xor',
};

function ldst(code: number): string {
  switch (sizeOf(code)) {
    case Size.W:
      return 'u32';
    case Size.H:
      return 'u16';
    case Size.B:
      return 'u8';
    default:
      return 'u64';
  }
}

function ldsx(code: number): string {
  switch (sizeOf(code)) {
    case Size.W:
      return 's32';
    case Size.H:
      return 's16';
    case Size.B:
      return 's8';
    default:
      return 'BUG';
  }
}

function aluText(insn: Insn): string {
  const { code, dst, src, off, imm } = insn;
  const cls = classOf(code);
  const op = opOf(code);
  const r = R(cls);
  if (op === AluOp.END) {
    if (cls === Class.ALU64) return `r${dst} = bswap${imm} r${dst}`;
    return `r${dst} = ${sourceOf(code) === Endianness.TO_BE ? 'be' : 'le'}${imm} r${dst}`;
  }
  if (op === AluOp.NEG) return `${r}${dst} = -${r}${dst}`;
  if (code === (Class.ALU64 | AluOp.MOV | Source.X) && off === 1) {
    return `r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
  }
  if (ALU_STR[op] === undefined) return `BUG_alu_${hex2(code)}`;
  const signedOp = (op === AluOp.DIV || op === AluOp.MOD) && off === 1;
  const opStr = signedOp ? (op === AluOp.DIV ? 's/=' : 's%=') : ALU_STR[op];
  if (sourceOf(code) === Source.X) {
    const movsx = op === AluOp.MOV && (off === 8 || off === 16 || off === 32) ? `(s${off})` : '';
    return `${r}${dst} ${opStr} ${movsx}${r}${src}`;
  }
  return `${r}${dst} ${opStr} ${imm}`;
}

function stxText(insn: Insn): string {
  const { code, dst, src, off, imm } = insn;
  const mem = `(${ldst(code)} *)(r${dst} ${signed(off)})`;
  if (modeOf(code) === Mode.MEM) return `*${mem} = r${src}`;
  if (modeOf(code) !== Mode.ATOMIC) return `BUG_${hex2(code)}`;
  const w = sizeOf(code) === Size.DW ? '64' : '';
  if (imm === AtomicOp.ADD || imm === AtomicOp.AND || imm === AtomicOp.OR || imm === AtomicOp.XOR) {
    return `lock *${mem} ${ALU_STR[imm]} r${src}`;
  }
  const base = imm & ~AtomicOp.FETCH;
  if (imm < 0x100 && (imm & AtomicOp.FETCH) !== 0 && ATOMIC_NAME[base] !== undefined) {
    return `r${src} = atomic${w}_fetch_${ATOMIC_NAME[base]}(${mem}, r${src})`;
  }
  if (imm === AtomicOp.CMPXCHG) return `r0 = atomic${w}_cmpxchg(${mem}, r0, r${src})`;
  if (imm === AtomicOp.XCHG) return `r${src} = atomic${w}_xchg(${mem}, r${src})`;
  if (imm === AtomicOp.LOAD_ACQ) return `r${dst} = load_acquire((${ldst(code)} *)(r${src} ${signed(off)}))`;
  if (imm === AtomicOp.STORE_REL) return `store_release(${mem}, r${src})`;
  return `BUG_${hex2(code)}`;
}

function ldImm64Text(insn: Insn, opts: FormatOptions): string {
  const { src, imm } = insn;
  const full = insn.imm64 ?? BigInt(imm >>> 0);
  const hi = Number(full >> 32n);
  const ref = insn.mapRef;
  const raw = (n: number): string => `map[${opts.mapImm === 'id' ? 'id' : 'fd'}:${n >>> 0}]`;
  switch (src) {
    case PseudoLd.MAP_FD:
      return ref ? `map[${ref.name}]` : raw(imm);
    case PseudoLd.MAP_VALUE:
      return `${ref ? `map[${ref.name}]` : raw(imm)}[0]+${ref ? (ref.offset ?? 0) >>> 0 : hi >>> 0}`;
    case PseudoLd.MAP_IDX:
      return `map[idx:${imm >>> 0}]`;
    case PseudoLd.MAP_IDX_VALUE:
      return `map[idx:${imm >>> 0}]+${hi >>> 0}`;
    case PseudoLd.FUNC:
      return `subprog[${signed(imm)}]`;
    default:
      return `0x${BigInt.asUintN(64, full).toString(16)}`;
  }
}

function ldText(insn: Insn, opts: FormatOptions): string {
  const { code, dst, src, imm } = insn;
  const mode = modeOf(code);
  if (mode === Mode.ABS) return `r0 = *(${ldst(code)} *)skb[${imm}]`;
  if (mode === Mode.IND) return `r0 = *(${ldst(code)} *)skb[r${src} + ${imm}]`;
  if (code === LD_IMM64) return `r${dst} = ${ldImm64Text(insn, opts)}`;
  return `BUG_ld_${hex2(code)}`;
}

function jmpText(insn: Insn, opts: FormatOptions): string {
  const { code, dst, src, off, imm } = insn;
  const cls = classOf(code);
  const op = opOf(code);
  if (op === JmpOp.CALL && cls === Class.JMP) {
    if (src === PseudoCall.CALL) return `call pc${signed(imm)}`;
    if (src === PseudoCall.KFUNC_CALL) {
      return `call ${opts.kfuncName?.(imm, off) ?? 'kernel-function'}#${imm}`;
    }
    return `call ${(src === PseudoCall.HELPER ? helperName(imm) : undefined) ?? 'unknown'}#${imm}`;
  }
  if (code === (Class.JMP | JmpOp.JA)) return `goto pc${signed(off)}`;
  if (code === (Class.JMP | JmpOp.JCOND) && src === PseudoJcond.MAY_GOTO) return `may_goto pc${signed(off)}`;
  if (code === (Class.JMP32 | JmpOp.JA)) return `gotol pc${signed(imm)}`;
  if (code === (Class.JMP | JmpOp.EXIT)) return 'exit';
  const opStr = JMP_STR[op];
  if (opStr === undefined || op === JmpOp.CALL || op === JmpOp.EXIT || op === JmpOp.JA) {
    return `BUG_jmp_${hex2(code)}`;
  }
  const r = R(cls);
  if (sourceOf(code) === Source.X) return `if ${r}${dst} ${opStr} ${r}${src} goto pc${signed(off)}`;
  return `if ${r}${dst} ${opStr} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
}

/** One instruction as the kernel prints it, without the index: `(bf) r6 = r1`. */
export function formatInsn(insn: Insn, opts: FormatOptions = {}): string {
  const { code } = insn;
  let text: string;
  switch (classOf(code)) {
    case Class.ALU:
    case Class.ALU64:
      text = aluText(insn);
      break;
    case Class.STX:
      text = stxText(insn);
      break;
    case Class.ST:
      text =
        modeOf(code) === Mode.MEM
          ? `*(${ldst(code)} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm}`
          : modeOf(code) === 0xc0
            ? 'nospec'
            : `BUG_st_${hex2(code)}`;
      break;
    case Class.LDX:
      text =
        modeOf(code) === Mode.MEM || modeOf(code) === Mode.MEMSX
          ? `r${insn.dst} = *(${modeOf(code) === Mode.MEM ? ldst(code) : ldsx(code)} *)(r${insn.src} ${signed(insn.off)})`
          : `BUG_ldx_${hex2(code)}`;
      break;
    case Class.LD:
      text = ldText(insn, opts);
      break;
    default:
      text = jmpText(insn, opts);
  }
  return `(${hex2(code)}) ${text}`;
}

function spanText(s: SourceSpan): string {
  return `${s.file ? `${s.file}:` : ''}${s.line}:${s.col}`;
}

function sameSpan(a: SourceSpan | undefined, b: SourceSpan | undefined): boolean {
  return a === b || (!!a && !!b && a.file === b.file && a.line === b.line && a.col === b.col);
}

/**
 * Disassemble bytes, or instruction records (laid out and label-resolved first, without map
 * fds), one line per instruction: `%4d: (code) text`, the index counting 8-byte slots.
 * Returns the text with a trailing newline (empty string for no instructions).
 */
export function disassemble(input: Uint8Array | readonly AsmItem[], opts: DisasmOptions = {}): string {
  let insns: Insn[];
  let slots: number[];
  let bytes: Uint8Array;
  const names = new Map<number, string[]>();
  if (input instanceof Uint8Array) {
    bytes = input;
    insns = decode(input);
    slots = [];
    let s = 0;
    for (const i of insns) {
      slots.push(s);
      s += i.code === LD_IMM64 ? 2 : 1;
    }
  } else {
    const asm = assemble(input);
    insns = asm.insns;
    slots = asm.slots;
    bytes = asm.bytes;
    for (const [name, slot] of asm.labels) names.set(slot, [...(names.get(slot) ?? []), name]);
  }

  const lines: string[] = [];
  let lastSpan: SourceSpan | undefined;
  insns.forEach((insn, i) => {
    const slot = slots[i]!;
    if (opts.spans && insn.span && !sameSpan(insn.span, lastSpan)) lines.push(`; ${spanText(insn.span)}`);
    lastSpan = insn.span;
    if (opts.labels) for (const name of names.get(slot) ?? []) lines.push(`${name}:`);
    let line = `${(' ' + slot).padStart(4)}: ${formatInsn(insn, opts)}`;
    if (opts.labels && insn.target !== undefined) line += ` <${insn.target}>`;
    lines.push(line);
    if (opts.opcodes) {
      const n = insn.code === LD_IMM64 ? 16 : 8;
      const raw = Array.from(bytes.subarray(slot * 8, slot * 8 + n), hex2);
      lines.push(`       ${raw.slice(0, 8).join(' ')}${n === 16 ? ' ' + raw.slice(8).join(' ') : ''}`);
    }
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * The assembler: instruction records (and label marks) in, kernel-ready bytes out.
 *
 * Jump offsets count 8-byte slots from the instruction after the jump; an ld_imm64 takes two
 * slots. An unconditional `Ja` that cannot reach its label with a 16-bit offset is widened in
 * place to `gotol` (JMP32 | JA, 32-bit displacement in imm, kernel 6.6+ / cpu v4) unless
 * `longJumps: 'error'`; a conditional jump that far is an error ('jump-range') — the caller
 * must branch around a `Ja` instead.
 */
import { AsmError } from './errors.js';
import { insnSlots, isLabelMark } from './insn.js';
import type { AsmItem, Insn, MapRef, SourceSpan } from './insn.js';
import {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LD_IMM64,
  Mode,
  PseudoCall,
  PseudoLd,
  Size,
  Source,
  classOf,
  modeOf,
  opOf,
  sizeOf,
  sourceOf,
} from './opcodes.js';

export interface AssembleOptions {
  /**
   * Resolves a map name to its file descriptor. Without it map loads are encoded with fd 0 and
   * listed in `relocations` for the loader to patch. Returning undefined means the map does not
   * exist ('unresolved-map').
   */
  mapFd?: (name: string) => number | undefined;
  /** What to do with a `Ja` beyond 16-bit reach: widen to gotol (default) or fail. */
  longJumps?: 'gotol' | 'error';
}

/** A map load the loader may have to patch: the fd goes in the imm of `slot`. */
export interface Relocation {
  /** First 8-byte slot of the ld_imm64. */
  slot: number;
  /** Index of the instruction in the assembled list (label marks not counted). */
  index: number;
  mapRef: MapRef;
}

export interface Assembled {
  /** Encoded program, little-endian, 8 bytes per slot. */
  bytes: Uint8Array;
  /** Number of 8-byte slots (what the kernel calls insn_cnt). */
  count: number;
  /** Source span of the instruction each slot came from (both slots of an ld_imm64). */
  spans: (SourceSpan | undefined)[];
  /** Label name to slot index. */
  labels: Map<string, number>;
  /** Every map load, in program order, whether resolved or not. */
  relocations: Relocation[];
  /** The instructions with targets and map refs resolved (off/imm/imm64 filled in). */
  insns: Insn[];
  /** First slot of each entry of `insns`. */
  slots: number[];
}

/** Instruction list laid out on slots, labels known, nothing resolved yet. */
interface Layout {
  insns: Insn[];
  slots: number[];
  labels: Map<string, number>;
  count: number;
}

function layout(items: readonly AsmItem[]): Layout {
  const insns: Insn[] = [];
  const slots: number[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  let pending: string[] = [];
  for (const item of items) {
    if (isLabelMark(item)) {
      pending.push(item.name);
      continue;
    }
    const names = item.label === undefined ? pending : [...pending, item.label];
    for (const name of names) {
      const prev = labels.get(name);
      if (prev !== undefined && prev !== slot) {
        throw new AsmError('duplicate-label', `label '${name}' names two instructions (slots ${prev} and ${slot})`, {
          index: insns.length,
          slot,
          insn: item,
          label: name,
        });
      }
      labels.set(name, slot);
    }
    pending = [];
    insns.push(item);
    slots.push(slot);
    slot += insnSlots(item);
  }
  if (pending.length > 0) {
    throw new AsmError('dangling-label', `label '${pending[0]}' is at the end of the program and names no instruction`, {
      label: pending[0],
    });
  }
  return { insns, slots, labels, count: slot };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Why the opcode/operand combination is not an instruction, or undefined if it is one. */
function opcodeProblem(insn: Insn): string | undefined {
  const { code, off, imm } = insn;
  const cls = classOf(code);
  const op = opOf(code);
  const x = sourceOf(code) === Source.X;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      if (op > AluOp.END) return `unknown ALU operation 0x${op.toString(16)}`;
      if (op === AluOp.END) {
        if (cls === Class.ALU64 && x) return 'byte swap in ALU64 has no big-endian form';
        if (imm !== 16 && imm !== 32 && imm !== 64) return `byte swap width ${imm} is not 16, 32 or 64`;
        if (off !== 0) return 'byte swap has a non-zero offset';
        return undefined;
      }
      if (op === AluOp.NEG && x) return 'NEG takes no source register';
      if (off === 0) return undefined;
      if ((op === AluOp.DIV || op === AluOp.MOD) && off === 1) return undefined;
      if (op === AluOp.MOV && x && (off === 8 || off === 16 || (cls === Class.ALU64 && (off === 32 || off === 1)))) {
        return undefined;
      }
      return `offset ${off} is meaningless for this ALU instruction`;
    }
    case Class.JMP:
    case Class.JMP32: {
      if (op === 0xf0) return `unknown jump operation 0xf0`;
      if (cls === Class.JMP32 && (op === JmpOp.CALL || op === JmpOp.EXIT || op === JmpOp.JCOND)) {
        return `operation 0x${op.toString(16)} does not exist in class JMP32`;
      }
      if ((op === JmpOp.JA || op === JmpOp.CALL || op === JmpOp.EXIT || op === JmpOp.JCOND) && x) {
        return 'this jump takes no source register';
      }
      return undefined;
    }
    case Class.LD: {
      const mode = modeOf(code);
      if (mode === Mode.IMM) return code === LD_IMM64 ? undefined : 'immediate loads exist only as 8-byte ld_imm64';
      if (mode === Mode.ABS || mode === Mode.IND) {
        return sizeOf(code) === Size.DW ? 'legacy packet loads have no 8-byte form' : undefined;
      }
      return `load mode 0x${mode.toString(16)} does not exist in class LD`;
    }
    case Class.LDX: {
      const mode = modeOf(code);
      if (mode === Mode.MEM) return undefined;
      if (mode === Mode.MEMSX) return sizeOf(code) === Size.DW ? 'sign-extending load has no 8-byte form' : undefined;
      return `load mode 0x${mode.toString(16)} does not exist in class LDX`;
    }
    case Class.ST:
      return modeOf(code) === Mode.MEM ? undefined : `store mode 0x${modeOf(code).toString(16)} does not exist in class ST`;
    default: {
      // Class.STX
      const mode = modeOf(code);
      if (mode === Mode.MEM) return undefined;
      if (mode !== Mode.ATOMIC) return `store mode 0x${mode.toString(16)} does not exist in class STX`;
      if (imm === AtomicOp.LOAD_ACQ || imm === AtomicOp.STORE_REL) return undefined;
      if (sizeOf(code) !== Size.W && sizeOf(code) !== Size.DW) return 'atomic operations exist only for 4 and 8 bytes';
      const known: number[] = [
        AtomicOp.ADD,
        AtomicOp.OR,
        AtomicOp.AND,
        AtomicOp.XOR,
        AtomicOp.ADD | AtomicOp.FETCH,
        AtomicOp.OR | AtomicOp.FETCH,
        AtomicOp.AND | AtomicOp.FETCH,
        AtomicOp.XOR | AtomicOp.FETCH,
        AtomicOp.XCHG,
        AtomicOp.CMPXCHG,
      ];
      return known.includes(imm) ? undefined : `atomic operation 0x${(imm >>> 0).toString(16)} is unknown`;
    }
  }
}

/** True if the instruction writes its dst register field. */
function writesDst(insn: Insn): boolean {
  const cls = classOf(insn.code);
  if (cls === Class.STX) return modeOf(insn.code) === Mode.ATOMIC && insn.imm === AtomicOp.LOAD_ACQ;
  return cls === Class.ALU || cls === Class.ALU64 || cls === Class.LDX || insn.code === LD_IMM64;
}

/** True for atomics that load the old value into src. */
function writesSrc(insn: Insn): boolean {
  return (
    classOf(insn.code) === Class.STX &&
    modeOf(insn.code) === Mode.ATOMIC &&
    insn.imm < 0x100 &&
    (insn.imm & AtomicOp.FETCH) !== 0 &&
    insn.imm !== AtomicOp.CMPXCHG
  );
}

function validate(insn: Insn, index: number, slot: number): void {
  const at = { index, slot, insn };
  if (!isInt(insn.code) || insn.code < 0 || insn.code > 0xff) {
    throw new AsmError('invalid-insn', `opcode ${String(insn.code)} is not a byte`, at);
  }
  for (const field of ['dst', 'src'] as const) {
    const r = insn[field];
    if (!isInt(r) || r < 0 || r > 10) {
      throw new AsmError('invalid-register', `${field} register ${String(r)} does not exist (r0-r10)`, at);
    }
  }
  if (!isInt(insn.off) || insn.off < -0x8000 || insn.off > 0x7fff) {
    throw new AsmError('operand-range', `offset ${String(insn.off)} does not fit in a signed 16-bit field`, at);
  }
  if (!isInt(insn.imm) || insn.imm < -0x8000_0000 || insn.imm > 0xffff_ffff) {
    throw new AsmError('operand-range', `immediate ${String(insn.imm)} does not fit in 32 bits`, at);
  }
  if (insn.imm64 !== undefined) {
    if (insn.code !== LD_IMM64) throw new AsmError('invalid-insn', 'only ld_imm64 carries a 64-bit immediate', at);
    if (typeof insn.imm64 !== 'bigint' || insn.imm64 < -(1n << 63n) || insn.imm64 >= 1n << 64n) {
      throw new AsmError('operand-range', `64-bit immediate ${String(insn.imm64)} does not fit in 64 bits`, at);
    }
  }
  const problem = opcodeProblem(insn);
  if (problem !== undefined) {
    throw new AsmError('invalid-insn', `(${hex2(insn.code)}) is not a valid instruction: ${problem}`, at);
  }
  if (insn.dst === 10 && writesDst(insn)) {
    throw new AsmError('readonly-register', 'r10 is the read-only frame pointer and cannot be written', at);
  }
  if (insn.src === 10 && writesSrc(insn)) {
    throw new AsmError('readonly-register', 'this atomic fetch would write r10, the read-only frame pointer', at);
  }
  if (insn.mapRef !== undefined) {
    const want = insn.mapRef.kind === 'fd' ? PseudoLd.MAP_FD : PseudoLd.MAP_VALUE;
    if (insn.code !== LD_IMM64 || insn.src !== want) {
      throw new AsmError(
        'invalid-insn',
        `map reference '${insn.mapRef.name}' needs ld_imm64 with src ${want} (BPF_PSEUDO_MAP_${insn.mapRef.kind === 'fd' ? 'FD' : 'VALUE'})`,
        at,
      );
    }
  }
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Where a resolved target goes: the off field, the imm field, or nowhere (not a jump). */
function targetField(insn: Insn): 'off' | 'imm' | undefined {
  const cls = classOf(insn.code);
  if (insn.code === LD_IMM64) return insn.src === PseudoLd.FUNC ? 'imm' : undefined;
  if (cls !== Class.JMP && cls !== Class.JMP32) return undefined;
  const op = opOf(insn.code);
  if (op === JmpOp.EXIT) return undefined;
  if (op === JmpOp.CALL) return insn.src === PseudoCall.CALL ? 'imm' : undefined;
  if (cls === Class.JMP32 && op === JmpOp.JA) return 'imm';
  return 'off';
}

function resolve(
  insn: Insn,
  index: number,
  slot: number,
  labels: Map<string, number>,
  opts: AssembleOptions,
): Insn {
  validate(insn, index, slot);
  const out: Insn = { ...insn };
  const at = { index, slot, insn };

  if (insn.target !== undefined) {
    const field = targetField(insn);
    if (field === undefined) {
      throw new AsmError('invalid-insn', `instruction (${hex2(insn.code)}) cannot have a target ('${insn.target}')`, {
        ...at,
        label: insn.target,
      });
    }
    const dest = labels.get(insn.target);
    if (dest === undefined) {
      throw new AsmError('unresolved-label', `no instruction is labelled '${insn.target}'`, { ...at, label: insn.target });
    }
    const delta = dest - (slot + 1);
    if (field === 'imm') {
      out.imm = delta;
    } else if (delta >= -0x8000 && delta <= 0x7fff) {
      out.off = delta;
    } else if (insn.code === (Class.JMP | JmpOp.JA) && opts.longJumps !== 'error') {
      out.code = Class.JMP32 | JmpOp.JA;
      out.off = 0;
      out.imm = delta;
    } else {
      throw new AsmError(
        'jump-range',
        `jump to '${insn.target}' is ${delta} instructions away; a 16-bit offset reaches -32768..32767` +
          (insn.code === (Class.JMP | JmpOp.JA) ? '' : ' (branch around a Ja, which can be widened to gotol)'),
        { ...at, label: insn.target },
      );
    }
  }

  if (insn.code === LD_IMM64) {
    let lo: number;
    let hi: number;
    if (insn.mapRef !== undefined) {
      let fd = 0;
      if (opts.mapFd) {
        const got = opts.mapFd(insn.mapRef.name);
        if (got === undefined) {
          throw new AsmError('unresolved-map', `map '${insn.mapRef.name}' is not defined`, at);
        }
        if (!isInt(got) || got < 0 || got > 0x7fff_ffff) {
          throw new AsmError('operand-range', `map '${insn.mapRef.name}' resolved to ${String(got)}, not a file descriptor`, at);
        }
        fd = got;
      }
      lo = fd;
      hi = insn.mapRef.kind === 'value' ? (insn.mapRef.offset ?? 0) : 0;
      if (!isInt(hi) || hi < -0x8000_0000 || hi > 0xffff_ffff) {
        throw new AsmError('operand-range', `map value offset ${String(hi)} does not fit in 32 bits`, at);
      }
    } else if (insn.target !== undefined) {
      lo = out.imm;
      hi = 0;
    } else if (insn.imm64 !== undefined) {
      const v = BigInt.asUintN(64, insn.imm64);
      lo = Number(v & 0xffff_ffffn);
      hi = Number(v >> 32n);
    } else {
      lo = insn.imm;
      hi = 0;
    }
    out.imm = lo | 0;
    out.imm64 = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  } else {
    out.imm = out.imm | 0;
  }
  return out;
}

/** Assemble instructions and label marks into kernel bytes. Throws AsmError. */
export function assemble(items: readonly AsmItem[], opts: AssembleOptions = {}): Assembled {
  const lay = layout(items);
  const bytes = new Uint8Array(lay.count * 8);
  const view = new DataView(bytes.buffer);
  const spans: (SourceSpan | undefined)[] = new Array<SourceSpan | undefined>(lay.count).fill(undefined);
  const relocations: Relocation[] = [];
  const insns: Insn[] = [];

  lay.insns.forEach((insn, index) => {
    const slot = lay.slots[index]!;
    const out = resolve(insn, index, slot, lay.labels, opts);
    insns.push(out);
    const p = slot * 8;
    view.setUint8(p, out.code);
    view.setUint8(p + 1, ((out.src & 0xf) << 4) | (out.dst & 0xf));
    view.setInt16(p + 2, out.off, true);
    view.setInt32(p + 4, out.imm, true);
    spans[slot] = out.span;
    if (out.code === LD_IMM64) {
      view.setUint32(p + 12, Number((out.imm64 ?? 0n) >> 32n), true);
      spans[slot + 1] = out.span;
    }
    if (out.mapRef !== undefined) relocations.push({ slot, index, mapRef: out.mapRef });
  });

  return { bytes, count: lay.count, spans, labels: lay.labels, relocations, insns, slots: lay.slots };
}

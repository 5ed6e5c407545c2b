/**
 * The instruction record: one eBPF instruction as plain data, before or after encoding.
 * A 16-byte `ld_imm64` is one record (it fills two 8-byte slots once encoded).
 */
import { AsmError } from './errors.js';
import { LD_IMM64 } from './opcodes.js';

/** A register number. R10 is the read-only frame pointer. */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export const R0 = 0 as const;
export const R1 = 1 as const;
export const R2 = 2 as const;
export const R3 = 3 as const;
export const R4 = 4 as const;
export const R5 = 5 as const;
export const R6 = 6 as const;
export const R7 = 7 as const;
export const R8 = 8 as const;
export const R9 = 9 as const;
export const R10 = 10 as const;
/** Alias of R10. */
export const RFP = R10;

/** Where in the script an instruction came from; the compiler attaches it, encoding keeps it. */
export interface SourceSpan {
  file?: string;
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

/**
 * A map named by the program, resolved to a file descriptor when encoding.
 * kind 'fd': `r = map` (BPF_PSEUDO_MAP_FD); kind 'value': `r = &map.value[0] + offset`
 * (BPF_PSEUDO_MAP_VALUE, e.g. a global-variable array map).
 */
export interface MapRef {
  name: string;
  kind: 'fd' | 'value';
  offset?: number;
}

/** Access width in bytes for loads, stores and atomics. */
export type MemSize = 1 | 2 | 4 | 8;

export interface Insn {
  /** Opcode byte. */
  code: number;
  /** Destination register field (0-10). */
  dst: number;
  /** Source register field (0-10), or a pseudo tag for calls and ld_imm64. */
  src: number;
  /** Signed 16-bit offset. For jumps with `target`, filled in by the assembler. */
  off: number;
  /** Signed 32-bit immediate (for ld_imm64: the low half; `imm64` is authoritative). */
  imm: number;
  /** ld_imm64 only: the full 64-bit immediate, unsigned. */
  imm64?: bigint;
  /** A symbol naming this instruction, for jumps and local calls to target. */
  label?: string;
  /** Jump / local call / function-pointer target label, resolved when encoding. */
  target?: string;
  /** ld_imm64 of a map, resolved when encoding. */
  mapRef?: MapRef;
  /** Source location; copied to every 8-byte slot the instruction encodes to. */
  span?: SourceSpan;
}

/** A pseudo entry in an instruction list: names the next real instruction. */
export interface LabelMark {
  kind: 'label';
  name: string;
}

/** What the assembler accepts: instructions, and label marks between them. */
export type AsmItem = Insn | LabelMark;

export function isLabelMark(item: AsmItem): item is LabelMark {
  return (item as LabelMark).kind === 'label';
}

/** Number of 8-byte slots the instruction takes once encoded (2 for ld_imm64). */
export function insnSlots(insn: Insn): 1 | 2 {
  return insn.code === LD_IMM64 ? 2 : 1;
}

/** A label mark naming the next real instruction: `[..., Label('out'), Mov.imm(R0, 0), Exit()]`. */
export function Label(name: string): LabelMark {
  return { kind: 'label', name };
}

/** A copy of `insn` carrying the label `name`. Throws if it already has a different one. */
export function label(name: string, insn: Insn): Insn {
  if (insn.label !== undefined && insn.label !== name) {
    throw new AsmError(
      'label-conflict',
      `cannot name an instruction '${name}': it is already named '${insn.label}' (use a Label() mark for a second name)`,
      { insn, label: name },
    );
  }
  return { ...insn, label: name };
}

/** Copies of `items` with `span` on every instruction that has none. */
export function withSpan(span: SourceSpan, items: readonly AsmItem[]): AsmItem[] {
  return items.map((it) => (isLabelMark(it) || it.span !== undefined ? it : { ...it, span }));
}

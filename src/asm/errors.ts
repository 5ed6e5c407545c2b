import type { Insn, SourceSpan } from './insn.js';

export type AsmErrorCode =
  /** A jump, call or function pointer names a label that no instruction has. */
  | 'unresolved-label'
  /** Two instructions carry the same label. */
  | 'duplicate-label'
  /** label() on an instruction that already has another label. */
  | 'label-conflict'
  /** A Label() mark at the end of the list: it names no instruction. */
  | 'dangling-label'
  /** A conditional jump is further than a 16-bit offset can reach. */
  | 'jump-range'
  /** A register field outside 0-10. */
  | 'invalid-register'
  /** An instruction that would write the frame pointer R10. */
  | 'readonly-register'
  /** imm outside 32 bits, off outside 16 bits, or a bad width / size argument. */
  | 'operand-range'
  /** An opcode or operand combination that is not an eBPF instruction. */
  | 'invalid-insn'
  /** A map reference the map resolver did not know. */
  | 'unresolved-map'
  /** Bytes that do not decode into instructions. */
  | 'decode';

export interface AsmErrorDetail {
  /** Index of the instruction in the list given to the assembler (label marks not counted). */
  index?: number;
  /** 8-byte slot of the instruction, when known. */
  slot?: number;
  insn?: Insn;
  span?: SourceSpan;
  label?: string;
}

/** Raised by builders, the assembler and the decoder; `code` says which rule was broken. */
export class AsmError extends Error {
  override readonly name = 'AsmError';
  readonly code: AsmErrorCode;
  readonly index: number | undefined;
  readonly slot: number | undefined;
  readonly insn: Insn | undefined;
  readonly span: SourceSpan | undefined;
  readonly label: string | undefined;

  constructor(code: AsmErrorCode, message: string, detail: AsmErrorDetail = {}) {
    super(message + where(detail));
    this.code = code;
    this.index = detail.index;
    this.slot = detail.slot;
    this.insn = detail.insn;
    this.span = detail.span ?? detail.insn?.span;
    this.label = detail.label;
  }
}

function where(d: AsmErrorDetail): string {
  const parts: string[] = [];
  if (d.index !== undefined) parts.push(`instruction ${d.index}`);
  const span = d.span ?? d.insn?.span;
  if (span) parts.push(`${span.file ? span.file + ':' : ''}${span.line}:${span.col}`);
  return parts.length ? ` (at ${parts.join(', ')})` : '';
}

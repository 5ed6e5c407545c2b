// Turning a verifier log into something a person can act on.
import type { SourceSpan } from '../asm/insn.js';

const STATS = /^(processed \d+ insns|verification time|stack depth|mark_precise|max_states_per_insn)/;

export interface VerifierDiagnosis {
  /** The lines that say what went wrong (usually one or two). */
  reason: string[];
  /** Index (8-byte slot) of the last instruction the verifier looked at, if any. */
  insnIndex: number | undefined;
  /** That instruction as the verifier printed it, e.g. "(85) call bpf_probe_read#4". */
  insnText: string | undefined;
}

export function diagnose(log: string): VerifierDiagnosis {
  const lines = log.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0);
  let end = lines.length;
  while (end > 0 && STATS.test(lines[end - 1]!)) end--;
  let insnIndex: number | undefined;
  let insnText: string | undefined;
  let insnLine = -1;
  for (let i = end - 1; i >= 0; i--) {
    const m = /^(\d+): (\([0-9a-f]{2}\).*)$/.exec(lines[i]!);
    if (m) {
      insnIndex = Number(m[1]);
      insnText = m[2];
      insnLine = i;
      break;
    }
  }
  // The reason is whatever the verifier said after the last instruction it printed (register
  // state dumps such as "R1 type=ctx expected=fp" are part of it); capped to stay readable.
  let reason = lines.slice(insnLine + 1, end).filter((l) => !/^\d+: R\d/.test(l) && !/^;/.test(l));
  if (reason.length === 0) reason = lines.slice(Math.max(0, end - 1), end);
  return { reason: reason.slice(-3), insnIndex, insnText };
}

export class VerifierError extends Error {
  override readonly name = 'VerifierError';
  /** The whole verifier log. */
  readonly log: string;
  readonly errno: number;
  readonly program: string;
  readonly insnIndex: number | undefined;
  readonly insnText: string | undefined;
  readonly span: SourceSpan | undefined;
  readonly reason: string[];

  constructor(program: string, errno: number, log: string, spans?: readonly (SourceSpan | undefined)[]) {
    const d = diagnose(log);
    const span = d.insnIndex !== undefined ? spans?.[d.insnIndex] : undefined;
    const where = d.insnIndex !== undefined ? ` at instruction ${d.insnIndex}${d.insnText ? ` ${d.insnText}` : ''}` : '';
    const src = span ? ` (${span.file ? `${span.file}:` : ''}${span.line}:${span.col})` : '';
    const reason = d.reason.length ? d.reason.join('; ') : 'no verifier log';
    super(`program ${program} rejected by the BPF verifier${where}${src}: ${reason}`);
    this.log = log;
    this.errno = errno;
    this.program = program;
    this.insnIndex = d.insnIndex;
    this.insnText = d.insnText;
    this.span = span;
    this.reason = d.reason;
  }
}

// Errors of running a compiled script, reported against the script's own text where possible.
import { VerifierError } from '../bpf/verifier.js';
import { formatDiagnostic } from '../lang/diagnostic.js';
import type { Span } from '../lang/source.js';
import type { SourceSpan } from '../asm/insn.js';
import type { CompiledScript, ProgramDef } from '../lang/spec.js';

/** A script could not be started (load, attach, options); `format()` is what the CLI prints. */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  constructor(
    message: string,
    /** The full text to print (diagnostic with caret, verifier log under -v). */
    readonly report: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  format(): string {
    return this.report;
  }
}

function toSpan(s: SourceSpan): Span {
  return {
    line: s.line, col: s.col, endLine: s.endLine ?? s.line, endCol: s.endCol ?? s.col + 1,
    offset: (s as Partial<Span>).offset ?? 0, length: (s as Partial<Span>).length ?? 1,
  };
}

/**
 * The verifier's refusal of one probe's program as a compiler-style diagnostic: the source line
 * the rejected instruction came from, with a caret, the verifier's own reason, and (verbose) its
 * whole log.
 */
export function verifierReport(script: CompiledScript, prog: ProgramDef, e: VerifierError, verbose: boolean): ScriptError {
  const reason = e.reason.length ? e.reason.join('; ') : 'no reason given';
  const known = knownRefusal(prog, e);
  const message = known?.message ?? `the BPF verifier rejected ${prog.probeName}: ${reason}`;
  const hint = known?.hint ?? (verbose ? undefined : 'run with -v to see the verifier log');
  let text: string;
  if (e.span) {
    text = formatDiagnostic(
      { severity: 'error', message, file: e.span.file ?? script.file, span: toSpan(e.span), ...(hint ? { hint } : {}) },
      script.source,
    );
  } else {
    const where = e.insnIndex !== undefined ? ` (instruction ${e.insnIndex}${e.insnText ? `: ${e.insnText}` : ''})` : '';
    text = `${script.file}: ERROR: ${message}${where}${hint ? `\nhint: ${hint}` : ''}`;
  }
  if (verbose) text += `\n\nverifier log for ${prog.name} (${prog.probeName}):\n${e.log.trimEnd()}`;
  return new ScriptError(message, text, { cause: e });
}

/**
 * Refusals whose cause is known, said in the script's terms rather than the verifier's. The kernel
 * allows bpf_d_path (path()) only on the functions of its allow-list (btf_allowlist_d_path:
 * security_file_open, filp_close, vfs_getattr…), which user space cannot read, so a path() in
 * fentry:vfs_open compiles and the verifier says "helper call is not allowed in probe".
 */
function knownRefusal(prog: ProgramDef, e: VerifierError): { message: string; hint: string } | undefined {
  if (/\bcall bpf_d_path#/.test(e.insnText ?? '') && e.reason.some((r) => /helper call is not allowed in probe/.test(r))) {
    return {
      message: `path() is not allowed in ${prog.probeName}: the kernel allows bpf_d_path only in fentry/fexit programs on the functions of its allow-list`,
      hint: 'probe a function on it instead, e.g. fentry:security_file_open (args->file->f_path), fentry:filp_close (args->filp->f_path), fentry:vfs_getattr (args->path)',
    };
  }
  return undefined;
}

/** Any other failure while starting a probe, named after the probe. */
export function probeReport(script: CompiledScript, what: string, e: unknown): ScriptError {
  if (e instanceof ScriptError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const message = `${what}: ${detail}`;
  return new ScriptError(message, `${script.file}: ERROR: ${message}`, { cause: e });
}

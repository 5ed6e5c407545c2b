/**
 * Diagnostics for the script language: a typed error carrying the file name
 * and span, and the formatter that prints it the way compilers do:
 *
 *   script.bt:3:14: ERROR: expected ';' or '}' after statement
 *     @x = count() @y = 1;
 *                  ^~
 */
import { SourceFile, type Span } from './source.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  /** Plain-language message, no position prefix. */
  message: string;
  file: string;
  span: Span;
  /** An optional second line of advice ("hint: …"). */
  hint?: string;
}

/** A problem in the script text (lexing or parsing), pointing at the offending span. */
export class LangError extends Error implements Diagnostic {
  readonly severity: Severity = 'error';
  readonly file: string;
  readonly span: Span;
  readonly hint?: string;
  /** The source the span points into, kept so that `format()` needs no arguments. */
  readonly source?: SourceFile;

  constructor(message: string, file: string, span: Span, options: { hint?: string; source?: SourceFile } = {}) {
    super(message);
    this.name = 'LangError';
    this.file = file;
    this.span = span;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.source !== undefined) {
      // Non-enumerable: keeps assert.deepEqual / console.log output about the error, not the script.
      Object.defineProperty(this, 'source', { value: options.source, enumerable: false });
    }
  }

  get line(): number {
    return this.span.line;
  }

  get col(): number {
    return this.span.col;
  }

  /** `file:line:col: ERROR: message` plus the source line and a caret line. */
  format(): string {
    return formatDiagnostic(this, this.source);
  }
}

/**
 * Render a diagnostic. With the source (text or SourceFile) the offending line
 * is shown with a caret under the span: `^` at the first column, `~` under the
 * rest of the span on that line.
 */
export function formatDiagnostic(d: Diagnostic, source?: string | SourceFile): string {
  // bpftrace's word for an error, ERROR, which scripts and tests that watch bpftrace grep for.
  const head = `${d.file}:${d.span.line}:${d.span.col}: ${d.severity === 'error' ? 'ERROR' : d.severity}: ${d.message}`;
  const out = [head];
  if (source !== undefined) {
    const file = typeof source === 'string' ? new SourceFile(d.file, source) : source;
    const text = file.lineText(d.span.line);
    out.push(text);
    out.push(caretLine(text, d.span));
  }
  if (d.hint !== undefined) out.push(`hint: ${d.hint}`);
  return out.join('\n');
}

function caretLine(lineText: string, span: Span): string {
  const start = span.col - 1;
  // Keep tabs from the source line so the caret lines up whatever the tab width.
  let pad = '';
  for (let i = 0; i < start; i++) pad += lineText[i] === '\t' ? '\t' : ' ';
  // A span running onto later lines is underlined to the end of its first line.
  const endCol = span.endLine === span.line ? span.endCol : lineText.length + 1;
  const width = Math.max(1, Math.min(endCol, lineText.length + 1) - span.col);
  return pad + '^' + '~'.repeat(width - 1);
}

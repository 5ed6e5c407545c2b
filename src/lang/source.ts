/**
 * A script's text plus the bookkeeping needed to turn offsets into
 * line/column positions. Lines and columns are 1-based; columns count UTF-16
 * code units (what JavaScript strings index), so a tab is one column.
 */

/** Where a node or token sits in its source. `endLine`/`endCol` point just past the last character. */
export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  length: number;
}

export class SourceFile {
  readonly name: string;
  readonly text: string;
  /** Offset at which each line starts; lineStarts[0] is line 1. */
  private readonly lineStarts: number[];

  constructor(name: string, text: string) {
    this.name = name;
    this.text = text;
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  /** 1-based line and column of an offset (an offset equal to the text length is allowed: end of file). */
  position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  span(start: number, end: number): Span {
    const a = this.position(start);
    const b = this.position(end);
    return { line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: start, length: end - start };
  }

  /** Text of a 1-based line, without its newline (and without a trailing '\r'). */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.lineStarts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }
}

/** The smallest span covering both `a` and `b` (a must start first). */
export function joinSpans(a: Span, b: Span): Span {
  const end = Math.max(a.offset + a.length, b.offset + b.length);
  const last = a.offset + a.length >= b.offset + b.length ? a : b;
  return {
    line: a.line,
    col: a.col,
    endLine: last.endLine,
    endCol: last.endCol,
    offset: a.offset,
    length: end - a.offset,
  };
}

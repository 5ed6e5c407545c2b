/**
 * Token cursor shared by the C-declaration and script parsers: lookahead,
 * backtracking marks, spans from a start offset to the last consumed token,
 * and errors phrased as "expected X, found Y".
 */
import { LangError } from './diagnostic.js';
import { Lexer } from './lexer.js';
import type { SourceFile, Span } from './source.js';
import type { Token, TokenKind } from './token.js';

export interface Mark {
  pos: number;
  buffer: Token[];
  prevEnd: number;
}

export class TokenCursor {
  readonly source: SourceFile;
  protected readonly lexer: Lexer;
  private buffer: Token[] = [];
  /** End offset of the most recently consumed token. */
  protected prevEnd: number;

  constructor(source: SourceFile, start = 0, limit = source.text.length) {
    this.source = source;
    this.lexer = new Lexer(source, start, limit);
    this.prevEnd = start;
  }

  peek(n = 0): Token {
    while (this.buffer.length <= n) this.buffer.push(this.lexer.next());
    return this.buffer[n]!;
  }

  next(): Token {
    const tok = this.peek();
    this.buffer.shift();
    this.prevEnd = tok.end;
    return tok;
  }

  at(kind: TokenKind, n = 0): boolean {
    return this.peek(n).kind === kind;
  }

  /** Whether the token n ahead is the identifier/keyword `word`. */
  atWord(word: string, n = 0): boolean {
    const tok = this.peek(n);
    return tok.kind === 'ident' && tok.text === word;
  }

  eat(kind: TokenKind): Token | null {
    return this.at(kind) ? this.next() : null;
  }

  expect(kind: TokenKind, context?: string): Token {
    if (this.at(kind)) return this.next();
    throw this.unexpected(`'${kind}'${context ? ' ' + context : ''}`);
  }

  mark(): Mark {
    return { pos: this.lexer.pos, buffer: [...this.buffer], prevEnd: this.prevEnd };
  }

  reset(m: Mark): void {
    this.lexer.pos = m.pos;
    this.buffer = [...m.buffer];
    this.prevEnd = m.prevEnd;
  }

  /** Drop lookahead and continue lexing at `offset` (after scanning raw text such as a probe spec). */
  protected seek(offset: number): void {
    this.buffer = [];
    this.lexer.pos = offset;
  }

  /** Span from `start` to the end of the last consumed token. */
  spanFrom(start: number): Span {
    return this.source.span(start, Math.max(start, this.prevEnd));
  }

  error(message: string, start: number, end: number, hint?: string): LangError {
    const opts: { hint?: string; source: SourceFile } = { source: this.source };
    if (hint !== undefined) opts.hint = hint;
    return new LangError(message, this.source.name, this.source.span(start, end), opts);
  }

  errorAt(tok: Token, message: string, hint?: string): LangError {
    if (tok.kind === 'eof') return this.error(message, this.prevEnd, this.prevEnd, hint);
    return this.error(message, tok.start, tok.end, hint);
  }

  /** "expected X, found Y" at the next token (at end of file: just after the last token). */
  unexpected(expected: string, hint?: string): LangError {
    const tok = this.peek();
    return this.errorAt(tok, `expected ${expected}, found ${describeToken(tok)}`, hint);
  }
}

export function describeToken(tok: Token): string {
  switch (tok.kind) {
    case 'eof':
      return 'end of file';
    case 'ident':
      return `'${tok.text}'`;
    case 'int':
      return `integer ${tok.text}`;
    case 'string':
      return `string ${tok.text.length > 24 ? tok.text.slice(0, 20) + '…"' : tok.text}`;
    case 'var':
      return `variable ${tok.text}`;
    case 'map':
      return `map ${tok.text}`;
    case 'positional':
    case 'paramcount':
      return `parameter ${tok.text}`;
    case 'directive':
      return 'preprocessor directive';
    default:
      return `'${tok.text}'`;
  }
}

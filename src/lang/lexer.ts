/**
 * Lexer for bpftrace-compatible scripts. It is pull-based (the parser asks for
 * one token at a time and may move `pos`) because probe specifications such as
 * `uprobe:/usr/lib/libc.so.6:malloc` are not made of ordinary tokens: the
 * parser scans those as raw text and then resumes tokenising after them.
 */
import { LangError } from './diagnostic.js';
import { SourceFile } from './source.js';
import { PUNCTUATORS, type Token } from './token.js';

const U64_MAX = (1n << 64n) - 1n;

/** Multipliers (to nanoseconds) of the duration suffixes newer bpftrace accepts: 10ms, 1s, 2h. */
const DURATION_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

/** C integer suffixes; accepted for compatibility with C headers, they do not change the value. */
const C_INT_SUFFIX = /^(u|l|ll|ul|ull|lu|llu)$/i;

const encoder = new TextEncoder();

export class Lexer {
  readonly source: SourceFile;
  /** Offset of the next character to read. */
  pos = 0;
  /** Tokens stop here (an 'eof' token is returned): lets a #define body be parsed in place. */
  limit: number;

  constructor(source: SourceFile, start = 0, limit = source.text.length) {
    this.source = source;
    this.pos = start;
    this.limit = limit;
  }

  private get text(): string {
    return this.source.text;
  }

  error(message: string, start: number, end: number, hint?: string): LangError {
    const opts: { hint?: string; source: SourceFile } = { source: this.source };
    if (hint !== undefined) opts.hint = hint;
    return new LangError(message, this.source.name, this.source.span(start, end), opts);
  }

  /** Skip whitespace, comments and `#!` lines. */
  skipTrivia(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || (c === 0xfeff && this.pos === 0)) {
        this.pos++;
      } else if (c === 92 /* \ */ && /^\\\r?\n/.test(t.slice(this.pos, this.pos + 3))) {
        // A line continuation, as in a multi-line #define body.
        this.pos += t[this.pos + 1] === '\r' ? 3 : 2;
      } else if (c === 47 /* / */ && t.charCodeAt(this.pos + 1) === 47) {
        // A // comment may end at end of file without a newline (bpftrace 0.17 rejects that; we do not).
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl < 0 ? t.length : nl;
      } else if (c === 47 && t.charCodeAt(this.pos + 1) === 42 /* * */) {
        const close = t.indexOf('*/', this.pos + 2);
        if (close < 0) throw this.error('unterminated comment: end of file before the closing */', this.pos, this.pos + 2);
        this.pos = close + 2;
      } else if (c === 35 /* # */ && t.charCodeAt(this.pos + 1) === 33 /* ! */ && this.atLineStart(this.pos)) {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl < 0 ? t.length : nl;
      } else {
        return;
      }
    }
  }

  private atLineStart(offset: number): boolean {
    for (let i = offset - 1; i >= 0; i--) {
      const c = this.text[i];
      if (c === '\n') return true;
      if (c !== ' ' && c !== '\t' && c !== '\r') return false;
    }
    return true;
  }

  /** The next token (after trivia); at the end, an 'eof' token of length 0. */
  next(): Token {
    this.skipTrivia();
    const t = this.text;
    const start = this.pos;
    if (start >= this.limit) return { kind: 'eof', text: '', start, end: start };
    const c = t[start]!;

    if (isIdentStart(c)) {
      let i = start + 1;
      while (i < t.length && isIdentPart(t[i]!)) i++;
      return this.make('ident', start, i);
    }
    if (isDigit(c)) return this.number(start);
    if (c === '"') return this.string(start);
    if (c === '$') {
      const d = t[start + 1];
      if (d === '#') return this.make('paramcount', start, start + 2);
      if (d !== undefined && isDigit(d)) {
        let i = start + 1;
        while (i < t.length && isDigit(t[i]!)) i++;
        const position = Number(t.slice(start + 1, i));
        if (position > 0x7fffffff) throw this.error(`positional parameter ${t.slice(start, i)} is out of range`, start, i);
        const tok = this.make('positional', start, i);
        tok.position = position;
        return tok;
      }
      if (d !== undefined && isIdentStart(d)) {
        let i = start + 1;
        while (i < t.length && isIdentPart(t[i]!)) i++;
        return this.make('var', start, i);
      }
      throw this.error("expected a variable name after '$'", start, start + 1, 'variables look like $name; positional parameters like $1');
    }
    if (c === '@') {
      let i = start + 1;
      if (i < t.length && isIdentStart(t[i]!)) {
        while (i < t.length && isIdentPart(t[i]!)) i++;
      }
      return this.make('map', start, i);
    }
    if (c === '#') return this.directive(start);
    if (c === "'") throw this.charLiteral(start);

    for (const p of PUNCTUATORS) {
      if (t.startsWith(p, start)) return this.make(p, start, start + p.length);
    }
    const cp = t.codePointAt(start)!;
    const ch = String.fromCodePoint(cp);
    throw this.error(`invalid character '${printable(ch)}'`, start, start + ch.length);
  }

  private make(kind: Token['kind'], start: number, end: number): Token {
    this.pos = end;
    return { kind, text: this.text.slice(start, end), start, end };
  }

  private number(start: number): Token {
    const t = this.text;
    let end = start;
    while (end < t.length && isIdentPart(t[end]!)) end++;
    const word = t.slice(start, end);
    const r = parseIntegerLiteral(word);
    if ('error' in r) throw this.error(r.error, start, end, r.hint);
    const tok = this.make('int', start, end);
    tok.intValue = r.value;
    tok.intSuffix = r.suffix;
    return tok;
  }

  private string(start: number): Token {
    const t = this.text;
    let i = start + 1;
    let value = '';
    const bytes: number[] = [];
    let runStart = i;
    const flush = (upto: number): void => {
      if (upto > runStart) {
        const run = t.slice(runStart, upto);
        value += run;
        for (const b of encoder.encode(run)) bytes.push(b);
      }
    };
    for (;;) {
      if (i >= t.length || t[i] === '\n') {
        const eol = i;
        throw this.error('unterminated string: missing closing "', start, eol > start + 1 && t[eol - 1] === '\r' ? eol - 1 : eol);
      }
      const c = t[i]!;
      if (c === '"') {
        flush(i);
        i++;
        break;
      }
      if (c !== '\\') {
        i++;
        continue;
      }
      flush(i);
      const e = t[i + 1];
      let len = 2;
      let byte: number;
      if (e === 'n') byte = 10;
      else if (e === 't') byte = 9;
      else if (e === 'r') byte = 13;
      else if (e === '"') byte = 34;
      else if (e === '\\') byte = 92;
      else if (e === 'x' || e === 'X') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(t.slice(i + 2, i + 4));
        if (!m) throw this.error("invalid escape sequence '\\x': expected hexadecimal digits", i, i + 2);
        byte = parseInt(m[0], 16);
        len = 2 + m[0].length;
      } else if (e !== undefined && e >= '0' && e <= '7') {
        const m = /^[0-7]{1,3}/.exec(t.slice(i + 1, i + 4))!;
        byte = parseInt(m[0], 8);
        len = 1 + m[0].length;
        if (byte > 255) throw this.error(`octal escape sequence '\\${m[0]}' is out of range (max \\377)`, i, i + len);
      } else {
        const shown = e === undefined || e === '\n' ? '\\' : `\\${e}`;
        throw this.error(
          `invalid escape sequence '${shown}' in string`,
          i,
          i + shown.length,
          'valid escapes are \\n \\t \\r \\" \\\\ \\xNN and \\NNN (octal)',
        );
      }
      value += String.fromCharCode(byte);
      bytes.push(byte);
      i += len;
      runStart = i;
    }
    const tok = this.make('string', start, i);
    tok.strValue = value;
    tok.strBytes = Uint8Array.from(bytes);
    return tok;
  }

  /** A preprocessor line, `#` to end of line, joining lines that end in a backslash. */
  private directive(start: number): Token {
    const t = this.text;
    let i = start;
    for (;;) {
      const nl = t.indexOf('\n', i);
      if (nl < 0) {
        i = t.length;
        break;
      }
      let lineEnd = nl;
      if (t[lineEnd - 1] === '\r') lineEnd--;
      if (t[lineEnd - 1] === '\\') {
        i = nl + 1;
        continue;
      }
      i = lineEnd;
      break;
    }
    return this.make('directive', start, i);
  }

  private charLiteral(start: number): LangError {
    const t = this.text;
    const m = /^'(\\?[^'\n]|\\x[0-9a-fA-F]{1,2}|\\[0-7]{1,3})'/.exec(t.slice(start, start + 8));
    if (m) {
      const inner = m[1]!;
      let hint = 'use the character code instead';
      if (inner.length === 1) hint = `use the character code instead: ${inner.charCodeAt(0)} for '${inner}'`;
      return this.error('character literals are not supported', start, start + m[0].length, hint);
    }
    return this.error("invalid character ''': strings use double quotes", start, start + 1);
  }
}

/**
 * The value of an integer literal: decimal, 0x hex, 0b binary, leading-0
 * octal, `_` separators, scientific `1e6`, C suffixes (u, l, ul, ll, ull) and
 * duration suffixes (ns, us, ms, s, m, h, d → nanoseconds).
 */
export function parseIntegerLiteral(word: string): { value: bigint; suffix: string } | { error: string; hint?: string } {
  let digits: string;
  let radix: 2 | 8 | 10 | 16;
  let exponent: string | undefined;
  let suffix: string;
  let m: RegExpExecArray | null;
  if ((m = /^0[xX]([0-9a-fA-F](?:_*[0-9a-fA-F])*)?(.*)$/.exec(word))) {
    if (m[1] === undefined) return { error: `invalid hexadecimal literal '${word}': no digits after '0x'` };
    digits = m[1];
    radix = 16;
    suffix = m[2]!;
  } else if ((m = /^0[bB]([01](?:_*[01])*)(.*)$/.exec(word))) {
    digits = m[1]!;
    radix = 2;
    suffix = m[2]!;
  } else if ((m = /^([0-9](?:_*[0-9])*)(?:[eE]([0-9](?:_*[0-9])*))?(.*)$/.exec(word))) {
    digits = m[1]!;
    exponent = m[2];
    suffix = m[3]!;
    radix = digits.length > 1 && digits[0] === '0' && exponent === undefined ? 8 : 10;
    if (radix === 8) {
      const bad = /[89]/.exec(digits);
      if (bad) return { error: `invalid digit '${bad[0]}' in octal literal '${word}'`, hint: 'a leading 0 makes a number octal' };
    }
  } else {
    return { error: `invalid integer literal '${word}'` };
  }

  let value = parseDigits(digits.replaceAll('_', ''), radix);
  if (exponent !== undefined) {
    const exp = BigInt(exponent.replaceAll('_', ''));
    // 10^20 already exceeds 64 bits; checking first avoids computing enormous powers.
    if (exp > 20n && value !== 0n) return { error: `integer literal '${word}' does not fit in 64 bits` };
    value *= 10n ** exp;
  }
  if (suffix !== '') {
    const mult = DURATION_NS[suffix];
    if (mult !== undefined) value *= mult;
    else if (!C_INT_SUFFIX.test(suffix)) {
      return {
        error: `invalid suffix '${suffix}' on integer literal '${word}'`,
        hint: 'integer suffixes are u, l, ul, ll, ull; duration suffixes are ns, us, ms, s, m, h, d',
      };
    }
  }
  if (value > U64_MAX) return { error: `integer literal '${word}' does not fit in 64 bits` };
  return { value, suffix };
}

function parseDigits(digits: string, radix: number): bigint {
  if (radix === 10) return BigInt(digits);
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '0b';
  return BigInt(prefix + digits);
}

export function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

export function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function printable(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (code < 32 || code === 127) return `\\x${code.toString(16).padStart(2, '0')}`;
  return ch;
}

/** Tokenise a whole script (for tests and tools); the last token is 'eof'. */
export function tokenize(text: string, file = '-'): Token[] {
  const lexer = new Lexer(new SourceFile(file, text));
  const out: Token[] = [];
  for (;;) {
    const tok = lexer.next();
    out.push(tok);
    if (tok.kind === 'eof') return out;
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LangError, tokenize } from '../../src/lang/index.js';

/** `kind:text` per token, without the final eof. */
function stream(text: string): string[] {
  return tokenize(text)
    .slice(0, -1)
    .map((t) => (t.kind === t.text ? t.kind : `${t.kind}:${t.text}`));
}

function lexError(text: string): LangError {
  try {
    tokenize(text, 't.bt');
  } catch (e) {
    if (e instanceof LangError) return e;
    throw e;
  }
  assert.fail(`expected a lexing error for ${JSON.stringify(text)}`);
}

describe('lexer token streams', () => {
  it('tokenises a one-liner', () => {
    assert.deepEqual(stream('kprobe:do_nanosleep /pid > 100/ { @[comm] = count(); }'), [
      'ident:kprobe', ':', 'ident:do_nanosleep', '/', 'ident:pid', '>', 'int:100', '/', '{',
      'map:@', '[', 'ident:comm', ']', '=', 'ident:count', '(', ')', ';', '}',
    ]);
  });

  it('takes the longest operator', () => {
    assert.deepEqual(stream('<<= >>= << >> <= >= == != && || ++ -- -> += -= *= /= %= &= |= ^= .. ... . ? :'), [
      '<<=', '>>=', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '++', '--', '->', '+=', '-=', '*=', '/=', '%=', '&=',
      '|=', '^=', '..', '...', '.', '?', ':',
    ]);
    assert.deepEqual(stream('$x--->y'), ['var:$x', '--', '->', 'ident:y']);
    assert.deepEqual(stream('a<<=b>>c'), ['ident:a', '<<=', 'ident:b', '>>', 'ident:c']);
  });

  it('lexes variables, maps, positional parameters and $#', () => {
    assert.deepEqual(stream('$x $_y1 @ @m @_m2 $1 $12 $#'), [
      'var:$x', 'var:$_y1', 'map:@', 'map:@m', 'map:@_m2', 'positional:$1', 'positional:$12', 'paramcount:$#',
    ]);
    assert.equal(tokenize('$12')[0]!.position, 12);
  });

  it('keeps keywords and builtins as identifiers', () => {
    assert.deepEqual(stream('if else while for unroll return pid comm arg0 struct'), [
      'ident:if', 'ident:else', 'ident:while', 'ident:for', 'ident:unroll', 'ident:return', 'ident:pid', 'ident:comm',
      'ident:arg0', 'ident:struct',
    ]);
  });

  it('skips comments anywhere, including a // comment at end of file without a newline', () => {
    assert.deepEqual(stream('a /* x\n y */ b // c\nd // e'), ['ident:a', 'ident:b', 'ident:d']);
    assert.deepEqual(stream('a/**/b'), ['ident:a', 'ident:b']);
  });

  it('skips a #! line and keeps a preprocessor line as one token', () => {
    assert.deepEqual(stream('#!/usr/bin/env bpftrace\n#include <linux/sched.h>\n#define X \\\n  1\nBEGIN'), [
      'directive:#include <linux/sched.h>',
      'directive:#define X \\\n  1',
      'ident:BEGIN',
    ]);
  });

  it('tracks offsets of tokens', () => {
    const toks = tokenize('  ab\n\tcd');
    assert.deepEqual(
      toks.map((t) => [t.kind, t.start, t.end]),
      [
        ['ident', 2, 4],
        ['ident', 6, 8],
        ['eof', 8, 8],
      ],
    );
  });
});

describe('lexer integer literals', () => {
  const value = (text: string): bigint => {
    const t = tokenize(text)[0]!;
    assert.equal(t.kind, 'int', text);
    return t.intValue!;
  };

  it('reads decimal, hex, octal and binary', () => {
    assert.equal(value('0'), 0n);
    assert.equal(value('123'), 123n);
    assert.equal(value('0x1F'), 31n);
    assert.equal(value('0XfF'), 255n);
    assert.equal(value('017'), 15n);
    assert.equal(value('0b1011'), 11n);
    assert.equal(value('0B1'), 1n);
  });

  it('accepts _ separators', () => {
    assert.equal(value('1_000_000'), 1000000n);
    assert.equal(value('0xffff_ffff'), 0xffffffffn);
  });

  it('accepts C suffixes without changing the value', () => {
    for (const s of ['u', 'U', 'l', 'L', 'ul', 'UL', 'll', 'LL', 'ull', 'ULL']) {
      const t = tokenize(`42${s}`)[0]!;
      assert.equal(t.intValue, 42n, s);
      assert.equal(t.intSuffix, s);
    }
    assert.equal(value('0x10ul'), 16n);
  });

  it('reads scientific notation as an integer', () => {
    assert.equal(value('1e6'), 1000000n);
    assert.equal(value('2E3'), 2000n);
    assert.equal(value('5e0'), 5n);
    // bpftrace wants a one-digit coefficient; the value is still exact, so we accept more.
    assert.equal(value('12e4'), 120000n);
  });

  it('turns duration suffixes into nanoseconds', () => {
    assert.equal(value('5ns'), 5n);
    assert.equal(value('5us'), 5000n);
    assert.equal(value('100ms'), 100_000_000n);
    assert.equal(value('1s'), 1_000_000_000n);
    assert.equal(value('2m'), 120_000_000_000n);
    assert.equal(value('1h'), 3_600_000_000_000n);
    assert.equal(value('1d'), 86_400_000_000_000n);
  });

  it('accepts the largest 64-bit value and rejects one more', () => {
    assert.equal(value('18446744073709551615'), (1n << 64n) - 1n);
    assert.equal(value('0xffffffffffffffff'), (1n << 64n) - 1n);
    assert.match(lexError('18446744073709551616').message, /does not fit in 64 bits/);
    assert.match(lexError('1e20').message, /does not fit in 64 bits/);
    assert.match(lexError('1e999999999').message, /does not fit in 64 bits/);
  });

  it('rejects malformed numbers', () => {
    assert.equal(lexError('12abc').message, "invalid suffix 'abc' on integer literal '12abc'");
    assert.equal(lexError('0x').message, "invalid hexadecimal literal '0x': no digits after '0x'");
    assert.equal(lexError('09').message, "invalid digit '9' in octal literal '09'");
    assert.equal(lexError('1_').message, "invalid suffix '_' on integer literal '1_'");
    assert.equal(lexError('5sec').message, "invalid suffix 'sec' on integer literal '5sec'");
  });

  it('does not read a tuple index or range as a fraction', () => {
    assert.deepEqual(stream('$t.0.1'), ['var:$t', '.', 'int:0', '.', 'int:1']);
    assert.deepEqual(stream('0..10'), ['int:0', '..', 'int:10']);
  });
});

describe('lexer string literals', () => {
  const str = (text: string): { value: string; bytes: number[] } => {
    const t = tokenize(text)[0]!;
    assert.equal(t.kind, 'string');
    return { value: t.strValue!, bytes: [...t.strBytes!] };
  };

  it('decodes C escapes', () => {
    assert.equal(str('"a\\nb\\tc\\rd"').value, 'a\nb\tc\rd');
    assert.equal(str('"q\\"q\\\\"').value, 'q"q\\');
    assert.deepEqual(str('"\\x41\\x4a\\xf"').bytes, [0x41, 0x4a, 0x0f]);
    assert.deepEqual(str('"\\101\\0\\7\\377"').bytes, [65, 0, 7, 255]);
    assert.deepEqual(str('"\\033[31m"').bytes, [27, 0x5b, 0x33, 0x31, 0x6d]);
  });

  it('keeps raw bytes for escapes and UTF-8 for source characters', () => {
    const s = str('"é\\xe9"');
    assert.equal(s.value, 'é\u00e9');
    assert.deepEqual(s.bytes, [0xc3, 0xa9, 0xe9]);
  });

  it('rejects bad escapes and unterminated strings', () => {
    const e = lexError('"abc\\q"');
    assert.equal(e.message, "invalid escape sequence '\\q' in string");
    assert.deepEqual([e.line, e.col], [1, 5]);
    assert.equal(lexError('"\\400"').message, "octal escape sequence '\\400' is out of range (max \\377)");
    assert.equal(lexError('"\\xg"').message, "invalid escape sequence '\\x': expected hexadecimal digits");
    assert.equal(lexError('"abc\ndef"').message, 'unterminated string: missing closing "');
    assert.equal(lexError('"abc').message, 'unterminated string: missing closing "');
  });
});

describe('lexer errors', () => {
  it('rejects character literals with a hint', () => {
    const e = lexError("'A'");
    assert.equal(e.message, 'character literals are not supported');
    assert.equal(e.hint, "use the character code instead: 65 for 'A'");
    assert.equal(e.span.length, 3);
  });

  it('rejects stray characters', () => {
    assert.equal(lexError('a ` b').message, "invalid character '`'");
    assert.equal(lexError('$').message, "expected a variable name after '$'");
    assert.equal(lexError('\u0001').message, "invalid character '\\x01'");
  });

  it('rejects an unterminated block comment', () => {
    const e = lexError('a\n  /* never closed');
    assert.equal(e.message, 'unterminated comment: end of file before the closing */');
    assert.deepEqual([e.line, e.col], [2, 3]);
  });

  it('rejects an out-of-range positional parameter', () => {
    assert.equal(lexError('$99999999999').message, 'positional parameter $99999999999 is out of range');
  });
});

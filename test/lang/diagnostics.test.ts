import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatDiagnostic, LangError, parse, SourceFile } from '../../src/lang/index.js';

function failure(src: string, file = 'script.bt'): LangError {
  try {
    parse(src, { file });
  } catch (e) {
    if (e instanceof LangError) return e;
    throw e;
  }
  assert.fail(`expected a syntax error in ${JSON.stringify(src)}`);
}

/** The formatted diagnostic: `file:line:col: ERROR: …`, source line, caret line, optional hint. */
function report(src: string): string {
  return failure(src).format();
}

function lines(...l: string[]): string {
  return l.join('\n');
}

describe('diagnostics: position and caret', () => {
  it('points at a missing semicolon between statements', () => {
    assert.equal(
      report('BEGIN {\n  @x = count() @y = 1;\n}'),
      lines(
        "script.bt:2:16: ERROR: expected ';' or '}' after statement, found map @y",
        '  @x = count() @y = 1;',
        '               ^~',
      ),
    );
  });

  it('points just past the last token at end of file', () => {
    assert.equal(
      report('BEGIN {\n  $x = 1'),
      lines(
        "script.bt:2:9: ERROR: expected '}' before end of file",
        '  $x = 1',
        '        ^',
        'hint: the block opened at line 1 is not closed',
      ),
    );
  });

  it('underlines the whole offending token', () => {
    assert.equal(
      report('kprobz:vfs_read { }'),
      lines(
        "script.bt:1:1: ERROR: unknown probe type 'kprobz'",
        'kprobz:vfs_read { }',
        '^~~~~~',
        'hint: probe types are BEGIN, END, kprobe, kretprobe, uprobe, uretprobe, usdt, tracepoint, rawtracepoint, ' +
          'profile, interval, software, hardware, watchpoint, fentry, fexit, iter',
      ),
    );
  });

  it('keeps tabs so the caret lines up', () => {
    assert.equal(
      report('BEGIN\n{\n\t$x = 1 +;\n}'),
      lines("script.bt:3:10: ERROR: expected an expression, found ';'", '\t$x = 1 +;', '\t        ^'),
    );
  });

  it('counts lines after comments, a shebang and CRLF line ends', () => {
    assert.equal(
      report('#!/usr/bin/env bpftrace\r\n/* a\r\n b */\r\nBEGIN {\r\n  $x = 089;\r\n}\r\n'),
      lines(
        "script.bt:5:8: ERROR: invalid digit '8' in octal literal '089'",
        '  $x = 089;',
        '       ^~~',
        'hint: a leading 0 makes a number octal',
      ),
    );
  });

  it('reports a character literal with the code to use instead', () => {
    assert.equal(
      report('BEGIN { printf("%c", \'A\'); }'),
      lines(
        'script.bt:1:22: ERROR: character literals are not supported',
        'BEGIN { printf("%c", \'A\'); }',
        '                     ^~~',
        "hint: use the character code instead: 65 for 'A'",
      ),
    );
  });

  it('reports an unterminated string up to the end of its line', () => {
    assert.equal(
      report('BEGIN { printf("abc);\n}'),
      lines('script.bt:1:16: ERROR: unterminated string: missing closing "', 'BEGIN { printf("abc);', '               ^~~~~~'),
    );
  });

  it('reports an unterminated predicate', () => {
    assert.equal(
      report('kprobe:f /pid == 1 { }'),
      lines("script.bt:1:20: ERROR: expected '/' to end the predicate, found '{'", 'kprobe:f /pid == 1 { }', '                   ^'),
    );
  });

  it('points at the probe field that is wrong', () => {
    assert.equal(
      report('kretprobe:vfs_read+16 { }'),
      lines(
        'script.bt:1:11: ERROR: kretprobe probes cannot take an offset',
        'kretprobe:vfs_read+16 { }',
        '          ^~~~~~~~~~~',
        'hint: offsets (+N) are for entry probes',
      ),
    );
    assert.equal(
      report('interval:sec:1 { }'),
      lines(
        "script.bt:1:10: ERROR: invalid unit 'sec' in interval probe",
        'interval:sec:1 { }',
        '         ^~~',
        'hint: units are hz, s, ms and us',
      ),
    );
  });

  it('explains assignments that are not statements', () => {
    assert.equal(
      report('BEGIN { $a = $b = 1 }'),
      lines(
        "script.bt:1:17: ERROR: unexpected '=': an assignment is a statement, not a value",
        'BEGIN { $a = $b = 1 }',
        '                ^',
        'hint: assign in separate statements: $a = 1; $b = $a;',
      ),
    );
    assert.equal(
      report('BEGIN { args->x = 1 }'),
      lines(
        "script.bt:1:9: ERROR: cannot assign to field 'x'",
        'BEGIN { args->x = 1 }',
        '        ^~~~~~~',
        'hint: only variables ($x) and maps (@m, @m[key]) can be assigned',
      ),
    );
    assert.equal(
      report('BEGIN { $t = (1, 2); $t.1 = 3 }'),
      lines(
        'script.bt:1:22: ERROR: tuples are immutable once created',
        'BEGIN { $t = (1, 2); $t.1 = 3 }',
        '                     ^~~~~~',
        'hint: create a new tuple and assign that instead',
      ),
    );
  });

  it('rejects ++ on anything but a variable or map', () => {
    assert.equal(
      report('BEGIN { pid++ }'),
      lines('script.bt:1:12: ERROR: the ++ operator must be applied to a map or variable', 'BEGIN { pid++ }', '           ^~'),
    );
    assert.equal(
      report('BEGIN { --arg0 }'),
      lines('script.bt:1:9: ERROR: the -- operator must be applied to a map or variable', 'BEGIN { --arg0 }', '        ^~'),
    );
  });

  it('reports misplaced preamble items and config blocks', () => {
    assert.equal(
      report('BEGIN { }\n#include <linux/sched.h>'),
      lines(
        'script.bt:2:1: ERROR: preprocessor directives must come before the first probe',
        '#include <linux/sched.h>',
        '^~~~~~~~~~~~~~~~~~~~~~~~',
      ),
    );
    assert.equal(
      report('BEGIN { }\nstruct s { int a; };'),
      lines(
        'script.bt:2:1: ERROR: C definitions must come before the first probe',
        'struct s { int a; };',
        '^~~~~~',
        'hint: move this struct to the top of the script',
      ),
    );
    assert.equal(
      report('config = { a = 1 }\nconfig = { b = 2 }\nBEGIN { }'),
      lines('script.bt:2:1: ERROR: only one config block is allowed', 'config = { b = 2 }', '^~~~~~', 'hint: the first is at line 1'),
    );
    assert.equal(
      report('config = { a = $x }'),
      lines('script.bt:1:16: ERROR: expected an integer, string or name as the config value, found variable $x', 'config = { a = $x }', '               ^~'),
    );
  });

  it('reports statement keywords in the wrong place', () => {
    assert.equal(report('BEGIN { else { } }').split('\n')[0], "script.bt:1:9: ERROR: 'else' without a matching 'if'");
    assert.equal(report('BEGIN { $x = if }').split('\n')[0], "script.bt:1:14: ERROR: expected an expression, found keyword 'if'");
    assert.equal(report('BEGIN { if (1) print(1) }').split('\n')[0], "script.bt:1:16: ERROR: expected '{' after the if condition, found 'print'");
    assert.equal(report('BEGIN { if (1) { } else print(1) }').split('\n')[0], "script.bt:1:25: ERROR: expected '{' or 'if' after 'else', found 'print'");
    assert.equal(
      report('BEGIN { for ($i : $x) { } }').split('\n')[0],
      'script.bt:1:19: ERROR: a for loop iterates over a map or a range',
    );
    assert.equal(report('BEGIN { let x = 1 }').split('\n')[0], "script.bt:1:13: ERROR: expected a variable after 'let', as in let $x = 1, found 'x'");
  });

  it('reports map, call and parameter mistakes', () => {
    assert.equal(report('BEGIN { @m[] = 1 }').split('\n')[0], "script.bt:1:12: ERROR: expected a map key, found ']'");
    assert.equal(report('BEGIN { print(1, 2 }').split('\n')[0], "script.bt:1:20: ERROR: expected ',' or ')', found '}'");
    assert.equal(report('BEGIN { print($0) }').split('\n')[0], 'script.bt:1:15: ERROR: positional parameters start at $1');
    assert.equal(report('BEGIN { $x = (1, 2 }').split('\n')[0], "script.bt:1:20: ERROR: expected ')' to close the tuple, found '}'");
  });
});

describe('diagnostics: limits', () => {
  it('reports absurd nesting as an error rather than overflowing the stack', () => {
    const deep = `BEGIN { $x = ${'('.repeat(5000)}1${')'.repeat(5000)} }`;
    assert.equal(failure(deep).message, 'nesting is too deep (more than 1000 levels)');
    const chain = `BEGIN { if (1) { } ${Array(5000).fill('else if (1) { }').join(' ')} }`;
    assert.equal(failure(chain).message, 'nesting is too deep (more than 1000 levels)');
    // Realistic depth is fine.
    assert.equal(parse(`BEGIN { $x = ${'('.repeat(200)}1${')'.repeat(200)} }`).probes.length, 1);
  });
});

describe('diagnostics: LangError and formatDiagnostic', () => {
  it('carries file, span, line and col as properties', () => {
    const e = failure('BEGIN {\n  @x = 1 2\n}', 'a.bt');
    assert.equal(e.name, 'LangError');
    assert.equal(e.message, "expected ';' or '}' after statement, found integer 2");
    assert.equal(e.file, 'a.bt');
    assert.equal(e.severity, 'error');
    assert.deepEqual(e.span, { line: 2, col: 10, endLine: 2, endCol: 11, offset: 17, length: 1 });
    assert.deepEqual([e.line, e.col], [2, 10]);
    assert.ok(e instanceof Error);
  });

  it('formats with or without the source', () => {
    const src = 'BEGIN {\n  @x = 1 2\n}';
    const e = failure(src, 'a.bt');
    const full = "a.bt:2:10: ERROR: expected ';' or '}' after statement, found integer 2\n  @x = 1 2\n         ^";
    assert.equal(formatDiagnostic(e, src), full);
    assert.equal(formatDiagnostic(e, new SourceFile('a.bt', src)), full);
    assert.equal(e.format(), full);
    assert.equal(formatDiagnostic(e), "a.bt:2:10: ERROR: expected ';' or '}' after statement, found integer 2");
  });

  it('underlines only the first line of a span running over several lines', () => {
    const text = 'abc\ndef\n';
    const d = {
      severity: 'warning' as const,
      message: 'spans two lines',
      file: 'f',
      span: new SourceFile('f', text).span(1, 6),
    };
    assert.equal(formatDiagnostic(d, text), 'f:1:2: warning: spans two lines\nabc\n ^~');
  });

  it('defaults the file name to stdin, as bpftrace does for -e', () => {
    try {
      parse('BEGIN { @x = }');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof LangError);
      assert.equal(e.format().split('\n')[0], 'stdin:1:14: ERROR: expected an expression, found \'}\'');
    }
  });
});

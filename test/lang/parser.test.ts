import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parse, printAst, type Program } from '../../src/lang/index.js';

/** Printed statements of `BEGIN { src }`. */
function stmts(src: string): string {
  const prog = parse(`BEGIN { ${src} }`);
  return prog.probes[0]!.body.stmts.map((s) => printAst(s)).join('');
}

/** Printed expression of `BEGIN { src }`. */
function expr(src: string): string {
  return stmts(src);
}

function lines(...l: string[]): string {
  return l.join('\n') + '\n';
}

describe('parser: program structure', () => {
  it('prints a whole program', () => {
    const prog = parse(
      [
        '#!/usr/bin/env bpftrace',
        '#include <linux/sched.h>',
        '#include "local.h"',
        '#define MAX 10',
        '#ifndef BPFTRACE_HAVE_BTF',
        'struct s { int a; };',
        '#endif',
        'config = { stack_mode = perf; max_map_keys = 0x100; license = "GPL"; unstable_macro = true }',
        'BEGIN { printf("hi\\n"); }',
        'kprobe:vfs_read, kprobe:vfs_write /pid == $1/ { @[func] = count(); }',
        'END { clear(@); }',
        '',
      ].join('\n'),
      { file: 'prog.bt' },
    );
    assert.equal(
      printAst(prog),
      lines(
        'Program prog.bt',
        '  shebang #!/usr/bin/env bpftrace',
        '  include <linux/sched.h>',
        '  include "local.h"',
        '  define MAX 10',
        '    int 10',
        '  directive #ifndef BPFTRACE_HAVE_BTF',
        '  struct s',
        '    field int a',
        '  directive #endif',
        '  config',
        '    stack_mode = perf',
        '    max_map_keys = 0x100',
        '    license = "GPL"',
        '    unstable_macro = true',
        '  probe',
        '    attach BEGIN => BEGIN',
        '    block',
        '      call printf',
        '        string "hi\\n"',
        '  probe',
        '    attach kprobe:vfs_read => kprobe func=vfs_read',
        '    attach kprobe:vfs_write => kprobe func=vfs_write',
        '    predicate',
        '      binop ==',
        '        builtin pid',
        '        param $1',
        '    block',
        '      assign =',
        '        map @',
        '          builtin func',
        '        call count',
        '  probe',
        '    attach END => END',
        '    block',
        '      call clear',
        '        map @',
      ),
    );
    assert.equal(prog.file, 'prog.bt');
    assert.ok(prog.source.startsWith('#!/usr/bin/env'));
  });

  it('keeps the source text and file name on the root', () => {
    const text = 'BEGIN { exit(); }';
    const prog: Program = parse(text, { file: 'x.bt' });
    assert.equal(prog.source, text);
    assert.equal(prog.file, 'x.bt');
    assert.equal(parse(text).file, 'stdin');
  });

  it('accepts a comment after the last probe (bpftrace 0.17 rejects one without a final newline)', () => {
    for (const tail of ['// done', '// done\n', '/* done */', '\n/* a\n b */\n// c']) {
      assert.equal(parse(`BEGIN { exit() }\n${tail}`).probes.length, 1, JSON.stringify(tail));
    }
  });

  it('accepts comments between and inside probes', () => {
    const prog = parse(
      [
        '// leading',
        'kprobe:a, // first',
        '/* second */ kprobe:b',
        '/pid/ // after predicate',
        '{ /* in block */ @x = 1; // end of line',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(
      prog.probes[0]!.attachPoints.map((a) => a.raw),
      ['kprobe:a', 'kprobe:b'],
    );
    assert.equal(prog.probes[0]!.predicate?.kind, 'Builtin');
  });

  it('accepts probes separated by commas across lines, and a trailing comma', () => {
    const prog = parse('tracepoint:syscalls:sys_enter_open,\n  tracepoint:syscalls:sys_enter_openat ,\n{ }\nk:f, { }');
    assert.equal(prog.probes[0]!.attachPoints.length, 2);
    assert.equal(prog.probes[1]!.attachPoints.length, 1);
  });

  it('allows a program with no probes (sema decides whether that is an error)', () => {
    assert.equal(parse('').probes.length, 0);
    assert.equal(parse('#include <x.h>\n').preamble.length, 1);
  });

  it('parses top-level map declarations', () => {
    assert.equal(
      printAst(parse('let @a = lruhash(100);\nBEGIN { @a[1] = 2 }')).split('\n').slice(1, 2).join('\n'),
      '  map @a = lruhash(100)',
    );
  });
});

describe('parser: statements', () => {
  it('parses assignments to variables and maps', () => {
    assert.equal(
      stmts('$x = 1; @m = count(); @m2[pid, comm] = 2; @ = 3; @[tid] = 4'),
      lines(
        'assign =',
        '  var $x',
        '  int 1',
        'assign =',
        '  map @m',
        '  call count',
        'assign =',
        '  map @m2',
        '    builtin pid',
        '    builtin comm',
        '  int 2',
        'assign =',
        '  map @',
        '  int 3',
        'assign =',
        '  map @',
        '    builtin tid',
        '  int 4',
      ),
    );
  });

  it('parses every compound assignment', () => {
    const ops = ['+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>='];
    const prog = parse(`BEGIN { ${ops.map((op) => `$x ${op} 2;`).join(' ')} @m[1] += 1 }`);
    const got = prog.probes[0]!.body.stmts.map((s) => (s.kind === 'Assign' ? s.op : s.kind));
    assert.deepEqual(got, [...ops, '+=']);
  });

  it('parses ++ and -- before and after variables and maps', () => {
    assert.equal(
      stmts('$x++; ++$x; @m--; --@m[1]; @++'),
      lines(
        'post ++',
        '  var $x',
        'pre ++',
        '  var $x',
        'post --',
        '  map @m',
        'pre --',
        '  map @m',
        '    int 1',
        'post ++',
        '  map @',
      ),
    );
  });

  it('parses if / else if / else', () => {
    assert.equal(
      stmts('if ($x > 1) { $a = 1 } else if ($x) { $a = 2; } else { $a = 3 }'),
      lines(
        'if',
        '  binop >',
        '    var $x',
        '    int 1',
        '  block',
        '    assign =',
        '      var $a',
        '      int 1',
        '  else',
        '    if',
        '      var $x',
        '      block',
        '        assign =',
        '          var $a',
        '          int 2',
        '      else',
        '        block',
        '          assign =',
        '            var $a',
        '            int 3',
      ),
    );
  });

  it('accepts if without parentheses (newer bpftrace)', () => {
    assert.equal(stmts('if $x { }'), lines('if', '  var $x', '  block'));
  });

  it('parses unroll, while, for over a map and over a range', () => {
    assert.equal(
      stmts('unroll (3) { $i++ } while ($i < 10) { $i++; if ($i == 5) { break } } for ($kv : @m) { continue; } for ($i : 0..$n) { }'),
      lines(
        'unroll',
        '  int 3',
        '  block',
        '    post ++',
        '      var $i',
        'while',
        '  binop <',
        '    var $i',
        '    int 10',
        '  block',
        '    post ++',
        '      var $i',
        '    if',
        '      binop ==',
        '        var $i',
        '        int 5',
        '      block',
        '        break',
        'for $kv',
        '  map @m',
        '  block',
        '    continue',
        'for $i',
        '  range',
        '    int 0',
        '    var $n',
        '  block',
      ),
    );
  });

  it('parses for without parentheses and unroll with a parameter', () => {
    assert.equal(
      stmts('for $i : 1..5 { } unroll($1) { }'),
      lines('for $i', '  range', '    int 1', '    int 5', '  block', 'unroll', '  param $1', '  block'),
    );
  });

  it('parses let declarations', () => {
    assert.equal(
      stmts('let $a; let $b = 1; let $c: uint16 = 2; let $d: struct task_struct *; let $s: string[16]'),
      lines(
        'let $a',
        'let $b',
        '  int 1',
        'let $c: uint16',
        '  int 2',
        'let $d: struct task_struct *',
        'let $s: string[16]',
      ),
    );
  });

  it('parses jumps, delete, exit and nested blocks', () => {
    assert.equal(
      stmts('delete(@m[1]); { $x = 1; { return } } exit(); return 1'),
      lines(
        'call delete',
        '  map @m',
        '    int 1',
        'block',
        '  assign =',
        '    var $x',
        '    int 1',
        '  block',
        '    return',
        'call exit',
        'return',
        '  int 1',
      ),
    );
  });

  it('makes the last semicolon optional and tolerates empty statements', () => {
    assert.equal(stmts('$a = 1; $b = 2'), stmts('$a = 1; $b = 2;'));
    assert.equal(stmts('if (1) { } ; $a = 1;; ;'), stmts('if (1) { } $a = 1'));
    assert.equal(stmts(''), '');
  });

  it('does not need a semicolon after a block statement', () => {
    assert.equal(stmts('if (1) { } $a = 1').split('\n')[0], 'if');
    assert.equal(parse('BEGIN { while (1) { } for ($k : @m) { } unroll(2) { } { } $x = 1 }').probes[0]!.body.stmts.length, 5);
  });
});

describe('parser: expressions', () => {
  it('parses literals, builtins, identifiers and parameters', () => {
    assert.equal(
      expr('print((1, 0x10, 1_000, 1e6, 5ms, "s", true, false, pid, comm, arg0, args, retval, AF_INET, $1, $#))'),
      lines(
        'call print',
        '  tuple',
        '    int 1',
        '    int 16 (0x10)',
        '    int 1000 (1_000)',
        '    int 1000000 (1e6)',
        '    int 5000000 (5ms)',
        '    string "s"',
        '    bool true',
        '    bool false',
        '    builtin pid',
        '    builtin comm',
        '    builtin arg0',
        '    builtin args',
        '    builtin retval',
        '    ident AF_INET',
        '    param $1',
        '    param $#',
      ),
    );
  });

  it('parses field access, arrows, indexing, tuple access and calls', () => {
    assert.equal(
      expr('$x = args->filename; $y = args.count; $z = $t.0.1; $w = curtask->mm->arg_start; $v = $p[2]; @m[1][0]; @s.f'),
      lines(
        'assign =',
        '  var $x',
        '  -> filename',
        '    builtin args',
        'assign =',
        '  var $y',
        '  . count',
        '    builtin args',
        'assign =',
        '  var $z',
        '  .1',
        '    .0',
        '      var $t',
        'assign =',
        '  var $w',
        '  -> arg_start',
        '    -> mm',
        '      builtin curtask',
        'assign =',
        '  var $v',
        '  index []',
        '    var $p',
        '    int 2',
        'index []',
        '  map @m',
        '    int 1',
        '  int 0',
        '. f',
        '  map @s',
      ),
    );
  });

  it('accepts keywords as field names', () => {
    assert.equal(expr('args->if.for'), lines('. for', '  -> if', '    builtin args'));
  });

  it('parses casts', () => {
    assert.equal(
      expr('$a = (int8)$x; $b = (uint64)arg0; $c = (struct task_struct *)curtask; $d = (struct sock *)arg0; $e = (int32[4])$x; $f = (union u **)0'),
      lines(
        'assign =',
        '  var $a',
        '  cast (int8)',
        '    var $x',
        'assign =',
        '  var $b',
        '  cast (uint64)',
        '    builtin arg0',
        'assign =',
        '  var $c',
        '  cast (struct task_struct *)',
        '    builtin curtask',
        'assign =',
        '  var $d',
        '  cast (struct sock *)',
        '    builtin arg0',
        'assign =',
        '  var $e',
        '  cast (int32[4])',
        '    var $x',
        'assign =',
        '  var $f',
        '  cast (union u **)',
        '    int 0',
      ),
    );
  });

  it('tells a typedef cast from a parenthesised name', () => {
    assert.equal(expr('(pid_t)$x'), lines('cast (pid_t)', '  var $x'));
    assert.equal(expr('(my_t *)arg1'), lines('cast (my_t *)', '  builtin arg1'));
    assert.equal(expr('(X) - 1'), lines('binop -', '  ident X', '  int 1'));
    assert.equal(expr('(pid) + 1'), lines('binop +', '  builtin pid', '  int 1'));
    assert.equal(expr('(X)'), lines('ident X'));
  });

  it('parses tuples of every size', () => {
    assert.equal(expr('()'), lines('tuple'));
    assert.equal(expr('(1,)'), lines('tuple', '  int 1'));
    assert.equal(expr('(1, "a", (2, 3))'), lines('tuple', '  int 1', '  string "a"', '  tuple', '    int 2', '    int 3'));
  });

  it('parses sizeof and offsetof', () => {
    assert.equal(
      expr('sizeof(struct task_struct); sizeof(uint32); sizeof($x); sizeof(u32 *); offsetof(struct x, a.b); offsetof(*curtask, comm)'),
      lines(
        'sizeof',
        '  type struct task_struct',
        'sizeof',
        '  type uint32',
        'sizeof',
        '  var $x',
        'sizeof',
        '  type u32 *',
        'offsetof a.b',
        '  type struct x',
        'offsetof comm',
        '  unop *',
        '    builtin curtask',
      ),
    );
  });

  it('parses unary operators', () => {
    assert.equal(
      expr('!$a; ~$a; -$a; +$a; *$a; &$a; -(-1); !!$a'),
      lines(
        'unop !', '  var $a',
        'unop ~', '  var $a',
        'unop -', '  var $a',
        'unop +', '  var $a',
        'unop *', '  var $a',
        'unop &', '  var $a',
        'unop -', '  unop -', '    int 1',
        'unop !', '  unop !', '    var $a',
      ),
    );
  });

  it('parses calls with builtin-named functions and stack modes', () => {
    assert.equal(
      expr('kstack(perf, 3); kstack; ustack(bpftrace)'),
      lines('call kstack', '  ident perf', '  int 3', 'builtin kstack', 'call ustack', '  ident bpftrace'),
    );
  });

  it('parses a ternary', () => {
    assert.equal(
      expr('$x = $a ? 1 : $b ? 2 : 3'),
      lines('assign =', '  var $x', '  ?:', '    var $a', '    int 1', '    ?:', '      var $b', '      int 2', '      int 3'),
    );
  });
});

describe('parser: predicates', () => {
  const pred = (src: string): string => printAst(parse(src).probes[0]!.predicate!);

  it('tells division from the end of the predicate', () => {
    assert.equal(pred('k:f /$x / 2 > 1/ { }'), lines('binop >', '  binop /', '    var $x', '    int 2', '  int 1'));
    assert.equal(pred('k:f /pid/{ }'), lines('builtin pid'));
    assert.equal(pred('k:f\n/ @start[tid] /\n{ }'), lines('map @start', '  builtin tid'));
    assert.equal(pred('k:f /(arg0 / 4096) == 1/ { }'), lines('binop ==', '  binop /', '    builtin arg0', '    int 4096', '  int 1'));
    assert.equal(pred('k:f /comm == "a/b"/ /* c */ { }'), lines('binop ==', '  builtin comm', '  string "a/b"'));
  });

  it('ends a kprobe spec at a slash without a space', () => {
    const p = parse('kprobe:f/pid == 1/{ }').probes[0]!;
    assert.equal(p.attachPoints[0]!.raw, 'kprobe:f');
    assert.equal(p.predicate?.kind, 'Binary');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parse, printAst, type CStructDef, type CType } from '../../src/lang/index.js';
import { langError } from './lang-error.js';

/** Printed preamble of a script made of `src` and an empty BEGIN probe. */
function preamble(src: string): string {
  return parse(`${src}\nBEGIN {}`)
    .preamble.map((p) => printAst(p))
    .join('');
}

function lines(...l: string[]): string {
  return l.join('\n') + '\n';
}

describe('C definitions in the preamble', () => {
  it('parses members with arrays, pointers, bitfields and nested aggregates', () => {
    assert.equal(
      preamble(
        [
          'struct Foo {',
          '  int a:3, :2, b;',
          '  char name[16];',
          '  unsigned long long big;',
          '  struct inner { int x; } in;',
          '  struct { int y; } anon_typed;',
          '  union { long l; void *p; };',
          '  const char *const *strs;',
          '  int *ptrs[4];',
          '  int (*parr)[4];',
          '  int grid[2][3];',
          '  void (*fn)(int, char *, ...);',
          '  u32 typedefd;',
          '  struct list_head list;',
          '};',
        ].join('\n'),
      ),
      lines(
        'struct Foo',
        '  field int a : 3',
        '  field int : 2',
        '  field int b',
        '  field char name[16]',
        '  field unsigned long long big',
        '  field struct inner in',
        '    field int x',
        '  field struct <anonymous> anon_typed',
        '    field int y',
        '  field union <anonymous>',
        '    field long l',
        '    field void *p',
        '  field const char *const *strs',
        '  field int *ptrs[4]',
        '  field int (*parr)[4]',
        '  field int grid[2][3]',
        '  field void (*fn)(int, char *, ...)',
        '  field u32 typedefd',
        '  field struct list_head list',
      ),
    );
  });

  it('builds C declarator types inside out', () => {
    const s = parse('struct S { int *a[4]; int (*b)[4]; int c[2][3]; };').preamble[0] as CStructDef;
    const t = (i: number): CType => s.members![i]!.type;
    const a = t(0);
    assert.equal(a.kind, 'ArrayType');
    assert.equal(a.kind === 'ArrayType' && a.of.kind, 'PointerType');
    const b = t(1);
    assert.equal(b.kind, 'PointerType');
    assert.equal(b.kind === 'PointerType' && b.to.kind, 'ArrayType');
    const c = t(2);
    assert.ok(c.kind === 'ArrayType' && c.length?.kind === 'Integer' && c.length.value === 2n);
    assert.ok(c.kind === 'ArrayType' && c.of.kind === 'ArrayType' && c.of.length?.kind === 'Integer' && c.of.length.value === 3n);
  });

  it('parses unions, enums, typedefs and forward declarations', () => {
    assert.equal(
      preamble(
        [
          'union U { int i; char c[4]; }',
          'enum E { A, B = 2, C = B << 1, };',
          'enum { X };',
          'typedef unsigned int u32, *pu32;',
          'typedef struct { int v; } wrapped_t;',
          'typedef void (*handler_t)(int sig);',
          'struct fwd;',
          'union ufwd;',
        ].join('\n'),
      ),
      lines(
        'union U',
        '  field int i',
        '  field char c[4]',
        'enum E',
        '  enumerator A',
        '  enumerator B = 2',
        '  enumerator C = B << 1',
        'enum <anonymous>',
        '  enumerator X',
        'typedef unsigned int u32',
        'typedef unsigned int *pu32',
        'typedef struct <anonymous> wrapped_t',
        '  field int v',
        'typedef void (*handler_t)(int sig)',
        'struct fwd (declaration)',
        'union ufwd (declaration)',
      ),
    );
  });

  it('accepts a definition without its semicolon, and attributes', () => {
    const prog = parse('struct Foo { int x, y; char *str; } kprobe:f { 1; }');
    assert.equal(prog.preamble.length, 1);
    assert.equal(prog.probes.length, 1);
    assert.equal(
      preamble('struct __attribute__((packed)) P { int a __attribute__((aligned(8))); } __attribute__((packed));'),
      lines('struct P', '  field int a'),
    );
  });

  it('keeps array lengths that are names or expressions', () => {
    assert.equal(
      preamble('#define N 4\nstruct S { char comm[TASK_COMM_LEN]; int v[N * 2 + 1]; };'),
      lines('define N 4', '  int 4', 'struct S', '  field char comm[TASK_COMM_LEN]', '  field int v[N * 2 + 1]'),
    );
  });

  it('records definitions in order with directives', () => {
    const prog = parse('#ifndef BPFTRACE_HAVE_BTF\n#include <linux/sched.h>\nstruct a { int x; };\n#else\n#include <sys/socket.h>\n#endif\nBEGIN { }');
    assert.deepEqual(
      prog.preamble.map((p) => p.kind),
      ['Directive', 'Include', 'CStructDef', 'Directive', 'Include', 'Directive'],
    );
  });

  it('parses #define forms', () => {
    assert.equal(
      preamble('#define A 1\n#define S "x\\n"\n#define E (A + 2)\n#define F(a, b) ((a) * (b))\n#define EMPTY\n#define L 1 + \\\n  2'),
      lines(
        'define A 1',
        '  int 1',
        'define S "x\\n"',
        '  string "x\\n"',
        'define E (A + 2)',
        '  binop +',
        '    ident A',
        '    int 2',
        'define F(a, b) ((a) * (b))',
        'define EMPTY',
        'define L 1 + 2',
        '  binop +',
        '    int 1',
        '    int 2',
      ),
    );
    // A body that is not an expression keeps only its text.
    const d = parse('#define BAD do { } while (0)\n').preamble[0]!;
    assert.ok(d.kind === 'Define' && d.value === null && d.body === 'do { } while (0)');
  });

  it('ignores comments on preprocessor lines', () => {
    assert.equal(
      preamble('#include <linux/sched.h> // task_struct\n#include "a.h" /* local */\n#define X 10 // ten\n#define S "a//b" /* c */\n#ifdef FOO // why'),
      lines('include <linux/sched.h>', 'include "a.h"', 'define X 10', '  int 10', 'define S "a//b"', '  string "a//b"', 'directive #ifdef FOO'),
    );
  });

  it("takes a last member that ends at '}' without ';', as clang does", () => {
    const prog = parse('struct x { unsigned long x } struct B { int a; int b[2] }; BEGIN {}', { file: 'c.bt' });
    const defs = prog.preamble.filter((d) => d.kind === 'CStructDef');
    assert.deepEqual(defs.map((d) => d.kind === 'CStructDef' ? (d.members ?? []).map((m) => m.name) : []), [['x'], ['a', 'b']]);
  });

  it('reports errors inside definitions', () => {
    const err = (src: string): string => {
      return langError(() => parse(src, { file: 'c.bt' }));
    };
    assert.equal(
      err('struct S {\n  int a\n  int b;\n};'),
      "c.bt:3:3: ERROR: expected ';' after member 'a', found 'int'\n  int b;\n  ^~~",
    );
    assert.equal(
      err('struct S {\n  int a;\n'),
      "c.bt:2:9: ERROR: unexpected end of file in struct S definition\n  int a;\n        ^\nhint: the '{' at line 1 is not closed",
    );
    assert.equal(err('#include linux/sched.h\n'), 'c.bt:1:1: ERROR: expected <file> or "file" after #include\n#include linux/sched.h\n^~~~~~~~~~~~~~~~~~~~~~');
  });
});

// Sema of newer bpftrace syntax (0.20–0.26): config blocks, exit(code), … — no root needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parse } from '../../../src/lang/parser.js';
import { analyze, type Analysis } from '../../../src/lang/sema/analyze.js';
import { compileToIr } from '../../../src/lang/compile.js';
import { langError } from '../lang-error.js';
import { typeName } from '../../../src/lang/types.js';
import { fixtureKernel } from './fixture.js';

function sema(src: string, opts: { strlen?: number; maxMapKeys?: number; stackMode?: 'bpftrace' | 'perf' | 'raw' } = {}): Analysis {
  return analyze(parse(src, { file: 'test.bt' }), { kernel: fixtureKernel(), file: 'test.bt', ...opts });
}

function error(src: string): string {
  return langError(() => sema(src));
}

/** Types of the scratch variables of the first unit. */
function vars(src: string): Record<string, string> {
  const u = sema(src).units[0]!;
  return Object.fromEntries([...u.vars.values()].map((v) => [v.name, typeName(v.type)]));
}

describe('sema: config block', () => {
  it('max_strlen sets the string size; the environment (options) wins', () => {
    assert.equal(sema('config = { max_strlen = 100 } BEGIN { $s = str(0); }').strlen, 100);
    assert.equal(sema('config = { BPFTRACE_MAX_STRLEN = 100 } BEGIN { }').strlen, 100);
    assert.equal(sema('config = { strlen = 32 } BEGIN { }').strlen, 32);
    assert.equal(sema('config = { max_strlen = 100 } BEGIN { }', { strlen: 20 }).strlen, 20);
    assert.deepEqual(vars('config = { max_strlen = 100 } BEGIN { $s = str(0); }'), { $s: 'string[100]' });
  });

  it('max_map_keys sizes the maps; print_maps_on_exit reaches the compiled script', () => {
    const c = compileToIr('config = { max_map_keys = 100; print_maps_on_exit = false } BEGIN { @m[1] = 1; @c = count(); }', { kernel: fixtureKernel() });
    assert.equal(c.maps.find((m) => m.name === '@m')!.maxEntries, 100);
    assert.equal(c.maps.find((m) => m.name === '@c')!.maxEntries, 1);
    assert.equal(c.printMapsOnExit, false);
    assert.equal(compileToIr('BEGIN { @m[1] = 1; }', { kernel: fixtureKernel() }).printMapsOnExit, undefined);
    assert.equal(compileToIr('config = { max_map_keys = 100 } BEGIN { @m[1] = 1; }', { kernel: fixtureKernel(), maxMapKeys: 7 }).maps.find((m) => m.name === '@m')!.maxEntries, 7);
  });

  it('stack_mode is the default mode of kstack/ustack; a mode at the call site wins', () => {
    const u = sema('config = { stack_mode = perf } BEGIN { @a[kstack] = count(); @b[ustack(3)] = count(); @c[kstack(raw)] = count(); }');
    const modes = Object.fromEntries([...u.maps.values()].map((m) => [m.name, m.keys![0]!.kind === 'stack' ? (m.keys![0] as { mode: string }).mode : '?']));
    assert.deepEqual(modes, { '@a': 'perf', '@b': 'perf', '@c': 'raw' });
  });

  it('unknown, unsupported and badly typed settings are errors at the setting', () => {
    assert.equal(error('config = { foo = 1 } BEGIN { }'),
      'test.bt:1:12: ERROR: foo: not a known configuration option\nconfig = { foo = 1 } BEGIN { }\n           ^~~~~~~\nhint: known options: max_strlen, max_map_keys, stack_mode, print_maps_on_exit, missing_probes');
    assert.match(error('config = { license = "GPL" } BEGIN { }'), /^test\.bt:1:12: ERROR: license: this bpftrace configuration option is not supported by sonde\n/);
    assert.match(error('config = { btf = "x" } BEGIN { }'), /^test\.bt:1:12: ERROR: btf: can only be set as an environment variable\n/);
    assert.match(error('config = { max_strlen = "x" } BEGIN { }'), /^test\.bt:1:25: ERROR: max_strlen: expects an integer\n/);
    assert.match(error('config = { stack_mode = fancy } BEGIN { }'), /^test\.bt:1:25: ERROR: stack_mode: Invalid value for stack_mode: expected bpftrace, perf or raw\n/);
    assert.match(error('config = { print_maps_on_exit = maybe } BEGIN { }'), /^test\.bt:1:33: ERROR: print_maps_on_exit: expects true or false\n/);
  });
});

describe('sema: exit(code)', () => {
  it('takes no argument or one integer', () => {
    sema('BEGIN { exit(); }');
    sema('BEGIN { exit(1); $x = 3; exit($x); }');
    assert.match(error('BEGIN { exit("no"); }'), /^test\.bt:1:9: ERROR: exit\(\) only supports integer arguments \(string provided\)\n/);
    assert.match(error('BEGIN { exit(1, 2); }'), /^test\.bt:1:9: ERROR: exit\(\) takes up to one argument \(2 provided\)\n/);
  });

  it('the exit event carries the code after the header', () => {
    const c = compileToIr('BEGIN { exit(5); } END { exit(); }', { kernel: fixtureKernel() });
    assert.deepEqual(c.events, [{ kind: 'exit', code: true }, { kind: 'exit' }]);
  });
});

describe('sema: reading aggregations (newer bpftrace)', () => {
  it('count reads as uint64, sum/min/max with the sign of their values', () => {
    assert.deepEqual(vars('BEGIN { @c = count(); @s = sum(-1); @u = sum((uint32)1); @m = min(-1); @x[1] = max(2); $c = @c; $s = @s; $u = @u; $m = @m; $x = @x[1]; }'),
      { $c: 'uint64', $s: 'int64', $u: 'uint64', $m: 'int64', $x: 'int64' });
    sema('BEGIN { @c = count(); if (@c > 10) { exit(); } @d = @c * 2; }');
  });

  it('avg reads as int64 (total / count); stats, hist and lhist still cannot be read', () => {
    assert.deepEqual(vars('BEGIN { @a = avg(1); $a = @a; }'), { $a: 'int64' });
    assert.match(error('BEGIN { @h = hist(1); $x = @h; }'), /@h is a hist\(\) map: its value cannot be read in a probe/);
    assert.match(error('BEGIN { @h = stats(1); $x = @h; }'), /@h is a stats\(\) map: its value cannot be read in a probe/);
  });
});

describe('sema: for loops', () => {
  const loopVar = (src: string): string => {
    const u = sema(src).units[0]!;
    return typeName([...u.loops.values()][0]!.variable.type);
  };

  it('the loop variable: (key, value), nested keys, the range\'s integer', () => {
    assert.equal(loopVar('BEGIN { @m[1] = "a"; for ($kv : @m) { } }'), '(int64, string[2])');
    assert.equal(loopVar('BEGIN { @m[1, "x"] = 2; for ($kv : @m) { } }'), '((int64, string[2]), int64)');
    assert.equal(loopVar('BEGIN { @m[1] = count(); for ($kv : @m) { } }'), '(int64, uint64)');
    assert.equal(loopVar('BEGIN { for ($i : 0..5) { } }'), 'int64');
    assert.equal(loopVar('BEGIN { for ($i : (uint8)0..pid) { } }'), 'uint64');
  });

  it('the same loop variable name in two loops may have two types; body variables stay in the body', () => {
    const a = sema('BEGIN { @a[1] = 2; @b["x"] = "y"; for ($kv : @a) { $n = $kv.1; } for ($kv : @b) { $n = $kv.1; } $n = "after"; }');
    const u = a.units[0]!;
    assert.deepEqual(u.scoped.map((v) => `${v.name}:${typeName(v.type)}`), ['$kv:(int64, int64)', '$n:int64', '$kv:(string[2], string[2])', '$n:string[2]']);
    assert.deepEqual(Object.fromEntries([...u.vars.values()].map((v) => [v.name, typeName(v.type)])), { $n: 'string[6]' });
  });

  it('errors: scalar and hist maps, shadowing, context builtins in the body, non-integer ranges', () => {
    assert.match(error('BEGIN { @s = 1; for ($kv : @s) { } }'), /ERROR: @s has no explicit keys \(scalar map\), and cannot be used for iteration\n/);
    assert.match(error('BEGIN { @h[1] = hist(1); for ($kv : @h) { } }'), /ERROR: Loop expression does not support type: hist\n/);
    assert.match(error('BEGIN { for ($kv : @nope) { } }'), /ERROR: Undefined map: @nope\n/);
    assert.match(error('BEGIN { $i = 1; for ($i : 0..2) { } }'), /^test\.bt:1:22: ERROR: Loop declaration shadows existing variable: \$i\n/);
    assert.match(error('tracepoint:syscalls:sys_enter_openat { for ($i : 0..2) { print(args.flags); } }'), /ERROR: 'args' builtin is not allowed in a for-loop\n/);
    assert.match(error('kprobe:f { for ($i : 0..2) { print(arg0); } }'), /ERROR: 'arg0' builtin is not allowed in a for-loop\n/);
    assert.match(error('kprobe:f { for ($i : 0..2) { @[kstack] = count(); } }'), /ERROR: 'kstack' builtin is not allowed in a for-loop\n/);
    assert.match(error('BEGIN { for ($i : "a"..2) { } }'), /ERROR: Loop range requires an integer for the start value\n/);
    assert.match(error('BEGIN { for ($i : 0..2) { } print($i); }'), /ERROR: Undefined or undeclared variable: \$i\n/);
  });

  it('a body that returns or exits is marked (its callback sets a flag for the caller)', () => {
    const u = sema('BEGIN { for ($i : 0..2) { if ($i) { return; } } for ($j : 0..2) { for ($k : 0..2) { exit(); } } for ($l : 0..2) { } }').units[0]!;
    assert.deepEqual([...u.loops.values()].map((l) => [l.variable.name, l.returns]), [['$i', true], ['$j', true], ['$k', true], ['$l', false]]);
  });
});

describe('sema: let and scopes', () => {
  it('let takes its type from the declaration, else from the first value; 0.17 variables stay probe-wide', () => {
    const u = sema('BEGIN { let $a: uint16 = 70000; let $b; $b = "s"; let $c = 5; if (1) { $d = 1; } $e = $d; }').units[0]!;
    assert.deepEqual(Object.fromEntries([...u.vars.values()].map((v) => [v.name, typeName(v.type)])),
      { $a: 'uint16', $b: 'string[2]', $c: 'int64', $d: 'int64', $e: 'int64' });
  });

  it('a let in a block is gone after it; shadowing and reads before any value are errors', () => {
    assert.match(error('BEGIN { if (1) { let $x = 1; } print($x); }'), /ERROR: Undefined or undeclared variable: \$x\n/);
    assert.equal(error('BEGIN { $x = 1; if (1) { let $x = 2; } }'),
      'test.bt:1:26: ERROR: Variable $x was already declared. Variable shadowing is not allowed.\nBEGIN { $x = 1; if (1) { let $x = 2; } }\n                         ^~~~~~~~~~\nhint: $x was first declared at test.bt:1:9');
    assert.match(error('BEGIN { let $x; print($x); }'), /ERROR: Variable used before it was assigned: \$x\n/);
    // Sibling blocks may each declare their own.
    const u = sema('BEGIN { { let $x = 1; } { let $x = "s"; } }').units[0]!;
    assert.deepEqual(u.scoped.map((v) => typeName(v.type)), ['int64', 'string[2]']);
  });
});

describe('sema: has_key and len', () => {
  it('types and errors', () => {
    assert.deepEqual(vars('BEGIN { @m[1, "a"] = 1; $h = has_key(@m, (1, "a")); $l = len(@m); $n = !has_key(@m, (2, "b")); $t = true; }'), { $h: 'bool', $l: 'int64', $n: 'bool', $t: 'bool' });
    assert.match(error('BEGIN { @s = 1; $l = len(@s); }'), /ERROR: call to len\(\) expects a map with explicit keys \(non-scalar map\)\n/);
    assert.match(error('BEGIN { @s = 1; $h = has_key(@s, 1); }'), /ERROR: @s: has_key\(\) expects a map with explicit keys \(non-scalar map\)\n/);
    assert.match(error('BEGIN { @m[1] = 1; $h = has_key(@m, "x"); }'), /ERROR: Argument mismatch for @m/);
  });
});

describe('sema: map declarations (let @m = lruhash(N);)', () => {
  it('set the kind and the number of entries; per-CPU-ness stays with the value', () => {
    const c = compileToIr('let @l = lruhash(10); let @p = percpulruhash(20); let @h = hash(30); BEGIN { @l[1] = 1; @p[1] = count(); @h["a"] = 2; @s = count(); }', { kernel: fixtureKernel() });
    const m = Object.fromEntries(c.maps.filter((x) => x.user).map((x) => [x.name, `${x.kind} ${x.maxEntries}`]));
    assert.deepEqual(m, { '@l': 'lru_hash 10', '@p': 'lru_percpu_hash 20', '@h': 'hash 30', '@s': 'percpu_array 1' });
  });

  it('errors: unknown kinds, a per-CPU kind for plain values, twice the same map; an unused one warns', () => {
    assert.match(error('let @x = fancy(10); BEGIN { @x[1] = 1; }'), /^test\.bt:1:1: ERROR: Invalid bpf map type: fancy\n/);
    assert.match(error('let @p = percpuhash(10); BEGIN { @p[1] = 5; }'), /ERROR: @p: a percpuhash map holds aggregations/);
    assert.match(error('let @x = hash(1); let @x = hash(2); BEGIN { @x[1] = 1; }'), /ERROR: @x is already declared\n/);
    assert.deepEqual(sema('let @u = hash(5); BEGIN { }').warnings, ['test.bt:1:1: warning: Unused map: @u\nlet @u = hash(5); BEGIN { }\n^~~~~~~~~~~~~~~~~']);
  });
});

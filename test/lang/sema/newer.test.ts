// Sema of newer bpftrace syntax (0.20–0.26): config blocks, exit(code), … — no root needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parse } from '../../../src/lang/parser.js';
import { analyze, type Analysis } from '../../../src/lang/sema/analyze.js';
import { compileToIr } from '../../../src/lang/compile.js';
import { LangError } from '../../../src/lang/diagnostic.js';
import { typeName } from '../../../src/lang/types.js';
import { fixtureKernel } from './fixture.js';

function sema(src: string, opts: { strlen?: number; maxMapKeys?: number; stackMode?: 'bpftrace' | 'perf' | 'raw' } = {}): Analysis {
  return analyze(parse(src, { file: 'test.bt' }), { kernel: fixtureKernel(), file: 'test.bt', ...opts });
}

function error(src: string): string {
  try {
    sema(src);
  } catch (e) {
    if (e instanceof LangError) return e.format();
    throw e;
  }
  assert.fail('expected an error');
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
      'test.bt:1:12: error: foo: not a known configuration option\nconfig = { foo = 1 } BEGIN { }\n           ^~~~~~~\nhint: known options: max_strlen, max_map_keys, stack_mode, print_maps_on_exit');
    assert.match(error('config = { license = "GPL" } BEGIN { }'), /^test\.bt:1:12: error: license: this bpftrace configuration option is not supported by sonde\n/);
    assert.match(error('config = { btf = "x" } BEGIN { }'), /^test\.bt:1:12: error: btf: can only be set as an environment variable\n/);
    assert.match(error('config = { max_strlen = "x" } BEGIN { }'), /^test\.bt:1:25: error: max_strlen: expects an integer\n/);
    assert.match(error('config = { stack_mode = fancy } BEGIN { }'), /^test\.bt:1:25: error: stack_mode: Invalid value for stack_mode: expected bpftrace, perf or raw\n/);
    assert.match(error('config = { print_maps_on_exit = maybe } BEGIN { }'), /^test\.bt:1:33: error: print_maps_on_exit: expects true or false\n/);
  });
});

describe('sema: exit(code)', () => {
  it('takes no argument or one integer', () => {
    sema('BEGIN { exit(); }');
    sema('BEGIN { exit(1); $x = 3; exit($x); }');
    assert.match(error('BEGIN { exit("no"); }'), /^test\.bt:1:9: error: exit\(\) only supports integer arguments \(string provided\)\n/);
    assert.match(error('BEGIN { exit(1, 2); }'), /^test\.bt:1:9: error: exit\(\) takes up to one argument \(2 provided\)\n/);
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

  it('avg, stats, hist and lhist still cannot be read', () => {
    assert.match(error('BEGIN { @h = hist(1); $x = @h; }'), /@h is a hist\(\) map: its value cannot be read in a probe/);
    assert.match(error('BEGIN { @h = stats(1); $x = @h; }'), /@h is a stats\(\) map: its value cannot be read in a probe/);
  });
});

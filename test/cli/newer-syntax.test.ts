// Newer bpftrace syntax (0.20–0.26) through bin/sonde, with exact output. bpftrace 0.17 has none of
// it; the expected texts follow bpftrace's docs and its tests/runtime definitions (for, config, …).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function sonde(program: string, opts: { env?: NodeJS.ProcessEnv; args?: string[] } = {}) {
  return spawnSync(SONDE, [...(opts.args ?? []), '-e', program], { encoding: 'utf8', timeout: 60_000, ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
}

/** Runs a script that must succeed; its stdout. */
function out(program: string, opts: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): string {
  const r = sonde(program, opts);
  assert.equal(r.stderr, '', program);
  assert.equal(r.status, 0, program);
  return r.stdout;
}

test('lowercase begin/end; a script with only begin/end probes ends by itself (bpftrace >= 0.20)', needsRoot, () => {
  assert.equal(out('begin { printf("hi\\n"); @a = 1; } end { printf("bye\\n"); }'), 'Attaching 2 probes...\nhi\nbye\n\n\n@a: 1\n');
  assert.equal(out('BEGIN { printf("hi\\n"); }'), 'Attaching 1 probe...\nhi\n\n\n');
});

test('exit(code): END still runs, maps are printed, the status is the code', needsRoot, () => {
  const r = sonde('BEGIN { @a = 7; exit(3); printf("not this\\n"); } END { printf("end\\n"); }');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 3);
  assert.equal(r.stdout, 'Attaching 2 probes...\nend\n\n\n@a: 7\n');
  const e = sonde('BEGIN { $c = 40; exit($c + 2); }');
  assert.equal(e.status, 42);
  assert.equal(sonde('BEGIN { exit(); }').status, 0);
});

test('interval:100ms, interval:1s name themselves as newer bpftrace does (µs)', needsRoot, () => {
  assert.equal(out('interval:100ms { printf("%s\\n", probe); exit(); }'), 'Attaching 1 probe...\ninterval:us:100000\n\n\n');
  const r = sonde('profile:99 { exit(); }');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^stdin:1:9: ERROR: Invalid rate of profile probe\. Minimum is 1000 or 1us\. Found: 99 nanoseconds\n/);
});

test('config block: max_strlen, print_maps_on_exit, stack_mode; unknown keys are errors; the environment wins', needsRoot, () => {
  const script = (cfg: string) => `config = { ${cfg} } tracepoint:syscalls:sys_enter_openat /pid == cpid/ { printf("%s\\n", str(args.filename)); @a = 1; exit(); }`;
  const cmd = ['-c', '/bin/true'];
  assert.equal(out(script('max_strlen = 5; print_maps_on_exit = false'), { args: cmd }).split('\n').slice(1, 2).join(''), '/etc');
  assert.equal(out(script('BPFTRACE_MAX_STRLEN = 5; print_maps_on_exit = false'), { args: cmd, env: { BPFTRACE_MAX_STRLEN: '9' } }).split('\n').slice(1, 2).join(''), '/etc/ld.');
  assert.equal(out('config = { print_maps_on_exit = 0 } BEGIN { @a = 1; @b[1] = 2; }'), 'Attaching 1 probe...\n');
  // raw: bare addresses; a mode written at the call site still wins.
  const stacks = out('config = { stack_mode = raw } BEGIN { @[kstack] = count(); @s[kstack(bpftrace)] = count(); }');
  assert.match(stacks, /^Attaching 1 probe\.\.\.\n\n\n@\[\n([0-9a-f]+\n)+\]: 1\n@s\[\n( +\w+\+\d+\n)+\]: 1\n$/);
  const bad = sonde('config = { foo = 1 } BEGIN { }');
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'stdin:1:12: ERROR: foo: not a known configuration option\nconfig = { foo = 1 } BEGIN { }\n           ^~~~~~~\nhint: known options: max_strlen, max_map_keys, stack_mode, print_maps_on_exit, missing_probes\n');
});

test('count/sum/min/max/avg values read as integers in probes, every CPU\'s part combined', needsRoot, () => {
  assert.equal(out('begin { @a = avg(10); @a = avg(-31); @b[1] = avg(7); @b[1] = avg(8); printf("%d %d\\n", @a, @b[1]); for ($kv : @b) { print($kv); } clear(@a); clear(@b); }'),
    'Attaching 1 probe...\n-10 7\n(1, 7)\n\n\n@a: 0\n\n\n\n');
  // The interval probe fires on CPU 0 and the openat calls of `true` on any CPU: the sum is exact.
  assert.equal(out('BEGIN { @c = count(); @c = count(); @s = sum(5); @s = sum(-8); @mn = min(4); @mn = min(9); @mx[1] = max(-2); @mx[1] = max(-7); ' +
    'printf("%d %d %d %d %d\\n", @c, @s, @mn, @mx[1], @mx[2]); if (@c > 1) { printf("more than one\\n"); } $v = @s; @copy = @c + 10; }'),
  'Attaching 1 probe...\n2 -3 4 -2 0\nmore than one\n\n\n@c: 2\n@copy: 12\n@mn: 4\n@mx[1]: -2\n@s: -3\n');
  const r = out('tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @n[cpu] = count(); @all = count(); } END { printf("%d\\n", @all); $t = 0; $t += @n[0]; $t += @n[1]; $t += @n[2]; $t += @n[3]; printf("%d\\n", $t); clear(@n); }', { args: ['-c', '/bin/true'] });
  const [, a, b] = r.split('\n');
  assert.ok(Number(a) >= 1, r);
  assert.equal(a, b, r);
});

/** The lines a script printed, sorted (a hash map's iteration order is the kernel's). */
function sortedLines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '').sort();
}

// bpftrace's tests/runtime/for, with the exact output (maps cleared so that only the loop prints).
test('for ($kv : @map): (key, value) tuples, several keys nested, strings, per-CPU counts summed', needsRoot, () => {
  const cases: [string, string[]][] = [
    ['begin { @map[16] = 32; @map[64] = 128; for ($kv : @map) { print($kv); } clear(@map); }', ['(16, 32)', '(64, 128)']],
    ['begin { @map[16,17] = 32; @map[64,65] = 128; for ($kv : @map) { printf("key: (%d,%d), val: %d\\n", $kv.0.0, $kv.0.1, $kv.1); } clear(@map); }',
      ['key: (16,17), val: 32', 'key: (64,65), val: 128']],
    ['begin { @map["abc"] = "aa"; @map["def"] = "dd"; for ($kv : @map) { print($kv); } clear(@map); }', ['(abc, aa)', '(def, dd)']],
    ['begin { @a[16] = 32; @a[17] = 33; @b[64] = "aa"; @b[65] = "bb"; for ($kv : @a) { print($kv); } for ($kv : @b) { print($kv); } clear(@a); clear(@b); }',
      ['(16, 32)', '(17, 33)', '(64, aa)', '(65, bb)']],
    ['begin { @map[16,17] = count(); @map[16,17] = count(); @map[1,2] = count(); for ($kv : @map) { print($kv); } clear(@map); }', ['((1, 2), 1)', '((16, 17), 2)']],
    ['begin { @map[16] = 32; @map[64] = 128; for ($kv : @map) { @new[$kv.1] = $kv.0; } clear(@map); print(@new); clear(@new); }', ['@new[128]: 64', '@new[32]: 16']],
  ];
  for (const [prog, lines] of cases) {
    const o = out(prog);
    assert.ok(o.startsWith('Attaching 1 probe...\n'), o);
    assert.deepEqual(sortedLines(o.slice('Attaching 1 probe...\n'.length)), lines, prog);
  }
  assert.equal(out('begin { @a[16] = 32; @a[17] = 33; @b[64] = 128; @b[65] = 129; @b[66] = 130; for ($kv : @a) { printf("A"); for ($kv2 : @b) { printf("B"); } } printf("\\n"); clear(@a); clear(@b); }'),
    'Attaching 1 probe...\nABBBABBB\n\n\n\n\n');
  // delete() of the entry being visited, with the tuple of its keys.
  assert.equal(out('begin { @[0,0,0] = 1; @[0,0,1] = 1; @[0,1,0] = 1; @[1,0,0] = 1; for ($kv : @) { if ($kv.0.1 == 1) { delete(@, $kv.0); } } }'),
    'Attaching 1 probe...\n\n\n@[0, 0, 0]: 1\n@[0, 0, 1]: 1\n@[1, 0, 0]: 1\n');
});

test('loop bodies share the probe\'s variables (read and written), break/continue/return/exit', needsRoot, () => {
  assert.equal(out('begin { @map[0] = 0; @map[1] = 1; $var = 123; for ($kv : @map) { print($var); $var *= 2; } print($var); clear(@map); }'),
    'Attaching 1 probe...\n123\n246\n492\n\n\n\n');
  assert.equal(out('begin { @map[0] = 0; @map[1] = 1; $var = "abc"; for ($kv : @map) { print($var); $var = "def"; } print($var); clear(@map); }'),
    'Attaching 1 probe...\nabc\ndef\ndef\n\n\n\n');
  assert.equal(out('begin { @map["foo"] = 1; @map["bar"] = 2; for ($i : @map) { if ($i.0 == "bar") { print($i.0); return; } } print("end"); clear(@map); }'),
    'Attaching 1 probe...\nbar\n\n\n@map[foo]: 1\n@map[bar]: 2\n');
  assert.equal(out('begin { for ($i : 1..4) { if ($i == 2) { break; } print($i); } print("5"); for ($i : 1..4) { if ($i == 2) { continue; } print($i); } }'),
    'Attaching 1 probe...\n1\n5\n1\n3\n\n\n');
  assert.equal(out('begin { for ($i : 1..4) { for ($j : 1..$i) { print($j); if ($j == 2) { return; } } } print("end"); }'), 'Attaching 1 probe...\n1\n1\n2\n\n\n');
  const r = sonde('begin { for ($i : 0..3) { if ($i == 1) { exit(4); } printf("%d\\n", $i); } printf("not here\\n"); }');
  assert.equal(r.status, 4);
  assert.equal(r.stdout, 'Attaching 1 probe...\n0\n\n\n');
});

test('for ($i : a..b): start inclusive, end exclusive, evaluated once; empty and negative ranges; a million iterations', needsRoot, () => {
  assert.equal(out('begin { for ($i : 0..5) { print($i); } }'), 'Attaching 1 probe...\n0\n1\n2\n3\n4\n\n\n');
  assert.equal(out('begin { $start = 2; $end = 7; for ($i : $start..$end) { print($i); } }'), 'Attaching 1 probe...\n2\n3\n4\n5\n6\n\n\n');
  assert.equal(out('begin { for ($i : (1+1)..(2*4)) { printf("%d ", $i); } printf("\\n"); }'), 'Attaching 1 probe...\n2 3 4 5 6 7 \n\n\n');
  assert.equal(out('begin { for ($i : 1..0) { print("here"); } for ($i : 5..5) { print("here"); } print("none"); }'), 'Attaching 1 probe...\nnone\n\n\n');
  assert.equal(out('begin { for ($i : (-3)..3) { print($i); } }'), 'Attaching 1 probe...\n-3\n-2\n-1\n0\n1\n2\n\n\n');
  assert.equal(out('begin { $sum = 0; for ($i : 1..5) { $sum += $i; } print($sum); }'), 'Attaching 1 probe...\n10\n\n\n');
  assert.equal(out('begin { $a = 10; for ($i : 0..$a) { $a--; } print($a); }'), 'Attaching 1 probe...\n0\n\n\n');
  assert.equal(out('begin { @a = 10; for ($i : 0..@a) { @a += 1; } }'), 'Attaching 1 probe...\n\n\n@a: 20\n');
  // A map read before the loop is read again after it (the body wrote it).
  assert.equal(out('begin { @a = 1; $x = @a; for ($i : 0..3) { @a += @a; } printf("%d %d\\n", $x, @a); clear(@a); }'), 'Attaching 1 probe...\n1 8\n\n\n\n');
  assert.equal(out('begin { for ($i : 0..1000000) { if ($i == 999999) { printf("%d\\n", $i); } } }'), 'Attaching 1 probe...\n999999\n\n\n');
  // In a probe that fires for real, with the probe's own values read before the loop.
  assert.equal(out('tracepoint:syscalls:sys_enter_openat /pid == cpid/ { $p = args.filename; for ($i : 0..2) { printf("%d %s\\n", $i, str($p)); } exit(); }', { args: ['-c', '/bin/true'] }),
    'Attaching 1 probe...\n0 /etc/ld.so.cache\n1 /etc/ld.so.cache\n\n\n');
});

test('let: declared 0, typed by its value or its type, scoped to its block; has_key() and len()', needsRoot, () => {
  // bpftrace's tests/runtime/for "external function call": has_key() is a bool, printed true/false.
  assert.equal(out('begin { @map[1] = 1; $x = 1; for ($kv : @map) { print(has_key(@map, $x)); } for ($i : 0..1) { print(!has_key(@map, $x)); } @b = has_key(@map, 1); print((true, false)); clear(@map); }'),
    'Attaching 1 probe...\ntrue\nfalse\n(true, false)\n\n\n@b: true\n\n');
  assert.equal(out('begin { let $x; let $y: uint8 = 300; { let $z = "in"; print($z); } if (1) { let $z = 5; print($z); } $x = 7; print(($x, $y)); }'),
    'Attaching 1 probe...\nin\n5\n(7, 44)\n\n\n');
  assert.equal(out('begin { for ($i : 0..2) { let $n; $n += $i; $n++; $m = $i * 10; print(($n, $m)); } let $k; $k++; print($k); }'),
    'Attaching 1 probe...\n(1, 0)\n(2, 10)\n1\n\n\n');
  assert.equal(out('begin { @m[1] = 1; @m[2] = 2; @c[1, "a"] = count(); @c[2, "b"] = count(); @c[3, "b"] = count(); @e[1] = 1; delete(@e, 1); ' +
    'printf("%d %d %d %d %d %d\\n", len(@m), len(@c), len(@e), has_key(@m, 2), has_key(@m, 3), has_key(@c, (2, "b"))); clear(@m); clear(@c); }'),
    'Attaching 1 probe...\n2 3 0 1 0 1\n\n\n\n\n\n');
});

test('map declarations: lruhash(N) keeps N entries, evicting the least recently used', needsRoot, () => {
  assert.equal(out('let @m = lruhash(2); begin { @m[1] = 1; @m[2] = 2; @m[3] = 3; printf("%d %d\\n", len(@m), has_key(@m, 3)); clear(@m); }'),
    'Attaching 1 probe...\n2 1\n\n\n\n');
});

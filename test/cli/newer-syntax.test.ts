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
  assert.match(r.stderr, /^stdin:1:9: error: Invalid rate of profile probe\. Minimum is 1000 or 1us\. Found: 99 nanoseconds\n/);
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
  assert.equal(bad.stderr, 'stdin:1:12: error: foo: not a known configuration option\nconfig = { foo = 1 } BEGIN { }\n           ^~~~~~~\nhint: known options: max_strlen, max_map_keys, stack_mode, print_maps_on_exit\n');
});

test('count/sum/min/max values read as integers in probes, every CPU\'s part combined', needsRoot, () => {
  // The interval probe fires on CPU 0 and the openat calls of `true` on any CPU: the sum is exact.
  assert.equal(out('BEGIN { @c = count(); @c = count(); @s = sum(5); @s = sum(-8); @mn = min(4); @mn = min(9); @mx[1] = max(-2); @mx[1] = max(-7); ' +
    'printf("%d %d %d %d %d\\n", @c, @s, @mn, @mx[1], @mx[2]); if (@c > 1) { printf("more than one\\n"); } $v = @s; @copy = @c + 10; }'),
  'Attaching 1 probe...\n2 -3 4 -2 0\nmore than one\n\n\n@c: 2\n@copy: 12\n@mn: 4\n@mx[1]: -2\n@s: -3\n');
  const r = out('tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @n[cpu] = count(); @all = count(); } END { printf("%d\\n", @all); $t = 0; $t += @n[0]; $t += @n[1]; $t += @n[2]; $t += @n[3]; printf("%d\\n", $t); clear(@n); }', { args: ['-c', '/bin/true'] });
  const [, a, b] = r.split('\n');
  assert.ok(Number(a) >= 1, r);
  assert.equal(a, b, r);
});

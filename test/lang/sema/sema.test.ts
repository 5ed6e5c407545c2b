import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parse } from '../../../src/lang/parser.js';
import { analyze, type Analysis } from '../../../src/lang/sema/analyze.js';
import { langError } from '../lang-error.js';
import { typeName } from '../../../src/lang/types.js';
import { fixtureKernel } from './fixture.js';

function sema(src: string, opts: { params?: string[]; unsafe?: boolean; syscallNumbers?: boolean; pid?: number } = {}): Analysis {
  const kernel = fixtureKernel(opts.syscallNumbers === false ? { syscallNumbers: false } : {});
  return analyze(parse(src, { file: 'test.bt' }), { kernel, file: 'test.bt', ...opts });
}

/** Types of the scratch variables of the first unit of probe `probe`, as names. */
function vars(src: string, probe = 0, opts: { params?: string[] } = {}): Record<string, string> {
  const a = sema(src, opts);
  const u = a.units.find((x) => x.probeIndex === probe)!;
  return Object.fromEntries([...u.vars.values()].map((v) => [v.name, typeName(v.type)]));
}

function maps(src: string, opts: { params?: string[] } = {}): Record<string, string> {
  const a = sema(src, opts);
  return Object.fromEntries([...a.maps.values()].map((m) => [m.name, `${m.keys && m.keys.length ? `[${m.keys.map(typeName).join(', ')}] ` : ''}${m.value ? typeName(m.value) : '?'}`]));
}

function error(src: string, opts: { params?: string[]; unsafe?: boolean } = {}): string {
  // Parse errors are the parser's; only sema errors reach here.
  return langError(() => sema(src, opts));
}

describe('sema: types (bpftrace 0.17 rules)', () => {
  it('builtins', () => {
    assert.deepEqual(vars('BEGIN { $a = pid; $b = tid; $c = uid; $d = gid; $e = nsecs; $f = elapsed; $g = cpu; $h = comm; $i = rand; $j = cgroup; $k = cpid; $l = curtask; $m = probe; $n = $#; }'), {
      $a: 'uint64', $b: 'uint64', $c: 'uint64', $d: 'uint64', $e: 'uint64', $f: 'uint64', $g: 'uint64', $h: 'string[16]',
      $i: 'uint64', $j: 'uint64', $k: 'uint32', $l: 'struct task_struct *', $m: 'probe', $n: 'int64',
    });
  });

  it('literals are int64, strings are sized with their NUL', () => {
    assert.deepEqual(vars('BEGIN { $a = 1; $b = 0xffffffffffffffff; $c = "abc"; $d = ""; $e = -1; }'), {
      $a: 'int64', $b: 'int64', $c: 'string[4]', $d: 'string[1]', $e: 'int64',
    });
  });

  it('casts keep their width in scratch variables; maps store 64 bits', () => {
    assert.deepEqual(vars('BEGIN { $a = (uint8)5; $b = (int16)-1; $c = (uint32)$a; $d = (int8 *)0; }'), {
      $a: 'uint8', $b: 'int16', $c: 'uint32', $d: 'int8 *',
    });
    assert.deepEqual(maps('BEGIN { @a = (uint8)5; @b = (int16)-1; }'), { '@a': 'uint64', '@b': 'int64' });
  });

  it('binary operators: 64-bit, signed only when both sides are; shifts follow the left side', () => {
    assert.deepEqual(vars('BEGIN { $u = (uint32)3; $s = (int8)-3; $a = $u + $s; $b = $s * 2; $c = $s << $u; $d = $u >> 1; $e = $s < $u; $f = 1 == 2; $g = $s && $u; }'), {
      $u: 'uint32', $s: 'int8', $a: 'uint64', $b: 'int64', $c: 'int64', $d: 'uint64', $e: 'uint64', $f: 'int64', $g: 'uint64',
    });
  });

  it('unary operators', () => {
    assert.deepEqual(vars('BEGIN { $s = (int8)-3; $u = (uint32)3; $a = -$s; $b = ~$u; $c = !$s; $d = !$u; }'), {
      $s: 'int8', $u: 'uint32', $a: 'int64', $b: 'uint64', $c: 'uint8', $d: 'uint32',
    });
  });

  it('ternary: integers take the then-side signedness, strings the larger size', () => {
    assert.deepEqual(vars('BEGIN { $u = (uint32)1; $a = 1 ? $u : -1; $b = 1 ? "a" : "abc"; }'), { $u: 'uint32', $a: 'uint64', $b: 'string[4]' });
  });

  it('string variables and maps widen to the longest string assigned', () => {
    assert.deepEqual(vars('BEGIN { $s = "ab"; $s = "abcd"; }'), { $s: 'string[5]' });
    assert.deepEqual(maps('BEGIN { @s = "ab"; } END { @s = "abcdef"; }'), { '@s': 'string[7]' });
  });

  it('a scratch variable keeps its first integer type', () => {
    assert.deepEqual(vars('BEGIN { $y = (uint8)5; $y = 300; }'), { $y: 'uint8' });
  });

  it('map keys: integers are 64-bit, several keys make a tuple, strings widen', () => {
    assert.deepEqual(maps('BEGIN { @a[(int8)1] = 1; @b[1, "x"] = 2; @b[2, "xyz"] = 3; @c[comm, pid] = count(); }'), {
      '@a': '[int64] int64', '@b': '[int64, string[4]] int64', '@c': '[string[16], uint64] count_t',
    });
  });

  it('map types are inferred across probes: a map may be read before the probe that assigns it', () => {
    assert.deepEqual(maps('BEGIN { printf("%d\\n", @later); } END { @later = (uint16)1; }'), { '@later': 'uint64' });
  });

  it('aggregations', () => {
    assert.deepEqual(maps('BEGIN { @c = count(); @s = sum((int8)-1); @u = sum((uint8)1); @m = min(1); @x = max((uint32)1); @a = avg(1); @t = stats(1); @h = hist(1); @l = lhist(1, 0, 10, 1); }'), {
      '@c': 'count_t', '@s': 'sum_t', '@u': 'sum_t', '@m': 'min_t', '@x': 'max_t', '@a': 'avg_t', '@t': 'stats_t', '@h': 'hist_t', '@l': 'lhist_t',
    });
    const a = sema('BEGIN { @s = sum((int8)-1); @u = sum((uint8)1); @l = lhist(1, 0, 100, 10); }');
    assert.deepEqual(a.maps.get('@s')!.value, { kind: 'agg', fn: 'sum', signed: true });
    assert.deepEqual(a.maps.get('@u')!.value, { kind: 'agg', fn: 'sum', signed: false });
    assert.deepEqual(a.maps.get('@l')!.value, { kind: 'agg', fn: 'lhist', signed: true, lhist: { min: 0n, max: 100n, step: 10n } });
  });

  it('a fresh map read by a compound assignment is unsigned; ++ and -- make it signed', () => {
    assert.deepEqual(maps('BEGIN { @q += -3; @u = @u - 3; @d--; @s = 0; @s -= 3; }'), { '@q': 'uint64', '@u': 'uint64', '@d': 'int64', '@s': 'int64' });
  });

  it('tuples', () => {
    assert.deepEqual(vars('BEGIN { $t = (1, "a", (uint8)2); $x = $t.1; }'), { $t: '(int64, string[2], uint8)', $x: 'string[2]' });
    const t = sema('BEGIN { $t = (1, "a", (uint8)2); }').units[0]!.vars.get('$t')!.type;
    assert.deepEqual(t, {
      kind: 'tuple', offsets: [0, 8, 10], size: 16,
      elems: [{ kind: 'int', size: 8, signed: true }, { kind: 'string', size: 2 }, { kind: 'int', size: 1, signed: false }],
    });
  });

  it('positional parameters: numbers are int64, str($N) is a string', () => {
    assert.deepEqual(vars('BEGIN { $a = $1; $b = str($2); $c = $3; $n = $#; }', 0, { params: ['0x10', 'hello'] }), {
      $a: 'int64', $b: 'string[64]', $c: 'int64', $n: 'int64',
    });
  });

  it('numeric parameters are C integer literals (std::stoll base 0): hex, octal, signs, leading blanks', () => {
    const a = sema('BEGIN { @ = $1 + $2 + $3 + $4 + $5 + $6; }', { params: ['0x10', '077', '-5', '+7', ' 9', '0'] });
    const sum = (a.program.probes[0]!.body.stmts[0] as { value: Parameters<Analysis['constInt']>[0] }).value;
    assert.equal(a.constInt(sum), 16n + 63n - 5n + 7n + 9n);
    assert.match(error('BEGIN { @ = $1; }', { params: ['08'] }), /\$1 used numerically but given "08"/);
  });

  it('tracepoint fields from the format file (syscall arguments are 8-byte slots)', () => {
    assert.deepEqual(vars('tracepoint:syscalls:sys_enter_openat { $a = args->dfd; $b = args->filename; $c = args->flags; $d = args->mode; $e = args.__syscall_nr; $f = str(args->filename); }'), {
      $a: 'int64', $b: 'int8 *', $c: 'int64', $d: 'uint64', $e: 'int32', $f: 'string[64]',
    });
    assert.deepEqual(vars('tracepoint:sched:sched_switch { $a = args->prev_comm; $b = args->prev_pid; $c = args->prev_state; }'), {
      $a: 'string[16]', $b: 'int32', $c: 'int64',
    });
    assert.deepEqual(vars('tracepoint:raw_syscalls:sys_enter { $a = args->args[1]; $b = args->id; }'), { $a: 'uint64', $b: 'int64' });
    const a = sema('tracepoint:syscalls:sys_enter_openat { $p = args->filename; } tracepoint:sched:sched_process_exec { $p = args->filename; }');
    assert.deepEqual(a.units[0]!.vars.get('$p')!.type, { kind: 'pointer', to: { kind: 'int', size: 1, signed: true }, space: 'user' });
    // __data_loc: a pointer into the record (kernel memory).
    assert.deepEqual(a.units[1]!.vars.get('$p')!.type, { kind: 'pointer', to: { kind: 'int', size: 1, signed: true }, space: 'kernel' });
  });

  it('uprobes read arguments from pt_regs; func is a usym there and a ksym in kprobes', () => {
    assert.deepEqual(vars('uprobe:/bin/sh:main { $a = arg0; $f = func; }'), { $a: 'uint64', $f: 'usym' });
    assert.deepEqual(vars('kprobe:vfs_read { $a = arg5; $f = func; }'), { $a: 'uint64', $f: 'ksym' });
    assert.deepEqual(vars('kretprobe:vfs_read { $r = retval; }'), { $r: 'uint64' });
  });

  it('ntop, strerror, macaddr, buf, reg', () => {
    assert.deepEqual(vars('kprobe:f { $a = ntop(arg0); $b = strerror(5); $c = macaddr(arg1); $d = buf(arg2, 10); $e = reg("sp"); $f = buf(arg2, 1000); }'), {
      $a: 'inet', $b: 'strerror', $c: 'macaddr', $d: 'buffer[10]', $e: 'uint64', $f: 'buffer[64]',
    });
    assert.match(error('kprobe:f { $r = reg("xyz"); }'), /'xyz' is not a valid register on this architecture \(x86_64\)/);
    assert.match(error('BEGIN { $r = reg("ip"); }'), /reg can not be used with "BEGIN" probes/);
    assert.match(error('BEGIN { $r = ntop("abcdef"); }'), /ntop\(\) argument must be 4 or 16 bytes in size/);
  });

  it('kstack and ustack: a mode and a frame limit', () => {
    const a = sema('profile:hz:99 { $a = kstack; $b = ustack(perf); $c = kstack(5); $d = ustack(raw, 9); }');
    const t = (n: string) => a.units[0]!.vars.get(n)!.type;
    assert.deepEqual([t('$a'), t('$b'), t('$c'), t('$d')], [
      { kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 127 },
      { kind: 'stack', space: 'user', mode: 'perf', limit: 127 },
      { kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 5 },
      { kind: 'stack', space: 'user', mode: 'raw', limit: 9 },
    ]);
    assert.deepEqual([...a.stackLimits].sort(), [127, 5, 9]);
    assert.match(error('profile:hz:99 { @[kstack(fast)] = count(); }'), /Unknown stack mode: 'fast'/);
    assert.match(error('profile:hz:99 { @[kstack(2000)] = count(); }'), /limit shouldn't exceed 1024, 2000 given/);
  });

  it('#define constants and enums', () => {
    assert.deepEqual(vars('#define MAX 10\nenum e { A, B = 5, C };\nBEGIN { $a = MAX; $b = C; }'), { $a: 'int64', $b: 'uint64' });
    const a = sema('#define MAX 10\nenum e { A, B = 5, C };\nBEGIN { $a = MAX; $b = C; }');
    const body = a.program.probes[0]!.body.stmts;
    const val = (i: number) => ((body[i] as { value: Parameters<Analysis['constInt']>[0] }).value);
    assert.equal(a.constInt(val(0)), 10n);
    assert.equal(a.constInt(val(1)), 6n);
  });
});

describe('sema: probes and units', () => {
  it('BEGIN and END, several of each, in source order', () => {
    const a = sema('BEGIN { } END { } BEGIN { }');
    assert.deepEqual(a.units.map((u) => u.plan.instances.map((i) => i.name)), [['BEGIN'], ['END'], ['BEGIN']]);
    assert.equal(a.probeCount, 3);
  });

  it('a wildcard expands through the KernelView; one unit unless the body needs them apart', () => {
    const a = sema('tracepoint:syscalls:sys_exit_open* { @[pid] = count(); }', { syscallNumbers: false });
    assert.deepEqual(a.units.map((u) => u.plan.instances.map((i) => i.name)), [['tracepoint:syscalls:sys_exit_open', 'tracepoint:syscalls:sys_exit_openat']]);
    const b = sema('tracepoint:syscalls:sys_exit_open* { @[probe] = count(); }', { syscallNumbers: false });
    assert.equal(b.units.length, 2);
    const c = sema('tracepoint:syscalls:sys_enter_read, tracepoint:syscalls:sys_enter_openat { @[args->__syscall_nr] = count(); }');
    assert.equal(c.units.length, 2, 'different args layouts, different programs');
    const d = sema('tracepoint:syscalls:sys_enter_read, tracepoint:syscalls:sys_enter_write { @[args->fd] = count(); }');
    assert.equal(d.units.length, 2, 'char * vs const char *: layouts differ in their declarations');
  });

  it('many syscall tracepoints without args become one raw tracepoint unit filtering on the id', () => {
    const a = sema('tracepoint:syscalls:sys_enter_* { @[probe] = count(); }');
    const raw = a.units.filter((u) => u.plan.syscalls);
    assert.equal(raw.length, 1);
    const sc = raw[0]!.plan.syscalls!;
    assert.equal(sc.dir, 'enter');
    assert.deepEqual(sc.entries.map((e) => e.nr), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 59, 257]);
    // newfstat is fstat (5) by its number, already taken by sys_enter_fstat: it keeps its own program.
    assert.deepEqual(a.units.filter((u) => !u.plan.syscalls).map((u) => u.plan.instances[0]!.name), ['tracepoint:syscalls:sys_enter_newfstat']);
    assert.equal(a.probeCount, 17);
    assert.equal(a.probeNames[raw[0]!.probeBase! + 257], 'tracepoint:syscalls:sys_enter_openat');
    assert.equal(a.probeNames[raw[0]!.probeBase! + 13], '');
  });

  it('no raw tracepoint when the body reads args, or when there are few matches', () => {
    assert.equal(sema('tracepoint:syscalls:sys_enter_* { @[args->__syscall_nr] = count(); }').units.some((u) => u.plan.syscalls), false);
    assert.equal(sema('tracepoint:syscalls:sys_enter_open* { @ = count(); }').units.some((u) => u.plan.syscalls), false);
  });

  it('positional parameters in probe specs', () => {
    const a = sema('uprobe:$1:main { }', { params: ['/bin/sh'] });
    assert.deepEqual(a.units[0]!.plan.instances[0]!.attach, { kind: 'uprobe', path: '/bin/sh', func: 'main' });
    // In the probe type (bpftrace's other.positional attachpoint probe), at a field's end, and
    // standing for several fields: the name is split at its ':'s after substitution, as bpftrace does.
    assert.deepEqual(sema('BEG$1 { }', { params: ['IN'] }).units[0]!.plan.instances[0]!.attach, { kind: 'begin' });
    const t = sema('tracepoint:syscalls:sys_enter_$1 { }', { params: ['openat'] }).units[0]!.plan.instances[0]!;
    assert.deepEqual([t.name, t.ap.raw], ['tracepoint:syscalls:sys_enter_openat', 'tracepoint:syscalls:sys_enter_openat']);
    assert.deepEqual(sema('uprobe:$1 { }', { params: ['/bin/sh:main'] }).units[0]!.plan.instances[0]!.attach, { kind: 'uprobe', path: '/bin/sh', func: 'main' });
  });

  it('a positional parameter a probe name uses must be given', () => {
    assert.equal(error('BEG$1 { }'), `test.bt:1:1: ERROR: probe 'BEG$1' uses $1, but no positional parameters were given
BEG$1 { }
^~~~~
hint: give it after the program: sonde -e '…' ARG1 ARG2…`);
    assert.match(error('uprobe:$1:$2 { }', { params: ['/bin/sh'] }), /^test\.bt:1:1: ERROR: probe 'uprobe:\$1:\$2' uses \$2, but only 1 positional parameter was given\n/);
    assert.match(error('X$1 { }', { params: ['Y'] }), /^test\.bt:1:1: ERROR: unknown probe type 'XY' \(probe 'X\$1' with its positional parameters substituted\)\n/);
  });

  it('timers and perf events', () => {
    const a = sema('interval:ms:100 { } profile:hz:99 { } software:faults:10 { } hardware:cycles { } interval:s:2 { }');
    assert.deepEqual(a.units.map((u) => u.plan.instances[0]!.attach), [
      { kind: 'interval', periodNs: 100000000 },
      { kind: 'profile', hz: 99 },
      { kind: 'software', event: 'page-faults', period: 10 },
      { kind: 'hardware', event: 'cpu-cycles', period: 1000000 },
      { kind: 'interval', periodNs: 2000000000 },
    ]);
  });

  it('uprobe without a path uses -p PID', () => {
    const a = sema('uprobe:main { }', { pid: 42 });
    assert.deepEqual(a.units[0]!.plan.instances[0]!.attach, { kind: 'uprobe', path: '/proc/42/exe', func: 'main' });
  });
});

describe('sema: errors (file:line:col, the line, a caret)', () => {
  const cases: [string, string, { params?: string[]; unsafe?: boolean }?][] = [
    ['BEGIN { foo(1); }', `test.bt:1:9: ERROR: Unknown function: foo
BEGIN { foo(1); }
        ^~~`],
    ['BEGIN { printf("%d\\n"); }', `test.bt:1:9: ERROR: printf: Not enough arguments for format string (0 supplied, 1 expected)
BEGIN { printf("%d\\n"); }
        ^~~~~~~~~~~~~~`],
    ['BEGIN { printf("%s\\n", 1); }', `test.bt:1:9: ERROR: printf: %s specifier expects a value of type string (integer supplied)
BEGIN { printf("%s\\n", 1); }
        ^~~~~~~~~~~~~~~~~`],
    ['BEGIN { printf(1); }', `test.bt:1:9: ERROR: printf() expects a string literal (integer provided)
BEGIN { printf(1); }
        ^~~~~~~~~`],
    ['BEGIN { @x = $y; }', `test.bt:1:14: ERROR: Undefined or undeclared variable: $y
BEGIN { @x = $y; }
             ^~`],
    ['BEGIN { $x = 1; $x = "a"; }', `test.bt:1:17: ERROR: Type mismatch for $x: trying to assign value of type 'string[2]' when variable already contains a value of type 'int64'
BEGIN { $x = 1; $x = "a"; }
                ^~~~~~~~
hint: $x was first assigned at test.bt:1:9`],
    ['BEGIN { @x = 1; }\nEND { @x = "a"; }', `test.bt:2:7: ERROR: Type mismatch for @x: trying to assign value of type 'string[2]' when map already contains a value of type 'int64'
END { @x = "a"; }
      ^~
hint: @x was first assigned at test.bt:1:9`],
    ['BEGIN { @x[1] = 1; @x = 2; }', `test.bt:1:20: ERROR: Argument mismatch for @x: trying to access with arguments: [] when map expects arguments: [int64]
BEGIN { @x[1] = 1; @x = 2; }
                   ^~
hint: @x was first used at test.bt:1:9`],
    ['BEGIN { @x[1] = 1; @x["a", 2] = 2; }', `test.bt:1:20: ERROR: Argument mismatch for @x: trying to access with arguments: [string[2], int64] when map expects arguments: [int64]
BEGIN { @x[1] = 1; @x["a", 2] = 2; }
                   ^~~~~~~~~~
hint: @x was first used at test.bt:1:9`],
    ['BEGIN { @x = count(); @x = 1; }', `test.bt:1:23: ERROR: Type mismatch for @x: trying to assign value of type 'int64' when map already contains a value of type 'count'
BEGIN { @x = count(); @x = 1; }
                      ^~
hint: @x was first assigned at test.bt:1:9`],
    ['BEGIN { @c = stats(1); @x = @c; }', `test.bt:1:29: ERROR: @c is a stats() map: its value cannot be read in a probe
BEGIN { @c = stats(1); @x = @c; }
                            ^~
hint: count, sum, min, max and avg values can be; print the map, or keep the value in a map of its own (@x = @x + v)`],
    ['BEGIN { @c = hist(1); if (@c > 5) { } }', `test.bt:1:27: ERROR: Type mismatch for '>': comparing 'hist' with 'int64'
BEGIN { @c = hist(1); if (@c > 5) { } }
                          ^~~~~~`],
    ['tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args->fname)); }', `test.bt:1:59: ERROR: tracepoint syscalls:sys_enter_openat has no field 'fname'
tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args->fname)); }
                                                          ^~~~~~~~~~~
hint: its fields are: __syscall_nr, dfd, filename, flags, mode`],
    ['tracepoint:sched:sched_switch { @[args->common_pid] = count(); }', `test.bt:1:35: ERROR: BPF does not support accessing common tracepoint fields
tracepoint:sched:sched_switch { @[args->common_pid] = count(); }
                                  ^~~~~~~~~~~~~~~~`],
    ['BEGIN { $s = str("abc"); }', `test.bt:1:14: ERROR: str() expects an integer or a pointer type as first argument (string[4] provided)
BEGIN { $s = str("abc"); }
             ^~~~~~~~~~`],
    ['BEGIN { $s = str(); }', `test.bt:1:14: ERROR: str() requires at least one argument (0 provided)
BEGIN { $s = str(); }
             ^~~~~`],
    ['BEGIN { @x = sum("a"); }', `test.bt:1:14: ERROR: sum() only supports integer arguments (string provided)
BEGIN { @x = sum("a"); }
             ^~~~~~~~`],
    ['BEGIN { $x = count(); }', `test.bt:1:14: ERROR: count() should be directly assigned to a map
BEGIN { $x = count(); }
             ^~~~~~~`],
    ['BEGIN { system("ls"); }', `test.bt:1:9: ERROR: system() is an unsafe function being used in safe mode
BEGIN { system("ls"); }
        ^~~~~~~~~~~~
hint: run with --unsafe to allow it`],
    ['BEGIN { @x = 1 + "a"; }', `test.bt:1:14: ERROR: Type mismatch for '+': comparing 'int64' with 'string[2]'
BEGIN { @x = 1 + "a"; }
             ^~~~~~~`],
    ['BEGIN { if ("a") { } }', `test.bt:1:13: ERROR: Invalid condition in if(): string[2]
BEGIN { if ("a") { } }
            ^~~`],
    ['BEGIN { printf("%d\\n", $1); }', `test.bt:1:24: ERROR: $1 used numerically but given "abc". Try using str($1).
BEGIN { printf("%d\\n", $1); }
                       ^~`, { params: ['abc'] }],
    ['BEGIN { @l = lhist(1, -5, 10, 1); }', `test.bt:1:14: ERROR: lhist() min must be non-negative (provided min -5)
BEGIN { @l = lhist(1, -5, 10, 1); }
             ^~~~~~~~~~~~~~~~~~~`],
    ['BEGIN { break; }', `test.bt:1:9: ERROR: break used outside of a loop
BEGIN { break; }
        ^~~~~`],
    ['BEGIN { unroll(101) { } }', `test.bt:1:16: ERROR: unroll maximum value is 100
BEGIN { unroll(101) { } }
               ^~~`],
    ['BEGIN { print(@m[1]); @m[1] = 1; }', `test.bt:1:9: ERROR: The map passed to print() should not be indexed by a key
BEGIN { print(@m[1]); @m[1] = 1; }
        ^~~~~~~~~~~~`],
    ['BEGIN { print(@never); }', `test.bt:1:15: ERROR: Undefined map: @never
BEGIN { print(@never); }
              ^~~~~~`],
    ['BEGIN { $r = retval; }', `test.bt:1:14: ERROR: The retval builtin can only be used with 'kretprobe' and 'uretprobe' probes
BEGIN { $r = retval; }
             ^~~~~~`],
    ['tracepoint:syscalls:sys_exit_openat { $r = retval; }', `test.bt:1:44: ERROR: The retval builtin can only be used with 'kretprobe' and 'uretprobe' probes (try to use args->ret instead)
tracepoint:syscalls:sys_exit_openat { $r = retval; }
                                           ^~~~~~`],
    ['kprobe:f { $a = arg6; }', `test.bt:1:17: ERROR: x86_64 doesn't support arg6
kprobe:f { $a = arg6; }
                ^~~~
hint: arguments arg0 to arg5 are in registers`],
    ['BEGIN { $a = args->x; }', `test.bt:1:14: ERROR: The args builtin can only be used with tracepoint, fentry/fexit and uprobe probes (BEGIN used here)
BEGIN { $a = args->x; }
             ^~~~`],
    ['tracepoint:syscalls:sys_enter_nope { }', `test.bt:1:1: ERROR: tracepoint not found: syscalls:sys_enter_nope
tracepoint:syscalls:sys_enter_nope { }
^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~`],
    ['tracepoint:nope:* { }', `test.bt:1:1: ERROR: no tracepoint matches nope:*
tracepoint:nope:* { }
^~~~~~~~~~~~~~~~~`],
    ['BEGIN { $t = (1, 2); $u = $t.2; }', `test.bt:1:27: ERROR: Invalid tuple index: 2. Found 2 elements in tuple.
BEGIN { $t = (1, 2); $u = $t.2; }
                          ^~~~`],
    ['BEGIN { @[(1, 2)] = 1; }', `test.bt:1:11: ERROR: tuple cannot be used as a map key. Try a multi-key associative array instead (eg \`@map[$1, $2] = ...)\`.
BEGIN { @[(1, 2)] = 1; }
          ^~~~~~`],
    ['BEGIN { $x = 1 ? 2 : "a"; }', `test.bt:1:14: ERROR: Ternary operator must return the same type: have 'int64' and 'string[2]'
BEGIN { $x = 1 ? 2 : "a"; }
             ^~~~~~~~~~~`],
    ['BEGIN { $x = (uint8)"a"; }', `test.bt:1:14: ERROR: Casts are not supported for type: "string[2]"
BEGIN { $x = (uint8)"a"; }
             ^~~~~~~~~~`],
    ['BEGIN { $x = "a"; $y = $x < "b"; }', `test.bt:1:24: ERROR: The < operator can not be used on expressions of types string[2], string[2]
BEGIN { $x = "a"; $y = $x < "b"; }
                       ^~~~~~~~`],
  ];
  for (const [src, want, opts] of cases) {
    it(src, () => assert.equal(error(src, opts), want));
  }

  it('signal() needs --unsafe, and then marks the script unsafe', () => {
    assert.match(error('kprobe:f { signal("KILL"); }'), /signal\(\) is an unsafe function being used in safe mode/);
    assert.equal(sema('kprobe:f { signal("KILL"); }', { unsafe: true }).unsafe, true);
    assert.equal(sema('kprobe:f { signal(9); }', { unsafe: true }).unsafe, true);
    assert.match(error('kprobe:f { signal("NOPE"); }', { unsafe: true }), /NOPE is not a valid signal/);
  });

  it('cat() is safe, as in bpftrace', () => {
    assert.equal(sema('BEGIN { cat("/proc/loadavg"); }').unsafe, false);
  });
});

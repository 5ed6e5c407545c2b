// Typing and compile-time errors of kaddr, uaddr, cgroupid, cgroup_path, strftime, strcontains,
// path and debugf (src/lang/sema/system-calls.ts), with a fixture kernel: no root needed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { compile } from '../../../src/lang/compile.js';
import { LangError } from '../../../src/lang/diagnostic.js';
import { langError } from '../lang-error.js';
import type { KernelAddressLookup, KernelView } from '../../../src/lang/kernel-view.js';
import { typeName } from '../../../src/lang/types.js';
import { KernelAddresses } from '../../../src/kernel/kernel-address.js';
import { disassemble } from '../../../src/asm/disasm.js';
import { fixtureKernel } from './fixture.js';
import { parseInetAddress } from '../../../src/lang/sema/system-calls.js';

const KALLSYMS_FUNCTIONS_ONLY = [
  'ffffffff81000000 T _stext',
  'ffffffff816bab70 T vfs_read',
  'ffffffff816bac00 t vfs_readv\t[some_module]',
  'ffffffff82400000 D __start_rodata',
  '',
].join('\n');

function kernel(kallsyms = KALLSYMS_FUNCTIONS_ONLY, user: Record<string, { address: bigint; size: number }> = {}): KernelView {
  const k = KernelAddresses.parse(kallsyms);
  return {
    ...fixtureKernel(),
    kernelAddress: (name: string): KernelAddressLookup => k.lookup(name),
    userSymbol: (binary: string, name: string) => {
      const s = user[name];
      return s ? { path: binary, ...s } : undefined;
    },
  };
}

function error(src: string, k = kernel()): string {
  return langError(() => compile(src, { kernel: k, file: 'test.bt' }));
}

describe('kaddr()', () => {
  it('reads every symbol type from kallsyms and finds module symbols after vmlinux ones', () => {
    const k = KernelAddresses.parse(KALLSYMS_FUNCTIONS_ONLY);
    assert.deepEqual(k.lookup('vfs_read'), { found: true, address: 0xffffffff816bab70n });
    assert.deepEqual(k.lookup('vfs_readv'), { found: true, address: 0xffffffff816bac00n });
    assert.deepEqual(k.lookup('read'), { found: false, reason: 'functions-only' });
    assert.deepEqual(k.lookup('__start_rodata'), { found: true, address: 0xffffffff82400000n });
    const all = KernelAddresses.parse(Array.from({ length: 1200 }, (_, i) => `ffffffff8300${i.toString(16).padStart(4, '0')} d var${i}`).join('\n') + '\n');
    assert.deepEqual(all.lookup('var7'), { found: true, address: 0xffffffff83000007n });
    assert.deepEqual(all.lookup('avenrun'), { found: false, reason: 'absent' });
    assert.deepEqual(KernelAddresses.parse('0000000000000000 T a\n0000000000000000 T b\n').lookup('a'), { found: false, reason: 'hidden' });
  });

  it('is a compile-time constant in the program', () => {
    const c = compile('BEGIN { @ = kaddr("vfs_read"); }', { kernel: kernel(), file: 'test.bt' });
    // 0xffffffff816bab70 is a sign-extended 32-bit immediate.
    assert.match(disassemble(c.programs[0]!.insns), /r\d = -2123650192\n/);
  });

  it('takes str($N) as its string literal (bpftrace 0.17: kaddr(str($1)) vfs_read), not str($N + 1)', () => {
    const c = compile('BEGIN { @ = kaddr(str($1)); }', { kernel: kernel(), file: 'test.bt', params: ['vfs_read'] });
    assert.match(disassemble(c.programs[0]!.insns), /r\d = -2123650192\n/);
    assert.match(error('BEGIN { @ = kaddr(str($1)); }'), /^test\.bt:1:13: ERROR: Failed to resolve kernel symbol/);
    assert.throws(() => compile('BEGIN { @ = kaddr(str($1 + 1)); }', { kernel: kernel(), file: 'test.bt', params: ['xvfs_read'] }),
      (e: unknown) => e instanceof LangError && e.message === 'kaddr() expects a string literal (string provided)');
  });

  it('str($N) is the format of printf and time (bpftrace 0.17 accepts it but prints "str": wrong)', () => {
    const c = compile('BEGIN { printf(str($1), 7); time(str($2)); }', { kernel: kernel(), file: 'test.bt', params: ['n=%d\n', '%H:%M'] });
    assert.deepEqual(c.events.map((e) => 'format' in e ? e.format : undefined).filter((f) => f !== undefined), ['n=%d\n', '%H:%M']);
  });

  it('errors: not a literal; a variable missing from a functions-only kallsyms; absent; hidden', () => {
    assert.match(error('BEGIN { $x = kaddr(1); }'), /^test\.bt:1:14: ERROR: kaddr\(\) expects a string literal \(integer provided\)/);
    assert.equal(error('BEGIN { $a = kaddr("avenrun"); }'), [
      'test.bt:1:14: ERROR: Failed to resolve kernel symbol avenrun: not in /proc/kallsyms (the kernel is built without CONFIG_KALLSYMS_ALL: it lists functions only), and the kernel has no BTF',
      'BEGIN { $a = kaddr("avenrun"); }',
      '             ^~~~~~~~~~~~~~~~',
      'hint: kaddr() of a kernel variable needs a kernel built with CONFIG_KALLSYMS_ALL=y',
    ].join('\n'));
    const all = Array.from({ length: 1200 }, (_, i) => `ffffffff8300${i.toString(16).padStart(4, '0')} d var${i}`).join('\n') + '\n';
    assert.match(error('BEGIN { $a = kaddr("avenrun"); }', kernel(all)), /ERROR: Failed to resolve kernel symbol avenrun: \/proc\/kallsyms has no such symbol\n/);
    assert.match(error('BEGIN { $a = kaddr("x"); }', kernel('0000000000000000 T x\n')), /ERROR: Failed to resolve kernel symbol x: kernel addresses are hidden in \/proc\/kallsyms \(kernel\.kptr_restrict\)/);
  });
});

describe('uaddr()', () => {
  it('a user pointer to an integer of the symbol\'s size, resolved per probed binary', () => {
    const k = kernel(undefined, { counter: { address: 0x404028n, size: 4 }, table: { address: 0x405000n, size: 100 } });
    const c = compile('uprobe:/bin/x:f { @a = *uaddr("counter"); @b = uaddr("table"); }', { kernel: k, file: 'test.bt' });
    assert.deepEqual(c.maps.filter((m) => m.user).map((m) => `${m.name} ${typeName(m.value)}`), ['@a int64', '@b int64 *']);
    const text = disassemble(c.programs[0]!.insns);
    assert.match(text, / = 4210728\n/);
    assert.match(text, / = 4214784\n/);
  });

  it('errors: outside u(ret)probes/usdt; a symbol the binary does not define', () => {
    assert.match(error('BEGIN { @ = uaddr("main"); }'), /^test\.bt:1:13: ERROR: uaddr can not be used with "BEGIN" probes\n/);
    assert.match(error('tracepoint:syscalls:sys_enter_read { @ = uaddr("main"); }'), /uaddr can not be used with "tracepoint" probes/);
    assert.match(error('uprobe:/bin/x:f { @ = uaddr("nosuch"); }'), /^test\.bt:1:23: ERROR: Could not resolve symbol: \/bin\/x:nosuch\n/);
  });
});

describe('cgroupid(), cgroup_path(), strftime(), strcontains()', () => {
  it('cgroupid() is the directory\'s inode number, at compile time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sonde-cg-'));
    try {
      const ino = statSync(dir, { bigint: true }).ino;
      const c = compile(`BEGIN { @ = cgroupid("${dir}"); }`, { kernel: kernel(), file: 'test.bt' });
      assert.ok(disassemble(c.programs[0]!.insns).includes(`= ${ino}\n`));
    } finally {
      rmSync(dir, { recursive: true });
    }
    assert.match(error('BEGIN { @ = cgroupid("/no/such/dir"); }'), /ERROR: cgroupid\("\/no\/such\/dir"\): \/no\/such\/dir does not exist/);
    assert.match(error('BEGIN { @ = cgroupid(1); }'), /cgroupid\(\) expects a string literal \(integer provided\)/);
  });

  it('strftime and cgroup_path values carry a table index; the script lists the formats and filters', () => {
    const c = compile('BEGIN { @a = strftime("%H", nsecs); @b = strftime("%M", 0); @c = strftime("%H", 1); @d = cgroup_path(cgroup); @e = cgroup_path(1, "unified"); }', { kernel: kernel() });
    assert.deepEqual(c.strftimeFormats, ['%H', '%M']);
    assert.deepEqual(c.cgroupPathFilters, ['*', 'unified']);
    assert.deepEqual(c.maps.filter((m) => m.user).map((m) => `${m.name} ${typeName(m.value)} ${m.valueSize}`), [
      '@a timestamp 16', '@b timestamp 16', '@c timestamp 16', '@d cgroup_path 16', '@e cgroup_path 16',
    ]);
    assert.match(error('BEGIN { @ = strftime(1, 2); }'), /strftime\(\) expects a string literal \(integer provided\)/);
    assert.match(error('BEGIN { @ = strftime("%H", "x"); }'), /strftime\(\) only supports integer arguments \(string provided\)/);
    assert.match(error('BEGIN { @ = strftime("%H"); }'), /strftime\(\) requires 2 arguments \(1 provided\)/);
    assert.match(error('BEGIN { @ = cgroup_path("x"); }'), /cgroup_path\(\) only supports integer arguments \(string provided\)/);
    assert.match(error('BEGIN { @ = cgroup_path(1, 2); }'), /cgroup_path\(\) expects a string literal \(integer provided\)/);
  });

  it('strcontains() is an integer; its arguments must be strings', () => {
    const c = compile('BEGIN { @ = strcontains("hello", "ll"); }', { kernel: kernel() });
    assert.equal(typeName(c.maps.find((m) => m.name === '@')!.value), 'uint64');
    assert.match(error('BEGIN { @ = strcontains("a", 1); }'), /strcontains\(\) only supports string arguments \(integer provided\)/);
    // 64-byte strings: 4096 comparisons, fine; with BPFTRACE_STRLEN=1000 two str() are too many.
    compile('kprobe:f { @ = strcontains(str(arg0), str(arg1)); }', { kernel: kernel() });
    compile('kprobe:f { @ = strcontains(str(arg0), "abcd"); }', { kernel: kernel(), strlen: 4096 });
    assert.throws(() => compile('kprobe:f { @ = strcontains(str(arg0), str(arg1)); }', { kernel: kernel(), strlen: 1000 }),
      /strcontains\(\) of a 1000-byte string and a 1000-byte one needs 1000000 byte comparisons, more than the 16384 sonde unrolls/);
  });
});

describe('path() and debugf()', () => {
  it('path() only where bpf_d_path is allowed', () => {
    assert.equal(error('tracepoint:syscalls:sys_enter_openat { @ = path(args->filename); }').split('\n')[0],
      'test.bt:1:44: ERROR: path() needs fentry/kfunc probes; this probe is a tracepoint');
    assert.match(error('BEGIN { @ = path(0); }'), /path\(\) needs fentry\/kfunc probes; this probe is a BEGIN probe/);
    assert.match(error('interval:s:1 { @ = path(0); }'), /this probe is an interval/);
  });

  it('debugf(): at most 3 arguments, %d %u %x %p %s only, types as the conversion says', () => {
    const c = compile('BEGIN { debugf("%d %s %lx\\n", 1, "abc", 2); }', { kernel: kernel() });
    assert.match(disassemble(c.programs[0]!.insns), /call bpf_trace_printk#6\n/);
    assert.equal(c.events.length, 0);
    assert.deepEqual(c.warnings, [[
      'stdin:1:9: warning: The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).',
      'BEGIN { debugf("%d %s %lx\\n", 1, "abc", 2); }',
      '        ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~',
    ].join('\n')]);
    assert.equal(compile('BEGIN { printf("x"); }', { kernel: kernel() }).warnings, undefined);
    assert.match(error('BEGIN { debugf("%d %d %d %d", 1, 2, 3, 4); }'), /ERROR: cannot use more than 3 conversion specifiers/);
    assert.match(error('BEGIN { debugf("%c", 1); }'), /Invalid format specifier for `debugf`: c/);
    assert.match(error('BEGIN { debugf("%s", 1); }'), /Type does not match format specifier: s/);
    assert.match(error('BEGIN { debugf("%d", "a"); }'), /Type does not match format specifier: d/);
    assert.match(error('BEGIN { debugf(1); }'), /debugf\(\) expects a string literal \(integer provided\)/);
    assert.match(error('BEGIN { debugf("%d"); }'), /debugf: Not enough arguments for format string/);
  });
});

describe('long strings', () => {
  it('objects over 256 bytes go to the per-CPU .scratch map, not the stack; small scripts do not get it', () => {
    const src = 'tracepoint:syscalls:sys_enter_openat { $s = str(args->filename); @[$s] = count(); @v = $s; printf("%s\\n", $s); }';
    const c = compile(src, { kernel: kernel(), strlen: 4096 });
    const scratch = c.maps.find((m) => m.name === '.scratch')!;
    assert.deepEqual([scratch.kind, scratch.keySize, scratch.maxEntries], ['percpu_array', 4, 1]);
    // $s, the key of @, the value of @v (and its key's temporaries) — 4096 bytes each, 8-aligned.
    assert.ok(scratch.valueSize >= 3 * 4096 && scratch.valueSize % 8 === 0, String(scratch.valueSize));
    assert.equal(compile(src, { kernel: kernel() }).maps.some((m) => m.name === '.scratch'), false);
    // Without the scratch map the same script needs far more than 512 bytes of stack.
    assert.throws(() => compile(src.replace('printf', '$t = $s; printf'), { kernel: kernel(), strlen: 200 }), /needs \d+ bytes of stack, more than the 512/);
  });
});

describe('uaddr() in a relocatable file', () => {
  it('at a uprobe on a function: ip + (symbol - function), no constant address', () => {
    const syms: Record<string, { address: bigint; size: number }> = { counter: { address: 0x4010n, size: 8 }, f: { address: 0x1100n, size: 20 } };
    const view: KernelView = {
      ...kernel(),
      userSymbol: (binary: string, name: string) => (syms[name] ? { path: binary, relocatable: true, ...syms[name] } : undefined),
    };
    const c = compile('uprobe:/bin/x:f+4 { @ = *uaddr("counter"); }', { kernel: view, file: 'test.bt' });
    const text = disassemble(c.programs[0]!.insns);
    // pt_regs->ip is at offset 128; 0x4010 - (0x1100 + 4) = 12044.
    assert.match(text, /= \*\(u64 \*\)\(r\d \+128\)/);
    assert.match(text, /\+= 12044\n/);
    assert.equal(c.warnings, undefined);
    const ret = compile('uretprobe:/bin/x:f { @ = *uaddr("counter"); }', { kernel: view, file: 'test.bt' });
    assert.match(ret.warnings![0]!, /^test\.bt:1:\d+: warning: uaddr\("counter"\): \/bin\/x is position-independent/);
  });
});

describe('pton()', () => {
  it('inet_pton: IPv4 (4 bytes) without a colon, else IPv6 (16), embedded dotted quads too', () => {
    assert.deepEqual([...parseInetAddress('127.0.0.1')!], [127, 0, 0, 1]);
    assert.deepEqual([...parseInetAddress('::1')!], [...Array(15).fill(0), 1]);
    assert.deepEqual([...parseInetAddress('fe80::1:2')!], [0xfe, 0x80, ...Array(10).fill(0), 0, 1, 0, 2]);
    assert.deepEqual([...parseInetAddress('::ffff:10.1.2.3')!], [...Array(10).fill(0), 0xff, 0xff, 10, 1, 2, 3]);
    assert.deepEqual([...parseInetAddress('1:2:3:4:5:6:7:8')!], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    for (const bad of ['bad', '256.0.0.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '']) assert.equal(parseInetAddress(bad), undefined, bad);
  });

  it('a uint8 array; not an address is bpftrace\'s error', () => {
    const c = compile('BEGIN { @ = pton("::1"); }', { kernel: kernel() });
    assert.equal(typeName(c.maps.find((m) => m.name === '@')!.value), 'uint8[16]');
    assert.match(error('BEGIN { $a = pton("bad"); }'), /^test\.bt:1:14: ERROR: pton\(\) expects an string argument of an IPv4\/IPv6 address, got bad\n/);
  });
});

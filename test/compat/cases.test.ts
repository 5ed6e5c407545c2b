// Cases of bpftrace v0.17's runtime suite (tests/runtime/, run in full by test/compat/run.ts) that
// sonde once failed, kept here as regressions, each with bpftrace's own expected output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { isRoot } from '../support/root.js';
import { buildFixture, buildFixtureVariant } from '../fixtures/build.js';
import { dropInBpftrace } from '../support/dropin.js';
import { startInOwnMountNs } from '../support/mountns.js';
import { startTracer } from '../support/tracer.js';

import { SONDE, runSonde } from '../support/sonde.js';

const root = { skip: isRoot ? false : 'needs root (CI runs as root)', timeout: 60_000 };

const sonde = (...args: string[]) => runSonde(args, { timeout: 30_000 });

describe("bpftrace's runtime cases", () => {
  it('pointers: += / -= / ++ / -- on a pointer step by the pointee size, in maps and variables', root, () => {
    const r = sonde('-e', 'BEGIN { @a = (int16*) 32; @a += 1; @b = (int32*) 32; @b -= 6; @c = (int64*) 32; @c++; @d = (int8*) 32; --@d; '
      + '$p = (int32*) 32; $p += 2; $q = (int64*) 32; $q--; printf("%d %d\\n", $p, $q); @dec = 4; @e = (int32*) 32; @e -= @dec; exit(); }');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\n40 24\n\n\n@a: 34\n@b: 8\n@c: 40\n@d: 31\n@dec: 4\n@e: 16\n');
  });

  it("struct definitions: the last member may end at '}' without ';'", root, () => {
    const r = sonde('-e', 'struct A { int32_t a; int32_t b; char c[28] }; BEGIN { $a = (struct A *) 1024; printf("%lu - 5 x %lu = %lu\\n", $a, sizeof(struct A), $a - 5); exit(); }');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\n1024 - 5 x 36 = 844\n\n\n');
  });

  it('banned_probes: kretprobes on the spin locks are refused before anything is loaded', () => {
    for (const f of ['_raw_spin_lock', 'queued_spin_lock_slowpath', '_raw_spin_unlock_irqrestore', '_raw_spin_lock_irqsave']) {
      const r = sonde('-d', '-e', `kretprobe:${f} { exit(); }`);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`error: kretprobe:${f} can't be used as it might lock up your system\\.`));
    }
  });

  it('probe.uprobe_offset_fail_size / uprobe_address_fail_resolve: offsets past the function, addresses outside code', root, () => {
    const a = sonde('-e', 'uprobe:/bin/bash:echo_builtin+1000000 { exit(); }');
    assert.equal(a.code, 1);
    assert.match(a.err, /Offset outside the function bounds \('echo_builtin' size is \d+\)/);
    const b = sonde('-e', 'uprobe:/bin/bash:10 { exit(); }');
    assert.equal(b.code, 1);
    assert.match(b.err, /Could not resolve address: \/bin\/bash:0xa/);
  });

  it('array: elements of a two-dimensional array copied into a variable or a map', root, async () => {
    const bin = await buildFixture('array2d');
    const child = spawn(bin, [], { stdio: 'ignore' });
    try {
      const r = sonde('-e', `struct B { int y[2][2]; } uprobe:${bin}:test_struct { $b = ((struct B *) arg0)->y; @b[0] = ((struct B *) arg0)->y; $x = @b[0]; `
        + 'printf("%d %d %d %d\\n", $b[1][0], $b[0][1], @b[0][1][1], $x[1][0]); exit(); }');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Attaching 1 probe\.\.\.\n3 2 4 3\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('array: the pointers of an array in user memory point into user memory', root, async () => {
    const bin = await buildFixture('array2d');
    const child = spawn(bin, [], { stdio: 'ignore' });
    try {
      const r = sonde('-e', `struct C { int *z[4]; } uprobe:${bin}:test_ptr_array { $c = (struct C *) arg0; $p = $c->z[1]; printf("%d %d\\n", *$p, *$c->z[3]); exit(); }`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Attaching 1 probe\.\.\.\n2 4\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('array compare / buf_equality: == and != on arrays of one type and on buffers, byte for byte', root, async () => {
    const r = sonde('-e', 'BEGIN { $a = buf("hi", 2); $b = buf("bye", 3); $c = buf("ho", 2); printf("%d %d %d %d\\n", $a == $a, $a != $b, $a == $c, $a != $c); exit(); }');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\n1 1 0 1\n\n\n');
    const bin = await buildFixture('array2d');
    const child = spawn(bin, [], { stdio: 'ignore' });
    try {
      const u = sonde('-e', `struct B { int y[2][2]; } uprobe:${bin}:test_struct { $p = (struct B *) arg0; $r = $p->y[1]; printf("%d %d %d %d\\n", $p->y[0] == $p->y[0], $p->y[0] == $p->y[1], $p->y[0] != $p->y[1], $r == $p->y[1]); exit(); }`);
      assert.equal(u.code, 0, u.err);
      assert.match(u.out, /^Attaching 1 probe\.\.\.\n1 0 1 1\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('struct assignment into variable: fields of a struct value held in a variable or a map', root, async () => {
    const bin = await buildFixture('array2d');
    const child = spawn(bin, [], { stdio: 'ignore' });
    try {
      const r = sonde('-e', `struct B { int y[2][2]; } struct W { struct B b; } uprobe:${bin}:test_struct { $s = *((struct B *) arg0); @m = *((struct B *) arg0); $row = $s.y[1]; `
        + 'printf("%d %d %d\\n", $s.y[0][1], @m.y[1][1], $row[0]); exit(); }');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Attaching 1 probe\.\.\.\n2 4 3\n/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('struct as a map key: a struct value keys a map by its bytes, printed {.a=1,.b=2}', root, async () => {
    const bin = await buildFixture('array2d');
    const child = spawn(bin, [], { stdio: 'ignore' });
    try {
      const r = sonde('-e', `struct P { int a; int b; } uprobe:${bin}:test_struct { @s[*((struct P *) arg0)] = 7; @t[*((struct P *) arg0), 42] = 8; @x = *((struct P *) arg0); @u[@x] = 9; exit(); }`);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'Attaching 1 probe...\n\n\n@s[{.a=1,.b=2}]: 7\n@t[{.a=1,.b=2}, 42]: 8\n@u[{.a=1,.b=2}]: 9\n@x: { .a = 1, .b = 2 }\n');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("errors in bpftrace's words: basic.errors on non existent file, basic.pid …, json-output.invalid_format, probe.tracepoint_missing", () => {
    const f = sonde('non_existent_file.bt');
    assert.equal(f.code, 1);
    assert.match(f.err, /ERROR: failed to open file 'non_existent_file.bt': No such file or directory/);
    for (const pid of ['a1111', '111a1', 'not_a_pid']) assert.match(sonde('-p', pid, 'file.bt').err, new RegExp(`ERROR: pid '${pid}' is not a valid decimal number`));
    assert.match(sonde('-p', '5000000', 'file.bt').err, /ERROR: pid '5000000' out of valid pid range \[1,4194304\]/);
    assert.match(sonde('-q', '-f', 'jsonx', '-e', 'BEGIN { @scalar = 5; exit(); }').err, /^ERROR: Invalid output format "jsonx"$/m);
    const t = sonde('-d', '-e', 't:syscalls:nonsense { printf("hit"); exit(); }');
    assert.equal(t.code, 1);
    assert.match(t.err, /^stdin:1:1: ERROR: tracepoint not found: syscalls:nonsense\n/);
  });

  it('builtin.cat "no such file": bpftrace\'s line, with strerror()', root, () => {
    const r = sonde('-e', 'i:ms:1 { cat("/does/not/exist/file"); exit(); }');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^ERROR: failed to open file '\/does\/not\/exist\/file': No such file or directory$/m);
  });

  it('listing: -l with a wildcarded file, a wildcarded probe type, -p PID alone or with uprobe:*; -l refuses an invalid character', root, async () => {
    const bin = await buildFixture('uprobe_target');
    const usdt = await buildFixture('usdt_target');
    const dir = dirname(bin);
    const lines = (r: { out: string }): string[] => r.out.split('\n').filter((l) => l !== '');
    // uprobe.list probes with wildcarded file matching multiple files / … and filter
    const many = lines(sonde('-l', `uprobe:${dir}/u*:sonde_target_a*`));
    assert.deepEqual(many, [`uprobe:${dir}/uprobe_target:sonde_target_a`, `uprobe:${dir}/uprobe_target:sonde_target_add`,
      `uprobe:${dir}/uprobe_target-nopie:sonde_target_a`, `uprobe:${dir}/uprobe_target-nopie:sonde_target_add`].filter((l) => !l.includes('-nopie') || existsSync(`${dir}/uprobe_target-nopie`)));
    // uprobe/usdt.list probes by file with wildcarded probe type: the functions, then the USDT probes
    const both = lines(sonde('-l', `*:${usdt}:*`));
    assert.ok(both.includes(`uprobe:${usdt}:main`), both.join('\n'));
    assert.ok(both.includes(`usdt:${usdt}:sonde:tick`), both.join('\n'));
    assert.ok(both.findIndex((l) => l.startsWith('usdt:')) > both.findIndex((l) => l.startsWith('uprobe:')));
    assert.deepEqual(lines(sonde('-l', `u*:${bin}:sonde_target_a*`)), [`uprobe:${bin}:sonde_target_a`, `uprobe:${bin}:sonde_target_add`]);
    // uprobe.list probes by pid (; uprobes only): the executable's functions through /proc/PID/root
    const child = spawn(bin, ['--wait'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const exe = `/proc/${child.pid}/root${bin}`;
      const all = lines(sonde('-l', '-p', String(child.pid)));
      assert.ok(all.includes(`uprobe:${exe}:sonde_target_a`), all.slice(0, 5).join('\n'));
      assert.ok(all.every((l) => l.startsWith(`uprobe:${exe}:`) || l.startsWith('usdt:')), 'only the process\'s own probes');
      assert.deepEqual(lines(sonde('-l', 'uprobe:sonde_target_a*', '-p', String(child.pid))), [`uprobe:${exe}:sonde_target_a`, `uprobe:${exe}:sonde_target_add`]);
      assert.ok(lines(sonde('-l', 'uprobe:*', '-p', String(child.pid))).includes(`uprobe:${exe}:main`));
    } finally {
      child.kill('SIGKILL');
    }
    // basic.errors on invalid character in search expression
    const bad = sonde('-l', '\\n');
    assert.equal(bad.code, 1);
    assert.equal(bad.err, "stdin:1:1: ERROR: invalid character '\\' in the probe pattern\n\\n\n^\n");
  });

  it('json-output.join_delim: join() is {"type": "join", "data": …} in -f json', root, () => {
    const r = sonde('-f', 'json', '-e', 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args->argv, ","); }', '-c', '/bin/echo A B');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\{"type": "join", "data": "\/bin\/echo,A,B"\}$/m);
    const t = sonde('-e', 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args->argv, ","); }', '-c', '/bin/echo A B');
    assert.match(t.out, /^\/bin\/echo,A,B$/m);
  });

  it('watchpoint.absolute address: a hardware breakpoint on an address of the -c process, each write (w) or access (rw) counted', root, async () => {
    const bin = await buildFixture('watch_target');
    const w = sonde('-e', 'watchpoint:0x10000000:8:w { @ = count(); }', '-c', `${bin} 5 3`);
    assert.equal(w.code, 0, w.err);
    assert.equal(w.out, 'Attaching 1 probe...\nsum=15\n\n\n@: 5\n');
    const rw = sonde('-e', 'watchpoint:0x10000000:8:rw { @[probe] = count(); }', '-c', `${bin} 5 3`);
    assert.equal(rw.code, 0, rw.err);
    assert.match(rw.out, /^@\[watchpoint:0x10000000:8:rw\]: 8$/m);
    const once = sonde('-e', 'watchpoint:0x10000000:8:w { printf("hit!\\n"); exit() }', '-c', `${bin} 1000000`);
    assert.equal(once.code, 0, once.err);
    assert.match(once.out, /^hit!$/m);
  });

  it('watchpoint: addresses, lengths, modes and the function+argN form are checked before anything is attached, in bpftrace\'s words', () => {
    const err = (p: string, ...opts: string[]): string => sonde('-d', ...opts, '-e', `${p} { }`).err;
    assert.match(err('watchpoint:0x10000000:3:w'), /^stdin:1:\d+: ERROR: watchpoint length must be one of \(1,2,4,8\)$/m);
    assert.match(err('watchpoint:0x10000000:8:ww'), /ERROR: watchpoint modes may not be duplicated/);
    assert.match(err('watchpoint:0x10000000:8:q'), /ERROR: watchpoint mode must be combination of \(r,w,x\)/);
    assert.match(err('watchpoint:0x10000000:8:r'), /ERROR: invalid watchpoint mode: r\n/);
    assert.match(err('watchpoint:0x10000000:8:xw'), /ERROR: invalid watchpoint mode: xw\n/);
    assert.match(err('watchpoint:0:8:w'), /ERROR: watchpoint must be attached to a non-zero address/);
    assert.match(err('asyncwatchpoint:0x10000000:8:w'), /ERROR: asyncwatchpoint requires a function name/);
    assert.equal(sonde('-d', '-e', 'watchpoint:0x10000000:8:rw { }').code, 0);
    // A function's argument is an address in the traced process: -c or -p is required.
    const fn = sonde('-d', '-e', 'watchpoint:increment+arg1:4:w { }');
    assert.equal(fn.code, 1);
    assert.match(fn.err, /^stdin:1:1: ERROR: -p PID or -c CMD required for watchpoint\n/);
    assert.match(err('asyncwatchpoint:increment+arg6:4:w', '-c', '/bin/true'), /^stdin:1:\d+: ERROR: x86_64 doesn't support arg6$/m);
    assert.match(err('watchpoint:increment+arg0:3:w', '-c', '/bin/true'), /ERROR: watchpoint length must be one of \(1,2,4,8\)/);
    assert.match(err('watchpoint:nosuch_*+arg0:4:w', '-c', '/bin/true'), /ERROR: no function in \/bin\/true matches nosuch_\*/);
    assert.match(sonde('-d', '-e', 'BEGIN { unwatch("a") }').err, /^stdin:1:9: ERROR: unwatch\(\) only supports integer arguments \(string provided\)$/m);
  });

  it('watchpoint.function_arg_addr / async_function_arg_addr: a breakpoint on increment()\'s arg1, set when increment is called (-c)', root, async () => {
    const bin = await buildFixture('watch_func');
    const sync = sonde('-e', 'watchpoint:increment+arg1:4:w { printf("hit! %s\\n", probe); exit() }', '-c', bin);
    assert.equal(sync.code, 0, sync.err);
    // bpftrace 0.17's probe name: the argument number where an address would be (arg0 has none).
    assert.equal(sync.out, `Attaching 1 probe...\nhit! watchpoint:${bin}:increment:1:4:w\n\n\n`);
    const async = sonde('-e', 'asyncwatchpoint:increment+arg1:4:w { printf("hit! %s\\n", probe); exit() }', '-c', bin);
    assert.equal(async.code, 0, async.err);
    assert.equal(async.out, `Attaching 1 probe...\nhit! asyncwatchpoint:${bin}:increment:1:4:w\n\n\n`);
  });

  it('watchpoint: the process waits (SIGSTOP) until the breakpoint is set, so every write is seen; asyncwatchpoint does not wait', root, async () => {
    const bin = await buildFixture('watch_func');
    // 50 rounds of two writes: increment()'s (after its first instruction) and main's.
    const sync = sonde('-e', 'watchpoint:increment+arg1:4:w { @ = count(); }', '-c', `${bin} 50`);
    assert.equal(sync.code, 0, sync.err);
    assert.equal(sync.out, 'Attaching 1 probe...\ni=100\n\n\n@: 100\n');
    // Without the stop the process runs on while the breakpoint is set: some writes come before it.
    const async = sonde('-e', 'asyncwatchpoint:increment+arg1:4:w { @ = count(); }', '-c', `${bin} 50`);
    assert.equal(async.code, 0, async.err);
    const n = Number(/^@: (\d+)$/m.exec(async.out)?.[1]);
    assert.ok(n >= 1 && n <= 100, async.out);
  });

  it('watchpoint.function_arg_addr_process_flag: -p PID; the process runs on after sonde (never left stopped)', root, async () => {
    const bin = await buildFixture('watch_func');
    // increment() without a pause: its setup probe has stopped the process again by the time exit() ends the run.
    const child = spawn(bin, ['-1', '0'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const r = sonde('-e', 'watchpoint:increment+arg1:4:w { printf("hit! %s\\n", probe); exit() }', '-p', String(child.pid));
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `Attaching 1 probe...\nhit! watchpoint:/proc/${child.pid}/exe:increment:1:4:w\n\n\n`);
      const state = async (): Promise<string> => {
        await new Promise((res) => setTimeout(res, 200));
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      };
      assert.notEqual(await state(), 'T', 'the process is left stopped');
      // Nor when the start fails after the setup probe is attached (the other uprobe, attached after it, cannot be).
      for (let k = 0; k < 3; k++) {
        const bad = sonde('-e', `watchpoint:increment+arg1:4:w { } uprobe:${bin}:no_such_function { }`, '-p', String(child.pid));
        assert.equal(bad.code, 1);
        assert.match(bad.err, /no function named "no_such_function"/);
        assert.notEqual(await state(), 'T', 'the process is left stopped after a failed start');
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('watchpoint.many_function_probes / wildcarded_function / unique_probe_bodies: four debug registers, then bpftrace\'s message; one body per expansion', root, async () => {
    const bin = await buildFixture('watch_funcs');
    const full = 'Failed to attach watchpoint probe. You are out of watchpoint registers.\n';
    const many = sonde('-e', 'watchpoint:bump+arg0:4:w { printf("hit!\\n") }', '-c', bin);
    assert.equal(many.code, 0, many.err);
    assert.equal(many.out, `Attaching 1 probe...\n${'hit!\n'.repeat(4)}${full.repeat(2)}\n\n`);
    const wild = sonde('-e', 'watchpoint:increment_*+arg0:4:w { printf("%s!\\n", probe) }', '-c', bin);
    assert.equal(wild.code, 0, wild.err);
    assert.equal(wild.out, `Attaching 6 probes...\n${[0, 1, 2, 3].map((k) => `watchpoint:${bin}:increment_${k}:4:w!\n`).join('')}${full.repeat(2)}\n\n`);
    const json = sonde('-f', 'json', '-e', 'watchpoint:bump+arg0:4:w { }', '-c', bin);
    assert.equal(json.code, 0, json.err);
    assert.match(json.out, /^\{"type": "lost_events", "data": "Failed to attach watchpoint probe\. You are out of watchpoint registers\."\}$/m);
  });

  it('watchpoint.function_multiattach: three functions\' watchpoints on one body', root, async () => {
    const bin = await buildFixture('watch_funcs');
    const r = sonde('-e', 'BEGIN { @count = 0; } watchpoint:increment_0+arg0:4:w, watchpoint:increment_1+arg0:4:w, watchpoint:increment_2+arg0:4:w { @count++; } '
      + 'END { printf("count=%d\\n", @count); }', '-c', bin);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 5 probes...\ncount=3\n\n\n@count: 3\n');
  });

  it('watchpoint.unwatch: unwatch(addr) removes the breakpoint; later writes are not seen', root, async () => {
    const bin = await buildFixture('watch_unwatch');
    const r = sonde('-e', `BEGIN { @count = 0; } uprobe:${bin}:increment { @addr = (uint64)arg0; } `
      + 'watchpoint:increment+arg0:4:w { printf("hello world\\n"); @count++; unwatch(@addr); } END { printf("count=%d\\n", @count); }', '-c', bin);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Attaching 4 probes\.\.\.\nhello world\ncount=1\n\n\n@addr: \d+\n@count: 1\n$/);
    // Without unwatch() the four writes after the pause are seen too.
    const all = sonde('-e', 'watchpoint:increment+arg0:4:w { @count++; }', '-c', bin);
    assert.equal(all.out, 'Attaching 1 probe...\n\n\n@count: 5\n');
  });
  it('call.strerror: --include "errno.h" gives EPERM (errno.h → bits/errno.h → … → asm-generic/errno-base.h)', root, () => {
    const r = sonde('--include', 'errno.h', '-e', 'BEGIN { print(strerror(EPERM)); exit(); }');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Operation not permitted/);
  });

  it('basic.non existent library include fails: file not found (bpftrace: fatal error: \'lol/no.h\' file not found)', () => {
    const r = sonde('-e', '#include <lol/no.h>\nBEGIN { exit(); }');
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /file not found/);
  });

  it('other.positional attachpoint probe: BEG$1 with IN is BEGIN', root, () => {
    const r = sonde('-e', 'BEG$1 { printf("hello world\\n"); exit(); }', 'IN');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /hello world/);
  });

  it('other.positional as string literal: kaddr(str($1)) with vfs_read', root, () => {
    const r = sonde('-e', 'BEGIN { @ = kaddr(str($1)); exit() }', 'vfs_read');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Attaching 1 probe\.\.\./);
  });

  it('btf.redefine_btf_type_missing_def: a member of a struct type the script does not define is incomplete', () => {
    const r = sonde('-d', '-e', 'struct task_struct { struct thread_info x; } BEGIN { printf("%d\\n", curtask->x.status); }');
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /error:.*'struct thread_info'/);
  });

  it('btf.user_supplied_c_def_using_btf: a member of a kernel struct type the script does not redefine comes from BTF', root, () => {
    const r = sonde('-e', 'struct foo { struct task_struct t; } BEGIN { exit(); }');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Attaching 1 probe\.\.\./);
  });
  it('basic.it shows version, call/json-output.print_non_map_builtin, json-output.complex, other.if_compare_and_print_string: run as bpftrace (the drop-in link), sonde is bpftrace', root, () => {
    const link = dropInBpftrace();
    try {
      const bt = (...args: string[]) => spawnSync(link.path, args, { encoding: 'utf8', timeout: 30_000 });
      assert.match(bt('--version').stdout, /^bpftrace v/); // EXPECT bpftrace v
      assert.match(bt('-e', 'BEGIN { print(comm); exit() }').stdout, /^bpftrace$/m); // EXPECT bpftrace
      assert.match(bt('-q', '-f', 'json', '-e', 'BEGIN { print(comm); exit() }').stdout, /^\{"type": "value", "data": "bpftrace"\}$/m);
      // runtime/outputs/complex.json
      assert.deepEqual(JSON.parse(bt('-q', '-f', 'json', '-e', 'BEGIN { @complex[comm,2] = 5; exit(); }').stdout),
        { type: 'map', data: { '@complex': { 'bpftrace,2': 5 } } });
      assert.match(bt('-e', 'BEGIN { if (comm == "bpftrace") { printf("comm: %s\\n", comm);} exit();}').stdout, /comm: bpftrace/);
    } finally {
      link.remove();
    }
  });

  it('signals.print all maps on sigusr1 (kill -s USR1 $(pidof bpftrace)), other.sigint under heavy load (pkill -SIGINT bpftrace)', root, async () => {
    const link = dropInBpftrace();
    // As the cases find it, by name; signalled by pid here, so that no one else's bpftrace is.
    const byName = (pid: number): number => {
      const pids = spawnSync('pidof', ['bpftrace'], { encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
      assert.ok(pids.includes(pid) && spawnSync('pgrep', ['-x', 'bpftrace'], { encoding: 'utf8' }).stdout.split('\n').includes(String(pid)));
      return pid;
    };
    try {
      const usr1 = startTracer(link.path, ['-f', 'json', '-e', 'BEGIN { @scalar = 5; } interval:s:2 { exit(); }']);
      await usr1.attached;
      process.kill(byName(usr1.pid), 'SIGUSR1');
      const u = await usr1.done;
      assert.equal(u.code, 0, u.err);
      assert.match(u.out, /@scalar[\s\S]+@scalar/);
      const load = startTracer(link.path, ['--unsafe', '-e', 'tracepoint:sched:sched_switch { system("echo foo"); } END { printf("end"); }']);
      await load.attached;
      await new Promise((r) => setTimeout(r, 2000)); // ./testprogs/syscall nanosleep 2e9
      process.kill(byName(load.pid), 'SIGINT');
      const l = await Promise.race([load.done, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      assert.ok(l !== null, 'still running 20 s after SIGINT');
      load.kill('SIGKILL');
      assert.equal(l.code, 0, l.err);
      assert.match(l.out, /end/);
    } finally {
      link.remove();
    }
  });

  it('uprobe: list probes by pid / attach to probe for executable in separate mount namespace', root, async () => {
    // bpftrace's testprogs/mountns_wrapper runs uprobe_test from a bind mount only its mount
    // namespace has; test/fixtures/src/mountns_run.c does the same with a tmpfs.
    const child = await startInOwnMountNs('uprobe_target', ['--wait']);
    try {
      const l = sonde('-l', '-p', String(child.pid));
      assert.equal(l.code, 0, l.err);
      assert.match(l.out, new RegExp(`^uprobe:.*${child.exe}:sonde_target_a$`, 'm'));
      const a = startTracer(SONDE, ['-e', `uprobe:${child.exe}:sonde_target_a { printf("here\\n" ); exit(); }`, '-p', String(child.pid)]);
      await a.attached;
      assert.equal(await child.go(), 0);
      const r = await a.done;
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Attaching 1 probe\.\.\.\nhere\n/);
    } finally {
      child.stop();
    }
  });

  it('other.runtime_error_check_delete / runtime_error_check_lookup: -k reports a failed delete, -kk a lookup that found nothing', root, () => {
    // EXPECT WARNING: Failed to map_delete_elem: No such file or directory \(-2\)
    const d = sonde('-k', '-e', 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }');
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /^stdin:1:22-34: WARNING: Failed to map_delete_elem: No such file or directory \(-2\)$/m);
    // EXPECT WARNING: Failed to map_lookup_elem: 0
    const l = sonde('-kk', '-e', 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }');
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, /^stdin:1:37-41: WARNING: Failed to map_lookup_elem: 0$/m);
    // -k alone does not check lookups.
    assert.doesNotMatch(sonde('-k', '-e', 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }').out, /WARNING/);
  });

  it('json-output.helper_error: a read through an integer cast in BEGIN is bpf_probe_read (no address space), -EFAULT at 0', root, () => {
    const r = sonde('-kk', '-q', '-f', 'json', '-e', 'struct foo {int a;}; BEGIN { $tmp = ((struct foo*) 0)->a; exit(); }');
    assert.equal(r.code, 0, r.err);
    // EXPECT {"type": "helper_error", "helper": "probe_read", "retcode": -14, "line": 1, "col": 37}
    assert.match(r.out, /^\{"type": "helper_error", "helper": "probe_read", "retcode": -14, "line": 1, "col": 37\}$/m);
  });
});

// tests/runtime/dwarf, against our own program (test/fixtures/src/dwarf_target.c, built with -g).
describe("bpftrace's dwarf cases", () => {
  const traced = async (script: (bin: string) => string) => {
    const bin = await buildFixture('dwarf_target');
    return sonde('-e', script(bin), '-c', bin);
  };

  it('list uprobe args (basic, pointer, struct pointer types): -lv prints each parameter as bpftrace does', async () => {
    const bin = await buildFixture('dwarf_target');
    const r = sonde('-lv', `uprobe:${bin}:take_*`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, [
      `uprobe:${bin}:take_many`, ...['long int a1', 'long int a2', 'double ratio', 'long int a3', 'long int a4', 'long int a5', 'long int a6', 'long int a7'].map((p) => `    ${p}`),
      `uprobe:${bin}:take_pointers`, '    int* value', '    const char* text', '    struct record* rec',
      `uprobe:${bin}:take_scalars`, '    int count', '    char tag', '    long long unsigned int big', '    short int small',
      `uprobe:${bin}:take_struct`, '    struct point p', '    counter_t n', '',
    ].join('\n'));
    // A function the debug info does not describe is listed alone; a file without DWARF lists names only.
    assert.equal(sonde('-lv', `uprobe:${bin}:_start`).out, `uprobe:${bin}:_start\n`);
    const plain = await buildFixtureVariant('dwarf_target', 'nodebug', ['-g0']);
    assert.equal(sonde('-lv', `uprobe:${plain}:take_struct`).out, `uprobe:${plain}:take_struct\n`);
  });

  it('uprobe arg by name (char, pointer, struct; args.x too)', root, async () => {
    const r = await traced((bin) => `uprobe:${bin}:take_scalars { printf("%d %c %d\\n", args->count, args.tag, args->small); } `
      + `uprobe:${bin}:take_pointers { printf("%d %s %d\\n", *(args->value), str(args->text), args->rec->next->id); } `
      + `uprobe:${bin}:scaled { printf("%d x %d\\n", args->amount, args->factor); exit(); }`);
    assert.equal(r.code, 0, r.err);
    // scaled is an alias of scaled_impl: its parameters are found through the symbol's address.
    assert.equal(r.out, 'Attaching 3 probes...\n-12 q -300\n42 hello dwarf 2\n6 x 7\n\n\n');
  });

  it('struct field string and struct field array (bpftrace 0.17 prints a 2-D array transposed: [[1,2],[3,4],[5,6]])', root, async () => {
    const r = await traced((bin) => `uprobe:${bin}:take_pointers { printf("%s\\n", args->rec->label); print(args->rec->samples); print(args->rec->grid); exit(); }`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\nfirst\n[10,20,30,40]\n[[1,2,3],[4,5,6]]\n\n\n');
  });

  it('cast to struct: the type comes from the binary’s DWARF (bitfields too, which bpftrace 0.17 cannot find)', root, async () => {
    const r = await traced((bin) => `uprobe:${bin}:take_pointers { $r = (struct record *)arg2; printf("%d %d %d %d %lx %c\\n", $r->at.x, $r->fl.level, $r->hits, $r->mode, $r->fl.big, $r->fl.after); exit(); }`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\n-3 -5 99 7 123456789a z\n\n\n');
  });

  it('struct override: the script’s struct wins over the binary’s', root, async () => {
    const r = await traced((bin) => `struct record { int id; char tag[4]; } uprobe:${bin}:take_pointers { printf("%d %s\\n", ((struct record *)arg2)->id, ((struct record *)arg2)->tag); exit(); }`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Attaching 1 probe...\n7 firs\n\n\n');
  });

  it('args without debug info, in a uretprobe, or of an unknown name: clear errors, nothing attached', async () => {
    const plain = await buildFixtureVariant('dwarf_target', 'nodebug', ['-g0']);
    const a = sonde('-d', '-e', `uprobe:${plain}:take_struct { print(args->n); }`);
    assert.equal(a.code, 1);
    assert.ok(a.err.includes(`ERROR: ${plain} has no DWARF debug info, which args needs to know the parameters of take_struct`), a.err);
    const bin = await buildFixture('dwarf_target');
    const b = sonde('-d', '-e', `uretprobe:${bin}:take_struct { print(args->n); }`);
    assert.equal(b.code, 1);
    assert.match(b.err, /ERROR: The args builtin can only be used with tracepoint, fentry\/fexit and uprobe probes \(uretprobe used here\)/);
    const c = sonde('-d', '-e', `uprobe:${bin}:take_struct { print(args->m); }`);
    assert.equal(c.code, 1);
    assert.match(c.err, /ERROR: take_struct in .* has no parameter 'm'\n[^]*hint: its parameters are: p, n/);
  });
});

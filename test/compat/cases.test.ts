// Cases of bpftrace v0.17's runtime suite (tests/runtime/, run in full by test/compat/run.ts) that
// sonde once failed, kept here as regressions, each with bpftrace's own expected output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
const root = { skip: isRoot ? false : 'needs root (CI runs as root)', timeout: 60_000 };

function sonde(...args: string[]) {
  const r = spawnSync(SONDE, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

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
});

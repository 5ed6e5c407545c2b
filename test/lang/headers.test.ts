// #include for scripts (src/lang/headers.ts and its use in sema): header trees built in a temp
// directory, so the results do not depend on the system's headers.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';

import { HeaderResolver, isKernelHeader, isLibcHeader, systemIncludeDirs } from '../../src/lang/headers.js';
import { langError } from './lang-error.js';
import { parse } from '../../src/lang/parser.js';
import { analyze, HeaderNotFoundError } from '../../src/lang/sema/analyze.js';
import { fixtureKernel } from './sema/fixture.js';

const root = mkdtempSync(join(tmpdir(), 'sonde-headers-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tree(base: string, files: Record<string, string>): string {
  const dir = join(root, base);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

// A miniature of glibc's errno.h chain: errno.h → bits/errno.h → linux/errno.h → asm/errno.h →
// asm-generic/errno-base.h, in two system directories (asm/ in the multiarch one).
const sys = tree('sys', {
  'errno.h': '#ifndef _ERRNO_H\n#define _ERRNO_H 1\n#include <features.h>\n#include <bits/errno.h>\n#endif\n',
  'features.h': '#define __GLIBC__ 2\n#if 0\n# include <gnu/stubs-32.h>\n#endif\n',
  'bits/errno.h': '# include <linux/errno.h>\n#define ENOTSUP EOPNOTSUPP\n',
  'linux/errno.h': '#include <asm/errno.h>\n',
  'asm-generic/errno-base.h': '#define\tEPERM\t\t 1\t/* Operation not permitted */\n#define ENOENT 2 // No such file\n#define EMODE 0644\n#define EHEX (0x10U)\n#define F(x) ((x) + 1)\n#define EXPR (1 << 3)\n',
  'asm-generic/errno.h': '#include <asm-generic/errno-base.h>\n#define EOPNOTSUPP 95\n#define EWOULDBLOCK EAGAIN\n#define EAGAIN 11\n',
});
const multi = tree('multi', { 'asm/errno.h': '#include <asm-generic/errno.h>\n' });
const systemDirs = [multi, sys];

describe('HeaderResolver', () => {
  it('follows nested includes across the search directories: EPERM from errno.h', () => {
    const r = new HeaderResolver({ systemDirs });
    const defs = new Map<string, bigint>();
    assert.equal(r.collect('errno.h', true, defs), join(sys, 'errno.h'));
    assert.equal(defs.get('EPERM'), 1n);
    assert.equal(defs.get('ENOENT'), 2n);
    assert.equal(defs.get('EOPNOTSUPP'), 95n);
    assert.equal(defs.get('__GLIBC__'), 2n);
  });

  it('reads C numbers (octal, hex, suffixes, parentheses) and name aliases; skips macros and expressions', () => {
    const defs = new Map<string, bigint>();
    new HeaderResolver({ systemDirs }).collect('errno.h', true, defs);
    assert.equal(defs.get('EMODE'), 0o644n);
    assert.equal(defs.get('EHEX'), 16n);
    // Defined after its alias, as in the kernel's asm-generic/errno.h.
    assert.equal(defs.get('EWOULDBLOCK'), 11n);
    assert.equal(defs.get('ENOTSUP'), 95n);
    assert.equal(defs.has('F'), false);
    assert.equal(defs.has('EXPR'), false);
  });

  it('absent nested headers (in an #if for another system) are skipped; an absent header is undefined', () => {
    const r = new HeaderResolver({ systemDirs });
    assert.notEqual(r.collect('features.h', true, new Map()), undefined);
    assert.equal(r.collect('lol/no.h', true, new Map()), undefined);
    assert.equal(r.find('gnu/stubs-32.h', true), undefined);
  });

  it('a cycle of includes ends; each file counts once', () => {
    const dir = tree('cycle', {
      'a.h': '#include "b.h"\n#define A 1\n',
      'b.h': '#include "a.h"\n#include <a.h>\n#define B 2\n',
    });
    const defs = new Map<string, bigint>();
    assert.equal(new HeaderResolver({ systemDirs: [dir] }).collect('a.h', true, defs), join(dir, 'a.h'));
    assert.deepEqual([...defs], [['B', 2n], ['A', 1n]]);
  });

  it('-I directories come first, in order; the first definition of a name wins', () => {
    const i1 = tree('i1', { 'errno.h': '#define EPERM 100\n#include_next <errno.h>\n' });
    const i2 = tree('i2', { 'errno.h': '#define EPERM 200\n', 'only2.h': '#define TWO 2\n' });
    const defs = new Map<string, bigint>();
    const r = new HeaderResolver({ includeDirs: [i1, i2], systemDirs });
    assert.equal(r.collect('errno.h', true, defs), join(i1, 'errno.h'));
    assert.equal(defs.get('EPERM'), 100n);
    assert.equal(r.find('only2.h', true), join(i2, 'only2.h'));
    assert.deepEqual(r.searchDirs(), [i1, i2, ...systemDirs]);
    const first = new Map<string, bigint>([['EPERM', 7n]]);
    new HeaderResolver({ systemDirs }).collect('errno.h', true, first);
    assert.equal(first.get('EPERM'), 7n);
  });

  it('a quoted include looks in the including file\'s directory first', () => {
    const dir = tree('quoted', { 'top.h': '#include "sub/local.h"\n', 'sub/local.h': '#include "near.h"\n', 'sub/near.h': '#define NEAR 3\n', 'near.h': '#define NEAR 4\n' });
    const defs = new Map<string, bigint>();
    new HeaderResolver({ systemDirs: [dir] }).collect('top.h', true, defs);
    assert.equal(defs.get('NEAR'), 3n);
    assert.equal(new HeaderResolver({ systemDirs: [] }).find('near.h', false, join(dir, 'sub')), join(dir, 'sub', 'near.h'));
    assert.equal(new HeaderResolver({ systemDirs: [] }).find('near.h', true, join(dir, 'sub')), undefined);
  });

  it('kernel headers are those under the kernel\'s include directories', () => {
    for (const h of ['linux/sched.h', 'net/sock.h', 'asm/ptrace.h', 'uapi/linux/ptrace.h', 'trace/events/sched.h', 'scsi/scsi_cmnd.h']) assert.equal(isKernelHeader(h), true, h);
    for (const h of ['lol/no.h', 'errno.h', 'sys/socket.h', 'linux', 'linuxx/a.h']) assert.equal(isKernelHeader(h), false, h);
  });

  it('C library headers: its directories and the ISO C / POSIX top-level names', () => {
    for (const h of ['sys/socket.h', 'netinet/in.h', 'arpa/inet.h', 'bits/errno.h', 'errno.h', 'stdint.h', 'unistd.h', 'pthread.h']) assert.equal(isLibcHeader(h), true, h);
    for (const h of ['lol/no.h', 'no.h', 'sys', 'sys/', 'linux/sched.h', 'mysql.h', '/sys/socket.h']) assert.equal(isLibcHeader(h), false, h);
  });

  it('system directories in the C compiler\'s order, the multiarch one by architecture', () => {
    assert.deepEqual(systemIncludeDirs('x64'), ['/usr/local/include', '/usr/include/x86_64-linux-gnu', '/usr/include']);
    assert.deepEqual(systemIncludeDirs('arm64'), ['/usr/local/include', '/usr/include/aarch64-linux-gnu', '/usr/include']);
  });
});

describe('sema: #include', () => {
  const kernel = fixtureKernel();
  const sema = (src: string, opts: { includes?: string[]; includeDirs?: string[] } = {}) =>
    analyze(parse(src, { file: 'test.bt' }), { kernel, file: 'test.bt', ...opts });
  const error = (src: string, opts: { includes?: string[]; includeDirs?: string[] } = {}): string => {
    return langError(() => sema(src, opts));
  };
  const value = (a: ReturnType<typeof sema>): bigint | undefined => {
    const s = a.program.probes[0]!.body.stmts[0]!;
    return a.constInt((s as { value: Parameters<typeof a.constInt>[0] }).value);
  };
  const inc = tree('inc', { 'my/consts.h': '#include "more.h"\n#define MINE 42\n', 'my/more.h': '#define MORE 43\n' });

  it('-I DIR and --include FILE: the header\'s defines, nested ones included', () => {
    assert.equal(value(sema('#include <my/consts.h>\nBEGIN { $x = MORE; }', { includeDirs: [inc] })), 43n);
    assert.equal(value(sema('BEGIN { $x = MINE; }', { includes: ['my/consts.h'], includeDirs: [inc] })), 42n);
    assert.throws(() => sema('BEGIN { }', { includes: ['lol.h'] }), (e: unknown) => e instanceof HeaderNotFoundError && e.message === "--include lol.h: 'lol.h' file not found");
  });

  it('an absent header is an error at its name (bpftrace: fatal error: \'lol/no.h\' file not found)', () => {
    const e = error('// a comment\n  #include <lol/no.h>\nBEGIN { }');
    assert.equal(e.split('\n').slice(0, 3).join('\n'), "test.bt:2:12: ERROR: 'lol/no.h' file not found\n  #include <lol/no.h>\n           ^~~~~~~~~~");
    assert.match(e.split('\n')[3]!, /^hint: headers are searched in .*\/usr\/include \(-I DIR adds one\); an absent kernel header/);
    assert.match(error('#include "nope.h"\nBEGIN { }'), /^test\.bt:1:10: ERROR: 'nope.h' file not found\n#include "nope.h"\n {9}\^~~~~~~~\nhint: headers are searched in the script's directory, /);
  });

  it('an absent kernel header is stood in for by BTF, as before', () => {
    assert.doesNotThrow(() => sema('#include <linux/no_such_header.h>\n#include <net/no_sock.h>\nBEGIN { }'));
  });

  it('an absent C library header too (tcpconnect.bt\'s sys/socket.h on a machine without libc headers)', () => {
    assert.doesNotThrow(() => sema('#include <sys/sonde_absent.h>\n#include <netinet/sonde_absent.h>\nBEGIN { }'));
    assert.match(error('#include <sonde_absent.h>\nBEGIN { }'), /^test\.bt:1:10: ERROR: 'sonde_absent\.h' file not found/);
  });
});

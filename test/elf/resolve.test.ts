// Names → files: PATH lookup, libc via ld.so.cache / standard dirs / a process's maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  BinaryNotFoundError,
  ElfFile,
  LibraryNotFoundError,
  parseLdCache,
  fileInProcess,
  ProcessMapsError,
  readLdCache,
  realpath,
  realpathInRoot,
  resolveBinary,
  resolveLibrary,
  STANDARD_LIBRARY_DIRS,
} from '../../src/elf/index.js';
import { hostPathOf, libraryNameRank } from '../../src/elf/resolve.js';
import { entryMatchesArch } from '../../src/elf/ldcache.js';
import { buildFixture } from '../fixtures/build.js';
import { tool } from './binutils.js';

test('resolveBinary: a bare name through PATH, a path as given, both made real', async () => {
  const sh = execFileSync('/bin/sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim();
  assert.equal(resolveBinary('sh'), realpathSync(sh));
  const fixture = await buildFixture('uprobe_target');
  assert.equal(resolveBinary(fixture), fixture);
  const dir = mkdtempSync(join(tmpdir(), 'sonde-bin-'));
  try {
    symlinkSync(fixture, join(dir, 'linked'));
    writeFileSync(join(dir, 'notexec'), 'x');
    chmodSync(join(dir, 'notexec'), 0o644);
    assert.equal(resolveBinary('linked', { searchPath: `/nonexistent:${dir}` }), fixture, 'symlinks resolved');
    assert.throws(() => resolveBinary('notexec', { searchPath: dir }), BinaryNotFoundError, 'not executable');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resolveBinary: the error names every place searched', () => {
  assert.throws(() => resolveBinary('sonde-no-such-tool', { searchPath: '/usr/bin:/bin' }), (e: unknown) => {
    assert.ok(e instanceof BinaryNotFoundError);
    assert.deepEqual(e.searched, ['/usr/bin/sonde-no-such-tool', '/bin/sonde-no-such-tool']);
    assert.equal(e.message, 'cannot find executable "sonde-no-such-tool"; searched /usr/bin/sonde-no-such-tool, /bin/sonde-no-such-tool');
    return true;
  });
  assert.throws(() => resolveBinary('./nope/sonde'), (e: unknown) => e instanceof BinaryNotFoundError && e.searched[0] === join(process.cwd(), 'nope/sonde'));
});

function ldconfigLibc(): string {
  const line = tool('ldconfig', ['-p']).split('\n').find((l) => /^\s+libc\.so\.6 \(libc6,x86-64/.test(l))!;
  assert.ok(line !== undefined, 'ldconfig -p lists libc.so.6');
  return realpathSync(line.split(' => ')[1]!.trim());
}

test('resolveLibrary: libc, libc.so.6 and a full path all give the file ld.so would load', () => {
  const want = ldconfigLibc();
  assert.equal(resolveLibrary('libc'), want);
  assert.equal(resolveLibrary('libc.so.6'), want);
  assert.equal(resolveLibrary(want), want);
  const elf = ElfFile.open(resolveLibrary('libc'));
  assert.ok(elf.findSymbols('getaddrinfo').length > 0);
  assert.ok(elf.findSymbols('malloc').length > 0);
});

test('resolveLibrary: libc never means libcrypto, and the libc.so linker script is passed over', () => {
  assert.equal(libraryNameRank('libc.so.6', 'libc'), 1);
  assert.equal(libraryNameRank('libc-2.31.so', 'libc'), 2);
  assert.equal(libraryNameRank('libc.so', 'libc'), 3);
  assert.equal(libraryNameRank('libcrypto.so.3', 'libc'), undefined);
  assert.equal(libraryNameRank('libc.so.6', 'libc.so.6'), 0);
  assert.equal(libraryNameRank('libc.so.6', 'libc.so'), 1);
  assert.equal(libraryNameRank('libc.so.6', 'libc.so.6.1'), undefined);
  assert.equal(libraryNameRank('libpthread.so.0', 'libc'), undefined);
  assert.notEqual(basename(resolveLibrary('libc')), 'libc.so');
});

test('resolveLibrary without ld.so.cache: the standard directories', () => {
  const want = ldconfigLibc();
  const got = resolveLibrary('libc', undefined, { ldCachePath: '/nonexistent/ld.so.cache' });
  assert.equal(got, want);
});

test('resolveLibrary: a missing library names the cache and every directory searched', () => {
  assert.throws(() => resolveLibrary('libsonde_no_such_lib'), (e: unknown) => {
    assert.ok(e instanceof LibraryNotFoundError);
    assert.deepEqual(e.searched, ['/etc/ld.so.cache', ...STANDARD_LIBRARY_DIRS]);
    assert.equal(e.message, `cannot find library "libsonde_no_such_lib"; searched /etc/ld.so.cache, ${STANDARD_LIBRARY_DIRS.join(', ')}`);
    return true;
  });
  assert.throws(() => resolveLibrary('/nonexistent/libfoo.so'), (e: unknown) => e instanceof LibraryNotFoundError && e.searched[0] === '/nonexistent/libfoo.so');
  // A file that exists but is not ELF is not a library.
  assert.throws(() => resolveLibrary('/etc/hostname'), LibraryNotFoundError);
});

test('resolveLibrary with a pid: the library that process has mapped', () => {
  // node itself is dynamically linked against libc.
  const maps = readFileSync(`/proc/${process.pid}/maps`, 'utf8');
  const mapped = maps.split('\n').map((l) => l.split(/\s+/)[5] ?? '').find((p) => /\/libc\.so\.6$/.test(p))!;
  assert.ok(mapped !== undefined, 'node maps libc.so.6');
  assert.equal(resolveLibrary('libc', process.pid), mapped);
  assert.equal(resolveLibrary('libc.so.6', process.pid), mapped);
  assert.throws(() => resolveLibrary('libsonde_no_such_lib', process.pid), (e: unknown) => {
    assert.ok(e instanceof LibraryNotFoundError);
    assert.equal(e.pid, process.pid);
    assert.equal(e.message, `cannot find library "libsonde_no_such_lib" mapped in process ${process.pid}; searched /proc/${process.pid}/maps (the library may not be loaded yet)`);
    return true;
  });
  assert.throws(() => resolveLibrary('libc', 2 ** 31 - 2), (e: unknown) => e instanceof ProcessMapsError && /no such process/.test(e.message));
});

test('ld.so.cache: the same soname → path pairs as ldconfig -p', () => {
  const entries = readLdCache().filter((e) => entryMatchesArch(e));
  const ours = entries.map((e) => `${e.soname} => ${e.path}`).sort();
  const theirs = tool('ldconfig', ['-p'])
    .split('\n')
    .filter((l) => /\(libc6,x86-64/.test(l))
    .map((l) => l.trim().replace(/ \(.*\) => /, ' => '))
    .sort();
  assert.ok(theirs.length > 10);
  assert.deepEqual(ours, theirs);
});

test('ld.so.cache: the legacy "ld.so-1.7.0" table in front of the new one is skipped', () => {
  const enc = new TextEncoder();
  // New-format part: header (48 bytes), one entry (24 bytes), then strings.
  const strings = enc.encode('libdemo.so.1\0/opt/demo/libdemo.so.1\0');
  const fresh = new Uint8Array(48 + 24 + strings.length);
  const dv = new DataView(fresh.buffer);
  fresh.set(enc.encode('glibc-ld.so.cache1.1'), 0);
  dv.setUint32(20, 1, true); // nlibs
  dv.setUint32(24, strings.length, true);
  fresh[28] = 2; // little-endian
  dv.setInt32(48, 0x0303, true); // libc6, x86-64
  dv.setUint32(52, 72, true); // key: offsets count from the new header
  dv.setUint32(56, 72 + 13, true);
  fresh.set(strings, 72);
  // Old-format part: magic (11 bytes + pad), nlibs = 1, one 12-byte entry; then 8-byte alignment.
  const old = new Uint8Array(32);
  old.set(enc.encode('ld.so-1.7.0'), 0);
  new DataView(old.buffer).setUint32(12, 1, true);
  const both = new Uint8Array(old.length + fresh.length);
  both.set(old, 0);
  both.set(fresh, old.length);
  const want = [{ soname: 'libdemo.so.1', path: '/opt/demo/libdemo.so.1', flags: 0x0303, hwcap: 0n }];
  assert.deepEqual(parseLdCache(fresh), want);
  assert.deepEqual(parseLdCache(both), want);
  assert.throws(() => parseLdCache(enc.encode('something else entirely, long enough')), /not a glibc-ld.so.cache1.1 file/);
});

test('resolveLibrary: searchDirs finds a library by name prefix, highest version first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-lib-'));
  try {
    const libc = resolveLibrary('libc');
    copyFileSync(libc, join(dir, 'libsondetest.so.1'));
    copyFileSync(libc, join(dir, 'libsondetest.so.2'));
    writeFileSync(join(dir, 'libsondetest.so.3'), 'INPUT(libsondetest.so.2)\n'); // linker script
    copyFileSync(libc, join(dir, 'libsondetestx.so.9'));
    const opts = { ldCachePath: '/nonexistent', searchDirs: ['/nonexistent-dir', dir] };
    assert.equal(resolveLibrary('libsondetest', undefined, opts), join(realpathSync(dir), 'libsondetest.so.2'));
    assert.equal(resolveLibrary('libsondetest.so.1', undefined, opts), join(realpathSync(dir), 'libsondetest.so.1'));
    assert.throws(() => resolveLibrary('libsondetest.so.3', undefined, opts), (e: unknown) =>
      e instanceof LibraryNotFoundError && e.searched.join() === ['/nonexistent', '/nonexistent-dir', dir].join());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostPathOf: the mapped path when it is the same inode, else the path inside /proc/PID/root', () => {
  const base = { start: 0, end: 4096, perms: 'r--p', executable: false, offset: 0, devMajor: 0, devMinor: 0, deleted: false };
  const ino = statSync('/etc/hostname').ino;
  assert.equal(hostPathOf({ ...base, inode: ino, path: '/etc/hostname' }, process.pid), '/etc/hostname');
  assert.equal(hostPathOf({ ...base, inode: ino + 1, path: '/etc/hostname' }, process.pid), `/proc/${process.pid}/root/etc/hostname`);
  assert.equal(hostPathOf({ ...base, inode: ino, path: '/etc/hostname', deleted: true }, process.pid), `/proc/${process.pid}/root/etc/hostname`);
  assert.equal(hostPathOf({ ...base, inode: 5, path: '/nonexistent/lib.so' }, process.pid), '/nonexistent/lib.so');
});

test('realpathInRoot: links resolved inside the root — absolute targets restart there, .. stops there; loops and missing files throw', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'sonde-root-')));
  try {
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'bin', 'prog'), '');
    symlinkSync('/bin/prog', join(root, 'abs')); // on the host, /bin/prog is another file or none
    symlinkSync('bin/prog', join(root, 'rel'));
    symlinkSync('../../../bin', join(root, 'bin', 'up')); // .. past the root stays at the root
    symlinkSync('/abs', join(root, 'chain'));
    symlinkSync('loop', join(root, 'loop'));
    assert.equal(realpathInRoot(root, '/abs'), '/bin/prog');
    assert.equal(realpathInRoot(root, '/bin/../rel'), '/bin/prog');
    assert.equal(realpathInRoot(root, '/bin/up/up/./prog'), '/bin/prog');
    assert.equal(realpathInRoot(root, '/chain'), '/bin/prog');
    assert.equal(realpathInRoot(root, '/'), '/');
    assert.throws(() => realpathInRoot(root, '/loop'), (e: NodeJS.ErrnoException) => e.code === 'ELOOP');
    assert.throws(() => realpathInRoot(root, '/bin/none'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('realpath / fileInProcess: a path through /proc/PID/root stays there; our own process sees our files', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sonde-inproc-')));
  try {
    writeFileSync(join(dir, 'file'), '');
    symlinkSync('file', join(dir, 'link'));
    const root = `/proc/${process.pid}/root`;
    // Node's realpathSync follows /proc/PID/root to our "/" and resolves the rest here: wrong for
    // a process in another mount namespace.
    assert.equal(realpath(`${root}${dir}/link`), `${root}${dir}/file`);
    assert.equal(realpath(`${dir}/link`), `${dir}/file`);
    // Same mount namespace: the very same file, so our own path.
    assert.equal(fileInProcess(`${dir}/link`, process.pid), `${dir}/file`);
    assert.equal(fileInProcess(`${dir}/none`, process.pid), undefined);
    assert.equal(fileInProcess(dir, process.pid), undefined, 'a directory is no program');
    assert.equal(fileInProcess(`${root}${dir}/link`, process.pid), `${root}${dir}/file`);
    assert.equal(resolveBinary(`${dir}/link`, { pid: process.pid }), `${dir}/file`);
    assert.throws(() => resolveBinary(`${dir}/none`, { pid: process.pid }), (e: unknown) =>
      e instanceof BinaryNotFoundError && e.message.includes(`as process ${process.pid} sees it (${root}${dir}/none)`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

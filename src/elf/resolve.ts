/**
 * Names → files: `bash` via PATH, `libc` / `libc.so.6` via a process's memory map or the dynamic
 * linker's cache, the way a user writes them in `uprobe:libc:malloc`.
 */
import { accessSync, closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, join, resolve } from 'node:path';
import { BinaryNotFoundError, LibraryNotFoundError } from './errors.js';
import { entryMatchesArch, isHwcapsEntry, readLdCache } from './ldcache.js';
import { isFileBacked, type MemoryMapping, readProcMaps } from './proc-maps.js';

/** Where glibc looks when the cache has nothing, in its own order (multiarch dirs first). */
export const STANDARD_LIBRARY_DIRS: readonly string[] = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
  '/usr/local/lib',
];

export interface ResolveBinaryOptions {
  /** Search path; defaults to $PATH. */
  readonly searchPath?: string;
  /**
   * The process whose view of the file system counts (-p): each path is looked up inside its
   * mount namespace and root (see fileInProcess).
   */
  readonly pid?: number;
}

/**
 * Absolute real path of a program: a path as given (relative to cwd), else the first match in PATH.
 * With `pid`, the file that process sees under that path (fileInProcess).
 */
export function resolveBinary(nameOrPath: string, options: ResolveBinaryOptions = {}): string {
  const pid = options.pid;
  if (nameOrPath.includes('/')) {
    const p = resolve(nameOrPath);
    const found = pid !== undefined ? fileInProcess(p, pid) : isRegularFile(p) ? realpath(p) : undefined;
    if (found !== undefined) return found;
    throw new BinaryNotFoundError(nameOrPath, [pid !== undefined && !underProcRoot(p) ? `${p} as process ${pid} sees it (/proc/${pid}/root${p})` : p]);
  }
  const searched: string[] = [];
  for (const dir of (options.searchPath ?? process.env['PATH'] ?? '').split(delimiter)) {
    // An empty PATH element means the current directory (POSIX).
    const p = join(dir === '' ? process.cwd() : dir, nameOrPath);
    searched.push(p);
    const found = pid !== undefined ? fileInProcess(p, pid) : isRegularFile(p) ? realpath(p) : undefined;
    if (found !== undefined && isExecutable(found)) return found;
  }
  throw new BinaryNotFoundError(nameOrPath, searched);
}

/** `/proc/PID/root` (or /proc/self/root) at the start of a path: the rest is inside that process's root. */
const PROC_ROOT = /^(\/proc\/(?:\d+|self)\/root)(?=\/|$)/;

function underProcRoot(p: string): boolean {
  return PROC_ROOT.test(p);
}

/**
 * realpath(3), except that a path through /proc/PID/root stays there: realpath would follow
 * that link to our own "/" and resolve the rest in our mount namespace, not the process's.
 */
export function realpath(p: string): string {
  const m = PROC_ROOT.exec(p);
  if (m === null) return realpathSync(p);
  return m[1]! + realpathInRoot(m[1]!, p.slice(m[1]!.length) || '/');
}

/**
 * An absolute path resolved as a process whose root directory is `root` (e.g. /proc/PID/root)
 * resolves it: symbolic links are followed inside that root, absolute targets restart from it,
 * `..` stops at it. Returns the path inside the root; throws ENOENT/ELOOP as the file system does.
 */
export function realpathInRoot(root: string, path: string): string {
  let todo = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const inRoot = `/${[...done, c].join('/')}`;
    if (!lstatSync(root + inRoot).isSymbolicLink()) {
      done.push(c);
      continue;
    }
    if (++links > 40) throw Object.assign(new Error(`ELOOP: too many symbolic links, ${root}${path}`), { code: 'ELOOP' });
    const target = readlinkSync(root + inRoot);
    if (target.startsWith('/')) done.length = 0;
    todo = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...todo];
  }
  return `/${done.join('/')}`;
}

/**
 * The regular file that process `pid` sees at absolute path `path` (its mount namespace, its
 * root: containers, `unshare -m`, chroot), as a path we can open from here: our own real path
 * when it is that same file (device and inode), else /proc/PID/root followed by the path as
 * resolved inside that root. undefined when the process sees no regular file there. A path
 * already under /proc/PID/root is taken as it is; a process whose root we cannot look into
 * (gone, or not ours to see) leaves our own view of the path.
 */
export function fileInProcess(path: string, pid: number): string | undefined {
  if (underProcRoot(path)) return isRegularFile(path) ? realpath(path) : undefined;
  const root = `/proc/${pid}/root`;
  try {
    readlinkSync(root);
  } catch {
    return isRegularFile(path) ? realpathSync(path) : undefined;
  }
  let there: string;
  let st;
  try {
    there = root + realpathInRoot(root, path);
    st = statSync(there);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  try {
    const here = statSync(path);
    if (here.dev === st.dev && here.ino === st.ino) return realpathSync(path);
  } catch {
    // not there in our mount namespace
  }
  return there;
}

export interface ResolveLibraryOptions {
  /** Defaults to /etc/ld.so.cache. */
  readonly ldCachePath?: string;
  /** Defaults to STANDARD_LIBRARY_DIRS. */
  readonly searchDirs?: readonly string[];
}

/**
 * Real path of a shared library named as `libc`, `libc.so.6`, `libfoo-1.2.so` or a full path.
 * With a pid, the library that process has mapped (through /proc/PID/root when the process lives in
 * another mount namespace); without, what the dynamic linker would pick: /etc/ld.so.cache, then the
 * standard directories. Only 64-bit ELF files count (so `libc.so`, a linker script, is passed over).
 */
export function resolveLibrary(name: string, pid?: number, options: ResolveLibraryOptions = {}): string {
  if (name.includes('/')) {
    const p = resolve(name);
    const found = pid !== undefined ? fileInProcess(p, pid) : isRegularFile(p) ? realpath(p) : undefined;
    if (found !== undefined && isElf64(found)) return found;
    throw new LibraryNotFoundError(name, [p], pid);
  }
  if (pid !== undefined) return libraryInProcess(name, pid);
  const cachePath = options.ldCachePath ?? '/etc/ld.so.cache';
  const dirs = options.searchDirs ?? STANDARD_LIBRARY_DIRS;
  const fromCache = readLdCache(cachePath)
    .filter((e) => entryMatchesArch(e) && libraryNameRank(e.soname, name) !== undefined)
    .sort((a, b) => compareCandidates(a.soname, b.soname, name) || Number(isHwcapsEntry(a)) - Number(isHwcapsEntry(b)));
  for (const e of fromCache) {
    if (isRegularFile(e.path) && isElf64(e.path)) return realpathSync(e.path);
  }
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    const matches = files.filter((f) => libraryNameRank(f, name) !== undefined).sort((a, b) => compareCandidates(a, b, name));
    for (const f of matches) {
      const p = join(dir, f);
      if (isRegularFile(p) && isElf64(p)) return realpathSync(p);
    }
  }
  throw new LibraryNotFoundError(name, [cachePath, ...dirs]);
}

function libraryInProcess(name: string, pid: number): string {
  const maps = readProcMaps(pid).filter(isFileBacked);
  const byPath = new Map<string, MemoryMapping>();
  for (const m of maps) {
    if (libraryNameRank(basename(m.path), name) !== undefined && !byPath.has(m.path)) byPath.set(m.path, m);
  }
  const best = [...byPath.values()].sort((a, b) => compareCandidates(basename(a.path), basename(b.path), name))[0];
  if (best === undefined) {
    throw new LibraryNotFoundError(name, [`/proc/${pid}/maps (the library may not be loaded yet)`], pid);
  }
  return hostPathOf(best, pid);
}

/**
 * A path under which this process's mapped file can be opened from here: the mapped path itself
 * when it is the same inode, else the same path inside the process's root (containers).
 */
export function hostPathOf(m: MemoryMapping, pid: number): string {
  try {
    if (!m.deleted && statSync(m.path).ino === m.inode) return m.path;
  } catch {
    // not visible from our mount namespace
  }
  const inRoot = `/proc/${pid}/root${m.path}`;
  try {
    statSync(inRoot);
    return inRoot;
  } catch {
    // Overlay filesystems report the underlying inode in maps, so a mismatch may still be the file.
    return m.path;
  }
}

/**
 * How well file name `file` matches a library name as the user wrote it, lower is better;
 * undefined for no match. `libc` matches libc.so.6, libc.so and libc-2.31.so but not libcrypto.so.
 */
export function libraryNameRank(file: string, name: string): number | undefined {
  if (file === name) return 0;
  if (name.includes('.so')) return file.startsWith(`${name}.`) ? 1 : undefined;
  if (/^\.so\.\d/.test(file.slice(name.length)) && file.startsWith(name)) return 1;
  if (file.startsWith(name) && /^-[\d.]+\.so$/.test(file.slice(name.length))) return 2;
  if (file === `${name}.so`) return 3;
  return undefined;
}

function compareCandidates(a: string, b: string, name: string): number {
  // Same rank: prefer the higher version (libfoo.so.2 before libfoo.so.1).
  return (libraryNameRank(a, name) ?? 9) - (libraryNameRank(b, name) ?? 9) || b.localeCompare(a, 'en', { numeric: true });
}

function isRegularFile(p: string): boolean {
  try {
    // Most of a PATH search misses: no exception for those (~30 µs each, with its stack).
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Checks the ELF magic and 64-bit class without parsing anything else. */
export function isElf64(p: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(p, 'r');
    const b = Buffer.alloc(5);
    if (readSync(fd, b, 0, 5, 0) !== 5) return false;
    return b[0] === 0x7f && b.toString('latin1', 1, 4) === 'ELF' && b[4] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

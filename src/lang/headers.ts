/**
 * `#include` for scripts: finds C headers on this system and gathers the simple numeric
 * `#define`s of a header and of every header it includes, nested (`errno.h` → `bits/errno.h` →
 * `linux/errno.h` → `asm/errno.h` → `asm-generic/errno-base.h`, where EPERM is).
 *
 * Not a preprocessor: conditionals are not evaluated (every branch's defines count, the first
 * definition of a name wins), macros with parameters and expressions are skipped. Types come
 * from BTF, not from headers. Kernel-internal headers (linux/sched.h, net/sock.h) are absent from
 * most systems; BTF and the built-in constant table stand in for them, so an absent header under
 * one of the kernel's include directories (KERNEL_HEADER_DIRS), or a C library header (on machines
 * without libc's development files), is not an error.
 *
 * Pure apart from reading files; each header is read and scanned once per resolver.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * The top-level directories of the Linux kernel's include/ tree (include/acpi … include/xen, Linux
 * 6.x), plus `asm` (arch/<arch>/include/asm), `uapi` (as bcc-style `uapi/linux/x.h`) and
 * `generated` (a build's include/generated). A header under one of them is the kernel's.
 */
export const KERNEL_HEADER_DIRS: ReadonlySet<string> = new Set([
  'acpi', 'asm', 'asm-generic', 'clocksource', 'crypto', 'cxl', 'drm', 'dt-bindings', 'generated', 'keys',
  'kunit', 'kvm', 'linux', 'math-emu', 'media', 'memory', 'misc', 'net', 'pcmcia', 'ras', 'rdma', 'rv',
  'scsi', 'soc', 'sound', 'target', 'trace', 'uapi', 'ufs', 'vdso', 'video', 'xen',
]);

/** Whether an include path names a kernel header (`linux/sched.h`, `net/sock.h`), by its first directory. */
export function isKernelHeader(path: string): boolean {
  const slash = path.indexOf('/');
  return slash > 0 && KERNEL_HEADER_DIRS.has(path.slice(0, slash));
}

/**
 * The C library's directories (glibc's and musl's `sys/`, `netinet/`, `arpa/`, `bits/`, `gnu/`) and
 * the top-level headers of ISO C and POSIX plus the common Linux libc extras. bpftrace's tools
 * include some (`sys/socket.h` in tcpconnect.bt and four others), and machines that trace often have
 * no libc development headers: BTF and the constant table cover what scripts take from them.
 */
const LIBC_HEADER_DIRS: ReadonlySet<string> = new Set(['sys', 'netinet', 'arpa', 'bits', 'gnu']);
const LIBC_HEADERS: ReadonlySet<string> = new Set([
  // ISO C11
  'assert', 'complex', 'ctype', 'errno', 'fenv', 'float', 'inttypes', 'iso646', 'limits', 'locale', 'math', 'setjmp',
  'signal', 'stdalign', 'stdarg', 'stdatomic', 'stdbool', 'stddef', 'stdint', 'stdio', 'stdlib', 'stdnoreturn', 'string',
  'tgmath', 'threads', 'time', 'uchar', 'wchar', 'wctype',
  // POSIX
  'aio', 'cpio', 'dirent', 'dlfcn', 'fcntl', 'fmtmsg', 'fnmatch', 'ftw', 'glob', 'grp', 'iconv', 'langinfo', 'libgen',
  'monetary', 'mqueue', 'ndbm', 'netdb', 'nl_types', 'poll', 'pthread', 'pwd', 'regex', 'sched', 'search', 'semaphore',
  'spawn', 'strings', 'syslog', 'tar', 'termios', 'ulimit', 'unistd', 'utime', 'utmpx', 'wordexp',
  // Linux libc extras
  'alloca', 'byteswap', 'elf', 'endian', 'error', 'features', 'getopt', 'ifaddrs', 'link', 'malloc', 'memory', 'paths',
  'pty', 'shadow', 'sysexits', 'utmp', 'values',
].map((h) => `${h}.h`));

/** Whether an include path names a C library header (`sys/socket.h`, `errno.h`, `netinet/in.h`). */
export function isLibcHeader(path: string): boolean {
  const slash = path.indexOf('/');
  if (slash < 0) return LIBC_HEADERS.has(path);
  return slash > 0 && LIBC_HEADER_DIRS.has(path.slice(0, slash)) && path.endsWith('.h');
}

/** Whether an absent header may be left to BTF and the built-in constants: the kernel's and the C library's. */
export function isStoodInFor(path: string): boolean {
  return isKernelHeader(path) || isLibcHeader(path);
}

const MULTIARCH: Record<string, string> = {
  x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf', ia32: 'i386-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu', s390x: 's390x-linux-gnu', riscv64: 'riscv64-linux-gnu', loong64: 'loongarch64-linux-gnu',
};

/** The C compiler's system directories, in its order: /usr/local/include, the multiarch directory, /usr/include. */
export function systemIncludeDirs(arch: string = process.arch): string[] {
  const multi = MULTIARCH[arch];
  return ['/usr/local/include', ...(multi ? [`/usr/include/${multi}`] : []), '/usr/include'];
}

export interface HeaderSearchOptions {
  /** -I directories, searched before the system ones, in the order given. */
  includeDirs?: readonly string[];
  /** Default: systemIncludeDirs(). */
  systemDirs?: readonly string[];
}

interface ScannedHeader {
  /** Defines and includes in the order they appear. */
  items: Array<{ define: string; value: bigint } | { define: string; alias: string } | { include: string; angled: boolean }>;
}

// One pass over the text: `#include <x>` / `#include "x"` and object-like `#define NAME value`.
const DIRECTIVE =
  /^[ \t]*#[ \t]*(?:include[ \t]*(?:<([^>\n]+)>|"([^"\n]+)")|define[ \t]+([A-Za-z_]\w*)[ \t]+(?:\(?[ \t]*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?|([A-Za-z_]\w*))[ \t]*(?:\/\*.*\*\/[ \t]*|\/\/.*)?$)/gm;

function number(text: string): bigint {
  // C: a leading 0 is octal.
  if (/^0[0-7]+$/.test(text)) return BigInt(`0o${text.slice(1)}`);
  return BigInt(text);
}

export class HeaderResolver {
  private readonly includeDirs: readonly string[];
  private readonly systemDirs: readonly string[];
  /** Scanned headers by path (null: unreadable), so a header shared by many is read once. */
  private readonly scanned = new Map<string, ScannedHeader | null>();
  /** Lookups by directory and name, positive and negative. */
  private readonly exists = new Map<string, boolean>();

  constructor(opts: HeaderSearchOptions = {}) {
    this.includeDirs = opts.includeDirs ?? [];
    this.systemDirs = opts.systemDirs ?? systemIncludeDirs();
  }

  /** The directories searched for `#include <…>`, in order. */
  searchDirs(): string[] {
    return [...this.includeDirs, ...this.systemDirs];
  }

  /**
   * Where `#include <name>` (angled) or `#include "name"` finds its file: a quoted name first in
   * `fromDir` (the including file's directory), then the -I directories, then the system ones.
   */
  find(name: string, angled: boolean, fromDir?: string): string | undefined {
    if (isAbsolute(name)) return this.isFile(name) ? name : undefined;
    const dirs = [...(!angled && fromDir !== undefined ? [fromDir] : []), ...this.includeDirs, ...this.systemDirs];
    for (const dir of dirs) {
      const path = join(dir, name);
      if (this.isFile(path)) return path;
    }
    return undefined;
  }

  /**
   * Adds the header's numeric defines, and those of the headers it includes, to `into` (a name
   * already there is kept). Nested headers that are absent are skipped (they may sit in a branch
   * of a conditional for another system); each file is visited once. Returns the header's path,
   * or undefined when it is not found.
   */
  collect(name: string, angled: boolean, into: Map<string, bigint>, fromDir?: string): string | undefined {
    const path = this.find(name, angled, fromDir);
    if (path === undefined) return undefined;
    const aliases = new Map<string, string>();
    this.walk(path, into, aliases, new Set());
    // `#define EWOULDBLOCK EAGAIN`: resolved once everything is in.
    for (const [alias, target] of aliases) {
      if (into.has(alias)) continue;
      let t: string | undefined = target;
      for (let depth = 0; t !== undefined && !into.has(t) && depth < 8; depth++) t = aliases.get(t);
      if (t !== undefined && into.has(t)) into.set(alias, into.get(t)!);
    }
    return path;
  }

  private walk(path: string, into: Map<string, bigint>, aliases: Map<string, string>, seen: Set<string>): void {
    if (seen.has(path)) return;
    seen.add(path);
    const h = this.scan(path);
    if (!h) return;
    const dir = dirname(path);
    for (const item of h.items) {
      if ('include' in item) {
        const next = this.find(item.include, item.angled, dir);
        if (next !== undefined) this.walk(next, into, aliases, seen);
      } else if ('value' in item) {
        if (!into.has(item.define)) into.set(item.define, item.value);
      } else if (!aliases.has(item.define)) {
        aliases.set(item.define, item.alias);
      }
    }
  }

  private scan(path: string): ScannedHeader | null {
    const cached = this.scanned.get(path);
    if (cached !== undefined) return cached;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      this.scanned.set(path, null);
      return null;
    }
    const items: ScannedHeader['items'] = [];
    for (const m of text.matchAll(DIRECTIVE)) {
      if (m[1] !== undefined || m[2] !== undefined) items.push({ include: (m[1] ?? m[2]!).trim(), angled: m[1] !== undefined });
      else if (m[4] !== undefined) items.push({ define: m[3]!, value: number(m[4]) });
      else items.push({ define: m[3]!, alias: m[5]! });
    }
    const h = { items };
    this.scanned.set(path, h);
    return h;
  }

  private isFile(path: string): boolean {
    let known = this.exists.get(path);
    if (known === undefined) {
      try {
        known = statSync(path).isFile();
      } catch {
        known = false;
      }
      this.exists.set(path, known);
    }
    return known;
  }
}

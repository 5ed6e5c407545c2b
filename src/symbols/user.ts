/**
 * User-space addresses → `function+offset` and module, per process, for usym() and ustack.
 *
 * A process's memory map is read at first sight and kept: a stack printed at exit usually
 * belongs to a process that has gone by then (bpftrace prints raw addresses for those). Pids the
 * runtime knows in advance (-p, -c) are watched: their map is re-read while they live, so the
 * libraries they load later and the exec of a -c command are seen. Files are parsed once per
 * (device, inode, size, mtime) through the ELF layer's cache; a stripped file takes its symbols
 * from a separate debug file when one is installed; anonymous executable memory is looked up in
 * the process's `/tmp/perf-PID.map` (JITs); C++ names are demangled.
 *
 * The address → file offset → link-time address steps are ProcessSymbolizer's (src/elf): done
 * here over a kept copy of the map instead of a live /proc read.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import {
  ElfCache, ElfFile, SymbolTable, defaultElfCache, fileOffsetToVaddr, findMapping, isFileBacked, parseProcMaps,
  type MemoryMapping,
} from '../elf/index.js';
import { hostPathOf } from '../elf/resolve.js';
import { demangle } from './demangle.js';
import { findDebugFile } from './debug-file.js';
import { PerfMapFile, perfMapPath } from './perf-map.js';

export interface UserSymbol {
  /** Demangled function name. */
  readonly name: string;
  readonly offset: number;
  /** The mapped file as the process sees it, or the perf map's path for JIT code. */
  readonly module: string;
}

export interface UserLookup {
  /** The module even when no function covers the address (bpftrace prints `[unknown]` instead). */
  readonly module?: string;
  readonly symbol?: UserSymbol;
}

interface Module {
  readonly elf: ElfFile;
  /** The file's symbol tables, the debug file's first; built on first use. */
  readonly tables: () => SymbolTable[];
}

export interface UserSymbolsOptions {
  readonly cache?: ElfCache;
  /** Root of separate debug files (tests point it at a fixture tree). */
  readonly debugRoot?: string;
  /** `/proc`, for tests. */
  readonly procRoot?: string;
  readonly perfMapPath?: (pid: number) => string;
}

class ProcessView {
  maps: MemoryMapping[] = [];
  readonly modules = new Map<string, Module | null>();
  readonly perfMap: PerfMapFile;
  alive = true;
  /** Set while a watched process has not exec'd yet: the image key of the map to ignore. */
  preExec: string | undefined;
  /** When the map was last read (Date.now()). */
  readAt = 0;

  constructor(
    readonly pid: number,
    perfPath: string,
  ) {
    this.perfMap = new PerfMapFile(perfPath);
  }
}

export class UserSymbols {
  private readonly procs = new Map<number, ProcessView>();
  private readonly cache: ElfCache;
  private readonly fileModules = new Map<string, Module | null>();
  private timer: NodeJS.Timeout | undefined;
  /** Watched pid → when the watch began. */
  private readonly watched = new Map<number, number>();

  constructor(private readonly opts: UserSymbolsOptions = {}) {
    this.cache = opts.cache ?? defaultElfCache;
  }

  /** Reads (or re-reads) a process's map now; false when the process is gone. */
  snapshot(pid: number): boolean {
    const p = this.view(pid, false);
    return this.refresh(p);
  }

  /**
   * Keeps re-reading `pid`'s map while it lives: every 10 ms until two seconds after the watch
   * began or, with `awaitExec`, after the exec was seen (a -c command execs and loads its
   * libraries right after sonde releases it), every 250 ms after that (dlopen). The timer does
   * not keep the event loop alive.
   */
  watch(pid: number, opts: { awaitExec?: boolean } = {}): void {
    this.watched.set(pid, Date.now());
    if (opts.awaitExec) {
      // A -c command is still sonde's launcher shell, waiting to exec it: that image's map is
      // not the one its stacks will come from, and kept by mistake it would name the command's
      // libc frames from the shell's libc at another base. Nothing is kept until the map shows
      // a new image (exec re-randomizes the executable's and the stack's addresses).
      const p = this.view(pid, false);
      p.preExec = imageKey(this.readMaps(pid) ?? '');
    }
    this.snapshot(pid);
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private schedule(): void {
    if (this.timer || this.watched.size === 0) return;
    const now = Date.now();
    const young = [...this.watched].some(([pid, since]) => now - since < 2000 || this.procs.get(pid)?.preExec !== undefined);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const pid of [...this.watched.keys()]) if (!this.snapshot(pid)) this.watched.delete(pid);
      this.schedule();
    }, young ? 10 : 250);
    this.timer.unref();
  }

  /** Mappings kept for `pid` (read now if never seen). */
  mappings(pid: number): readonly MemoryMapping[] {
    return this.view(pid, true).maps;
  }

  lookup(pid: number, address: bigint | number): UserLookup {
    const addr = typeof address === 'bigint' ? Number(BigInt.asUintN(64, address)) : address;
    const p = this.view(pid, true);
    let m = findMapping(p.maps, addr);
    if (m === undefined && p.alive && Date.now() - p.readAt > 100) {
      // Mapped since we looked (dlopen, a JIT's new code): re-read, at most every 100 ms, so a
      // map of stacks with stray frames does not read /proc once per frame.
      this.refresh(p);
      m = findMapping(p.maps, addr);
    }
    if (m !== undefined && m.path === '[vdso]') {
      const hit = vdsoModule()?.table.lookup(vdsoVaddr(addr - m.start));
      if (hit) return { module: '[vdso]', symbol: { name: plainName(hit.name), offset: hit.offset, module: '[vdso]' } };
    }
    if (m === undefined || !isFileBacked(m)) {
      const hit = p.perfMap.current()?.lookup(addr);
      if (hit) return { module: p.perfMap.path, symbol: { name: demangle(hit.name), offset: hit.offset, module: p.perfMap.path } };
      return m === undefined ? {} : { module: m.path === '' ? '[anon]' : m.path };
    }
    const mod = this.module(p, m);
    if (mod === null) return { module: m.path };
    const vaddr = fileOffsetToVaddr(mod.elf, addr - m.start + m.offset, m.executable);
    if (vaddr === undefined) return { module: m.path };
    for (const t of mod.tables()) {
      const hit = t.lookup(vaddr);
      // `clock_nanosleep@@GLIBC_2.17` prints as bcc prints it: without the symbol version.
      if (hit) return { module: m.path, symbol: { name: demangle(plainName(hit.name)), offset: hit.offset, module: m.path } };
    }
    return { module: m.path };
  }

  private view(pid: number, read: boolean): ProcessView {
    let p = this.procs.get(pid);
    if (p === undefined) {
      p = new ProcessView(pid, (this.opts.perfMapPath ?? perfMapPath)(pid));
      this.procs.set(pid, p);
      if (read) this.refresh(p);
    }
    return p;
  }

  private readMaps(pid: number): string | undefined {
    try {
      return readFileSync(`${this.opts.procRoot ?? '/proc'}/${pid}/maps`, 'utf8');
    } catch {
      return undefined;
    }
  }

  private refresh(p: ProcessView): boolean {
    p.readAt = Date.now();
    const text = this.readMaps(p.pid);
    // Gone, or a zombie (its map reads as empty): keep the last copy.
    if (text === undefined || text === '') {
      p.alive = false;
      return false;
    }
    if (p.preExec !== undefined) {
      if (imageKey(text) === p.preExec) return true;
      p.preExec = undefined;
      // The exec happened only now (attaching can take seconds): its libraries load next.
      if (this.watched.has(p.pid)) this.watched.set(p.pid, Date.now());
    }
    const maps = parseProcMaps(text);
    // An exec replaces the whole map: parsed files are keyed by mapping identity, so drop them.
    if (maps.length !== p.maps.length || maps.some((m, i) => m.inode !== p.maps[i]!.inode || m.start !== p.maps[i]!.start)) {
      p.modules.clear();
    }
    p.maps = maps;
    // Open the files while the process can still show them (/proc/PID/root for other mount namespaces).
    for (const m of maps) if (m.executable && isFileBacked(m)) this.module(p, m);
    return true;
  }

  private module(p: ProcessView, m: MemoryMapping): Module | null {
    const key = `${m.devMajor}:${m.devMinor}:${m.inode}:${m.path}`;
    let mod = p.modules.get(key);
    if (mod !== undefined) return mod;
    let path: string;
    if (m.deleted) {
      // Deleted or replaced since it was mapped (an upgrade under a running program): the kernel
      // still shows the mapped file itself here, while the process lives.
      path = `${this.opts.procRoot ?? '/proc'}/${p.pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`;
    } else {
      try {
        path = hostPathOf(m, p.pid);
      } catch {
        path = m.path;
      }
    }
    mod = this.fileModule(path, m.inode);
    p.modules.set(key, mod);
    return mod;
  }

  private fileModule(path: string, inode: number): Module | null {
    const key = `${inode}:${path}`;
    let mod = this.fileModules.get(key);
    if (mod !== undefined) return mod;
    try {
      const elf = this.cache.open(path);
      let tables: SymbolTable[] | undefined;
      mod = {
        elf,
        tables: () => (tables ??= this.tablesOf(elf, path)),
      };
      // A file reached through /proc/PID/root (another mount namespace) or /proc/PID/map_files
      // (deleted) disappears with the process: read its symbols now. Host paths stay readable, so big files are read on demand.
      if (path.startsWith('/proc/')) mod.tables();
    } catch {
      mod = null;
    }
    this.fileModules.set(key, mod);
    return mod;
  }

  private tablesOf(elf: ElfFile, path: string): SymbolTable[] {
    const tables: SymbolTable[] = [];
    try {
      // From the ElfFile opened when the mapping was first seen: it refuses to read a file that
      // was replaced since (a rebuilt binary must not name an old process's frames).
      tables.push(SymbolTable.fromElf(elf));
    } catch {
      // unreadable or replaced: a debug file may still have the symbols
    }
    // Stripped files keep only .dynsym: the debug file's .symtab names the local functions too.
    if (tables.length > 0 && elf.section('.symtab') === undefined) {
      const dbg = findDebugFile(elf, path, this.opts.debugRoot);
      if (dbg !== undefined) {
        try {
          tables.unshift(this.cache.symbolTable(dbg));
        } catch {
          // a broken debug file: the file's own symbols still work
        }
      }
    }
    return tables;
  }

}

function plainName(name: string): string {
  const at = name.indexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}

/** What changes on exec: the first mapping (the executable) and the stack, both randomized. */
function imageKey(text: string): string {
  const lines = text.split('\n');
  return `${lines[0] ?? ''}|${lines.find((l) => l.endsWith('[stack]')) ?? ''}`;
}

/**
 * The vDSO (clock_gettime, gettimeofday…) is one image per kernel, mapped into every process:
 * sonde reads its own copy from /proc/self/mem once and symbolizes every process's `[vdso]`
 * frames with it, as bcc does.
 */
let vdso: { elf: ElfFile; table: SymbolTable } | null | undefined;

function vdsoModule(): { elf: ElfFile; table: SymbolTable } | undefined {
  if (vdso === undefined) {
    vdso = null;
    try {
      const m = parseProcMaps(readFileSync('/proc/self/maps', 'utf8')).find((x) => x.path === '[vdso]');
      if (m) {
        const bytes = new Uint8Array(m.end - m.start);
        const fd = openSync('/proc/self/mem', 'r');
        try {
          readSync(fd, bytes, 0, bytes.length, m.start);
        } finally {
          closeSync(fd);
        }
        const elf = ElfFile.fromBytes(bytes, '[vdso]');
        vdso = { elf, table: SymbolTable.fromElf(elf) };
      }
    } catch {
      vdso = null;
    }
  }
  return vdso ?? undefined;
}

/** Offset into the [vdso] mapping → the image's link-time address. */
function vdsoVaddr(offset: number): number {
  const v = vdsoModule();
  return v ? fileOffsetToVaddr(v.elf, offset, true) ?? offset : offset;
}

/**
 * Runtime address in a process → (module, file offset, link-time address, function + offset).
 *
 * A mapping of file F at `start` with file offset `off` puts byte `off + k` at `start + k`; the
 * PT_LOAD segment holding that file byte says which link-time address it has
 * (`fileOffset - p_offset + p_vaddr`). Going through the file offset makes PIEs, shared libraries
 * and plain executables one case: no load-bias bookkeeping per module type.
 */
import { ElfFile } from './elf-file.js';
import { type FileIdentity, identityOf } from './source.js';
import { findMapping, isFileBacked, type MemoryMapping, readProcMaps } from './proc-maps.js';
import { hostPathOf } from './resolve.js';
import { SymbolTable } from './symbol-table.js';
import * as C from './constants.js';

interface CacheEntry {
  readonly elf: ElfFile;
  table?: SymbolTable;
}

/**
 * Parsed files keyed by device, inode, size and mtime, so a rebuilt binary at the same path is
 * parsed again while the same library seen through several paths or processes is parsed once.
 * Least recently used entries are dropped beyond `maxEntries`.
 */
export class ElfCache {
  private readonly entries = new Map<string, CacheEntry>();
  constructor(readonly maxEntries = 64) {}

  open(path: string): ElfFile {
    return this.entry(path).elf;
  }

  symbolTable(path: string): SymbolTable {
    const e = this.entry(path);
    e.table ??= SymbolTable.fromElf(e.elf);
    return e.table;
  }

  get size(): number {
    return this.entries.size;
  }

  private entry(path: string): CacheEntry {
    const key = keyOf(identityOf(path));
    let e = this.entries.get(key);
    if (e !== undefined) {
      this.entries.delete(key);
    } else {
      const elf = ElfFile.open(path);
      e = { elf };
    }
    this.entries.set(key, e);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }
}

function keyOf(id: FileIdentity): string {
  return `${id.dev}:${id.ino}:${id.size}:${id.mtimeMs}`;
}

/** One cache for the whole process unless a caller brings its own. */
export const defaultElfCache = new ElfCache();

export interface ResolvedAddress {
  readonly address: number;
  /** Mapped file path as the process sees it, or a pseudo name such as "[vdso]"; undefined if unmapped. */
  readonly module?: string;
  readonly fileOffset?: number;
  /** Link-time virtual address inside the module (what `nm` shows). */
  readonly vaddr?: number;
  readonly symbol?: string;
  /** Bytes from the start of `symbol`. */
  readonly offset?: number;
}

/** Maps a file offset to the link-time address, preferring a segment with matching executability. */
export function fileOffsetToVaddr(elf: ElfFile, fileOffset: number, executable?: boolean): number | undefined {
  const segs = elf.loadSegments.filter((p) => fileOffset >= p.offset && fileOffset < p.offset + p.filesz);
  const seg = segs.find((p) => executable === undefined || ((p.flags & C.PF_X) !== 0) === executable) ?? segs[0];
  return seg === undefined ? undefined : fileOffset - seg.offset + seg.vaddr;
}

export interface ProcessSymbolizerOptions {
  readonly cache?: ElfCache;
}

export class ProcessSymbolizer {
  private maps: MemoryMapping[];
  private readonly cache: ElfCache;
  /**
   * Parsed file per mapping, so a stack of thousands of frames costs no stat() per frame; reset by
   * refresh(). `null` marks files that could not be opened or parsed (one attempt each).
   */
  private readonly modules = new Map<MemoryMapping, { elf: ElfFile; table: SymbolTable } | null>();

  constructor(
    readonly pid: number,
    options: ProcessSymbolizerOptions = {},
  ) {
    this.cache = options.cache ?? defaultElfCache;
    this.maps = readProcMaps(pid);
  }

  /** Re-reads /proc/PID/maps (after dlopen, for example). */
  refresh(): void {
    this.maps = readProcMaps(this.pid);
    this.modules.clear();
  }

  get mappings(): readonly MemoryMapping[] {
    return this.maps;
  }

  symbolize(address: number | bigint): ResolvedAddress {
    const addr = typeof address === 'bigint' ? Number(address) : address;
    let m = findMapping(this.maps, addr);
    if (m === undefined) {
      // The process may have mapped something new since we looked; one re-read per miss.
      try {
        this.refresh();
      } catch {
        return { address: addr };
      }
      m = findMapping(this.maps, addr);
      if (m === undefined) return { address: addr };
    }
    if (!isFileBacked(m)) return { address: addr, module: m.path === '' ? '[anon]' : m.path };
    const fileOffset = addr - m.start + m.offset;
    const base = { address: addr, module: m.path, fileOffset };
    const mod = this.module(m);
    if (mod === null) return base;
    const vaddr = fileOffsetToVaddr(mod.elf, fileOffset, m.executable);
    if (vaddr === undefined) return base;
    const hit = mod.table.lookup(vaddr);
    return hit === undefined ? { ...base, vaddr } : { ...base, vaddr, symbol: hit.name, offset: hit.offset };
  }

  private module(m: MemoryMapping): { elf: ElfFile; table: SymbolTable } | null {
    let mod = this.modules.get(m);
    if (mod === undefined) {
      try {
        const path = hostPathOf(m, this.pid);
        mod = { elf: this.cache.open(path), table: this.cache.symbolTable(path) };
      } catch {
        mod = null;
      }
      this.modules.set(m, mod);
    }
    return mod;
  }
}

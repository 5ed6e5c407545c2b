/**
 * Symbol tables (`.symtab`, `.dynsym`) with GNU symbol versioning, and a name index over them.
 *
 * Versioning: `.gnu.version` holds one 16-bit entry per `.dynsym` symbol, an index into the
 * version definitions (`.gnu.version_d`, for symbols this file defines) or version needs
 * (`.gnu.version_r`, for symbols it imports). The top bit marks a non-default version: glibc's
 * `memcpy@GLIBC_2.2.5` (old ABI, hidden) next to `memcpy@@GLIBC_2.14` (what new links bind to).
 */
import * as C from './constants.js';
import type { ElfFile, SectionHeader } from './elf-file.js';
import { LeView, cString } from './view.js';

export type SymbolType = 'NOTYPE' | 'OBJECT' | 'FUNC' | 'SECTION' | 'FILE' | 'COMMON' | 'TLS' | 'IFUNC' | 'OTHER';
export type SymbolBind = 'LOCAL' | 'GLOBAL' | 'WEAK' | 'UNIQUE' | 'OTHER';
export type SymbolVisibility = 'DEFAULT' | 'INTERNAL' | 'HIDDEN' | 'PROTECTED';

export interface ElfSymbol {
  /** Plain name, without any version suffix. */
  readonly name: string;
  /** GNU version name (e.g. "GLIBC_2.2.5") for versioned `.dynsym` symbols. */
  readonly version?: string;
  /**
   * For versioned symbols: true when this is the default version (`name@@VER`), false for a
   * hidden/old one (`name@VER`). Undefined for unversioned symbols.
   */
  readonly defaultVersion?: boolean;
  readonly value: number;
  readonly size: number;
  readonly type: SymbolType;
  readonly bind: SymbolBind;
  readonly visibility: SymbolVisibility;
  /** st_shndx: 0 = undefined (imported), 0xfff1 = absolute, else the defining section's index. */
  readonly sectionIndex: number;
  readonly table: 'symtab' | 'dynsym';
  /** Index in its table (for `.gnu.version` and relocations). */
  readonly index: number;
}

const TYPES: Record<number, SymbolType> = {
  0: 'NOTYPE', 1: 'OBJECT', 2: 'FUNC', 3: 'SECTION', 4: 'FILE', 5: 'COMMON', 6: 'TLS', 10: 'IFUNC',
};
const BINDS: Record<number, SymbolBind> = { 0: 'LOCAL', 1: 'GLOBAL', 2: 'WEAK', 10: 'UNIQUE' };
const VISIBILITIES: readonly SymbolVisibility[] = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'];

/**
 * `name`, `name@VER` or `name@@VER`, as readelf and nm print it: `@@` only for a definition of the
 * default version; references to another file's version (undefined symbols) always use `@`.
 */
export function versionedName(sym: ElfSymbol): string {
  if (sym.version === undefined) return sym.name;
  const sep = sym.defaultVersion === false || sym.sectionIndex === C.SHN_UNDEF ? '@' : '@@';
  return `${sym.name}${sep}${sym.version}`;
}

export function isDefined(sym: ElfSymbol): boolean {
  return sym.sectionIndex !== C.SHN_UNDEF;
}

/** Code symbols: functions and GNU indirect functions (IFUNC resolvers). */
export function isFunction(sym: ElfSymbol): boolean {
  return sym.type === 'FUNC' || sym.type === 'IFUNC';
}

export function readSymbols(elf: ElfFile, sh: SectionHeader): ElfSymbol[] {
  const table = sh.type === C.SHT_DYNSYM ? 'dynsym' : 'symtab';
  const bytes = elf.sectionData(sh);
  const strSec = elf.sections[sh.link];
  const strings = strSec !== undefined ? elf.sectionData(strSec) : new Uint8Array(0);
  const versions = table === 'dynsym' ? readVersions(elf, sh.index) : undefined;
  const v = new LeView(bytes, elf.path);
  const count = Math.floor(bytes.length / C.ELF64_SYM_SIZE);
  const out: ElfSymbol[] = [];
  for (let i = 1; i < count; i++) {
    const o = i * C.ELF64_SYM_SIZE;
    const value = v.u64Big(o + 8);
    const size = v.u64Big(o + 16);
    // Only absolute oddities can exceed 2^53 in user-space files; a number cannot hold them exactly.
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const info = v.u8(o + 4);
    const sym: {
      -readonly [K in keyof ElfSymbol]: ElfSymbol[K];
    } = {
      name: cString(strings, v.u32(o)),
      value: Number(value),
      size: Number(size),
      type: TYPES[info & 0xf] ?? 'OTHER',
      bind: BINDS[info >> 4] ?? 'OTHER',
      visibility: VISIBILITIES[v.u8(o + 5) & 3]!,
      sectionIndex: v.u16(o + 6),
      table,
      index: i,
    };
    const ver = versions?.get(i);
    if (ver !== undefined) {
      sym.version = ver.name;
      sym.defaultVersion = !ver.hidden;
    }
    out.push(sym);
  }
  return out;
}

interface SymbolVersion {
  readonly name: string;
  readonly hidden: boolean;
}

/** Symbol index → version, for the versioned entries of the dynsym at section `dynsymIndex`. */
function readVersions(elf: ElfFile, dynsymIndex: number): Map<number, SymbolVersion> | undefined {
  const versym = elf.sections.find((s) => s.type === C.SHT_GNU_VERSYM && s.link === dynsymIndex)
    ?? elf.sections.find((s) => s.type === C.SHT_GNU_VERSYM);
  if (versym === undefined) return undefined;
  const names = new Map<number, string>();
  for (const s of elf.sections) {
    if (s.type === C.SHT_GNU_VERDEF) readVerdef(elf, s, names);
    else if (s.type === C.SHT_GNU_VERNEED) readVerneed(elf, s, names);
  }
  const v = new LeView(elf.sectionData(versym), elf.path);
  const out = new Map<number, SymbolVersion>();
  for (let i = 1; i * 2 + 2 <= v.length; i++) {
    const raw = v.u16(i * 2);
    const idx = raw & C.VERSYM_INDEX_MASK;
    // 0 = local, 1 = global unversioned: no version to show.
    if (idx < 2) continue;
    const name = names.get(idx);
    if (name !== undefined) out.set(i, { name, hidden: (raw & C.VERSYM_HIDDEN) !== 0 });
  }
  return out;
}

function readVerdef(elf: ElfFile, sh: SectionHeader, names: Map<number, string>): void {
  const v = new LeView(elf.sectionData(sh), elf.path);
  const strs = elf.sectionData(elf.sections[sh.link]!);
  let off = 0;
  // sh_info holds the number of entries; vd_next chains them.
  for (let n = 0; n < sh.info && off + 20 <= v.length; n++) {
    const flags = v.u16(off + 2);
    const ndx = v.u16(off + 4);
    const cnt = v.u16(off + 6);
    const aux = v.u32(off + 12);
    const next = v.u32(off + 16);
    // The VER_FLG_BASE entry names the file itself (its soname), not a symbol version.
    if (cnt > 0 && (flags & C.VER_FLG_BASE) === 0) names.set(ndx & C.VERSYM_INDEX_MASK, cString(strs, v.u32(off + aux)));
    if (next === 0) break;
    off += next;
  }
}

function readVerneed(elf: ElfFile, sh: SectionHeader, names: Map<number, string>): void {
  const v = new LeView(elf.sectionData(sh), elf.path);
  const strs = elf.sectionData(elf.sections[sh.link]!);
  let off = 0;
  for (let n = 0; n < sh.info && off + 16 <= v.length; n++) {
    const cnt = v.u16(off + 2);
    let aux = off + v.u32(off + 8);
    for (let k = 0; k < cnt && aux + 16 <= v.length; k++) {
      names.set(v.u16(aux + 6) & C.VERSYM_INDEX_MASK, cString(strs, v.u32(aux + 8)));
      const anext = v.u32(aux + 12);
      if (anext === 0) break;
      aux += anext;
    }
    const next = v.u32(off + 12);
    if (next === 0) break;
    off += next;
  }
}

/**
 * Finds symbols by name. A plain name matches every version of it (callers prefer the default
 * one); `name@@VER` matches only the default version VER; `name@VER` matches version VER whether
 * default or not (that is how a reference to it binds).
 */
export class SymbolIndex {
  private readonly byName = new Map<string, ElfSymbol[]>();
  constructor(readonly all: readonly ElfSymbol[]) {
    for (const s of all) {
      if (s.name === '' || s.type === 'SECTION' || s.type === 'FILE') continue;
      let list = this.byName.get(s.name);
      if (list === undefined) this.byName.set(s.name, (list = []));
      list.push(s);
    }
  }

  find(query: string): ElfSymbol[] {
    const exact = this.byName.get(query);
    if (exact !== undefined) return exact;
    const at = query.indexOf('@');
    if (at <= 0) return [];
    const base = query.slice(0, at);
    const wantDefault = query.startsWith('@@', at);
    const version = query.slice(at + (wantDefault ? 2 : 1));
    return (this.byName.get(base) ?? []).filter(
      (s) => s.version === version && (!wantDefault || s.defaultVersion === true),
    );
  }

  /** Every distinct plain name (for suggestions). */
  names(): IterableIterator<string> {
    return this.byName.keys();
  }
}

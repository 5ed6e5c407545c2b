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
import { LeView, StringTable, cString } from './view.js';

export type SymbolType = 'NOTYPE' | 'OBJECT' | 'FUNC' | 'SECTION' | 'FILE' | 'COMMON' | 'TLS' | 'IFUNC' | 'OTHER';
export type SymbolBind = 'LOCAL' | 'GLOBAL' | 'WEAK' | 'UNIQUE' | 'OTHER';
export type SymbolVisibility = 'DEFAULT' | 'INTERNAL' | 'HIDDEN' | 'PROTECTED';

export interface ElfSymbol {
  /** Plain name, without any version suffix. */
  readonly name: string;
  /** GNU version name (e.g. "GLIBC_2.2.5") for versioned `.dynsym` symbols. */
  readonly version?: string;
  /**
   * For versioned symbols: true for a definition of the default version (`name@@VER`); false for
   * a hidden/old version or a version required from another file (`name@VER`). Undefined for
   * unversioned symbols.
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

/** `name`, `name@VER` or `name@@VER`, as readelf and nm print it. */
export function versionedName(sym: ElfSymbol): string {
  // Each version definition has a marker symbol named after it (GLIBC_2.10@@GLIBC_2.10); shown bare.
  if (sym.version === undefined || (sym.name === sym.version && sym.sectionIndex === C.SHN_ABS)) return sym.name;
  return `${sym.name}${sym.defaultVersion === true ? '@@' : '@'}${sym.version}`;
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
  const strings = new StringTable(strSec !== undefined ? elf.sectionData(strSec) : new Uint8Array(0));
  const versions = table === 'dynsym' ? elf.memo(`versions:${sh.index}`, () => readVersions(elf, sh.index)) : undefined;
  // Plain DataView reads: this loop runs 100k+ times on big binaries.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.length / C.ELF64_SYM_SIZE);
  const out: ElfSymbol[] = [];
  // Entries a name lookup decoded already stay the same objects (one symbol, one object).
  const known = decodedEntries(elf, sh);
  for (let i = 1; i < count; i++) {
    const sym = known.get(i) ?? decodeSymbol(dv, i, strings, versions, table);
    if (sym !== undefined) out.push(sym);
  }
  return out;
}

/** The entries of one table decoded one by one so far (readSymbolsNamed), by index. */
function decodedEntries(elf: ElfFile, sh: SectionHeader): Map<number, ElfSymbol> {
  return elf.memo(`decoded:${sh.index}`, () => new Map<number, ElfSymbol>());
}

/**
 * The symbols of one table whose plain name is `name`, exactly as readSymbols decodes them and in
 * the same order, without decoding the others: the name's occurrences in the string table give
 * the st_name values to look for, and only those entries are decoded. A uprobe on libc looks up
 * a handful of names among ~3000 (and a binary with a full .symtab, among 100k+).
 */
export function readSymbolsNamed(elf: ElfFile, sh: SectionHeader, name: string): ElfSymbol[] {
  // U+FFFD may stand for any invalid UTF-8 in a name: only a full decode says which names match.
  if (name === '' || name.includes('\0') || name.includes('\ufffd')) return readSymbols(elf, sh).filter((s) => s.name === name);
  const table = sh.type === C.SHT_DYNSYM ? 'dynsym' : 'symtab';
  const strSec = elf.sections[sh.link];
  if (strSec === undefined) return [];
  const strtab = elf.sectionData(strSec);
  const offsets = nameOffsets(strtab, name);
  if (offsets.length === 0) return [];
  const bytes = elf.sectionData(sh);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.length / C.ELF64_SYM_SIZE);
  const out: ElfSymbol[] = [];
  // A name or two to decode: straight from the bytes, as StringTable would (same decoding).
  const strings = { get: (off: number): string => cString(strtab, off) };
  let versions: VersionLookup | undefined | null = null;
  const known = decodedEntries(elf, sh);
  const one = offsets.length === 1 ? offsets[0]! : -1;
  const many = offsets.length > 1 ? new Set(offsets) : undefined;
  for (let i = 1; i < count; i++) {
    const st = dv.getUint32(i * C.ELF64_SYM_SIZE, true);
    if (st !== one && (many === undefined || !many.has(st))) continue;
    let sym = known.get(i);
    if (sym === undefined) {
      if (versions === null) versions = table === 'dynsym' ? elf.memo(`versions:${sh.index}`, () => readVersions(elf, sh.index)) : undefined;
      sym = decodeSymbol(dv, i, strings, versions, table);
      if (sym !== undefined) known.set(i, sym);
    }
    if (sym !== undefined) out.push(sym);
  }
  return out;
}

/** Every offset in a string table at which the NUL-terminated string `name` starts (suffix sharing included). */
export function nameOffsets(strtab: Uint8Array, name: string): number[] {
  const needle = Buffer.from(name, 'utf8');
  const hay = Buffer.from(strtab.buffer, strtab.byteOffset, strtab.byteLength);
  const out: number[] = [];
  for (let p = hay.indexOf(needle); p >= 0; p = hay.indexOf(needle, p + 1)) {
    // A name runs to its NUL, or to the table's end (as cString reads it).
    const end = p + needle.length;
    if (end === hay.length || hay[end] === 0) out.push(p);
  }
  return out;
}

function decodeSymbol(dv: DataView, i: number, strings: { get(off: number): string }, versions: VersionLookup | undefined, table: 'symtab' | 'dynsym'): ElfSymbol | undefined {
  const o = i * C.ELF64_SYM_SIZE;
  const valueHi = dv.getUint32(o + 12, true);
  const sizeHi = dv.getUint32(o + 20, true);
  // Only absolute oddities exceed 2^53 in user-space files; a number cannot hold them exactly.
  if (valueHi >= 0x200000 || sizeHi >= 0x200000) return undefined;
  const info = dv.getUint8(o + 4);
  const sym: {
    -readonly [K in keyof ElfSymbol]: ElfSymbol[K];
  } = {
    name: strings.get(dv.getUint32(o, true)),
    value: valueHi * 0x1_0000_0000 + dv.getUint32(o + 8, true),
    size: sizeHi * 0x1_0000_0000 + dv.getUint32(o + 16, true),
    type: TYPES[info & 0xf] ?? 'OTHER',
    bind: BINDS[info >> 4] ?? 'OTHER',
    visibility: VISIBILITIES[dv.getUint8(o + 5) & 3]!,
    sectionIndex: dv.getUint16(o + 6, true),
    table,
    index: i,
  };
  const ver = versions?.(i);
  if (ver !== undefined) {
    sym.version = ver.name;
    // A version this file requires (even for a defined copy-relocated variable like stdout) is
    // a reference, never this file's default definition.
    sym.defaultVersion = !ver.hidden && !ver.needed;
  }
  return sym;
}

interface SymbolVersion {
  readonly name: string;
  readonly hidden: boolean;
  /** From .gnu.version_r (required from another file) rather than .gnu.version_d. */
  readonly needed: boolean;
}

/** Symbol index → its version, if versioned. */
type VersionLookup = (index: number) => SymbolVersion | undefined;

/** The versions of the dynsym at section `dynsymIndex` (read on demand, entry by entry). */
function readVersions(elf: ElfFile, dynsymIndex: number): VersionLookup | undefined {
  const versym = elf.sections.find((s) => s.type === C.SHT_GNU_VERSYM && s.link === dynsymIndex)
    ?? elf.sections.find((s) => s.type === C.SHT_GNU_VERSYM);
  if (versym === undefined) return undefined;
  const names: VersionNames = new Map();
  for (const s of elf.sections) {
    if (s.type === C.SHT_GNU_VERDEF) readVerdef(elf, s, names);
    else if (s.type === C.SHT_GNU_VERNEED) readVerneed(elf, s, names);
  }
  const v = new LeView(elf.sectionData(versym), elf.path);
  const hidden = new Map<number, SymbolVersion>();
  const shown = new Map<number, SymbolVersion>();
  for (const [idx, ver] of names) {
    hidden.set(idx, { ...ver, hidden: true });
    shown.set(idx, { ...ver, hidden: false });
  }
  return (i) => {
    if (i < 1 || i * 2 + 2 > v.length) return undefined;
    const raw = v.u16(i * 2);
    // 0 = local, 1 = global unversioned: no version to show.
    const idx = raw & C.VERSYM_INDEX_MASK;
    if (idx < 2) return undefined;
    return ((raw & C.VERSYM_HIDDEN) !== 0 ? hidden : shown).get(idx);
  };
}

type VersionNames = Map<number, { name: string; needed: boolean }>;

function readVerdef(elf: ElfFile, sh: SectionHeader, names: VersionNames): void {
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
    if (cnt > 0 && (flags & C.VER_FLG_BASE) === 0) names.set(ndx & C.VERSYM_INDEX_MASK, { name: cString(strs, v.u32(off + aux)), needed: false });
    if (next === 0) break;
    off += next;
  }
}

function readVerneed(elf: ElfFile, sh: SectionHeader, names: VersionNames): void {
  const v = new LeView(elf.sectionData(sh), elf.path);
  const strs = elf.sectionData(elf.sections[sh.link]!);
  let off = 0;
  for (let n = 0; n < sh.info && off + 16 <= v.length; n++) {
    const cnt = v.u16(off + 2);
    let aux = off + v.u32(off + 8);
    for (let k = 0; k < cnt && aux + 16 <= v.length; k++) {
      names.set(v.u16(aux + 6) & C.VERSYM_INDEX_MASK, { name: cString(strs, v.u32(aux + 8)), needed: true });
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
 * default or not (that is how a reference to it binds). Names that literally contain `@` (newer
 * linkers write `printf@GLIBC_2.2.5` into .symtab) match as written.
 */
export class SymbolIndex {
  private byName: Map<string, ElfSymbol[]> | undefined;
  private lookups = 0;
  constructor(readonly all: readonly ElfSymbol[]) {}

  find(query: string): ElfSymbol[] {
    return findVersioned(query, (name) => this.named(name));
  }

  private named(name: string): ElfSymbol[] {
    // A scan costs ~1 ms per 100k symbols; a map costs ~100x that to build. Most runs look up a
    // handful of names, so only build the map once lookups become many.
    if (this.byName === undefined && ++this.lookups > 16) {
      this.byName = new Map();
      for (const s of this.all) {
        if (!indexable(s)) continue;
        const list = this.byName.get(s.name);
        if (list === undefined) this.byName.set(s.name, [s]);
        else list.push(s);
      }
    }
    if (this.byName !== undefined) return this.byName.get(name) ?? [];
    return this.all.filter((s) => s.name === name && indexable(s));
  }
}

/** SymbolIndex.find's matching rules over `named`, which gives the indexable symbols of one plain name. */
export function findVersioned(query: string, named: (name: string) => ElfSymbol[]): ElfSymbol[] {
  const at = query.indexOf('@');
  const base = at > 0 ? query.slice(0, at) : query;
  const wantDefault = at > 0 && query.startsWith('@@', at);
  const version = at > 0 ? query.slice(at + (wantDefault ? 2 : 1)) : undefined;
  const exact = named(query);
  if (version === undefined) return exact;
  const versioned = named(base).filter((s) => s.version === version && (!wantDefault || s.defaultVersion === true));
  return [...versioned, ...exact];
}

/** What a name index holds: named symbols other than section and file markers. */
export function indexable(s: ElfSymbol): boolean {
  return s.name !== '' && s.type !== 'SECTION' && s.type !== 'FILE';
}

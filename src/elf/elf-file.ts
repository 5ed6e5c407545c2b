/**
 * An ELF64 little-endian file: headers are parsed on open, everything else (section contents,
 * symbol tables, notes) on first use and then kept. Only what a tracer needs is modelled.
 */
import { inflateSync } from 'node:zlib';
import * as C from './constants.js';
import { ElfFormatError, SectionNotFoundError } from './errors.js';
import { type ElfNote, parseNotes } from './notes.js';
import { BufferSource, type ByteSource, type FileIdentity, FileSource, identityOf, sameIdentity } from './source.js';
import { type ElfSymbol, findVersioned, indexable, readSymbols, readSymbolsNamed, SymbolIndex } from './symbols.js';
import { parseUsdtProbes, type UsdtProbe } from './usdt.js';
import { LeView, cString } from './view.js';

export type ElfType = 'NONE' | 'REL' | 'EXEC' | 'DYN' | 'CORE' | 'OTHER';

export interface ElfHeader {
  readonly type: ElfType;
  /** Raw e_type. */
  readonly rawType: number;
  /** e_machine (62 = x86-64, 183 = AArch64). */
  readonly machine: number;
  readonly entry: number;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export interface SectionHeader {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export interface ProgramHeader {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
}

export interface DebugLink {
  /** File name of the separate debug file (no directory). */
  readonly file: string;
  /** CRC-32 (the zlib/gzip polynomial) of the whole debug file. */
  readonly crc: number;
}

const TYPE_NAMES: Record<number, ElfType> = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };

const SHARED_FILES = 32;
const shared = new Map<string, ElfFile>();

export class ElfFile {
  readonly header: ElfHeader;
  readonly sections: readonly SectionHeader[];
  readonly programHeaders: readonly ProgramHeader[];
  private readonly data = new Map<number, Uint8Array>();
  private readonly byName = new Map<string, SectionHeader>();
  private readonly memos = new Map<string, unknown>();
  private cache: {
    symtab?: readonly ElfSymbol[];
    dynsym?: readonly ElfSymbol[];
    index?: SymbolIndex;
    usdt?: readonly UsdtProbe[];
    pie?: boolean;
    /** Lookups answered without the index (see findSymbols). */
    lookups?: number;
  } = {};

  private constructor(private readonly source: ByteSource) {
    this.header = readHeader(source);
    this.sections = readSections(source, this.header);
    for (const s of this.sections) if (s.name !== '' && !this.byName.has(s.name)) this.byName.set(s.name, s);
    this.programHeaders = readProgramHeaders(source, this.header);
  }

  /** Opens a file; only its ELF header, section and program headers are read now. */
  static open(path: string): ElfFile {
    return new ElfFile(new FileSource(path));
  }

  /**
   * Opens a file, or returns the ElfFile this process already opened for it while it is the same
   * file (device, inode, size, mtime): a script's probes on one library then read and decode its
   * headers, symbols and versions once. The newest SHARED_FILES files are kept.
   */
  static openShared(path: string): ElfFile {
    const id = identityOf(path);
    const known = shared.get(path);
    if (known !== undefined && known.identity !== undefined && sameIdentity(known.identity, id)) {
      shared.delete(path);
      shared.set(path, known);
      return known;
    }
    const elf = ElfFile.open(path);
    shared.delete(path);
    shared.set(path, elf);
    while (shared.size > SHARED_FILES) shared.delete(shared.keys().next().value!);
    return elf;
  }

  /** Parses bytes already in memory; they are not copied, so do not modify them afterwards. */
  static fromBytes(bytes: Uint8Array, name = '<memory>'): ElfFile {
    return new ElfFile(new BufferSource(bytes, name));
  }

  /** Any other byte source (e.g. a process's memory for the vDSO). */
  static fromSource(source: ByteSource): ElfFile {
    return new ElfFile(source);
  }

  /** The path (or name given to fromBytes), for messages. */
  get path(): string {
    return this.source.name;
  }

  /** Device/inode/size/mtime of the file when it was opened; undefined for in-memory files. */
  get identity(): FileIdentity | undefined {
    return this.source instanceof FileSource ? this.source.identity : undefined;
  }

  get type(): ElfType {
    return this.header.type;
  }

  /**
   * True for position-independent executables. ET_DYN alone does not say it: shared libraries are
   * ET_DYN too (and glibc's libc.so.6 even has an interpreter), so look for DF_1_PIE first.
   */
  isPie(): boolean {
    if (this.cache.pie !== undefined) return this.cache.pie;
    let pie = false;
    if (this.header.type === 'DYN') {
      const flags1 = this.dynamicEntry(C.DT_FLAGS_1);
      if (flags1 !== undefined) pie = (Number(flags1 & 0xffffffffn) & C.DF_1_PIE) !== 0;
      else pie = this.programHeaders.some((p) => p.type === C.PT_INTERP) && !this.section('.gnu.version_d');
    }
    this.cache.pie = pie;
    return pie;
  }

  /** Something derived from this file's bytes (e.g. its symbol versions), computed once per key. */
  memo<T>(key: string, make: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = make();
    this.memos.set(key, v);
    return v;
  }

  section(name: string): SectionHeader | undefined {
    return this.byName.get(name);
  }

  /** Contents of a section (empty for SHT_NOBITS such as .bss); read once, then kept. */
  sectionData(section: SectionHeader | string): Uint8Array {
    const sh = typeof section === 'string' ? this.section(section) : section;
    if (sh === undefined) throw new SectionNotFoundError(this.path, String(section));
    if (sh.type === C.SHT_NOBITS || sh.type === C.SHT_NULL) return new Uint8Array(0);
    let bytes = this.data.get(sh.index);
    if (bytes === undefined) {
      bytes = this.source.read(sh.offset, sh.size);
      if ((sh.flags & C.SHF_COMPRESSED) !== 0) bytes = this.decompress(sh, bytes);
      this.data.set(sh.index, bytes);
    }
    return bytes;
  }

  /** SHF_COMPRESSED (gcc -gz): an Elf64_Chdr, then the zlib stream of ch_size bytes. */
  private decompress(sh: SectionHeader, raw: Uint8Array): Uint8Array {
    if (raw.length < 24) throw new ElfFormatError(this.path, `compressed section ${sh.name} is truncated`);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const type = dv.getUint32(0, true);
    const size = Number(dv.getBigUint64(8, true));
    if (type !== C.ELFCOMPRESS_ZLIB) {
      throw new ElfFormatError(this.path, `section ${sh.name} is compressed with ${type === C.ELFCOMPRESS_ZSTD ? 'zstd' : `method ${type}`}, which this reader does not support (only zlib)`);
    }
    let out: Uint8Array;
    try {
      out = inflateSync(raw.subarray(24));
    } catch (e) {
      throw new ElfFormatError(this.path, `compressed section ${sh.name} does not inflate: ${(e as Error).message}`);
    }
    if (out.length !== size) throw new ElfFormatError(this.path, `compressed section ${sh.name} inflates to ${out.length} bytes, its header says ${size}`);
    return out;
  }

  /** The PT_LOAD segments in file order. */
  get loadSegments(): readonly ProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === C.PT_LOAD);
  }

  /** Symbols of `.symtab` (empty when the file is stripped). Index 0 (the null symbol) is left out. */
  symbols(): readonly ElfSymbol[] {
    this.cache.symtab ??= this.readTable(C.SHT_SYMTAB, '.symtab');
    return this.cache.symtab;
  }

  /** Symbols of `.dynsym`, each with its GNU symbol version when the file has one. */
  dynamicSymbols(): readonly ElfSymbol[] {
    this.cache.dynsym ??= this.readTable(C.SHT_DYNSYM, '.dynsym');
    return this.cache.dynsym;
  }

  /** Name → symbols index over both tables (see SymbolIndex for the matching rules). */
  symbolIndex(): SymbolIndex {
    this.cache.index ??= new SymbolIndex([...this.symbols(), ...this.dynamicSymbols()]);
    return this.cache.index;
  }

  /** All defined and undefined symbols named `name` (also accepts `name@VER` and `name@@VER`). */
  findSymbols(name: string): readonly ElfSymbol[] {
    // The first few lookups decode only the entries carrying the name (libc: ~0.1 ms instead of
    // ~8 ms for all 3000 symbols and their versions); many lookups pay for the whole index.
    if (this.cache.index === undefined && (this.cache.lookups = (this.cache.lookups ?? 0) + 1) <= 16) {
      return findVersioned(name, (n) => this.symbolsNamed(n));
    }
    return this.symbolIndex().find(name);
  }

  /** The indexable symbols named `name` in `.symtab` then `.dynsym`, as symbolIndex() holds them. */
  private symbolsNamed(name: string): ElfSymbol[] {
    const out: ElfSymbol[] = [];
    for (const [type, tableName] of [[C.SHT_SYMTAB, '.symtab'], [C.SHT_DYNSYM, '.dynsym']] as const) {
      const cached = type === C.SHT_SYMTAB ? this.cache.symtab : this.cache.dynsym;
      if (cached !== undefined) {
        for (const s of cached) if (s.name === name && indexable(s)) out.push(s);
        continue;
      }
      const sh = this.sections.find((s) => s.type === type) ?? this.section(tableName);
      if (sh === undefined) continue;
      for (const s of readSymbolsNamed(this, sh, name)) if (indexable(s)) out.push(s);
    }
    return out;
  }

  /** Notes of one SHT_NOTE section, or of every SHT_NOTE section when no name is given. */
  notes(sectionName?: string): ElfNote[] {
    const secs = sectionName === undefined
      ? this.sections.filter((s) => s.type === C.SHT_NOTE)
      : [this.section(sectionName)].filter((s): s is SectionHeader => s !== undefined && s.type === C.SHT_NOTE);
    return secs.flatMap((s) => parseNotes(this.sectionData(s), s.addralign === 8 ? 8 : 4, this.path, s.name));
  }

  /** The GNU build ID as lowercase hex, as `readelf -n` prints it. */
  buildId(): string | undefined {
    const fromSection = this.notes('.note.gnu.build-id');
    const notes = fromSection.length > 0 ? fromSection : this.notes();
    const note = notes.find((n) => n.name === 'GNU' && n.type === C.NT_GNU_BUILD_ID);
    return note === undefined ? undefined : Buffer.from(note.desc).toString('hex');
  }

  /** `.gnu_debuglink`: the separate debug file's name and CRC. */
  debugLink(): DebugLink | undefined {
    const sh = this.section('.gnu_debuglink');
    if (sh === undefined) return undefined;
    const bytes = this.sectionData(sh);
    const file = cString(bytes, 0);
    // The CRC follows the name's NUL, padded to a 4-byte boundary.
    const nul = bytes.indexOf(0);
    const crcOff = (nul + 1 + 3) & ~3;
    const v = new LeView(bytes, this.path);
    return { file, crc: v.u32(crcOff) };
  }

  /** SystemTap SDT probes (USDT) from `.note.stapsdt`, with pc/semaphore already translated. */
  usdtProbes(): readonly UsdtProbe[] {
    this.cache.usdt ??= parseUsdtProbes(this);
    return this.cache.usdt;
  }

  /** The PT_LOAD segment whose memory image contains `vaddr`. */
  segmentForAddress(vaddr: number): ProgramHeader | undefined {
    return this.loadSegments.find((p) => vaddr >= p.vaddr && vaddr < p.vaddr + p.memsz);
  }

  /** The PT_LOAD segment whose file image contains `offset`. */
  segmentForFileOffset(offset: number): ProgramHeader | undefined {
    return this.loadSegments.find((p) => offset >= p.offset && offset < p.offset + p.filesz);
  }

  /** Value of the first DT_* entry with this tag in the dynamic section. */
  dynamicEntry(tag: number): bigint | undefined {
    const sh = this.sections.find((s) => s.type === C.SHT_DYNAMIC);
    let bytes: Uint8Array | undefined;
    if (sh !== undefined) bytes = this.sectionData(sh);
    else {
      const ph = this.programHeaders.find((p) => p.type === C.PT_DYNAMIC);
      if (ph !== undefined) bytes = this.source.read(ph.offset, ph.filesz);
    }
    if (bytes === undefined) return undefined;
    const v = new LeView(bytes, this.path);
    for (let off = 0; off + 16 <= bytes.length; off += 16) {
      const t = v.i64Big(off);
      if (t === BigInt(C.DT_NULL)) break;
      if (t === BigInt(tag)) return v.u64Big(off + 8);
    }
    return undefined;
  }

  private readTable(type: number, name: string): readonly ElfSymbol[] {
    const sh = this.sections.find((s) => s.type === type) ?? this.section(name);
    if (sh === undefined) return [];
    return readSymbols(this, sh);
  }
}

function readHeader(src: ByteSource): ElfHeader {
  if (src.size < C.ELF64_EHDR_SIZE) throw new ElfFormatError(src.name, `only ${src.size} bytes long`);
  const b = src.read(0, C.ELF64_EHDR_SIZE);
  if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new ElfFormatError(src.name, 'bad magic (not an ELF file)');
  if (b[4] !== C.ELFCLASS64) throw new ElfFormatError(src.name, `ELF class ${b[4]} (only 64-bit is supported)`);
  if (b[5] !== C.ELFDATA2LSB) throw new ElfFormatError(src.name, 'big-endian (only little-endian is supported)');
  const v = new LeView(b, src.name);
  const rawType = v.u16(16);
  return {
    type: TYPE_NAMES[rawType] ?? 'OTHER',
    rawType,
    machine: v.u16(18),
    entry: v.u64(24),
    phoff: v.u64(32),
    shoff: v.u64(40),
    flags: v.u32(48),
    phentsize: v.u16(54),
    phnum: v.u16(56),
    shentsize: v.u16(58),
    shnum: v.u16(60),
    shstrndx: v.u16(62),
  };
}

function readSections(src: ByteSource, h: ElfHeader): SectionHeader[] {
  if (h.shoff === 0) return [];
  if (h.shentsize !== C.ELF64_SHDR_SIZE) throw new ElfFormatError(src.name, `section header size ${h.shentsize}, expected 64`);
  // With 0xff00 or more sections the real count and string table index live in section 0.
  const first = new LeView(src.read(h.shoff, C.ELF64_SHDR_SIZE), src.name);
  const shnum = h.shnum === 0 ? first.u64(32) : h.shnum;
  const shstrndx = h.shstrndx === C.SHN_XINDEX ? first.u32(40) : h.shstrndx;
  const v = new LeView(src.read(h.shoff, shnum * C.ELF64_SHDR_SIZE), src.name);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * C.ELF64_SHDR_SIZE;
    raw.push({
      index: i,
      nameOff: v.u32(o),
      type: v.u32(o + 4),
      flags: v.u64(o + 8),
      addr: v.u64(o + 16),
      offset: v.u64(o + 24),
      size: v.u64(o + 32),
      link: v.u32(o + 40),
      info: v.u32(o + 44),
      addralign: v.u64(o + 48),
      entsize: v.u64(o + 56),
    });
  }
  let names: Uint8Array = new Uint8Array(0);
  const strtab = raw[shstrndx];
  if (shstrndx !== C.SHN_UNDEF && strtab !== undefined && strtab.type !== C.SHT_NOBITS) names = src.read(strtab.offset, strtab.size);
  return raw.map(({ nameOff, ...s }) => ({ ...s, name: cString(names, nameOff) }));
}

function readProgramHeaders(src: ByteSource, h: ElfHeader): ProgramHeader[] {
  if (h.phoff === 0 || h.phnum === 0) return [];
  if (h.phentsize !== C.ELF64_PHDR_SIZE) throw new ElfFormatError(src.name, `program header size ${h.phentsize}, expected 56`);
  const v = new LeView(src.read(h.phoff, h.phnum * C.ELF64_PHDR_SIZE), src.name);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = i * C.ELF64_PHDR_SIZE;
    out.push({
      index: i,
      type: v.u32(o),
      flags: v.u32(o + 4),
      offset: v.u64(o + 8),
      vaddr: v.u64(o + 16),
      paddr: v.u64(o + 24),
      filesz: v.u64(o + 32),
      memsz: v.u64(o + 40),
      align: v.u64(o + 48),
    });
  }
  return out;
}

/**
 * ELF layer: pure reading of ELF64 little-endian files for the tracer.
 *
 * - `ElfFile`: headers, sections, segments, `.symtab`/`.dynsym` (with GNU versions), notes,
 *   build ID, debug link, USDT probes; contents are read lazily.
 * - Uprobe targets: `symbolFileOffset`, `findFunction`, `addressFileOffset` turn a function name or
 *   address into the file offset the kernel's uprobe PMU wants.
 * - DWARF: `DwarfInfo` (functions' parameters, C types; DWARF 2–5, zlib-compressed sections).
 * - Resolution: `resolveBinary` (PATH), `resolveLibrary` (`libc` → real file, per process or system).
 * - Symbolization: `SymbolTable` (address → function + offset within one file) and
 *   `ProcessSymbolizer` (runtime address in a process → module, file offset, function).
 */
export {
  ElfFile,
  type DebugLink,
  type ElfHeader,
  type ElfType,
  type ProgramHeader,
  type SectionHeader,
} from './elf-file.js';
export {
  AddressNotMappedError,
  AmbiguousSymbolError,
  BinaryNotFoundError,
  ElfError,
  ElfFileChangedError,
  ElfFormatError,
  LibraryNotFoundError,
  NotAFunctionError,
  ProcessMapsError,
  SectionNotFoundError,
  SymbolNotFoundError,
  type AmbiguousCandidate,
} from './errors.js';
export { type ElfNote } from './notes.js';
export { BufferSource, FileSource, type ByteSource, type FileIdentity } from './source.js';
export {
  isDefined,
  isFunction,
  versionedName,
  type ElfSymbol,
  type SymbolBind,
  type SymbolIndex,
  type SymbolType,
  type SymbolVisibility,
} from './symbols.js';
export {
  addressFileOffset,
  fileOffsetAddress,
  findFunction,
  matchFunctions,
  suggestNames,
  symbolFileOffset,
  type ResolvedFunction,
} from './uprobe.js';
export { parseUsdtArgument, parseUsdtArguments, type UsdtArgument, type UsdtProbe } from './usdt.js';
export { parseLdCache, readLdCache, type LdCacheEntry } from './ldcache.js';
export { findMapping, isFileBacked, parseProcMaps, readProcMaps, type MemoryMapping } from './proc-maps.js';
export {
  fileInProcess,
  realpath,
  realpathInRoot,
  resolveBinary,
  resolveLibrary,
  STANDARD_LIBRARY_DIRS,
  type ResolveBinaryOptions,
  type ResolveLibraryOptions,
} from './resolve.js';
export { SymbolTable, floorIndex, type SymbolLookup } from './symbol-table.js';
export {
  defaultElfCache,
  ElfCache,
  fileOffsetToVaddr,
  ProcessSymbolizer,
  type ProcessSymbolizerOptions,
  type ResolvedAddress,
} from './symbolizer.js';
export {
  DW_ATE,
  DwarfError,
  DwarfInfo,
  FOREIGN_TYPE,
  VOID_TYPE,
  type DwarfMember,
  type DwarfParam,
  type DwarfSections,
  type DwarfType,
  type TypeRef,
} from './dwarf.js';

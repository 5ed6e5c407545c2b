/**
 * Typed errors of the ELF layer. Each message is meant to be shown to a user as is; the raw
 * detail (paths searched, candidates, addresses) is attached as properties for callers.
 */

/** Base class so callers can catch everything this layer throws in one place. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes are not an ELF file we can read (bad magic, truncated, 32-bit, big-endian…). */
export class ElfFormatError extends ElfError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: not a readable ELF64 little-endian file: ${reason}`);
  }
}

/** A section the caller asked for by name is not in the file. */
export class SectionNotFoundError extends ElfError {
  constructor(
    readonly file: string,
    readonly section: string,
  ) {
    super(`${file} has no section named ${section}`);
  }
}

/** The file was replaced or modified between opening it and reading one of its sections. */
export class ElfFileChangedError extends ElfError {
  constructor(readonly file: string) {
    super(`${file} changed on disk while it was being read; open it again`);
  }
}

/**
 * No function (or no symbol at all) of that name; `suggestions` holds close names. `imported` is
 * set when the file only references the name (an undefined symbol): it lives in a library.
 */
export class SymbolNotFoundError extends ElfError {
  constructor(
    readonly symbol: string,
    readonly file: string,
    readonly suggestions: readonly string[],
    readonly imported = false,
  ) {
    const hint = suggestions.length > 0 ? `; did you mean ${suggestions.join(', ')}?` : '';
    super(
      imported
        ? `"${symbol}" is not defined in ${file}, only imported from a shared library; probe the library that defines it (e.g. libc)`
        : `no function named "${symbol}" in ${file}${hint}`,
    );
  }
}

/** The name exists but is a variable (or other non-code symbol): a uprobe there makes no sense. */
export class NotAFunctionError extends ElfError {
  constructor(
    readonly symbol: string,
    readonly file: string,
    readonly symbolType: string,
  ) {
    super(`"${symbol}" in ${file} is not a function (its symbol type is ${symbolType})`);
  }
}

export interface AmbiguousCandidate {
  readonly name: string;
  readonly address: number;
  readonly bind: string;
  readonly table: 'symtab' | 'dynsym';
}

/** Several functions share the name at different addresses (e.g. `static` helpers in two files). */
export class AmbiguousSymbolError extends ElfError {
  constructor(
    readonly symbol: string,
    readonly file: string,
    readonly candidates: readonly AmbiguousCandidate[],
  ) {
    const list = candidates
      .map((c) => `${c.name} at 0x${c.address.toString(16)} (${c.bind.toLowerCase()})`)
      .join(', ');
    super(`"${symbol}" is ambiguous in ${file}: ${candidates.length} functions share the name: ${list}; probe one by address instead`);
  }
}

/** A virtual address or file offset that no PT_LOAD segment of the file covers. */
export class AddressNotMappedError extends ElfError {
  constructor(
    readonly address: number,
    readonly file: string,
    readonly what: 'virtual address' | 'file offset' = 'virtual address',
  ) {
    super(`${what} 0x${address.toString(16)} is not inside any loadable segment of ${file}`);
  }
}

/** `resolveBinary` could not find the program; `searched` lists every place looked at. */
export class BinaryNotFoundError extends ElfError {
  constructor(
    readonly binary: string,
    readonly searched: readonly string[],
  ) {
    super(
      searched.length > 0
        ? `cannot find executable "${binary}"; searched ${searched.join(', ')}`
        : `cannot find executable "${binary}" (PATH is empty)`,
    );
  }
}

/** `resolveLibrary` could not find the library; `searched` lists every place looked at. */
export class LibraryNotFoundError extends ElfError {
  constructor(
    readonly library: string,
    readonly searched: readonly string[],
    readonly pid?: number,
  ) {
    const where = pid !== undefined ? ` mapped in process ${pid}` : '';
    super(`cannot find library "${library}"${where}; searched ${searched.join(', ')}`);
  }
}

/** `/proc/PID/maps` cannot be read: the process is gone or we may not look at it. */
export class ProcessMapsError extends ElfError {
  constructor(
    readonly pid: number,
    readonly reason: string,
  ) {
    super(`cannot read the memory map of process ${pid}: ${reason}`);
  }
}

/**
 * Symbol → file offset, the unit of the kernel's uprobe PMU (`/path:0xOFFSET`, or the
 * `probe_offset` of a perf_event_attr). The kernel maps the offset onto every mapping of the
 * file, so the same number works for executables, PIEs and shared libraries, in every process.
 */
import * as C from './constants.js';
import type { ElfFile } from './elf-file.js';
import { AddressNotMappedError, AmbiguousSymbolError, NotAFunctionError, SymbolNotFoundError } from './errors.js';
import { type ElfSymbol, isDefined, isFunction, versionedName } from './symbols.js';

export interface ResolvedFunction {
  /** The symbol chosen (the best-named one when several aliases share the address). */
  readonly symbol: ElfSymbol;
  /** Link-time virtual address (st_value). */
  readonly address: number;
  /** Where the uprobe goes. */
  readonly fileOffset: number;
  /**
   * True for a GNU indirect function: the address is the resolver run by the dynamic linker, not
   * the implementation that callers end up in (e.g. glibc's strlen); a probe there fires at
   * load time only.
   */
  readonly ifunc: boolean;
}

/** File offset of a virtual address: `vaddr - p_vaddr + p_offset` of the PT_LOAD containing it. */
export function addressFileOffset(elf: ElfFile, vaddr: number): number {
  const seg = elf.segmentForAddress(vaddr);
  // The tail of a segment beyond p_filesz (.bss) has no bytes in the file.
  if (seg === undefined || vaddr >= seg.vaddr + seg.filesz) throw new AddressNotMappedError(vaddr, elf.path);
  return vaddr - seg.vaddr + seg.offset;
}

/** The inverse: virtual address of a file offset. */
export function fileOffsetAddress(elf: ElfFile, offset: number): number {
  const seg = elf.segmentForFileOffset(offset);
  if (seg === undefined) throw new AddressNotMappedError(offset, elf.path, 'file offset');
  return offset - seg.offset + seg.vaddr;
}

/** File offset of function `name` (plain, `name@VER` or `name@@VER`); see findFunction for errors. */
export function symbolFileOffset(elf: ElfFile, name: string): number {
  return findFunction(elf, name).fileOffset;
}

/**
 * Looks a function up in `.symtab` and `.dynsym`.
 * @throws SymbolNotFoundError (with close names), NotAFunctionError, AmbiguousSymbolError
 */
export function findFunction(elf: ElfFile, name: string): ResolvedFunction {
  const all = elf.findSymbols(name);
  const defined = all.filter(isDefined);
  if (defined.length === 0) {
    const imported = all.length > 0;
    throw new SymbolNotFoundError(name, elf.path, imported ? [] : suggestNames(elf, name), imported);
  }
  let funcs = defined.filter((s) => isCode(elf, s));
  if (funcs.length === 0) throw new NotAFunctionError(name, elf.path, defined[0]!.type);
  // A plain name means what a new link would bind to: the default version, not old compat ones.
  if (!name.includes('@') && funcs.some((s) => s.defaultVersion !== false)) {
    funcs = funcs.filter((s) => s.defaultVersion !== false);
  }
  const byAddress = new Map<number, ElfSymbol[]>();
  for (const s of funcs) {
    const list = byAddress.get(s.value);
    if (list === undefined) byAddress.set(s.value, [s]);
    else list.push(s);
  }
  if (byAddress.size > 1) {
    const candidates = [...byAddress.values()].map((list) => {
      const s = bestAlias(list);
      return { name: versionedName(s), address: s.value, bind: s.bind, table: s.table };
    });
    throw new AmbiguousSymbolError(name, elf.path, candidates);
  }
  const symbol = bestAlias(funcs);
  return { symbol, address: symbol.value, fileOffset: addressFileOffset(elf, symbol.value), ifunc: symbol.type === 'IFUNC' };
}

/**
 * Defined functions whose plain name matches a shell-style glob (`*` any run, `?` one character),
 * as in `uprobe:/bin/bash:read*`. One result per address (aliases collapse to the best name), in
 * address order; hidden old versions are left out, since nothing new binds to them.
 */
export function matchFunctions(elf: ElfFile, glob: string): ResolvedFunction[] {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const byAddress = new Map<number, ElfSymbol[]>();
  // A plain name (no wildcard, no version) needs only the symbols of that name, not the whole index.
  const candidates = /[*?@]/.test(glob) ? elf.symbolIndex().all : elf.findSymbols(glob);
  for (const s of candidates) {
    if (!isDefined(s) || s.defaultVersion === false || !isCode(elf, s) || !re.test(s.name)) continue;
    const list = byAddress.get(s.value);
    if (list === undefined) byAddress.set(s.value, [s]);
    else list.push(s);
  }
  return [...byAddress.entries()]
    .sort(([a], [b]) => a - b)
    .map(([address, list]) => {
      const symbol = bestAlias(list);
      return { symbol, address, fileOffset: addressFileOffset(elf, address), ifunc: symbol.type === 'IFUNC' };
    });
}

/** FUNC/IFUNC, or an untyped label in an executable section (hand-written assembly). */
function isCode(elf: ElfFile, s: ElfSymbol): boolean {
  if (isFunction(s)) return true;
  if (s.type !== 'NOTYPE' || s.sectionIndex >= C.SHN_LORESERVE) return false;
  const sec = elf.sections[s.sectionIndex];
  return sec !== undefined && (sec.flags & C.SHF_EXECINSTR) !== 0;
}

const BIND_RANK: Record<string, number> = { GLOBAL: 0, UNIQUE: 1, WEAK: 2, LOCAL: 3, OTHER: 4 };

/**
 * The name to show among symbols at one address (glibc has malloc, __libc_malloc, __malloc…):
 * global before weak before local, default version first, then the fewest leading underscores,
 * then the shortest name; ties broken alphabetically so the choice is stable.
 */
export function bestAlias(list: readonly ElfSymbol[]): ElfSymbol {
  const underscores = (s: ElfSymbol): number => /^_*/.exec(s.name)![0].length;
  return [...list].sort(
    (a, b) =>
      (BIND_RANK[a.bind] ?? 4) - (BIND_RANK[b.bind] ?? 4) ||
      Number(a.defaultVersion === false) - Number(b.defaultVersion === false) ||
      underscores(a) - underscores(b) ||
      a.name.length - b.name.length ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      Number(a.table === 'symtab') - Number(b.table === 'symtab'),
  )[0]!;
}

/** Up to `max` function names close to `name`: by edit distance, or containing it. */
export function suggestNames(elf: ElfFile, name: string, max = 5): string[] {
  const plain = name.split('@')[0]!;
  const lower = plain.toLowerCase();
  const limit = Math.max(2, Math.floor(plain.length / 3));
  const scored: { name: string; score: number }[] = [];
  const seen = new Set<string>();
  for (const s of elf.symbolIndex().all) {
    if (!isDefined(s) || !isCode(elf, s) || s.name === '' || seen.has(s.name)) continue;
    seen.add(s.name);
    const cand = s.name.toLowerCase();
    let score: number | undefined;
    // Completing what was typed ranks above a truncation of it, both above edit distance 1.
    const lenDiff = Math.abs(cand.length - lower.length) / 100;
    if (cand.includes(lower)) score = 0.5 + lenDiff;
    else if (cand.length >= 4 && lower.includes(cand)) score = 0.7 + lenDiff;
    const d = editDistance(lower, cand, limit);
    if (d <= limit) score = Math.min(score ?? Infinity, d);
    if (score !== undefined) scored.push({ name: s.name, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

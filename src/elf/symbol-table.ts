/** Address → function lookup over one file's function symbols (sorted array + binary search). */
import * as C from './constants.js';
import type { ElfFile } from './elf-file.js';
import { type ElfSymbol, isDefined, isFunction } from './symbols.js';
import { bestAlias } from './uprobe.js';

export interface SymbolLookup {
  /** Function name (plain, without version). */
  readonly name: string;
  /** Bytes from the function's start. */
  readonly offset: number;
  readonly symbol: ElfSymbol;
}

interface Range {
  readonly start: number;
  readonly end: number;
  readonly symbol: ElfSymbol;
}

export class SymbolTable {
  private readonly starts: Float64Array;

  private constructor(private readonly ranges: readonly Range[]) {
    this.starts = Float64Array.from(ranges, (r) => r.start);
  }

  /** Functions of `.symtab` and `.dynsym`; aliases at one address collapse into the best name. */
  static fromElf(elf: ElfFile): SymbolTable {
    const funcs = [...elf.symbols(), ...elf.dynamicSymbols()].filter(
      (s) => isFunction(s) && isDefined(s) && s.sectionIndex < C.SHN_LORESERVE && s.value !== 0 && s.name !== '',
    );
    funcs.sort((a, b) => a.value - b.value);
    const groups: { best: ElfSymbol; size: number }[] = [];
    for (let i = 0; i < funcs.length; ) {
      let j = i + 1;
      while (j < funcs.length && funcs[j]!.value === funcs[i]!.value) j++;
      const group = funcs.slice(i, j);
      // An alias may be the only one carrying the size (e.g. local vs dynamic copy).
      let size = 0;
      for (const s of group) if (s.size > size) size = s.size;
      groups.push({ best: j - i === 1 ? group[0]! : bestAlias(group), size });
      i = j;
    }
    const ranges: Range[] = [];
    for (let i = 0; i < groups.length; i++) {
      const { best, size } = groups[i]!;
      let end = best.value + size;
      if (size === 0) {
        // Assembly often leaves sizes out: extend to the next function, within the section.
        const sec = elf.sections[best.sectionIndex];
        const secEnd = sec !== undefined && sec.addr !== 0 ? sec.addr + sec.size : Infinity;
        const next = groups[i + 1]?.best.value ?? Infinity;
        end = Math.min(next, secEnd);
        if (end === Infinity) end = best.value + 1;
      }
      ranges.push({ start: best.value, end, symbol: best });
    }
    return new SymbolTable(ranges);
  }

  get size(): number {
    return this.ranges.length;
  }

  /** The function containing link-time address `vaddr`, or undefined. */
  lookup(vaddr: number | bigint): SymbolLookup | undefined {
    const addr = typeof vaddr === 'bigint' ? Number(vaddr) : vaddr;
    const found = floorIndex(this.starts, addr);
    // Sizes can overlap (a function nested in another's range); look back a few entries for a cover.
    for (let i = found; i >= 0 && i > found - 4; i--) {
      const r = this.ranges[i]!;
      if (addr >= r.start && addr < r.end) return { name: r.symbol.name, offset: addr - r.start, symbol: r.symbol };
    }
    return undefined;
  }

  /** Address of a function by plain name (first match), for tests and `usym`-style reverse lookups. */
  addressOf(name: string): number | undefined {
    return this.ranges.find((r) => r.symbol.name === name)?.start;
  }
}

/** Index of the last element of sorted `starts` that is <= `addr`, or -1 when there is none. */
export function floorIndex(starts: ArrayLike<number>, addr: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= addr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

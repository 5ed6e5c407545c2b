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
    const byAddr = new Map<number, ElfSymbol[]>();
    for (const s of [...elf.symbols(), ...elf.dynamicSymbols()]) {
      if (!isFunction(s) || !isDefined(s) || s.sectionIndex >= C.SHN_LORESERVE || s.value === 0 || s.name === '') continue;
      const list = byAddr.get(s.value);
      if (list === undefined) byAddr.set(s.value, [s]);
      else list.push(s);
    }
    const chosen = [...byAddr.values()].map((list) => {
      const best = bestAlias(list);
      // An alias may be the only one carrying the size (e.g. local vs dynamic copy).
      const size = Math.max(...list.map((s) => s.size));
      return { best, size };
    });
    chosen.sort((a, b) => a.best.value - b.best.value);
    const ranges: Range[] = [];
    for (let i = 0; i < chosen.length; i++) {
      const { best, size } = chosen[i]!;
      let end = best.value + size;
      if (size === 0) {
        // Assembly often leaves sizes out: extend to the next function, within the section.
        const sec = elf.sections[best.sectionIndex];
        const secEnd = sec !== undefined && sec.addr !== 0 ? sec.addr + sec.size : Infinity;
        const next = chosen[i + 1]?.best.value ?? Infinity;
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
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= addr) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
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

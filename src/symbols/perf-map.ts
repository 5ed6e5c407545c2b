/**
 * `/tmp/perf-PID.map`: the symbol files JITs write for perf (Node's `--perf-basic-prof`, the JVM's
 * perf-map-agent, LuaJIT…). One line a symbol: `START SIZE name` in hex, `0x` optional; the name
 * may contain spaces. Later lines win for the same start (a JIT re-uses freed code memory).
 */
import { readFileSync, statSync } from 'node:fs';
import { floorIndex } from '../elf/index.js';

export interface PerfMapSymbol {
  readonly start: number;
  readonly size: number;
  readonly name: string;
}

export class PerfMap {
  private readonly starts: Float64Array;

  private constructor(private readonly syms: readonly PerfMapSymbol[]) {
    this.starts = Float64Array.from(syms, (s) => s.start);
  }

  static parse(text: string): PerfMap {
    const byStart = new Map<number, PerfMapSymbol>();
    for (const line of text.split('\n')) {
      const m = /^\s*(?:0x)?([0-9a-fA-F]+)\s+(?:0x)?([0-9a-fA-F]+)\s+(.*?)\s*$/.exec(line);
      if (!m || m[3] === '') continue;
      const start = parseInt(m[1]!, 16);
      byStart.set(start, { start, size: parseInt(m[2]!, 16), name: m[3]! });
    }
    return new PerfMap([...byStart.values()].sort((a, b) => a.start - b.start));
  }

  get size(): number {
    return this.syms.length;
  }

  /** The symbol covering `addr` (start ≤ addr < start + size), with the offset into it. */
  lookup(address: number | bigint): { name: string; offset: number } | undefined {
    const addr = typeof address === 'bigint' ? Number(address) : address;
    const found = floorIndex(this.starts, addr);
    // A zero-size entry covers only its first byte; look back a little for an enclosing one.
    for (let i = found; i >= 0 && i > found - 4; i--) {
      const s = this.syms[i]!;
      if (addr >= s.start && addr < s.start + Math.max(s.size, 1)) return { name: s.name, offset: addr - s.start };
    }
    return undefined;
  }
}

export function perfMapPath(pid: number): string {
  return `/tmp/perf-${pid}.map`;
}

/**
 * The perf map of a process, re-read when the file has grown (JITs append as they compile);
 * undefined when there is none.
 */
export class PerfMapFile {
  private map: PerfMap | undefined;
  private seenSize = -1;

  constructor(readonly path: string) {}

  current(): PerfMap | undefined {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return this.map; // removed after the process exited: keep what was read
    }
    if (size !== this.seenSize) {
      try {
        this.map = PerfMap.parse(readFileSync(this.path, 'utf8'));
        this.seenSize = size;
      } catch {
        // unreadable: keep the last copy
      }
    }
    return this.map;
  }
}

// Kernel symbols from /proc/kallsyms: address → function (ksym, kstack) and name → address.
// Parsed once, lazily, into typed arrays (122k symbols: no object per symbol).
import { readFileSync } from 'node:fs';

export interface KernelSymbol {
  name: string;
  /** Offset of the address from the symbol's start. */
  offset: number;
  module?: string;
}

export class KallsymsError extends Error {
  override readonly name = 'KallsymsError';
}

export class Kallsyms {
  /** Sorted addresses as high/low u32 halves: kernel addresses do not fit a float64 exactly, and
   *  a BigInt per symbol would cost 122k objects. */
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly names: string[];
  private readonly modules: (string | undefined)[];
  private byName: Map<string, number> | undefined;

  private constructor(hi: Uint32Array, lo: Uint32Array, names: string[], modules: (string | undefined)[]) {
    this.hi = hi;
    this.lo = lo;
    this.names = names;
    this.modules = modules;
  }

  /** Parses kallsyms text; only text (function) symbols are kept, as stacks point into code. */
  static parse(text: string): Kallsyms {
    const rows: { a: bigint; name: string; mod?: string }[] = [];
    let zero = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const sp1 = line.indexOf(' ');
      const type = line[sp1 + 1];
      if (type !== 't' && type !== 'T' && type !== 'w' && type !== 'W') continue;
      const rest = line.slice(sp1 + 3);
      const tab = rest.indexOf('\t');
      const name = tab < 0 ? rest : rest.slice(0, tab);
      const mod = tab < 0 ? undefined : rest.slice(tab + 1).replace(/^\[|\]$/g, '');
      const a = BigInt(`0x${line.slice(0, sp1)}`);
      if (a === 0n) zero++;
      rows.push(mod ? { a, name, mod } : { a, name });
    }
    if (rows.length > 0 && zero === rows.length) {
      throw new KallsymsError('kernel symbol addresses are hidden (kernel.kptr_restrict): run as root');
    }
    rows.sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
    const hi = new Uint32Array(rows.length);
    const lo = new Uint32Array(rows.length);
    const names: string[] = new Array(rows.length);
    const modules: (string | undefined)[] = new Array(rows.length);
    rows.forEach((r, i) => {
      hi[i] = Number(r.a >> 32n);
      lo[i] = Number(r.a & 0xffffffffn);
      names[i] = r.name;
      modules[i] = r.mod;
    });
    return new Kallsyms(hi, lo, names, modules);
  }

  static load(path = '/proc/kallsyms'): Kallsyms {
    return Kallsyms.parse(readFileSync(path, 'utf8'));
  }

  get size(): number {
    return this.names.length;
  }

  /** The function containing `addr`, or undefined below the first symbol. */
  lookup(addr: bigint): KernelSymbol | undefined {
    const h = Number(addr >> 32n);
    const l = Number(addr & 0xffffffffn);
    let lo = 0;
    let hi = this.names.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.hi[mid]! < h || (this.hi[mid] === h && this.lo[mid]! <= l);
      if (c) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    const start = (BigInt(this.hi[found]!) << 32n) | BigInt(this.lo[found]!);
    const mod = this.modules[found];
    return { name: this.names[found]!, offset: Number(addr - start), ...(mod ? { module: mod } : {}) };
  }

  /** Address of a function by name (first match), or undefined. */
  address(name: string): bigint | undefined {
    if (!this.byName) {
      this.byName = new Map();
      this.names.forEach((n, i) => { if (!this.byName!.has(n)) this.byName!.set(n, i); });
    }
    const i = this.byName.get(name);
    return i === undefined ? undefined : (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
  }

  /**
   * Every function once per (name, module), without the `__pfx_`/`__cfi_` padding symbols of
   * kernels built with CALL_PADDING or CFI (they are not functions one can trace).
   */
  functions(): { name: string; module?: string }[] {
    const seen = new Set<string>();
    const out: { name: string; module?: string }[] = [];
    this.names.forEach((name, i) => {
      if (name.startsWith('__pfx_') || name.startsWith('__cfi_')) return;
      const mod = this.modules[i];
      const key = `${name}\t${mod ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push(mod ? { name, module: mod } : { name });
    });
    return out;
  }

  /** Function names matching a glob (`vfs_*`), for `-l` and wildcard kprobes. */
  match(re: RegExp): string[] {
    return [...new Set(this.names.filter((n) => re.test(n)))].sort();
  }
}

let cached: Kallsyms | undefined;
export function kallsyms(): Kallsyms {
  return (cached ??= Kallsyms.load());
}

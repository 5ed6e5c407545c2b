// Kernel addresses → text, as bpftrace 0.17 prints them: `name` for ksym(), `name+offset` in
// stacks — `+0` included — and the bare address (`0x…`) when no symbol covers it.
//
// bpftrace asks bcc, whose KSyms takes every /proc/kallsyms line but data symbols (b B d D r R)
// and answers with the last symbol at or below the address; so does this table. Several names
// often share an address (`_stext`, `_text`, `__pi__text`, or `__x64_sys_getpgrp` and
// `__ia32_sys_getpgrp`). bcc's pick among them is whatever its unstable std::sort leaves last, and
// that changes with every BPF program loaded (each adds a kallsyms line, moving the pivots): no
// fixed rule reproduces it. sonde picks one name the same way every time instead: not a `__pfx_`
// padding symbol, then the shortest, then the fewest leading underscores, then the first listed.
import { readFileSync } from 'node:fs';
import { pointerText } from '../output/resolve.js';

/** bcc skips addresses below this (x86_64 user space and the 0 addresses of kptr_restrict). */
const KERNEL_SPACE = 0x00ffffffffffffffn;

export class KernelSymbols {
  private constructor(
    private readonly hi: Uint32Array,
    private readonly lo: Uint32Array,
    private readonly names: string[],
  ) {}

  static parse(text: string): KernelSymbols {
    const hi: number[] = [];
    const lo: number[] = [];
    const names: string[] = [];
    for (const line of text.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp <= 0) continue;
      const type = line[sp + 1];
      if (type === undefined || 'bBdDrR'.includes(type)) continue;
      const a = BigInt(`0x${line.slice(0, sp)}`);
      if (a === 0n || a < KERNEL_SPACE || a === 0xffffffffffffffffn) continue;
      const rest = line.slice(sp + 3);
      const end = rest.search(/\s/);
      hi.push(Number(a >> 32n));
      lo.push(Number(a & 0xffffffffn));
      names.push(end < 0 ? rest : rest.slice(0, end));
    }
    const rank = (n: string): number =>
      (n.startsWith('__pfx_') ? 1 << 20 : 0) + n.length * 64 + (n.length - n.replace(/^_+/, '').length);
    const order = Array.from(names, (_, i) => i).sort((x, y) =>
      hi[x]! - hi[y]! || lo[x]! - lo[y]! || rank(names[y]!) - rank(names[x]!) || y - x);
    return new KernelSymbols(
      Uint32Array.from(order, (i) => hi[i]!),
      Uint32Array.from(order, (i) => lo[i]!),
      order.map((i) => names[i]!),
    );
  }

  static load(path = '/proc/kallsyms'): KernelSymbols {
    return KernelSymbols.parse(readFileSync(path, 'utf8'));
  }

  get size(): number {
    return this.names.length;
  }

  /** std::upper_bound(addr) − 1: the last symbol at or below `addr`. */
  lookup(address: bigint): { name: string; offset: number } | undefined {
    const addr = BigInt.asUintN(64, address);
    const h = Number(addr >> 32n);
    const l = Number(addr & 0xffffffffn);
    let first = 0;
    let count = this.names.length;
    while (count > 0) {
      const step = count >> 1;
      const mid = first + step;
      if (h < this.hi[mid]! || (h === this.hi[mid] && l < this.lo[mid]!)) count = step;
      else {
        first = mid + 1;
        count -= step + 1;
      }
    }
    if (first === 0) return undefined;
    const i = first - 1;
    const start = (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
    return { name: this.names[i]!, offset: Number(addr - start) };
  }
}

let shared: KernelSymbols | null | undefined;

/** The running kernel's table, read once; undefined when kallsyms cannot be read. */
export function kernelSymbols(): KernelSymbols | undefined {
  if (shared === undefined) {
    try {
      shared = KernelSymbols.load();
      if (shared.size === 0) shared = null; // kptr_restrict: every address reads as 0
    } catch {
      shared = null;
    }
  }
  return shared ?? undefined;
}

export function kernelSymbolText(addr: bigint, withOffset: boolean, table: KernelSymbols | undefined = kernelSymbols()): string {
  const sym = table?.lookup(addr);
  if (!sym) return pointerText(addr);
  return withOffset ? `${sym.name}+${sym.offset}` : sym.name;
}

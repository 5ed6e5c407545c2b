// kaddr(): the address of any kernel symbol (variables too), from /proc/kallsyms. Kept apart from
// kallsyms.ts, which keeps only functions (what stacks point into); this table is built only
// when a script asks for an address.
import { readFileSync } from 'node:fs';
import type { KernelAddressLookup } from '../lang/kernel-view.js';

/** Fewer data symbols than this means the kernel lists only section markers (no CONFIG_KALLSYMS_ALL). */
const DATA_SYMBOLS_WITH_ALL = 1000;

export class KernelAddresses {
  private dataSymbols: number | undefined;
  private hidden: boolean | undefined;
  private readonly found = new Map<string, bigint | undefined>();

  /** kallsyms text: `address type name[\tmodule]` lines. Searched per name, never split up. */
  constructor(private readonly text: string) {}

  static parse(text: string): KernelAddresses {
    return new KernelAddresses(text);
  }

  /** The first address of `name` (vmlinux's, which come before modules'). */
  private address(name: string): bigint | undefined {
    if (this.found.has(name)) return this.found.get(name);
    let a: bigint | undefined;
    const t = this.text;
    for (let at = t.indexOf(` ${name}`); at >= 0; at = t.indexOf(` ${name}`, at + 1)) {
      const end = at + 1 + name.length;
      const after = t[end];
      // ` T name` with name ending at a newline, a tab (module) or the end of the text.
      if ((after !== '\n' && after !== '\t' && after !== undefined) || t[at - 2] !== ' ') continue;
      const lineStart = t.lastIndexOf('\n', at) + 1;
      a = BigInt(`0x${t.slice(lineStart, at - 2)}`);
      break;
    }
    this.found.set(name, a);
    return a;
  }

  lookup(name: string): KernelAddressLookup {
    this.hidden ??= /^0+ /.test(this.text) && !/^0*[1-9a-f][0-9a-f]* /m.test(this.text);
    if (this.hidden) return { found: false, reason: 'hidden' };
    const a = this.address(name);
    if (a !== undefined) return { found: true, address: a };
    this.dataSymbols ??= (this.text.match(/^[0-9a-f]+ [dDbBrR] /gm) ?? []).length;
    return { found: false, reason: this.dataSymbols < DATA_SYMBOLS_WITH_ALL ? 'functions-only' : 'absent' };
  }
}

let shared: KernelAddresses | undefined;

/** The running kernel's table, read once. */
export function kernelAddresses(): KernelAddresses {
  return (shared ??= KernelAddresses.parse(readFileSync('/proc/kallsyms', 'latin1')));
}

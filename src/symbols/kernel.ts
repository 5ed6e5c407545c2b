// Kernel addresses → text, as bpftrace 0.17 prints them (through bcc's symbol cache of
// /proc/kallsyms): `name` for ksym(), `name+offset` in stacks — `+0` included — and the bare
// address (`0x…`) when no symbol covers it. kallsyms is parsed once per process (src/kernel).
import { Kallsyms, kallsyms } from '../kernel/kallsyms.js';
import { pointerText } from '../output/resolve.js';

export function kernelSymbolText(addr: bigint, withOffset: boolean, table?: Kallsyms): string {
  let sym;
  try {
    sym = (table ?? kallsyms()).lookup(BigInt.asUintN(64, addr));
  } catch {
    sym = undefined; // kallsyms unreadable (not root): addresses print as numbers
  }
  if (!sym) return pointerText(addr);
  return withOffset ? `${sym.name}+${sym.offset}` : sym.name;
}

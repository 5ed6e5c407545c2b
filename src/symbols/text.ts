// User addresses → text, as bpftrace 0.17 prints them: `name` (usym()), `name+offset` in stacks
// (`+0` included), ` (module)` after it in perf-mode stacks; an address no symbol covers prints as
// `0x…`, with ` ([unknown])` in perf mode even when its module is known (bcc reports no module then).
import { pointerText } from '../output/resolve.js';
import type { UserSymbols } from './user.js';

export function userSymbolText(syms: UserSymbols, addr: bigint, pid: number, withOffset: boolean, withModule: boolean): string {
  let sym;
  try {
    sym = syms.lookup(pid, addr).symbol;
  } catch {
    sym = undefined;
  }
  if (!sym) return pointerText(addr) + (withModule ? ' ([unknown])' : '');
  const name = withOffset ? `${sym.name}+${sym.offset}` : sym.name;
  return withModule ? `${name} (${sym.module})` : name;
}

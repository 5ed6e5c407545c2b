// What the output layer needs from the running system to print a value (src/output/resolve.ts):
// kernel symbols, user symbols per process, stack frames from the script's stack-trace maps,
// user names, probe names. Each source is opened lazily, once per run.
import { readFileSync } from 'node:fs';
import type { Resolver, StackValue } from '../output/index.js';
import { pointerText } from '../output/index.js';
import { kallsyms } from '../kernel/kallsyms.js';
import { ProcessSymbolizer } from '../elf/index.js';
import type { BpfMap } from '../bpf/map.js';

export interface ResolverSources {
  /** Values of the `probe` builtin index this list (CompiledScript.probeNames). */
  probeNames?: readonly string[];
  /** The stack-trace map holding a kstack/ustack value's frames. */
  stackMap?: (v: StackValue) => BpfMap | undefined;
}

export function systemResolver(src: ResolverSources = {}): Partial<Resolver> {
  const procs = new Map<number, ProcessSymbolizer | null>();
  let users: Map<bigint, string> | undefined;
  const symbolizer = (pid: number): ProcessSymbolizer | null => {
    let s = procs.get(pid);
    if (s === undefined) {
      try {
        s = new ProcessSymbolizer(pid);
      } catch {
        s = null; // the process is gone: addresses print as bpftrace prints unknown ones
      }
      procs.set(pid, s);
    }
    return s;
  };
  return {
    ksym(addr, withOffset) {
      let sym;
      try {
        sym = kallsyms().lookup(addr);
      } catch {
        sym = undefined;
      }
      if (!sym) return pointerText(addr);
      return withOffset && sym.offset ? `${sym.name}+${sym.offset}` : sym.name;
    },
    usym(addr, pid, withOffset, withModule) {
      const r = symbolizer(pid)?.symbolize(addr);
      if (!r?.symbol) return pointerText(addr) + (withModule ? ` (${r?.module ?? '[unknown]'})` : '');
      const name = withOffset && r.offset ? `${r.symbol}+${r.offset}` : r.symbol;
      return withModule ? `${name} (${r.module ?? '[unknown]'})` : name;
    },
    stack(v: StackValue) {
      const map = src.stackMap?.(v);
      if (!map || v.id < 0) return undefined;
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, v.id, true);
      const bytes = map.lookup(key);
      if (!bytes) return undefined;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out: bigint[] = [];
      for (let off = 0; off + 8 <= bytes.length; off += 8) {
        const a = dv.getBigUint64(off, true);
        if (a === 0n) break;
        out.push(a);
      }
      return out;
    },
    username(uid) {
      users ??= readUsers();
      return users.get(uid) ?? '';
    },
    probe(id) {
      const name = src.probeNames?.[Number(id)];
      return name !== undefined && name !== '' ? name : `probe#${id}`;
    },
  };
}

/** uid → name from /etc/passwd (bpftrace reads the same file). */
function readUsers(): Map<bigint, string> {
  const out = new Map<bigint, string>();
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2]!)) {
      const uid = BigInt(f[2]!);
      if (!out.has(uid)) out.set(uid, f[0]!);
    }
  }
  return out;
}

// What the output layer needs from the running system to print a value (src/output/resolve.ts):
// kernel symbols, user symbols per process, stack frames from the script's stack-trace maps,
// user names, probe names. Each source is opened lazily, once per run.
import { readFileSync } from 'node:fs';
import type { Resolver, StackValue } from '../output/index.js';
import { UserSymbols, kernelSymbolText, userSymbolText } from '../symbols/index.js';
import type { BpfMap } from '../bpf/map.js';
import { formatTimestamp } from '../output/time.js';
import { bootWallClockNs } from '../sys/clock.js';
import { CgroupPaths } from './cgroup-path.js';

export interface ResolverSources {
  /** Values of the `probe` builtin index this list (CompiledScript.probeNames). */
  probeNames?: readonly string[];
  /** The stack-trace map holding a kstack/ustack value's frames. */
  stackMap?: (v: StackValue) => BpfMap | undefined;
  /** Processes known before any event: their memory maps are kept up to date while they live, so
   *  their stacks still resolve after they exit. `awaitExec` for a -c command not exec'd yet. */
  watch?: readonly { pid: number; awaitExec?: boolean }[];
  /** strftime() formats and cgroup_path() filters by index (CompiledScript). */
  strftimeFormats?: readonly string[];
  cgroupPathFilters?: readonly string[];
}

export function systemResolver(src: ResolverSources = {}): Partial<Resolver> {
  let users: Map<bigint, string> | undefined;
  let bootNs: bigint | undefined;
  let cgroups: CgroupPaths | undefined;
  const user = new UserSymbols();
  for (const w of src.watch ?? []) user.watch(w.pid, w.awaitExec ? { awaitExec: true } : {});
  return {
    ksym: (addr, withOffset) => kernelSymbolText(addr, withOffset),
    usym: (addr, pid, withOffset, withModule) => userSymbolText(user, addr, pid, withOffset, withModule),
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
    timestamp(v) {
      // [u64 format index, u64 CLOCK_BOOTTIME ns]: wall clock = boot time + ns, as bpftrace does.
      const fmt = src.strftimeFormats?.[Number(v.addr)];
      if (fmt === undefined || v.bytes.length < 16) return '(?)';
      const ns = new DataView(v.bytes.buffer, v.bytes.byteOffset, 16).getBigUint64(8, true);
      bootNs ??= bootWallClockNs();
      return formatTimestamp(fmt, bootNs + ns);
    },
    cgroupPath(v) {
      // [u64 cgroup id, u64 filter index].
      const filter = v.bytes.length >= 16 ? src.cgroupPathFilters?.[Number(new DataView(v.bytes.buffer, v.bytes.byteOffset, 16).getBigUint64(8, true))] : undefined;
      cgroups ??= new CgroupPaths();
      return cgroups.text(v.addr, filter ?? '*');
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

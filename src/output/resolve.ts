/**
 * Turning kernel words into text that needs the running system (symbol tables, stack maps,
 * /etc/passwd, boot time, probe names) goes through a Resolver the runtime supplies. What can be
 * done from the bytes alone (inet addresses, MAC addresses, errno strings) is done here.
 */
import type { StackValue, SymbolValue } from './value.js';
import { strerror } from './strerror.js';

export interface Resolver {
  /** Kernel symbol for `addr`; `withOffset` appends `+off` (stack frames). */
  ksym(addr: bigint, withOffset: boolean): string;
  /** User symbol in process `pid`; `withModule` appends ` (module)` (perf-mode stacks). */
  usym(addr: bigint, pid: number, withOffset: boolean, withModule: boolean): string;
  /** Frame addresses of a stack (from the stack-trace map), or undefined when the lookup failed. */
  stack(v: StackValue): bigint[] | undefined;
  /** uid → user name (bpftrace prints '' for an unknown uid). */
  username(uid: bigint): string;
  /** Probe id → the probe's full name, e.g. 'kprobe:do_sys_open'. */
  probe(id: bigint): string;
  /** strftime() values: the runtime knows the boot time and the format for the value's id. */
  timestamp(v: SymbolValue): string;
  cgroupPath(v: SymbolValue): string;
}

/**
 * Used for whatever the runtime does not supply: addresses print the way bpftrace prints an
 * unresolvable one (`0x…`), stacks as empty (a failed lookup), probe ids and uids as numbers.
 */
export const fallbackResolver: Resolver = {
  ksym: (addr) => pointerText(addr),
  usym: (addr, _pid, _off, withModule) => pointerText(addr) + (withModule ? ' ([unknown])' : ''),
  stack: () => undefined,
  username: (uid) => uid.toString(),
  probe: (id) => `probe#${id}`,
  timestamp: () => '(?)',
  cgroupPath: (v) => v.addr.toString(),
};

export function withFallback(r?: Partial<Resolver>): Resolver {
  return r ? { ...fallbackResolver, ...r } : fallbackResolver;
}

/** How libstdc++ prints a `void *`: 0x + lower-case hex. */
export function pointerText(addr: bigint): string {
  return `0x${BigInt.asUintN(64, addr).toString(16)}`;
}

/**
 * A stack as bpftrace's get_stack() prints it: a leading newline, then one frame a line,
 * indented by `indent` spaces (8 as a value, 4 as a map key); perf mode is `\t<hex> <sym>`.
 */
export function stackText(v: StackValue, indent: number, r: Resolver): string {
  const addrs = r.stack(v);
  if (!addrs) return '';
  const pad = ' '.repeat(indent);
  let out = '\n';
  for (const addr of addrs.slice(0, v.limit > 0 ? v.limit : addrs.length)) {
    if (addr === 0n) break;
    const perf = v.mode === 'perf';
    if (v.mode === 'raw') {
      out += `${BigInt.asUintN(64, addr).toString(16)}\n`;
      continue;
    }
    const sym = v.space === 'kernel' ? r.ksym(addr, true) : r.usym(addr, v.pid, true, perf);
    out += perf ? `\t${BigInt.asUintN(64, addr).toString(16)} ${sym}\n` : `${pad}${sym}\n`;
  }
  return out;
}

const AF_INET = 2n;
const AF_INET6 = 10n;

/** ntop() values: a u64 address family, then 16 address bytes (bpftrace's inet layout). */
export function inetText(v: SymbolValue): string {
  const addr = v.bytes.subarray(8, 24);
  if (v.addr === AF_INET) return inet4(addr);
  if (v.addr === AF_INET6) return inet6(addr);
  return '';
}

function inet4(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/** glibc's inet_ntop(AF_INET6): the longest run (≥ 2) of zero groups becomes '::', first wins a
 *  tie; IPv4-compatible and IPv4-mapped addresses end in dotted quad. */
function inet6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += inet4(b.subarray(12, 16));
      break;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

/** macaddr(): six bytes as bpftrace prints them, upper-case and colon-separated. */
export function macText(v: SymbolValue): string {
  return Array.from(v.bytes.subarray(0, 6), (x) => x.toString(16).toUpperCase().padStart(2, '0')).join(':');
}

/** strerror(): glibc's message for the errno in the value's first word (read as a C int). */
export function strerrorText(v: SymbolValue): string {
  return strerror(Number(BigInt.asIntN(32, v.addr)));
}

// What the TCP tools share: port-list options, TCP states and address families as the kernel
// numbers them (include/net/tcp_states.h, linux/socket.h).
import { ToolUsageError } from './tool.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;

export const TCP = {
  ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6, CLOSE: 7,
  CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11, NEW_SYN_RECV: 12,
} as const;

/** "80,81" → [80, 81] (bcc's comma-separated -P/-L/-D lists). */
export function parsePorts(flag: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const ports = v.split(',').map((p) => p.trim());
  for (const p of ports) if (!/^\d+$/.test(p) || Number(p) > 65535) throw new ToolUsageError(`${flag}: not a port: ${p}`);
  return ports.map(Number);
}

/** `(e == 80 || e == 81)`, for a predicate. */
export function anyOf(expr: string, values: number[]): string {
  return `(${values.map((x) => `${expr} == ${x}`).join(' || ')})`;
}

/** -4/-6 as bcc's mutually exclusive group. */
export function familyOption(v4: unknown, v6: unknown): number | undefined {
  if (v4 && v6) throw new ToolUsageError('-4/--ipv4 and -6/--ipv6 are mutually exclusive');
  return v4 ? AF_INET : v6 ? AF_INET6 : undefined;
}

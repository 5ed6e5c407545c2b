// tcpconnect: trace active TCP connections (connect()), as bcc's tools/tcpconnect.py.
import { AF_INET, AF_INET6, IPPROTO_TCP, TCP, anyOf, familyOption, parsePorts } from './inet.js';
import type { Value } from '../output/index.js';
import {
  aggNumber, chooseMechanism, helpText, intOption, jsonLine, l, num, parseToolArgs, runScript, stdio, text, verboseReport,
  type Tool, type ToolIo,
} from './tool.js';

export const TCPCONNECT_HELP = helpText(
  'sonde tcpconnect [-h] [-c] [-t] [-p PID] [-P PORT] [-4 | -6] [-L] [-U] [-u UID] [-j] [-v]',
  'Trace TCP connects',
  [
    { flags: '-t, --timestamp', help: 'include timestamp on output' },
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-P PORT, --port PORT', help: 'comma-separated list of destination ports to trace.' },
    { flags: '-4, --ipv4', help: 'trace IPv4 family only' },
    { flags: '-6, --ipv6', help: 'trace IPv6 family only' },
    { flags: '-L, --lport', help: 'include LPORT on output' },
    { flags: '-U, --print-uid', help: 'include UID on output' },
    { flags: '-u UID, --uid UID', help: 'trace this UID only' },
    { flags: '-c, --count', help: 'count connects per src ip and dest ip/port' },
    { flags: '-j, --json', help: 'one JSON object per connect (or per flow with -c)' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde tcpconnect           # trace all TCP connect()s
    sonde tcpconnect -t        # include timestamps
    sonde tcpconnect -p 181    # only trace PID 181
    sonde tcpconnect -P 80     # only trace port 80
    sonde tcpconnect -P 80,81  # only trace port 80 and 81
    sonde tcpconnect -4        # only trace IPv4 family
    sonde tcpconnect -6        # only trace IPv6 family
    sonde tcpconnect -U        # include UID
    sonde tcpconnect -u 1000   # only trace UID 1000
    sonde tcpconnect -c        # count connects per src ip and dest ip/port
    sonde tcpconnect -L        # include LPORT while printing outputs
    sonde tcpconnect -j        # one JSON object per connect
`,
);

export interface TcpconnectOptions {
  pid?: number;
  uid?: number;
  ports?: number[];
  family?: number;
  /** LPORT is needed: the event waits for the kernel to pick the local port. */
  lport?: boolean;
  count?: boolean;
}

// Every mechanism sends the same event, so one formatter serves them all:
// nsecs pid uid comm family saddr(v4) saddr(v6) daddr(v4) daddr(v6) lport dport
const EVENT_FMT = '"%llu %d %d %s %d %s %s %s %s %d %d\\n"';

/**
 * sock:inet_sock_set_state, the connect() side: a socket entering SYN_SENT in the connecting
 * task's context. The local port is chosen after that state change (tcp_v4_connect sets
 * SYN_SENT before inet_hash_connect), so with -L the task is remembered at SYN_SENT and the
 * event sent when the socket leaves SYN_SENT (answered, refused or timed out), in softirq context.
 */
export function tcpconnectTracepointScript(o: TcpconnectOptions): string {
  const who: string[] = [];
  if (o.pid !== undefined) who.push(`pid == ${o.pid}`);
  if (o.uid !== undefined) who.push(`uid == ${o.uid}`);
  const sock = [`args->protocol == ${IPPROTO_TCP}`];
  if (o.family !== undefined) sock.push(`args->family == ${o.family}`);
  if (o.ports) sock.push(anyOf('args->dport', o.ports));
  const syn = [...sock, `args->newstate == ${TCP.SYN_SENT}`, ...who].join(' && ');
  if (o.count) {
    return `tracepoint:sock:inet_sock_set_state /${syn}/ {
  @connects[args->family, args->family == ${AF_INET} ? ntop(args->saddr) : ntop(args->saddr_v6), args->family == ${AF_INET} ? ntop(args->daddr) : ntop(args->daddr_v6), args->dport] = count();
}`;
  }
  if (!o.lport) {
    return `tracepoint:sock:inet_sock_set_state /${syn}/ {
  printf(${EVENT_FMT}, nsecs, pid, uid, comm, args->family, ntop(args->saddr), ntop(args->saddr_v6), ntop(args->daddr), ntop(args->daddr_v6), 0, args->dport);
}`;
  }
  return `tracepoint:sock:inet_sock_set_state /${syn}/ { @who[args->skaddr] = (nsecs, pid, uid, comm); }
tracepoint:sock:inet_sock_set_state /args->oldstate == ${TCP.SYN_SENT} && @who[args->skaddr].1/ {
  $w = @who[args->skaddr];
  printf(${EVENT_FMT}, $w.0, $w.1, $w.2, $w.3, args->family, ntop(args->saddr), ntop(args->saddr_v6), ntop(args->daddr), ntop(args->daddr_v6), args->sport, args->dport);
  delete(@who[args->skaddr]);
}`;
}

/** bcc's own mechanism: tcp_v4_connect/tcp_v6_connect entry and return (kprobes). */
export function tcpconnectKprobeScript(o: TcpconnectOptions): string {
  const who: string[] = [];
  if (o.pid !== undefined) who.push(`pid == ${o.pid}`);
  if (o.uid !== undefined) who.push(`uid == ${o.uid}`);
  const sk = [
    '$sk = (struct sock *)@sk[tid];',
    '$family = $sk->__sk_common.skc_family;',
    '$dport = bswap($sk->__sk_common.skc_dport);',
  ];
  const cond = ['retval == 0'];
  if (o.family !== undefined) cond.push(`$family == ${o.family}`);
  if (o.ports) cond.push(anyOf('$dport', o.ports));
  const s4 = 'ntop($sk->__sk_common.skc_rcv_saddr)';
  const s6 = 'ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)';
  const d4 = 'ntop($sk->__sk_common.skc_daddr)';
  const d6 = 'ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8)';
  const action = o.count
    ? `@connects[$family, $family == ${AF_INET} ? ${s4} : ${s6}, $family == ${AF_INET} ? ${d4} : ${d6}, $dport] = count();`
    : `printf(${EVENT_FMT}, nsecs, pid, uid, comm, $family, ${s4}, ${s6}, ${d4}, ${d6}, $sk->__sk_common.skc_num, $dport);`;
  return `kprobe:tcp_v4_connect, kprobe:tcp_v6_connect${who.length ? ` /${who.join(' && ')}/` : ''} { @sk[tid] = arg0; }
kretprobe:tcp_v4_connect, kretprobe:tcp_v6_connect /@sk[tid]/ {
  ${sk.join('\n  ')}
  if (${cond.join(' && ')}) {
    ${action}
  }
  delete(@sk[tid]);
}`;
}

export interface TcpconnectEvent {
  ns: bigint;
  pid: number;
  uid: number;
  comm: string;
  ip: number;
  saddr: string;
  daddr: string;
  lport: number;
  dport: number;
}

export function tcpconnectEvent(v: Value[]): TcpconnectEvent {
  const family = num(v[4]);
  const v6 = family === AF_INET6;
  return {
    ns: typeof v[0] === 'bigint' ? v[0] : 0n, pid: num(v[1]), uid: num(v[2]), comm: text(v[3]), ip: v6 ? 6 : 4,
    saddr: text(v6 ? v[6] : v[5]), daddr: text(v6 ? v[8] : v[7]), lport: num(v[9]), dport: num(v[10]),
  };
}

export async function tcpconnect(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    timestamp: { type: 'boolean', short: 't' }, pid: { type: 'string', short: 'p' }, port: { type: 'string', short: 'P' },
    ipv4: { type: 'boolean', short: '4' }, ipv6: { type: 'boolean', short: '6' }, lport: { type: 'boolean', short: 'L' },
    'print-uid': { type: 'boolean', short: 'U' }, uid: { type: 'string', short: 'u' }, count: { type: 'boolean', short: 'c' },
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(TCPCONNECT_HELP);
    return 0;
  }
  const family = familyOption(v.ipv4, v.ipv6);
  const ports = parsePorts('-P', v.port as string | undefined);
  const o: TcpconnectOptions = {
    ...(v.pid !== undefined ? { pid: intOption('-p', v.pid as string, 1)! } : {}),
    ...(v.uid !== undefined ? { uid: intOption('-u', v.uid as string, 0)! } : {}),
    ...(ports ? { ports } : {}),
    ...(family !== undefined ? { family } : {}),
    ...(v.lport ? { lport: true } : {}),
    ...(v.count ? { count: true } : {}),
  };
  const chosen = chooseMechanism([
    { kind: 'fentry', note: 'fexit on tcp_v4_connect/tcp_v6_connect' },
    { kind: 'kprobe', note: 'kprobe/kretprobe on tcp_v4_connect/tcp_v6_connect (bcc\'s mechanism)', build: tcpconnectKprobeScript },
    {
      kind: 'tracepoint',
      note: 'sock:inet_sock_set_state, sockets entering SYN_SENT in the connecting task (connects that fail before sending a SYN, e.g. EADDRNOTAVAIL, are not seen; with -L the line is printed when the socket leaves SYN_SENT, once the kernel has picked the local port)',
      build: tcpconnectTracepointScript,
    },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'tcpconnect', chosen, script);
  const json = v.json === true;
  const banner = json ? '' : 'Tracing connect ... Hit Ctrl-C to end\n';
  if (o.count) {
    return runScript(script, { verbose: v.verbose === true, io, banner }, {
      onMap: (name, e) => {
        if (name !== '@connects' || e.when !== 'exit') return;
        const rows = e.entries.map((x) => {
          const k = x.key as Value[];
          return { laddr: text(k[1]), raddr: text(k[2]), rport: num(k[3]), connects: Number(aggNumber(x.value)) };
        }).sort((a, b) => b.connects - a.connects);
        if (json) {
          for (const row of rows) io.out(jsonLine(row));
          return;
        }
        io.out(`\n${l('LADDR', 25)} ${l('RADDR', 25)} ${l('RPORT', 20)} ${l('CONNECTS', 10)}\n`);
        for (const row of rows) io.out(`${l(row.laddr, 25)} ${l(row.raddr, 25)} ${l(row.rport, 20)} ${row.connects}\n`);
      },
    });
  }
  if (!json) {
    io.out(`${v.timestamp ? l('TIME(s)', 9) : ''}${v['print-uid'] ? l('UID', 6) : ''}${l('PID', 7)} ${l('COMM', 12)} ${l('IP', 2)} ${l('SADDR', 16)} ${o.lport ? `${l('LPORT', 6)} ` : ''}${l('DADDR', 16)} DPORT\n`);
  }
  let t0: bigint | undefined;
  return runScript(script, { verbose: v.verbose === true, io, banner }, {
    onPrintf: (vals) => {
      const e = tcpconnectEvent(vals);
      t0 ??= e.ns;
      const secs = Number(e.ns - t0) / 1e9;
      if (json) {
        io.out(jsonLine({ time: secs, uid: e.uid, pid: e.pid, comm: e.comm, ip: e.ip, saddr: e.saddr, ...(o.lport ? { lport: e.lport } : {}), daddr: e.daddr, dport: e.dport }));
        return;
      }
      io.out(`${v.timestamp ? l(secs.toFixed(3), 9) : ''}${v['print-uid'] ? l(e.uid, 6) : ''}${l(e.pid, 7)} ${l(e.comm.slice(0, 12), 12)} ${l(e.ip, 2)} ${l(e.saddr, 16)} ${o.lport ? `${l(e.lport, 6)} ` : ''}${l(e.daddr, 16)} ${e.dport}\n`);
    },
  });
}

export const tcpconnectTool: Tool = { name: 'tcpconnect', summary: 'trace TCP connect()s: PID COMM IP SADDR DADDR DPORT', run: tcpconnect };

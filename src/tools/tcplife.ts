// tcplife: trace the lifespan of TCP sessions and summarize, as bcc's tools/tcplife.py.
import { AF_INET, AF_INET6, IPPROTO_TCP, TCP, anyOf, familyOption, parsePorts } from './inet.js';
import type { Value } from '../output/index.js';
import {
  chooseMechanism, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, r, runScript, stdio, text, verboseReport,
  type Tool, type ToolIo,
} from './tool.js';

export const TCPLIFE_HELP = helpText(
  'sonde tcplife [-h] [-T] [-t] [-w] [-s] [-p PID] [-L LOCALPORT] [-D REMOTEPORT] [-4 | -6] [-j] [-v]',
  'Trace the lifespan of TCP sessions and summarize',
  [
    { flags: '-T, --time', help: 'include time column on output (HH:MM:SS)' },
    { flags: '-t, --timestamp', help: 'include timestamp on output (seconds)' },
    { flags: '-w, --wide', help: 'wide column output (fits IPv6 addresses)' },
    { flags: '-s, --csv', help: 'comma separated values output' },
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-L LOCALPORT, --localport LOCALPORT', help: 'comma-separated list of local ports to trace.' },
    { flags: '-D REMOTEPORT, --remoteport REMOTEPORT', help: 'comma-separated list of remote ports to trace.' },
    { flags: '-4, --ipv4', help: 'trace IPv4 family only' },
    { flags: '-6, --ipv6', help: 'trace IPv6 family only' },
    { flags: '-j, --json', help: 'one JSON object per session (bytes exact)' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde tcplife           # trace all TCP connect()s
    sonde tcplife -T        # include time column (HH:MM:SS)
    sonde tcplife -w        # wider columns (fit IPv6)
    sonde tcplife -stT      # csv output, with times & timestamps
    sonde tcplife -p 181    # only trace PID 181
    sonde tcplife -L 80     # only trace local port 80
    sonde tcplife -L 80,81  # only trace local ports 80 and 81
    sonde tcplife -D 80     # only trace remote port 80
    sonde tcplife -4        # only trace IPv4 family
    sonde tcplife -6        # only trace IPv6 family
    sonde tcplife -j        # one JSON object per session
`,
);

export interface TcplifeOptions {
  pid?: number;
  localPorts?: number[];
  remotePorts?: number[];
  family?: number;
}

// Every mechanism sends the same event:
// nsecs pid comm family laddr(v4) laddr(v6) raddr(v4) raddr(v6) lport rport tx_bytes rx_bytes span_ns
const EVENT_FMT = '"%llu %d %s %d %s %s %s %s %d %d %llu %llu %llu\\n"';

/**
 * bcc's logic, on any state change: birth time at the first states (< FIN_WAIT1); the task
 * remembered at SYN_SENT (the connecting side) and LAST_ACK (the side closed by its peer),
 * since later changes run in softirq context; the line at CLOSE, with tcp_sock's byte counters
 * read through BTF (bytes_acked sent, bytes_received received; SYN and FIN count one each).
 */
function lifeBody(o: TcplifeOptions, v: { sk: string; state: string; family: string; lport: string; rport: string; addrs: string }): string {
  const pidOk = o.pid !== undefined ? `pid == ${o.pid}` : '1';
  return `  if (${v.state} < ${TCP.FIN_WAIT1}) { @birth[${v.sk}] = nsecs; }
  if ((${v.state} == ${TCP.SYN_SENT} || ${v.state} == ${TCP.LAST_ACK}) && ${pidOk}) { @who[${v.sk}] = (pid, comm); }
  if (${v.state} == ${TCP.CLOSE} && @birth[${v.sk}]) {
    $span = nsecs - @birth[${v.sk}];
    $tp = (struct tcp_sock *)${v.sk};
    $w = @who[${v.sk}];
    if ($w.0) {
      printf(${EVENT_FMT}, nsecs, $w.0, $w.1, ${v.family}, ${v.addrs}, ${v.lport}, ${v.rport}, $tp->bytes_acked, $tp->bytes_received, $span);
    } else if (${pidOk}) {
      printf(${EVENT_FMT}, nsecs, pid, comm, ${v.family}, ${v.addrs}, ${v.lport}, ${v.rport}, $tp->bytes_acked, $tp->bytes_received, $span);
    }
    delete(@birth[${v.sk}]);
    delete(@who[${v.sk}]);
  }`;
}

export function tcplifeTracepointScript(o: TcplifeOptions): string {
  const f = [`args->protocol == ${IPPROTO_TCP}`];
  if (o.family !== undefined) f.push(`args->family == ${o.family}`);
  if (o.localPorts) f.push(anyOf('args->sport', o.localPorts));
  if (o.remotePorts) f.push(anyOf('args->dport', o.remotePorts));
  return `tracepoint:sock:inet_sock_set_state /${f.join(' && ')}/ {
${lifeBody(o, {
    sk: 'args->skaddr', state: 'args->newstate', family: 'args->family', lport: 'args->sport', rport: 'args->dport',
    addrs: 'ntop(args->saddr), ntop(args->saddr_v6), ntop(args->daddr), ntop(args->daddr_v6)',
  })}
}`;
}

/** bcc's fallback for kernels without the tracepoint: kprobe on tcp_set_state(sk, state). */
export function tcplifeKprobeScript(o: TcplifeOptions): string {
  const f: string[] = [];
  if (o.family !== undefined) f.push(`$family == ${o.family}`);
  if (o.localPorts) f.push(anyOf('$lport', o.localPorts));
  if (o.remotePorts) f.push(anyOf('$rport', o.remotePorts));
  const c = '((struct sock *)arg0)->__sk_common';
  return `kprobe:tcp_set_state {
  $family = ${c}.skc_family;
  $lport = ${c}.skc_num;
  $rport = bswap(${c}.skc_dport);
  $state = arg1;
  if (${f.length ? f.join(' && ') : '1'}) {
${lifeBody(o, {
    sk: 'arg0', state: '$state', family: '$family', lport: '$lport', rport: '$rport',
    addrs: `ntop(${c}.skc_rcv_saddr), ntop(${c}.skc_v6_rcv_saddr.in6_u.u6_addr8), ntop(${c}.skc_daddr), ntop(${c}.skc_v6_daddr.in6_u.u6_addr8)`,
  }).replace(/^/gm, '  ')}
  }
}`;
}

export interface TcplifeEvent {
  ns: bigint;
  pid: number;
  comm: string;
  ip: number;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
  txBytes: bigint;
  rxBytes: bigint;
  spanNs: bigint;
}

const big = (v: Value | undefined): bigint => (typeof v === 'bigint' ? v : 0n);

export function tcplifeEvent(v: Value[]): TcplifeEvent {
  const v6 = num(v[3]) === AF_INET6;
  return {
    ns: big(v[0]), pid: num(v[1]), comm: text(v[2]), ip: v6 ? 6 : 4, laddr: text(v6 ? v[5] : v[4]), raddr: text(v6 ? v[7] : v[6]),
    lport: num(v[8]), rport: num(v[9]), txBytes: big(v[10]), rxBytes: big(v[11]), spanNs: big(v[12]),
  };
}

export async function tcplife(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    time: { type: 'boolean', short: 'T' }, timestamp: { type: 'boolean', short: 't' }, wide: { type: 'boolean', short: 'w' },
    csv: { type: 'boolean', short: 's' }, pid: { type: 'string', short: 'p' }, localport: { type: 'string', short: 'L' },
    remoteport: { type: 'string', short: 'D' }, ipv4: { type: 'boolean', short: '4' }, ipv6: { type: 'boolean', short: '6' },
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(TCPLIFE_HELP);
    return 0;
  }
  const family = familyOption(v.ipv4, v.ipv6);
  const localPorts = parsePorts('-L', v.localport as string | undefined);
  const remotePorts = parsePorts('-D', v.remoteport as string | undefined);
  const o: TcplifeOptions = {
    ...(v.pid !== undefined ? { pid: intOption('-p', v.pid as string, 1)! } : {}),
    ...(localPorts ? { localPorts } : {}),
    ...(remotePorts ? { remotePorts } : {}),
    ...(family !== undefined ? { family } : {}),
  };
  const chosen = chooseMechanism([
    { kind: 'tracepoint', note: 'sock:inet_sock_set_state (bcc\'s choice where it exists), tcp_sock byte counters through BTF', build: tcplifeTracepointScript },
    { kind: 'kprobe', note: 'kprobe on tcp_set_state (bcc\'s fallback for kernels before 4.16)', build: tcplifeKprobeScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'tcplife', chosen, script);
  const json = v.json === true;
  const csv = v.csv === true;
  const wide = v.wide === true;
  const cols = (time: string, ts: string, c: (string | number)[]): string => {
    if (csv) return `${v.time ? `${time},` : ''}${v.timestamp ? `${ts},` : ''}${c.join(',')}\n`;
    const [pid, comm, ip, la, lp, ra, rp, tx, rx, ms] = c.map(String) as [string, string, string, string, string, string, string, string, string, string];
    const pre = `${v.time ? `${l(time, 8)} ` : ''}${v.timestamp ? `${l(ts, 9)} ` : ''}`;
    if (wide) return `${pre}${l(pid, 5)} ${l(comm.slice(0, 16), 16)} ${l(ip, 2)} ${l(la, 39)} ${l(lp, 5)} ${l(ra, 39)} ${l(rp, 5)} ${r(tx, 6)} ${r(rx, 6)} ${ms}\n`;
    return `${pre}${l(pid, 5)} ${l(comm.slice(0, 10), 10)} ${l(la, 15)} ${l(lp, 5)} ${l(ra, 15)} ${l(rp, 5)} ${r(tx, 5)} ${r(rx, 5)} ${ms}\n`;
  };
  if (!json) io.out(cols('TIME', 'TIME(s)', ['PID', 'COMM', 'IP', 'LADDR', 'LPORT', 'RADDR', 'RPORT', 'TX_KB', 'RX_KB', 'MS']));
  let t0: bigint | undefined;
  return runScript(script, { verbose: v.verbose === true, io, banner: json ? '' : 'Tracing TCP session lifespans... Hit Ctrl-C to end.\n' }, {
    onPrintf: (vals) => {
      const e = tcplifeEvent(vals);
      t0 ??= e.ns;
      const secs = Number(e.ns - t0) / 1e9;
      const ms = Number(e.spanNs / 1000n) / 1000;
      if (json) {
        io.out(jsonLine({
          time: hms(), timestamp: secs, pid: e.pid, comm: e.comm, ip: e.ip, laddr: e.laddr, lport: e.lport, raddr: e.raddr, rport: e.rport,
          tx_kb: e.txBytes / 1024n, rx_kb: e.rxBytes / 1024n, tx_bytes: e.txBytes, rx_bytes: e.rxBytes, ms,
        }));
        return;
      }
      io.out(cols(hms(), secs.toFixed(6), [e.pid, e.comm, e.ip, e.laddr, e.lport, e.raddr, e.rport, String(e.txBytes / 1024n), String(e.rxBytes / 1024n), ms.toFixed(2)]));
    },
  });
}

export const tcplifeTool: Tool = { name: 'tcplife', summary: 'TCP sessions as they close: ports, bytes each way, duration', run: tcplife };

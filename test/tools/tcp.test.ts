import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { compile } from '../../src/api.js';
import { needsRoot } from '../support/root.js';
import { runToolAround, toolHelp } from './run.js';
import { tcpconnectKprobeScript, tcpconnectTracepointScript } from '../../src/tools/tcpconnect.js';
import { tcplifeKprobeScript, tcplifeTracepointScript } from '../../src/tools/tcplife.js';

const SENT = 300_000; // client → server
const ANSWER = 500_000; // server → client, once the client's data has all arrived

interface Server {
  pid: number;
  port: number;
  close(): void;
}

/** A server in its own process: reads until the client's FIN, then answers and closes. */
async function startServer(): Promise<Server> {
  const code = `
const net = require('node:net');
const srv = net.createServer((s) => { s.on('data', () => {}); s.on('end', () => s.end(Buffer.alloc(${ANSWER}, 7))); });
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', () => reject(new Error('server exited')));
  });
  return { pid: child.pid!, port, close: () => child.stdin.end() };
}

/** One connection from this process: sends SENT bytes, reads the whole answer; its local port. */
function connectOnce(port: number): Promise<{ lport: number; received: number }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let lport = 0;
    const c = net.connect(port, '127.0.0.1', () => {
      lport = c.localPort!;
      c.end(Buffer.alloc(SENT, 1));
    });
    c.on('data', (d: Buffer) => void (received += d.length));
    c.on('error', reject);
    c.on('close', () => resolve({ lport, received }));
  });
}

for (const name of ['tcpconnect', 'tcplife']) {
  test(`${name} -h exits 0 and ends with examples`, async () => {
    const h = await toolHelp(name);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^usage: sonde ${name}`));
    assert.match(h.out, new RegExp(`examples:\\n(    sonde ${name}.*\\n)+$`));
  });
}

test('tcpconnect/tcplife: the kprobe variants (bcc\'s mechanism) and the tracepoint ones compile', () => {
  const o = { pid: 42, ports: [80, 443], family: 2, lport: true };
  for (const s of [tcpconnectTracepointScript(o), tcpconnectTracepointScript({ count: true }), tcplifeTracepointScript({ localPorts: [22] })]) compile(s);
  for (const s of [tcpconnectKprobeScript(o), tcpconnectKprobeScript({ count: true }), tcplifeKprobeScript({ pid: 1, remotePorts: [80] })]) {
    assert.match(s, /kprobe:tcp_/);
    compile(s);
  }
});

test('tcpconnect: a loopback connect with its PID, addresses and ports', needsRoot, async () => {
  const srv = await startServer();
  try {
    let lport = 0;
    const r = await runToolAround('tcpconnect', ['-U', '-L', '-t', '-P', String(srv.port)], async () => {
      lport = (await connectOnce(srv.port)).lport;
    });
    assert.equal(r.code, 0);
    assert.match(r.err, /Tracing connect \.\.\. Hit Ctrl-C to end/);
    assert.equal(r.lines[0], 'TIME(s)  UID   PID     COMM         IP SADDR            LPORT  DADDR            DPORT');
    const rows = r.lines.slice(1).map((x) => x.split(/\s+/));
    assert.equal(rows.length, 1, r.out);
    assert.deepEqual(rows[0]!.slice(1), ['0', String(process.pid), 'node', '4', '127.0.0.1', String(lport), '127.0.0.1', String(srv.port)]);

    const d = await runToolAround('tcpconnect', ['-P', String(srv.port)], async () => void (await connectOnce(srv.port)));
    assert.equal(d.lines.length, 2, d.out);
    assert.deepEqual(d.lines[1]!.split(/\s+/), [String(process.pid), 'node', '4', '127.0.0.1', '127.0.0.1', String(srv.port)]);
    for (const line of d.lines) assert.ok(line.length < 80, line);

    // Without -L the line is sent at SYN_SENT; -j; -c counts per flow.
    const j = await runToolAround('tcpconnect', ['-j', '-p', String(process.pid)], async () => {
      await connectOnce(srv.port);
      await connectOnce(srv.port);
    });
    const evs = j.lines.map((x) => JSON.parse(x) as Record<string, unknown>).filter((e) => e.dport === srv.port);
    assert.equal(evs.length, 2, j.out);
    for (const e of evs) assert.deepEqual([e.pid, e.comm, e.ip, e.saddr, e.daddr], [process.pid, 'node', 4, '127.0.0.1', '127.0.0.1']);
    const c = await runToolAround('tcpconnect', ['-c', '-P', String(srv.port)], async () => {
      for (let i = 0; i < 3; i++) await connectOnce(srv.port);
    });
    assert.equal(c.lines[0], 'LADDR                     RADDR                     RPORT                CONNECTS  ');
    assert.deepEqual(c.lines.slice(1).map((x) => x.split(/\s+/)), [['127.0.0.1', '127.0.0.1', String(srv.port), '3']]);
  } finally {
    srv.close();
  }
});

test('tcplife: both ends of a loopback session with their ports and byte counts', needsRoot, async () => {
  const srv = await startServer();
  try {
    let got = { lport: 0, received: 0 };
    const r = await runToolAround('tcplife', ['-L', String(srv.port)], async () => {
      got = await connectOnce(srv.port);
    });
    assert.equal(got.received, ANSWER);
    assert.equal(r.code, 0);
    assert.match(r.err, /Tracing TCP session lifespans\.\.\. Hit Ctrl-C to end\./);
    assert.equal(r.lines[0], 'PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS');
    const rows = r.lines.slice(1).map((x) => x.split(/\s+/));
    // -L: only the server's end; it closed after its peer (LAST_ACK), in its own context.
    assert.equal(rows.length, 1, r.out);
    const kb = (n: number): string => String(Math.floor(n / 1024));
    assert.deepEqual(rows[0]!.slice(0, 8), [String(srv.pid), 'node', '127.0.0.1', String(srv.port), '127.0.0.1', String(got.lport), kb(ANSWER), kb(SENT)]);
    assert.ok(Number(rows[0]![8]) > 0, 'MS');

    // -D: the client's end (this process, remembered at SYN_SENT), exact bytes in JSON.
    let got2 = { lport: 0, received: 0 };
    const j = await runToolAround('tcplife', ['-j', '-D', String(srv.port)], async () => {
      got2 = await connectOnce(srv.port);
    });
    const evs = j.lines.map((x) => JSON.parse(x) as Record<string, number | string>);
    assert.equal(evs.length, 1, j.out);
    const e = evs[0]!;
    assert.deepEqual([e.pid, e.comm, e.laddr, e.lport, e.raddr, e.rport], [process.pid, 'node', '127.0.0.1', got2.lport, '127.0.0.1', srv.port]);
    // bytes_acked counts the SYN and the FIN, bytes_received the FIN.
    assert.ok(Number(e.tx_bytes) >= SENT && Number(e.tx_bytes) <= SENT + 2, `tx ${e.tx_bytes}`);
    assert.ok(Number(e.rx_bytes) >= ANSWER && Number(e.rx_bytes) <= ANSWER + 1, `rx ${e.rx_bytes}`);
    assert.deepEqual([e.tx_kb, e.rx_kb], [Math.floor(SENT / 1024), Math.floor(ANSWER / 1024)]);
  } finally {
    srv.close();
  }
});

test('tcpconnect -6 and tcplife -6: an IPv6 loopback connection', needsRoot, async () => {
  const srv = net.createServer((s) => {
    s.on('data', () => {});
    s.on('end', () => s.end(Buffer.alloc(2048, 3)));
  });
  await new Promise<void>((resolve) => srv.listen(0, '::1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  const once = (): Promise<number> => new Promise((resolve, reject) => {
    const c = net.connect(port, '::1', () => c.end(Buffer.alloc(1024, 1)));
    let lport = 0;
    c.on('connect', () => void (lport = c.localPort!));
    c.on('data', () => {});
    c.on('error', reject);
    c.on('close', () => resolve(lport));
  });
  try {
    let lport = 0;
    const r = await runToolAround('tcpconnect', ['-6', '-L', '-P', String(port)], async () => void (lport = await once()));
    assert.deepEqual(r.lines.slice(1).map((x) => x.split(/\s+/)), [[String(process.pid), 'node', '6', '::1', String(lport), '::1', String(port)]]);
    const four = await runToolAround('tcpconnect', ['-4', '-P', String(port)], async () => void (await once()));
    assert.deepEqual(four.lines.slice(1), []);
    const l = await runToolAround('tcplife', ['-6', '-w', '-D', String(port)], async () => void (lport = await once()));
    assert.equal(l.lines[0], 'PID   COMM             IP LADDR                                   LPORT RADDR                                   RPORT  TX_KB  RX_KB MS');
    const rows = l.lines.slice(1).map((x) => x.split(/\s+/));
    assert.deepEqual(rows.map((c) => c.slice(0, 9)), [[String(process.pid), 'node', '6', '::1', String(lport), '::1', String(port), '1', '2']]);
  } finally {
    srv.close();
  }
});

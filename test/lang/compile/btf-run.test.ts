// Root only: scripts reading kernel structs through BTF, run with bin/sonde, checked against
// values the test knows (its own pid, the child's comm and argv, a TCP connection it makes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { buildFixture } from '../../fixtures/build.js';
import { needsRoot } from '../../support/root.js';

const SONDE = fileURLToPath(new URL('../../../../bin/sonde', import.meta.url));
const opts = { ...needsRoot, ...(existsSync('/sys/kernel/btf/vmlinux') ? {} : { skip: 'no BTF' }) };

function sonde(args: string[]) {
  return spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000 });
}

test('curtask->pid is pid; curtask->real_parent->tgid is the process that started sonde', opts, () => {
  const r = sonde(['-e', 'BEGIN { printf("%d %d %d %s\\n", curtask->pid == pid, curtask->tgid, curtask->real_parent->tgid, curtask->comm); exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  // sonde is a child of this process: its own tgid is r.pid, its parent is us.
  assert.equal(r.stdout, `Attaching 1 probe...\n1 ${r.pid} ${process.pid} node\n\n\n`);
});

test('sched_process_exec: str(curtask->comm) of a known child, and its parent is sonde', opts, async () => {
  const bin = await buildFixture('uprobe_target');
  const r = sonde(['-e', 'tracepoint:sched:sched_process_exec /pid == cpid/ { @[str(curtask->comm)] = count(); @c[curtask->comm] = count(); @parent = curtask->real_parent->tgid; @me = curtask->tgid == cpid; }', '-c', `${bin} 1`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `Attaching 1 probe...\nloop=1 chain=4 twins=300\n\n\n@[uprobe_target]: 1\n@c[uprobe_target]: 1\n@me: 1\n@parent: ${r.pid}\n`);
});

test('a script struct with bitfields, read from a known user buffer (the child\'s argv[0])', opts, async () => {
  const bin = await buildFixture('uprobe_target');
  const prog = `struct Bits { unsigned int a:3; unsigned int b:9; unsigned char c; unsigned short d:5; unsigned short e:7; signed char s:4; };
uprobe:${bin}:main { $p = (struct Bits *)*(uint64 *)arg1; printf("%d %d %d %d %d %d %d\\n", sizeof(struct Bits), $p->a, $p->b, $p->c, $p->d, $p->e, $p->s); }`;
  const r = sonde(['-e', prog, '-c', `${bin} 1`]);
  assert.equal(r.status, 0, r.stderr);
  // The same fields computed here from the bytes of the path (gcc's layout for the struct).
  const buf = Buffer.from(bin);
  const v = buf.readBigUInt64LE(0);
  const s = Number((v >> 40n) & 15n);
  const want = [8, v & 7n, (v >> 3n) & 511n, buf[2], (v >> 24n) & 31n, (v >> 32n) & 127n, s >= 8 ? s - 16 : s].join(' ');
  // The child's own output may come before or after the event's line.
  assert.deepEqual(r.stdout.split('\n').filter((l) => l !== '').sort(), ['Attaching 1 probe...', 'loop=1 chain=4 twins=300', want].sort());
});

test('a struct sock from a tracepoint\'s void * field: the port and address of a connection we make', opts, async () => {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as AddressInfo).port;
  try {
    const prog = 'tracepoint:sock:inet_sock_set_state /pid == cpid && args->newstate == TCP_SYN_SENT/ { $sk = (struct sock *)args->skaddr; ' +
      'printf("%d %d %d %d %d %s\\n", bswap($sk->__sk_common.skc_dport), $sk->__sk_common.skc_family == AF_INET, $sk->__sk_common.skc_daddr, $sk->sk_protocol, $sk->__sk_common.skc_state, ntop($sk->__sk_common.skc_daddr)); }';
    // -c splits on spaces and strips quotes: the child's code takes its strings from argv.
    const a = (i: number) => `process.argv[${i}]`;
    const child = `${process.execPath} -e require(${a(1)}).connect(+${a(2)},${a(3)}).on(${a(4)},()=>process.exit(0)) net ${port} 127.0.0.1 connect`;
    const r = sonde(['-e', prog, '-c', child]);
    assert.equal(r.status, 0, r.stderr);
    // 127.0.0.1 in network order read as a little-endian u32; IPPROTO_TCP; TCP_CLOSE before the change.
    assert.equal(r.stdout, `Attaching 1 probe...\n${port} 1 ${0x0100007f} 6 7 127.0.0.1\n\n\n`);
  } finally {
    srv.close();
  }
});

test('struct values: print() and map values show every field; pointers to structs print as addresses', opts, () => {
  const r = sonde(['-e', 'BEGIN { printf("%p\\n", curtask); print(curtask->se.load); @x = curtask->se.load; @k[curtask->se.load.inv_weight] = curtask->se.load; exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[1]!, /^0xffff[0-9a-f]{12}$/);
  const m = /^\{ \.weight = (\d+), \.inv_weight = (\d+) \}$/.exec(lines[2]!);
  assert.ok(m, r.stdout);
  const rec = `{ .weight = ${m[1]}, .inv_weight = ${m[2]} }`;
  assert.equal(lines.slice(3).join('\n'), `\n\n@k[${m[2]}]: ${rec}\n@x: ${rec}\n`);
});

test('user pointers: a syscalls tracepoint\'s struct sockaddr * cast to sockaddr_in is read from user memory', opts, async () => {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as AddressInfo).port;
  try {
    const prog = 'tracepoint:syscalls:sys_enter_connect /pid == cpid/ { $sa = (struct sockaddr_in *)args->uservaddr; ' +
      'printf("%d %d %s %d\\n", $sa->sin_family, bswap($sa->sin_port), ntop($sa->sin_addr.s_addr), args->uservaddr->sa_family); }';
    const a = (i: number) => `process.argv[${i}]`;
    const child = `${process.execPath} -e require(${a(1)}).connect(+${a(2)},${a(3)}).on(${a(4)},()=>process.exit(0)) net ${port} 127.0.0.1 connect`;
    const r = sonde(['-e', prog, '-c', child]);
    assert.equal(r.status, 0, r.stderr);
    // probe_read_kernel of a user address fails on x86-64 (zeros): these values come from user memory.
    assert.equal(r.stdout, `Attaching 1 probe...\n2 ${port} 127.0.0.1 2\n\n\n`);
  } finally {
    srv.close();
  }
});

test('join(): the argv of a known child, with the default and a given separator', opts, () => {
  const r = sonde(['-e', 'tracepoint:syscalls:sys_enter_execve /pid == cpid/ { join(args->argv); join(args->argv, "--"); }', '-c', '/bin/true a bb ccc']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\n/bin/true a bb ccc\n/bin/true--a--bb--ccc\n\n\n');
});

// bpftrace's own .bt tools, as the system's bpftrace package installs them, run unchanged (read
// from the installed path) through bin/sonde, each around a known workload, with assertions on
// the values printed. runqlat, runqlen and tcpdrop are among them although bpftrace 0.17 itself
// cannot run them on this kernel (it wants kernel headers, or takes BTF's struct cfs_rq over the
// script's own and misses a renamed field). loads.bt and threadsnoop.bt are tested elsewhere.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../support/root.js';
import { onlineCpus } from '../../src/kernel/cpus.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

/** The installed .bt tools by name (Debian puts them in /usr/sbin). */
function installedTools(): Map<string, string> {
  const out = new Map<string, string>();
  let files: string[] = [];
  try {
    files = execFileSync('dpkg', ['-L', 'bpftrace'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    for (const dir of ['/usr/sbin', '/usr/share/bpftrace/tools']) {
      if (existsSync(dir)) files.push(...readdirSync(dir).map((f) => join(dir, f)));
    }
  }
  for (const f of files) if (f.endsWith('.bt') && existsSync(f)) out.set(f.replace(/^.*\//, '').replace(/\.bt$/, ''), f);
  return out;
}

const TOOLS = installedTools();

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** node:test options for one tool's test: root, the tool installed, the commands its workload needs. */
function needs(tool: string, ...cmds: string[]) {
  const missing = cmds.filter((c) => !has(c));
  const skip = !isRoot ? 'needs root (CI runs as root)'
    : !TOOLS.has(tool) ? `bpftrace's ${tool}.bt is not installed`
    : missing.length > 0 ? `workload needs ${missing.join(', ')}`
    : false;
  return { skip, timeout: 120_000 };
}

interface Done {
  /** stdout after the "Attaching N probes..." line. */
  out: string;
  probes?: number;
  err: string;
  code: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `sonde /usr/sbin/TOOL.bt`, starts `workload` once the probes are attached, waits until
 * `until(stdout)` holds (at most 20 s), then stops the tool with SIGINT as a user's Ctrl-C would.
 */
async function runTool(tool: string, workload: () => Promise<unknown>, until: (out: string) => boolean = () => true): Promise<Done> {
  const proc = spawn(SONDE, [TOOLS.get(tool)!], { env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  const attached = new Promise<boolean>((resolve) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  try {
    if (!(await attached)) return { out, err, code: await exited };
    await workload();
    const deadline = Date.now() + 20_000;
    while (!until(out) && Date.now() < deadline && proc.exitCode === null) await sleep(50);
  } finally {
    proc.kill('SIGINT');
    const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  }
  // bpftrace's first line, on stdout: how many probes were attached; the rest is the tool's.
  const first = /^Attaching (\d+) probes?\.\.\.\n/.exec(out);
  assert.ok(first, `no "Attaching N probes..." line first:\n${out}`);
  return { out: out.slice(first[0].length), err: err.replace('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n', ''), code: await exited, probes: Number(first[1]) };
}

/** Runs a command to its end; its pid and stdout. A workload that fails is an error unless `mayFail`. */
function run(cmd: string, args: string[], input?: string, mayFail = false): Promise<{ pid: number; code: number | null; out: string }> {
  return new Promise<{ pid: number; code: number | null; out: string }>((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ pid: p.pid!, code, out }));
    if (input !== undefined) p.stdin!.end(input);
  }).then((r) => {
    if (r.code !== 0 && !mayFail) throw new Error(`workload ${cmd} ${args.join(' ')} exited with ${r.code}`);
    return r;
  });
}

/** Every online CPU busy for `ms` (NO_HZ: an idle CPU takes no profile samples), `perCpu` spinners each. */
async function spin(ms: number, perCpu = 1): Promise<void> {
  const n = onlineCpus().length * perCpu;
  await Promise.all(Array.from({ length: n }, () => run(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end);`])));
}

/** The buckets of one histogram printed at exit: label → count. */
function histogram(out: string, name: string): Map<string, number> {
  const start = out.indexOf(`\n${name}: \n`);
  assert.ok(start >= 0, `no histogram ${name} in:\n${out}`);
  const buckets = new Map<string, number>();
  for (const line of out.slice(start + name.length + 4).split('\n')) {
    const m = /^(\[[^\]]*[\])])\s+(\d+) \|/.exec(line);
    if (!m) break;
    buckets.set(m[1]!, Number(m[2]));
  }
  return buckets;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function scratchDir(tag: string): string {
  // /var/tmp: on the root file system (ext4 on a block device here), not a tmpfs.
  return mkdtempSync(join('/var/tmp', `sonde-${tag}-`));
}

describe("bpftrace's tools run unchanged under sonde", () => {
  it('bashreadline: the lines an interactive bash read with readline', needs('bashreadline', 'bash', 'script'), async () => {
    const tag = `sonde_bashreadline_${process.pid}`;
    const r = await runTool('bashreadline',
      () => run('script', ['-qec', 'bash --norc --noprofile -i', '/dev/null'], `echo ${tag}\nexit\n`),
      (out) => /  exit$/m.test(out));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Tracing bash commands\.\.\. Hit Ctrl-C to end\.\nTIME      PID    COMMAND\n/);
    const echo = new RegExp(`^\\d\\d:\\d\\d:\\d\\d  (\\d+) +echo ${tag}$`, 'm').exec(r.out);
    assert.ok(echo, r.out);
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${echo[1]} +exit$`, 'm'));
  });

  it('bitesize: a dd of 16 KiB blocks with O_DIRECT lands in [16K, 32K)', needs('bitesize', 'dd'), async () => {
    const dir = scratchDir('bitesize');
    try {
      const r = await runTool('bitesize', () => run('dd', ['if=/dev/zero', `of=${join(dir, 'f')}`, 'bs=16k', 'count=32', 'oflag=direct', 'status=none']));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.\n/);
      assert.match(r.out, /\nI\/O size \(bytes\) histograms by process name:/);
      const dd = histogram(r.out, '@[dd]');
      assert.ok((dd.get('[16K, 32K)') ?? 0) >= 32, r.out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cpuwalk: samples on every online CPU', needs('cpuwalk'), async () => {
    const r = await runTool('cpuwalk', () => spin(1500));
    assert.equal(r.code, 0, r.err);
    const h = histogram(r.out, '@cpu');
    for (const cpu of onlineCpus()) assert.ok((h.get(`[${cpu}, ${cpu + 1})`) ?? 0) > 0, `cpu ${cpu}:\n${r.out}`);
  });

  it("execsnoop: a child's exact argv", needs('execsnoop'), async () => {
    let pid = 0;
    const r = await runTool('execsnoop', async () => {
      pid = (await run('/bin/echo', ['sonde-execsnoop', 'alpha', 'beta'])).pid;
    }, (out) => out.includes('sonde-execsnoop alpha beta\n'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^TIME\(ms\)   PID   ARGS\n/);
    assert.match(r.out, new RegExp(`^\\d+ +${pid} +/bin/echo sonde-execsnoop alpha beta$`, 'm'));
  });

  it('gethostlatency: getent ahosts localhost', needs('gethostlatency', 'getent'), async () => {
    let pid = 0;
    const r = await runTool('gethostlatency', async () => {
      pid = (await run('getent', ['ahosts', 'localhost'])).pid;
    }, (out) => / localhost$/m.test(out));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Tracing getaddr\/gethost calls\.\.\. Hit Ctrl-C to end\.\nTIME      PID    COMM              LATms HOST\n/);
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${pid} +getent +\\d+ localhost$`, 'm'));
  });

  it('killsnoop: a SIGTERM from sh to its child, and the result', needs('killsnoop', 'sh', 'sleep'), async () => {
    let sh = 0;
    let target = 0;
    const r = await runTool('killsnoop', async () => {
      const x = await run('sh', ['-c', 'sleep 30 & echo $!; kill -15 $!']);
      sh = x.pid;
      target = Number(x.out.trim());
    }, (out) => new RegExp(`^\\S+ +${sh} `, 'm').test(out));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${sh} +sh +15 +${target} +0$`, 'm'));
  });

  it('naptime: a nanosleep(2) of 0.3 s, with parent and child', { ...needs('naptime', 'perl'), ...(process.arch !== 'x64' ? { skip: 'the workload uses x86-64 syscall numbers' } : {}) }, async () => {
    let pid = 0;
    const r = await runTool('naptime', async () => {
      // glibc's nanosleep() is clock_nanosleep(2) now; the tool traces nanosleep(2) itself (nr 35).
      pid = (await run('perl', ['-e', 'my $t = pack("q2", 0, 300000000); syscall(35, $t, 0) == 0 or die "nanosleep: $!"'])).pid;
    }, (out) => / perl +0\.300$/m.test(out));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Tracing sleeps\. Hit Ctrl-C to end\.\nTIME     PPID   PCOMM            PID    COMM             SECONDS\n/);
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${process.pid} +\\S+ +${pid} +perl +0\\.300$`, 'm'));
  });

  it('opensnoop: an open that succeeds and one that fails, by name', needs('opensnoop', 'cat'), async () => {
    const dir = scratchDir('opensnoop');
    const file = join(dir, 'present');
    writeFileSync(file, 'x');
    try {
      let ok = 0;
      let bad = 0;
      const r = await runTool('opensnoop', async () => {
        ok = (await run('cat', [file])).pid;
        bad = (await run('cat', [join(dir, 'absent')], undefined, true)).pid;
      }, (out) => out.includes(join(dir, 'absent')));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^${ok} +cat +3 +0 ${esc(file)}$`, 'm'));
      assert.match(r.out, new RegExp(`^${bad} +cat +-1 +2 ${esc(join(dir, 'absent'))}$`, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pidpersec: counts the forks of a shell loop', needs('pidpersec', 'sh'), async () => {
    const counts = (out: string) => [...out.matchAll(/^\d\d:\d\d:\d\d PIDs\/sec: @: (\d+)$/gm)].map((m) => Number(m[1]));
    const r = await runTool('pidpersec', () => run('sh', ['-c', 'for i in $(seq 40); do /bin/true; done']),
      (out) => counts(out).reduce((a, b) => a + b, 0) >= 40);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Tracing new processes\.\.\. Hit Ctrl-C to end\.\n/);
    // The 40 forks of the loop, plus whatever else forked meanwhile.
    assert.ok(counts(r.out).reduce((a, b) => a + b, 0) >= 40, r.out);
  });

  it('runqlat: a histogram with a sample for each of 100 wake-ups', needs('runqlat', 'perl'), async () => {
    const r = await runTool('runqlat', () => run('perl', ['-e', 'select(undef, undef, undef, 0.002) for 1..100']));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Tracing CPU scheduler\.\.\. Hit Ctrl-C to end\.\n/);
    const h = histogram(r.out, '@usecs');
    assert.ok(sum(h) >= 100, r.out);
  });

  it('runqlen: queues of length >= 1 while two spinners share each CPU', needs('runqlen'), async () => {
    const r = await runTool('runqlen', () => spin(1500, 2));
    assert.equal(r.code, 0, r.err);
    const h = histogram(r.out, '@runqlen');
    // struct cfs_rq's nr_running read through BTF (the script's own definition is for kernels without BTF).
    const queued = [...h].filter(([b]) => !b.startsWith('[0,')).reduce((a, [, n]) => a + n, 0);
    assert.ok(queued > 0, r.out);
  });

  it('setuids: setuid(2) and setresuid(2) by children', needs('setuids', 'perl', 'setpriv'), async () => {
    let a = 0;
    let b = 0;
    const r = await runTool('setuids', async () => {
      a = (await run('perl', ['-e', 'use POSIX; POSIX::setuid(65534) or die "setuid: $!"'])).pid;
      b = (await run('setpriv', ['--reuid=65534', '/bin/true'])).pid;
    }, (out) => out.includes(' setresuid '));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${a} +perl +0 +setuid +uid=65534 \\(0\\)$`, 'm'));
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${b} +setpriv +0 +setresuid ruid=65534 euid=65534 suid=65534 \\(0\\)$`, 'm'));
  });

  /** A TLS exchange on loopback with openssl: the client sends "hello\n"; both stay up until stopped. */
  async function tlsExchange(dir: string, port: number): Promise<() => void> {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'),
      '-out', join(dir, 'c.pem'), '-subj', '/CN=localhost', '-days', '1'], { stdio: 'ignore' });
    const server = spawn('sh', ['-c', `sleep 60 | exec openssl s_server -accept 127.0.0.1:${port} -cert ${dir}/c.pem -key ${dir}/k.pem -naccept 1`], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let said = '';
    server.stdout!.setEncoding('utf8').on('data', (d: string) => (said += d));
    for (let i = 0; i < 100 && !said.includes('ACCEPT'); i++) await sleep(50);
    const client = spawn('sh', ['-c', `(echo hello; sleep 60) | exec openssl s_client -connect 127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    for (let i = 0; i < 200 && !said.includes('hello'); i++) await sleep(50);
    assert.ok(said.includes('hello'), `the TLS exchange did not happen: ${said}`);
    return () => {
      for (const p of [client, server]) {
        try {
          process.kill(-p.pid!, 'SIGKILL');
        } catch { /* gone */ }
      }
    };
  }

  const PORT = 20000 + (process.pid % 20000);

  it('sslsnoop: the handshake, the write and the read of "hello\\n" (6 bytes)', needs('sslsnoop', 'openssl', 'sh'), async () => {
    const dir = scratchDir('sslsnoop');
    let stop = () => {};
    try {
      const r = await runTool('sslsnoop', async () => {
        stop = await tlsExchange(dir, PORT);
      }, (out) => / 6 SSL_read$/m.test(out) && / 6 SSL_write$/m.test(out) && / 1 SSL_do_handshake$/m.test(out));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Tracing SSL\/TLS handshake\.\.\. Hit Ctrl-C to end\.\nTIME\(us\)   TID      COMM     LAT\(us\)   RET FUNC\n/);
      assert.match(r.out, /^\d+ +\d+ +openssl +\d+ +1 SSL_do_handshake$/m);
      assert.match(r.out, /^\d+ +\d+ +openssl +\d+ +6 SSL_write$/m);
      assert.match(r.out, /^\d+ +\d+ +openssl +\d+ +6 SSL_read$/m);
      // OpenSSL 3 does not export the OpenSSL 1.1 internals the script also lists: skipped, said so.
      assert.match(r.err, /^WARNING: skipping uprobe:libcrypto:rsa_ossl_public_encrypt: no function named "rsa_ossl_public_encrypt" in \S+libcrypto\.so\.3/m);
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ssllatency: latency histograms and stats per SSL function', needs('ssllatency', 'openssl', 'sh'), async () => {
    const dir = scratchDir('ssllatency');
    let stop = () => {};
    try {
      // Stopped while both ends still run, so that the functions' addresses resolve in their maps.
      const r = await runTool('ssllatency', async () => {
        stop = await tlsExchange(dir, PORT + 1);
        await sleep(500);
      });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Tracing SSL\/TLS handshake\.\.\. Hit Ctrl-C to end\.\n\nLatency distribution in microsecond:/);
      const stats = new Map([...r.out.matchAll(/^@stat(F?)\[(\w+)\]: count (\d+), average \d+, total \d+$/gm)].map((m) => [`${m[1]}${m[2]}`, Number(m[3])]));
      assert.ok((stats.get('SSL_do_handshake') ?? 0) >= 1, r.out);
      assert.ok((stats.get('SSL_write') ?? 0) >= 1, r.out);
      assert.ok((stats.get('SSL_read') ?? 0) >= 1, r.out);
      assert.match(r.out, /^@hist\[SSL_read\]: \n\[/m);
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('statsnoop: stat of a named file, and of a missing one', needs('statsnoop', 'stat'), async () => {
    const dir = scratchDir('statsnoop');
    const file = join(dir, 'present');
    writeFileSync(file, 'x');
    try {
      let ok = 0;
      let bad = 0;
      const r = await runTool('statsnoop', async () => {
        ok = (await run('stat', [file])).pid;
        bad = (await run('stat', [join(dir, 'absent')], undefined, true)).pid;
      }, (out) => out.includes(join(dir, 'absent')));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Tracing stat syscalls\.\.\. Hit Ctrl-C to end\.\nPID    COMM             ERR PATH\n/);
      assert.match(r.out, new RegExp(`^${ok} +stat +0 ${esc(file)}$`, 'm'));
      assert.match(r.out, new RegExp(`^${bad} +stat +2 ${esc(join(dir, 'absent'))}$`, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('syncsnoop: a sync(1)', needs('syncsnoop', 'sync'), async () => {
    let pid = 0;
    const r = await runTool('syncsnoop', async () => {
      pid = (await run('sync', [])).pid;
    }, (out) => / sync +tracepoint:syscalls:sys_enter_sync$/m.test(out));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${pid} +sync +tracepoint:syscalls:sys_enter_sync$`, 'm'));
  });

  it('syscount: 20000 getppid(2) calls by one process, by id and by name', { ...needs('syscount', 'perl'), ...(process.arch !== 'x64' ? { skip: 'the workload uses x86-64 syscall numbers' } : {}) }, async () => {
    const r = await runTool('syscount', () => run('perl', ['-e', 'syscall(110) for 1..20000']));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Counting syscalls\.\.\. Hit Ctrl-C to end\.\n/);
    assert.match(r.out, /\nTop 10 syscalls IDs:\n/);
    const getppid = Number(/^@syscall\[110\]: (\d+)$/m.exec(r.out)?.[1]);
    assert.ok(getppid >= 20000, r.out);
    const perl = Number(/^@process\[perl\]: (\d+)$/m.exec(r.out)?.[1]);
    assert.ok(perl >= 20000, r.out);
  });

  it("tcpdrop: a SYN dropped by a full qdisc, with the socket's addresses, state and kernel stack", needs('tcpdrop', 'unshare', 'ip', 'tc', 'bash', 'timeout'), async () => {
    // In a network namespace of its own: loopback up, with a qdisc that holds nothing, so the
    // connect()'s SYN is dropped (SKB_DROP_REASON_QDISC_DROP) with the socket attached.
    const r = await runTool('tcpdrop', () => run('unshare', ['-n', 'sh', '-c',
      'ip link set lo up && tc qdisc add dev lo root pfifo limit 0 && timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/4242"; true']),
    (out) => /SYN_SENT/.test(out) && /tcp_connect/.test(out));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Tracing tcp drops\. Hit Ctrl-C to end\.\nTIME     PID      COMM             SADDR:SPORT           DADDR:DPORT           STATE   \n/);
    assert.match(r.out, /^\d\d:\d\d:\d\d \d+ +bash +127\.0\.0\.1:\d+ +127\.0\.0\.1:4242 +SYN_SENT +$/m);
    assert.match(r.out, /^\s+tcp_connect\+\d+$/m);
  });

  it('writeback: the writeback a sync(1) starts, on the file system holding the data', needs('writeback', 'sync'), async () => {
    const dir = scratchDir('writeback');
    try {
      const file = join(dir, 'data');
      const dev = statSync(dir).dev;
      const name = `${(dev >> 8) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
      const line = new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${name} +(\\d+) +sync +\\d+\\.\\d{3}$`, 'm');
      const r = await runTool('writeback', async () => {
        writeFileSync(file, Buffer.alloc(1 << 20, 1));
        await run('sync', []);
      }, (out) => line.test(out));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Tracing writeback\.\.\. Hit Ctrl-C to end\.\nTIME      DEVICE   PAGES    REASON           ms\n/);
      assert.match(r.out, line);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the tools rely on', () => {
  // bpftrace's runtime tests probe.{uprobe,uretprobe,software}_order: the kernel runs the programs
  // of these hooks newest first, so sonde attaches them in reverse, as bpftrace does.
  for (const probe of ['uprobe:/bin/bash:echo_builtin', 'uretprobe:/bin/bash:echo_builtin', 'tracepoint:syscalls:sys_enter_getppid']) {
    it(`blocks on one ${probe.split(':')[0]} event run in the order they are written`, { skip: isRoot ? false : 'needs root', timeout: 60_000 }, async () => {
      const script = `${probe} /pid == $1/ { printf("first"); } ${probe} /pid == $1/ { printf(" second\\n"); } ${probe} /pid == $1/ { printf("third\\n"); exit(); }`;
      const child = spawn('bash', ['-c', 'read x; echo lala; perl -e "syscall(110)"'], { stdio: ['pipe', 'ignore', 'inherit'] });
      const r = spawn(SONDE, ['-e', script, String(child.pid)], { env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      r.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      r.stderr!.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (err.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n')) child.stdin!.end('go\n');
      });
      const code = await new Promise<number | null>((res) => r.on('close', res));
      child.kill('SIGKILL');
      assert.equal(code, 0, err);
      assert.equal(out, 'Attaching 3 probes...\nfirst second\nthird\n\n\n');
    });
  }
});

// Builtins that reach outside the program, run through bin/sonde with exact output: kaddr (and
// loads.bt's avenrun, which this kernel does not expose), uaddr, strftime, cgroupid/cgroup_path,
// strcontains, path() on the wrong probe kind, threadsnoop.bt's libpthread probe. Where bpftrace
// 0.17 is installed the same script's output is compared with it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { cgroupRoots } from '../../src/runtime/cgroup-path.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function sonde(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, ...opts });
}

const BPFTRACE = ['/usr/bin/bpftrace', '/usr/sbin/bpftrace'].find((p) => existsSync(p));

/** bpftrace's stdout for the same script, or undefined when bpftrace is not installed. */
function bpftrace(args: string[]): string | undefined {
  if (!BPFTRACE) return undefined;
  const r = spawnSync(BPFTRACE, args, { encoding: 'utf8', timeout: 60_000 });
  return r.stdout;
}

function kallsymsAddress(name: string): bigint | undefined {
  const m = new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(readFileSync('/proc/kallsyms', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : undefined;
}

const LOADS = '/usr/sbin/loads.bt';
const THREADSNOOP = '/usr/sbin/threadsnoop.bt';

test('kaddr(): the kallsyms address, printed as bpftrace prints a uint64 (value, key, print, %lx)', needsRoot, () => {
  const addr = kallsymsAddress('vfs_read')!;
  const prog = 'BEGIN { printf("%lx\\n", kaddr("vfs_read")); @v = kaddr("vfs_read"); @k[kaddr("vfs_read")] = 1; print(kaddr("vfs_read")); exit(); }';
  const r = sonde(['-e', prog]);
  assert.equal(r.status, 0, r.stderr);
  const expected = `Attaching 1 probe...\n${addr.toString(16)}\n${addr}\n\n\n@k[${BigInt.asIntN(64, addr)}]: 1\n@v: ${addr}\n`;
  assert.equal(r.stdout, expected);
  const b = bpftrace(['-e', prog]);
  if (b !== undefined) assert.equal(r.stdout, b);
});

test('loads.bt: kaddr("avenrun") is an error naming kallsyms (no CONFIG_KALLSYMS_ALL) and BTF, with the line and a caret', needsRoot, (t) => {
  if (!existsSync(LOADS)) return t.skip('bpftrace\'s loads.bt is not installed');
  if (kallsymsAddress('avenrun') !== undefined) return t.skip('this kernel lists avenrun in kallsyms (CONFIG_KALLSYMS_ALL)');
  const r = sonde([LOADS]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, [
    `${LOADS}:31:13: ERROR: Failed to resolve kernel symbol avenrun: this kernel exposes it neither in /proc/kallsyms (the kernel is built without CONFIG_KALLSYMS_ALL: it lists functions only) nor in BTF`,
    '\t$avenrun = kaddr("avenrun");',
    '\t           ^~~~~~~~~~~~~~~~',
    'hint: kaddr() of a kernel variable needs a kernel built with CONFIG_KALLSYMS_ALL=y',
    '',
  ].join('\n'));
});

test('uaddr(): a variable of the probed (non-PIE) binary, read through the pointer it gives', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target-nopie');
  // sonde_target_counter (a volatile long) counts sonde_target_add calls: 5 when the loop returns.
  const r = sonde(['-e', `uretprobe:${bin}:sonde_target_loop { printf("%d %d\\n", *uaddr("sonde_target_counter"), sizeof(*uaddr("sonde_target_counter"))); }`, '-c', `${bin} 5`]);
  assert.equal(r.status, 0, r.stderr);
  // The command's own output interleaves with sonde's: compare the lines as a set.
  assert.deepEqual(r.stdout.split('\n').sort(), ['', '', '', 'Attaching 1 probe...', '5 8', `loop=15 chain=${[0, 1, 2, 3, 4].map((i) => (2 * i + 1) * 3 + 1).reduce((a, b) => a + b)} twins=300`].sort());
  const bad = sonde(['-e', `uprobe:${bin}:sonde_target_loop { @ = *uaddr("no_such_symbol"); }`]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, new RegExp(`^stdin:1:\\d+: ERROR: Could not resolve symbol: ${bin}:no_such_symbol\n`));
  const begin = sonde(['-e', 'BEGIN { @ = uaddr("main"); }']);
  assert.equal(begin.status, 1);
  assert.match(begin.stderr, /^stdin:1:13: ERROR: uaddr can not be used with "BEGIN" probes\n/);
});

test('strftime(): wall-clock time of a boot-clock timestamp, in printf, print(), map values and keys; %f', needsRoot, () => {
  const before = Date.now();
  const r = sonde(['-e', 'BEGIN { printf("%s\\n", strftime("%Y-%m-%d %H:%M:%S.%f", nsecs)); print(strftime("%s", nsecs)); @v = strftime("%H:%M:%S", nsecs); @k[strftime("[%Y]", nsecs)] = 1; printf("%s\\n", strftime("%s", 0)); exit(); }'], { env: { ...process.env, TZ: 'UTC' } });
  const after = Date.now();
  assert.equal(r.status, 0, r.stderr);
  const m = /^Attaching 1 probe\.\.\.\n(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\n(\d+)\n(\d+)\n\n\n@k\[\[(\d{4})\]\]: 1\n@v: (\d\d):(\d\d):(\d\d)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const printed = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + Number(m[7]) / 1000;
  assert.ok(printed >= before - 1000 && printed <= after + 1000, `${printed} not in [${before}, ${after}]`);
  assert.ok(Math.abs(Number(m[8]) * 1000 - printed) <= 1000);
  // strftime("%s", 0): the boot time, which /proc/stat gives in whole seconds.
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  assert.ok(Math.abs(Number(m[9]) - btime) <= 1, `${m[9]} vs btime ${btime}`);
  assert.equal(m[10], m[1]);
});

test('cgroupid() and cgroup_path(): a child moved into a new cgroup2 directory is matched and named', needsRoot, (t) => {
  const v2 = cgroupRoots().find((x) => x.name === 'unified');
  if (!v2) return t.skip('no cgroup2 mount');
  const name = `sonde-test-${process.pid}`;
  const dir = `${v2.mountpoint}/${name}`;
  mkdirSync(dir);
  try {
    const prog = `tracepoint:syscalls:sys_enter_openat /cgroup == cgroupid("${dir}")/ { printf("%s %s\\n", cgroup_path(cgroup, "unified"), str(args->filename)); @[cgroup_path(cgroup, "uni*")] = count(); }`;
    // The command moves itself into the cgroup, then opens one file there.
    const r = sonde(['-e', prog, '-c', `sh -c 'echo $$ > ${dir}/cgroup.procs && exec cat /etc/hostname'`]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'Attaching 1 probe...');
    assert.ok(lines.includes(`unified:/${name} /etc/hostname`), r.stdout);
    assert.match(r.stdout, new RegExp(`\n\n\n@\\[unified:/${name}\\]: \\d+\n$`));
    const id = sonde(['-e', `BEGIN { printf("%d\\n", cgroupid("${dir}")); exit(); }`]);
    assert.equal(id.stdout, `Attaching 1 probe...\n${statSync(dir, { bigint: true }).ino}\n\n\n`);
  } finally {
    rmdirSync(dir);
  }
  const missing = sonde(['-e', 'BEGIN { @ = cgroupid("/sys/fs/cgroup/no-such-group"); }']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^stdin:1:13: ERROR: cgroupid\("\/sys\/fs\/cgroup\/no-such-group"\): \/sys\/fs\/cgroup\/no-such-group does not exist\n/);
});

test('cgroup_path() of the root and of an unknown id: the same text as bpftrace', needsRoot, () => {
  const prog = 'BEGIN { printf("[%s]\\n", cgroup_path(1)); printf("[%s]\\n", cgroup_path(1, "mem*")); printf("[%s]\\n", cgroup_path(123456789)); @ = cgroup_path(1, "unified"); exit(); }';
  const r = sonde(['-e', prog]);
  assert.equal(r.status, 0, r.stderr);
  const roots = cgroupRoots();
  const names = roots.map((x) => x.name).sort((a, b) => (a === 'unified' ? -1 : b === 'unified' ? 1 : a < b ? -1 : 1));
  const mem = names.filter((n) => n.startsWith('mem'));
  assert.equal(r.stdout, `Attaching 1 probe...\n[${names.map((n) => `${n}:/`).join(',')}]\n[${mem.map((n) => `${n}:/`).join(',')}]\n[]\n\n\n@: ${names.includes('unified') ? 'unified:/' : ''}\n`);
  const b = bpftrace(['-e', prog.replace(' @ = cgroup_path(1, "unified");', '')]);
  if (b !== undefined) assert.equal(sonde(['-e', prog.replace(' @ = cgroup_path(1, "unified");', '')]).stdout, b);
});

test('path(): bpf_d_path exists only for fentry/fexit: a compile error on a tracepoint', () => {
  const r = sonde(['-e', 'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", path(args->filename)); }']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').slice(0, 3).join('\n'), [
    'stdin:1:55: ERROR: path() needs fentry/kfunc probes; this probe is a tracepoint',
    'tracepoint:syscalls:sys_enter_openat { printf("%s\\n", path(args->filename)); }',
    '                                                      ^~~~~~~~~~~~~~~~~~~~',
  ].join('\n'));
});

test('threadsnoop.bt: libpthread has no pthread_create since glibc 2.34; the error names the file, the symbol and libc', needsRoot, (t) => {
  if (!existsSync(THREADSNOOP)) return t.skip('bpftrace\'s threadsnoop.bt is not installed');
  const r = sonde([THREADSNOOP]);
  const lib = /in (\S*libpthread\.so\.0)/.exec(r.stderr)?.[1];
  if (r.status === 0 || !lib) return t.skip(`this libpthread still defines pthread_create: ${r.stderr}`);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^${THREADSNOOP}: ERROR: cannot attach uprobe:libpthread:pthread_create: no function named "pthread_create" in ${lib.replace(/\./g, '\\.')}: glibc 2\\.34 moved it into libc \\(\\S+libc\\.so\\.6\\); probe uprobe:libc:pthread_create instead\n`));
});

test('BPFTRACE_STRLEN=1000 or config max_strlen: a 999-byte path read whole into a variable, a map key and printf (per-CPU scratch, not the stack)', needsRoot, () => {
  // 999 bytes: nine 99-byte directories and a 98-byte name under /; cat fails (ENOENT) after opening it.
  const path = `/${`${'x'.repeat(99)}/`.repeat(9)}${'y'.repeat(98)}`;
  assert.equal(path.length, 999);
  const prog = 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { $s = str(args->filename); if (strcontains($s, "yyyy")) { @[$s] = count(); printf("%d %s\\n", sizeof($s), $s); } }';
  const r = sonde(['-e', prog, '-c', `cat ${path}`], { env: { ...process.env, BPFTRACE_STRLEN: '1000' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `Attaching 1 probe...\n1000 ${path}\n\n\n@[${path}]: 1\n`);
  // The same through the script's own config block (newer bpftrace), without the environment.
  const cfg = sonde(['-e', `config = { max_strlen = 1000 } ${prog}`, '-c', `cat ${path}`]);
  assert.equal(cfg.status, 0, cfg.stderr);
  assert.equal(cfg.stdout, `Attaching 1 probe...\n1000 ${path}\n\n\n@[${path}]: 1\n`);
  // A shorter limit cuts the string at limit - 1 bytes, as bpftrace does.
  const short = sonde(['-e', prog.replace('"yyyy"', '"xxxx"'), '-c', `cat ${path}`], { env: { ...process.env, BPFTRACE_STRLEN: '500' } });
  assert.equal(short.status, 0, short.stderr);
  assert.ok(short.stdout.includes(`\n500 ${path.slice(0, 499)}\n`), short.stdout);
});

test('debugf() goes to trace_pipe; --trace-pipe copies its lines to the output', needsRoot, () => {
  const tag = `sonde-debugf-${process.pid}`;
  const r = sonde(['--trace-pipe', '-e', `BEGIN { debugf("${tag} %d %s %lx\\n", 42, "xyz", 255); } interval:ms:200 { exit(); }`]);
  assert.equal(r.status, 0, r.stderr);
  // trace_pipe is global: lines left there earlier (by anyone) come first.
  assert.ok(r.stdout.startsWith('Attaching 2 probes...\n'), r.stdout);
  assert.match(r.stdout, new RegExp(`^ *\\S+-\\d+ +\\[\\d+\\] \\S+ +\\d+\\.\\d+: bpf_trace_printk: ${tag} 42 xyz ff$`, 'm'));
  // Without the flag the line stays in the kernel's pipe: nothing of it on stdout.
  const quiet = sonde(['-e', `BEGIN { debugf("${tag}-2\\n"); exit(); }`]);
  assert.equal(quiet.stdout, 'Attaching 1 probe...\n\n\n');
  // bpftrace's warning, at the call; --no-warnings drops it.
  assert.equal(quiet.stderr, [
    'stdin:1:9: warning: The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).',
    `BEGIN { debugf("${tag}-2\\n"); exit(); }`,
    `        ^${'~'.repeat(`debugf("${tag}-2\\n")`.length - 1)}`,
    '',
  ].join('\n'));
  assert.equal(sonde(['--no-warnings', '-e', `BEGIN { debugf("${tag}-3\\n"); exit(); }`]).stderr, '');
  // -f json: each line an event of its own.
  const json = sonde(['--trace-pipe', '-f', 'json', '-e', `BEGIN { debugf("${tag}-4 %d\\n", 7); } interval:ms:200 { exit(); }`]);
  assert.equal(json.status, 0, json.stderr);
  const events = json.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; data: unknown });
  assert.ok(events.some((e) => e.type === 'trace_pipe' && typeof e.data === 'string' && e.data.endsWith(`bpf_trace_printk: ${tag}-4 7`)), json.stdout);
});

test('-f json: strftime() and cgroup_path() values are JSON strings (bpftrace 0.17 leaves them unquoted), kaddr() a number', needsRoot, () => {
  const r = sonde(['-f', 'json', '-e', 'BEGIN { @t = strftime("%Y", nsecs); @c = cgroup_path(1, "unified"); @k = kaddr("vfs_read"); print(strftime("%Y", nsecs)); exit(); }'], { env: { ...process.env, TZ: 'UTC' } });
  assert.equal(r.status, 0, r.stderr);
  const year = String(new Date().getUTCFullYear());
  const lines = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; data: unknown });
  const unified = cgroupRoots().some((x) => x.name === 'unified');
  assert.deepEqual(lines, [
    { type: 'attached_probes', data: { probes: 1 } },
    { type: 'value', data: year },
    { type: 'map', data: { '@c': unified ? 'unified:/' : '' } },
    { type: 'map', data: { '@k': Number(kallsymsAddress('vfs_read')!) } },
    { type: 'map', data: { '@t': year } },
  ]);
  // Exactly, not through a float: the address is printed as a bare 64-bit integer.
  assert.ok(r.stdout.includes(`{"type": "map", "data": {"@k": ${kallsymsAddress('vfs_read')}}}\n`), r.stdout);
});

test('cgroup_path(cgroup) in BEGIN names sonde\'s own cgroup2 group, as /proc/self/cgroup does', needsRoot, (t) => {
  if (!cgroupRoots().some((x) => x.name === 'unified')) return t.skip('no cgroup2 mount');
  // sonde inherits this process's cgroup; its "0::/path" line is the cgroup2 one.
  const own = /^0::(\S+)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))![1]!;
  const r = sonde(['-e', 'BEGIN { printf("%s\\n", cgroup_path(cgroup, "unified")); exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `Attaching 1 probe...\nunified:${own}\n\n\n`);
});

test('uaddr() in a usdt probe: the probe\'s own semaphore reads 1 while sonde is attached (a 2-byte variable)', needsRoot, async () => {
  const bin = await buildFixture('usdt_target-nopie');
  const r = sonde(['-e', `usdt:${bin}:sonde:tick { printf("%d %d %d\\n", arg0, *uaddr("sonde_tick_semaphore"), sizeof(*uaddr("sonde_tick_semaphore"))); }`, '-c', `${bin} 3`]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').sort(), ['', '', '', '0 1 2', '1 1 2', '2 1 2', 'Attaching 1 probe...', 'enabled=3'].sort());
});

test('uaddr() in a PIE: right in a uprobe at a function (ip-relative), a warning where it cannot be (uretprobe)', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  // sonde_target_c runs after the loop (3 adds): the counter is 3, 4, 5 at its three entries.
  const r = sonde(['-e', `uprobe:${bin}:sonde_target_c { printf("%d\\n", *uaddr("sonde_target_counter")); }`, '-c', `${bin} 3`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.deepEqual(r.stdout.split('\n').sort(), ['', '', '', '3', '4', '5', 'Attaching 1 probe...', 'loop=6 chain=30 twins=300'].sort());
  const ret = sonde(['-e', `uretprobe:${bin}:sonde_target_c { @ = *uaddr("sonde_target_counter"); }`, '-c', `${bin} 1`]);
  assert.match(ret.stderr, /^stdin:1:\d+: warning: uaddr\("sonde_target_counter"\): \S+ is position-independent; this is the symbol's link-time address, not where the process maps it/);
});

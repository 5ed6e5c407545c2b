// Scripts through bin/sonde as a user runs them: output, -c, signals, timers, uprobes, -o, -v,
// errors, and that a finished run leaves no program, map or link behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { onlineCpus } from '../../src/kernel/cpus.js';
import { BpfCmd, getNextId } from '../../src/sys/index.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
const NOTIFY = { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' };

function sonde(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, ...opts });
}

interface Running {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Starts sonde and resolves once it says its probes are attached. */
async function attached(args: string[]): Promise<Running> {
  const proc = spawn(SONDE, args, { env: NOTIFY, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n')) resolve();
    });
    void exited.then((c) => reject(new Error(`sonde exited (${c}) before attaching: ${err}`)));
  });
  return { proc, out: () => out, err: () => err, exited };
}

/** The BPF objects a process holds, from /proc/PID/fdinfo. */
function bpfObjects(pid: number): { prog: number[]; map: number[]; link: number[] } {
  const o = { prog: [] as number[], map: [] as number[], link: [] as number[] };
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch { continue; }
    for (const m of text.matchAll(/^(prog|map|link)_id:\s*(\d+)$/gm)) o[m[1] as 'prog' | 'map' | 'link'].push(Number(m[2]));
  }
  return o;
}

function liveIds(cmd: number): Set<number> {
  const ids = new Set<number>();
  for (let id = getNextId(cmd, 0); id > 0; id = getNextId(cmd, id)) ids.add(id);
  return ids;
}

test('BEGIN/END, exit() and the maps printed at the end, as bpftrace prints them', needsRoot, () => {
  const r = sonde(['-e', 'BEGIN { printf("hello %d\\n", 42); @c[2] = count(); @c[1] = count(); @c[1] = count(); @s = sum(5); exit(); printf("not this\\n"); } END { printf("end\\n"); }']);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'Attaching 2 probes...\nhello 42\nend\n\n\n@c[2]: 1\n@c[1]: 2\n@s: 5\n');
});

test('-e with positional parameters, -q, a script file and a script on stdin', needsRoot, () => {
  const prog = 'BEGIN { printf("%s and %d\\n", str($1), $2); exit(); }';
  assert.equal(sonde(['-q', '-e', prog, 'abc', '7']).stdout, 'abc and 7\n\n\n');
  const dir = mkdtempSync(join(tmpdir(), 'sonde-cli-'));
  try {
    const file = join(dir, 'hello.bt');
    spawnSync('sh', ['-c', `cat > ${file}`], { input: prog });
    assert.equal(sonde([file, 'xyz', '3']).stdout, 'Attaching 1 probe...\nxyz and 3\n\n\n');
    assert.equal(sonde(['-', 'from-stdin', '1'], { input: prog }).stdout, 'Attaching 1 probe...\nfrom-stdin and 1\n\n\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('-c: a command\'s 1000 openat calls, counted with pid == cpid; the run ends with the command', needsRoot, async () => {
  const bin = await buildFixture('open_now');
  const count = (n: number): number => {
    const r = sonde(['-e', 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @ = count(); }', '-c', `${bin} ${n} /etc/hostname`]);
    assert.equal(r.status, 0, r.stderr);
    const m = /^Attaching 1 probe\.\.\.\n\n\n@: (\d+)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    return Number(m[1]);
  };
  // The command runs from its first instruction under the probes: its dynamic loader's opens
  // (ld.so.cache, libc) count too, exactly as with bpftrace -c.
  const loader = count(0);
  assert.ok(loader >= 1 && loader <= 5, `loader opens: ${loader}`);
  assert.equal(count(1000), 1000 + loader);
});

test('-c: a static command that opens a file exactly 1000 times prints @: 1000', needsRoot, async () => {
  // Linked statically, the command has no dynamic loader opening ld.so.cache and libc first.
  const bin = await buildFixture('open_now-static');
  const r = sonde(['-e', 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @ = count(); }', '-c', `${bin} 1000 /etc/hostname`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\n\n\n@: 1000\n');
});

test('-c with a missing command is an error before anything is attached', needsRoot, () => {
  const r = sonde(['-e', 'BEGIN { exit(); }', '-c', 'no-such-command-here arg']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "ERROR: cannot run 'no-such-command-here': no such executable file in PATH\n");
});

test('a uprobe on a function called N times counts N; uretprobe sees its return value', needsRoot, async () => {
  const bin = await buildFixture('uprobe_target');
  const r = sonde(['-e', `uprobe:${bin}:sonde_target_add { @calls = count(); } uretprobe:${bin}:sonde_target_loop { @ret = retval; }`, '-c', `${bin} 77`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `Attaching 2 probes...\nloop=${(77 * 78) / 2} chain=${Array.from({ length: 77 }, (_, i) => (2 * i + 1) * 3 + 1).reduce((a, b) => a + b)} twins=300\n\n\n@calls: 77\n@ret: ${(77 * 78) / 2}\n`);
});

test('profile:hz:99 samples every online CPU; interval:ms:100 fires ten times a second', needsRoot, () => {
  // cpu-clock does not tick on an idle CPU (NO_HZ): keep every CPU busy for the run. Each spinner
  // also ends by itself, so a failing test cannot leave one behind.
  const spinners = onlineCpus().map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 3000; while (Date.now() < end);'], { stdio: 'ignore' }));
  // Counting stops in the kernel at 2 s: events between exit() and the detach do not count.
  let r: ReturnType<typeof sonde>;
  try {
    r = sonde(['-e', 'profile:hz:99 /@stop == 0/ { @cpu[cpu] = count(); } interval:ms:100 /@stop == 0/ { @ticks = count(); } interval:s:2 { @stop = 1; exit(); }']);
  } finally {
    for (const x of spinners) x.kill('SIGKILL');
  }
  assert.equal(r.status, 0, r.stderr);
  const cpus = new Map([...r.stdout.matchAll(/^@cpu\[(\d+)\]: (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]));
  assert.deepEqual([...cpus.keys()].sort((a, b) => a - b), onlineCpus());
  // 99 Hz for 2 s on each (busy) CPU. Frequency mode lets the kernel adjust the period,
  // and a busy (virtual) machine loses samples: well above zero, never above the rate.
  // The 2 s are the kernel's timers' (interval:s:2 sets @stop): on a loaded machine they can run
  // late, so the ceiling is loose; the point is samples on every CPU, at roughly the rate.
  for (const [cpu, n] of cpus) assert.ok(n >= 40 && n <= 600, `cpu ${cpu}: ${n} samples`);
  const ticks = Number(/^@ticks: (\d+)$/m.exec(r.stdout)?.[1]);
  assert.ok(ticks >= 15 && ticks <= 21, `interval:ms:100 over 2 s: ${ticks}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: END runs, maps are printed, exit status 0, nothing left in the kernel`, needsRoot, async () => {
    const s = await attached(['-e', 'BEGIN { printf("begin\\n"); @b = 1; } tracepoint:syscalls:sys_enter_openat { @opens = count(); } END { printf("end\\n"); @e = 2; }']);
    const held = bpfObjects(s.proc.pid!);
    assert.ok(held.prog.length >= 3 && held.map.length >= 3, JSON.stringify(held));
    s.proc.kill(signal);
    assert.equal(await s.exited, 0, s.err());
    assert.match(s.out(), /^Attaching 3 probes\.\.\.\nbegin\nend\n\n\n@b: 1\n@e: 2\n@opens: \d+\n$/);
    assert.equal(s.err(), '__BPFTRACE_NOTIFY_PROBES_ATTACHED\n');
    // Programs are freed after an RCU grace period, and the maps they used after that: poll.
    const left = (): string[] => {
      const progs = liveIds(BpfCmd.PROG_GET_NEXT_ID);
      const maps = liveIds(BpfCmd.MAP_GET_NEXT_ID);
      const links = liveIds(BpfCmd.LINK_GET_NEXT_ID);
      return [
        ...held.prog.filter((id) => progs.has(id)).map((id) => `program ${id}`),
        ...held.map.filter((id) => maps.has(id)).map((id) => `map ${id}`),
        ...held.link.filter((id) => links.has(id)).map((id) => `link ${id}`),
      ];
    };
    for (let i = 0; i < 100 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(left(), []);
    // What could outlive the process: dynamic events created through tracefs.
    for (const f of ['/sys/kernel/tracing/kprobe_events', '/sys/kernel/tracing/uprobe_events']) {
      if (existsSync(f)) assert.doesNotMatch(readFileSync(f, 'utf8'), /sonde/);
    }
  });
}

test('-o FILE gets the output; the two line feeds before the maps still go to stdout, as in bpftrace', needsRoot, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-cli-'));
  try {
    const file = join(dir, 'out.txt');
    const r = sonde(['-o', file, '-e', 'BEGIN { printf("x\\n"); @a = 1; exit(); }']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\n\n');
    assert.equal(readFileSync(file, 'utf8'), 'Attaching 1 probe...\nx\n@a: 1\n');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('-v: verifier logs while loading, run counts and ns per run at exit', needsRoot, () => {
  const r = sonde(['-v', '-e', 'interval:ms:10 { @ = count(); } interval:ms:300 { exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /verifier log for \S+ \(interval:ms:10\):\n(.*\n)*processed \d+ insns/);
  const m = /^\S+ \(interval:ms:10\): (\d+) runs, \d+ ns\/run$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  // The kernel's run count is the program's own count of its runs: exactly what @ counted (how
  // many there were depends on when the exit event is read, which a loaded machine delays).
  assert.ok(Number(m[1]) >= 20, `runs: ${m[1]}`);
  assert.match(r.stdout, new RegExp(`\\n@: ${m[1]}\\n`));
});

test('a syntax error: file:line:col, the line, a caret; status 1; nothing attached', () => {
  const r = sonde(['-e', 'BEGIN { @x = count() @y = 1; }']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "stdin:1:22: ERROR: expected ';' or '}' after statement, found map @y\nBEGIN { @x = count() @y = 1; }\n                     ^~\n");
});

test("option and input errors, in bpftrace's words (ERROR: …)", () => {
  const p = sonde(['-p', '4194303', '-e', 'BEGIN { exit(); }']);
  assert.equal(p.status, 1);
  assert.equal(p.stderr, 'ERROR: -p 4194303: no such process\n');
  for (const pid of ['a1111', '111a1', 'not_a_pid']) {
    const bad = sonde(['-p', pid, 'file.bt']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`^ERROR: pid '${pid}' is not a valid decimal number\\n`));
  }
  const big = sonde(['-p', '5000000', 'file.bt']);
  assert.equal(big.status, 1);
  assert.match(big.stderr, /^ERROR: pid '5000000' out of valid pid range \[1,4194304\]\n/);
  const f = sonde(['/no/such/script.bt']);
  assert.equal(f.status, 1);
  assert.equal(f.stderr, "ERROR: failed to open file '/no/such/script.bt': No such file or directory\n");
  const j = sonde(['-q', '-f', 'jsonx', '-e', 'BEGIN { exit(); }']);
  assert.equal(j.status, 1);
  assert.match(j.stderr, /^ERROR: Invalid output format "jsonx"\n-f: the output format is text \(the default\) or json\n/);
  const o = sonde(['-Z', '-e', 'BEGIN {}']);
  assert.equal(o.status, 1);
  assert.match(o.stderr, /^ERROR: unknown option '-Z'\n\nsonde \d/);
  const none = sonde([]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /^sonde \d+\.\d+\.\d+ — /);
  const b = sonde(['-B', 'sometimes', '-e', 'BEGIN {}']);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /^ERROR: -B: invalid buffering mode 'sometimes' \(none, line or full\)\n/);
});

test('-l lists tracepoints (with -v their fields), software events, a binary\'s functions', needsRoot, async () => {
  const t = sonde(['-l', 'tracepoint:syscalls:sys_enter_openat*']);
  assert.equal(t.status, 0, t.stderr);
  assert.equal(t.stdout, 'tracepoint:syscalls:sys_enter_openat\ntracepoint:syscalls:sys_enter_openat2\n');
  const v = sonde(['-lv', 't:syscalls:sys_enter_openat']);
  assert.equal(v.stdout, 'tracepoint:syscalls:sys_enter_openat\n    int __syscall_nr\n    int dfd\n    const char * filename\n    int flags\n    umode_t mode\n');
  const s = sonde(['-l', 'software:cpu*']);
  assert.equal(s.stdout, 'software:cpu-clock:\nsoftware:cpu-migrations:\n');
  const bin = await buildFixture('uprobe_target');
  const u = sonde(['-l', `uprobe:${bin}:sonde_target_?`]);
  assert.equal(u.stdout, ['a', 'b', 'c'].map((x) => `uprobe:${bin}:sonde_target_${x}\n`).join(''));
  const all = sonde(['-l']);
  assert.match(all.stdout, /^tracepoint:sched:sched_switch$/m);
  assert.match(all.stdout, /^hardware:cpu-cycles:$/m);
  const bare = sonde(['-l', '*sys_enter_openat2']);
  assert.equal(bare.stdout, 'tracepoint:syscalls:sys_enter_openat2\n');
});

test('-d prints the AST, each program\'s IR and instructions, and attaches nothing', needsRoot, () => {
  const r = sonde(['-d', '-e', 'tracepoint:syscalls:sys_enter_openat { @ = count(); }']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^AST\n---\nProgram stdin\n {2}probe\n {4}attach tracepoint:syscalls:sys_enter_openat/);
  assert.match(r.stdout, /\n\S+: tracepoint:syscalls:sys_enter_openat \(tracepoint; attach: tracepoint:syscalls:sys_enter_openat\)\n-+\nIR\nprogram /);
  assert.match(r.stdout, /\ninstructions\n {3}0: \(.*\n(.*\n)* +\d+: \(95\) exit\n/);
  assert.match(r.stdout, /\nmaps\n {2}@ \(\S+\): /);
  assert.doesNotMatch(r.stdout, /Attaching/);
});

test('-f json: bpftrace\'s JSON lines', needsRoot, () => {
  const r = sonde(['-f', 'json', '-e', 'BEGIN { printf("hi %d\\n", 5); @x = count(); @h = hist(5); @s["a"] = 1; exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    '{"type": "attached_probes", "data": {"probes": 1}}',
    '{"type": "printf", "data": "hi 5\\n"}',
    '', '',
    '{"type": "hist", "data": {"@h": [{"min": 4, "max": 7, "count": 1}]}}',
    '{"type": "map", "data": {"@s": {"a": 1}}}',
    '{"type": "map", "data": {"@x": 1}}',
    '',
  ].join('\n'));
});

test('a reader that goes away (| head) ends the run, as SIGTERM does', needsRoot, () => {
  const t0 = Date.now();
  const r = spawnSync('sh', ['-c', `'${SONDE}' -e 'interval:ms:10 { printf("line\\n"); }' | head -3`], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stdout, 'Attaching 1 probe...\nline\nline\n');
  assert.ok(Date.now() - t0 < 10_000, 'sonde ended soon after head did');
});

test('SIGUSR1 prints every map while the script keeps running', needsRoot, async () => {
  // A probe besides BEGIN keeps the script running (one with only BEGIN/END ends by itself, as
  // in bpftrace >= 0.20).
  const s = await attached(['-e', 'BEGIN { @a = 1; @b[2] = 3; } interval:s:1000 { }']);
  // BEGIN's map updates are done before the probes are attached: they are there to print.
  s.proc.kill('SIGUSR1');
  const deadline = Date.now() + 10_000;
  while (!s.out().includes('@b[2]: 3\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  s.proc.kill('SIGINT');
  assert.equal(await s.exited, 0, s.err());
  assert.equal(s.out(), 'Attaching 2 probes...\n@a: 1\n@b[2]: 3\n\n\n@a: 1\n@b[2]: 3\n');
});

test('-c: the command\'s reads count as bpftrace counts them (its pause is one read, entered before attaching)', needsRoot, () => {
  const prog = 'tracepoint:syscalls:sys_enter_read /pid == cpid/ { @en = count(); } tracepoint:syscalls:sys_exit_read /pid == cpid/ { @ex = count(); }';
  const r = sonde(['-e', prog, '-c', '/bin/true']);
  assert.equal(r.status, 0, r.stderr);
  const en = Number(/^@en: (\d+)$/m.exec(r.stdout)?.[1]);
  const ex = Number(/^@ex: (\d+)$/m.exec(r.stdout)?.[1]);
  // The only read that returns without having entered under the probes is the pause itself.
  assert.equal(ex - en, 1, r.stdout);
  if (existsSync('/usr/bin/bpftrace')) {
    const b = spawnSync('/usr/bin/bpftrace', ['-e', prog, '-c', '/bin/true'], { encoding: 'utf8', timeout: 60_000 });
    if (b.status === 0) assert.equal(r.stdout.replace(/^.*\n/, ''), b.stdout.replace(/^.*\n/, ''), 'the same counts as bpftrace 0.17');
  }
});

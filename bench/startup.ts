// Start-up cost, sonde next to bpftrace: whole runs of `BEGIN { exit(); }` (compile, load, run,
// exit), `--info`, and one-liners that attach before they exit (a uprobe on bash, gethostlatency's
// uprobes on libc, a tracepoint reading pid and comm); wall time, CPU time (user + system, all
// threads: perf stat's task-clock, which on a loaded machine moves far less than wall time) and
// peak RSS, median of N runs, sonde and bpftrace run in turn so that other jobs on the machine
// weigh on both alike. Also: Node's own start-up (`node` on an empty
// file: the floor for sonde), which path bin/sonde took (bundle with code cache, …) and when sonde
// made its first bpf() call.
// Usage: node dist/bench/startup.js [--runs=10] [--only=REGEX]   (needs root and /usr/bin/time; perf for CPU)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const SONDE = fileURLToPath(new URL('../../bin/sonde', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Sample { wall: number; cpu?: number; rss: number; stderr: string }

const perf = spawnSync('sh', ['-c', 'command -v perf'], { encoding: 'utf8' }).stdout.trim();
const perfOut = join(mkdtempSync(join(tmpdir(), 'sonde-bench-perf-')), 'stat');

/**
 * One run: wall seconds (our clock around the child: GNU time's %e has 10 ms steps), CPU ms (perf
 * stat's task-clock of the whole run, GNU time's own ~0.5 ms included) and max RSS (KiB).
 */
function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const timed = ['/usr/bin/time', '-f', 'TIME %M', ...cmd];
  const full = perf ? [perf, 'stat', '-x,', '-e', 'task-clock', '-o', perfOut, '--', ...timed] : timed;
  const t = process.hrtime.bigint();
  const r = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', env });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  const m = /TIME (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no RSS from /usr/bin/time: ${r.stderr}`);
  const c = perf ? /^([\d.]+),msec,task-clock/m.exec(readFileSync(perfOut, 'utf8')) : null;
  return { wall, rss: Number(m[1]), stderr: r.stderr, ...(c ? { cpu: Number(c[1]) } : {}) };
}

interface Row { name: string; wall: number; cpu?: number; rss: number; first?: number; path?: string }

/** Runs the commands in turn, `runs` times each after one warm-up run (page cache), and summarises each. */
function bench(cmds: { name: string; cmd: string[]; env?: NodeJS.ProcessEnv }[]): Row[] {
  for (const c of cmds) measure(c.cmd, c.env);
  const samples = cmds.map(() => [] as Sample[]);
  for (let i = 0; i < runs; i++) cmds.forEach((c, j) => samples[j]!.push(measure(c.cmd, c.env)));
  return cmds.map((c, j) => {
    const s = samples[j]!;
    const firsts = s.flatMap((x) => /first bpf\(\) \(\w+\) at ([\d.]+) ms/.exec(x.stderr)?.[1] ?? []).map(Number);
    const paths = new Set(s.flatMap((x) => /^sonde: start-up: (.*?)(?: \(.*\))?$/m.exec(x.stderr)?.[1] ?? []));
    return {
      name: c.name, wall: median(s.map((x) => x.wall)), rss: median(s.map((x) => x.rss)),
      ...(s.every((x) => x.cpu !== undefined) ? { cpu: median(s.map((x) => x.cpu!)) } : {}),
      ...(firsts.length ? { first: median(firsts) } : {}),
      ...(paths.size ? { path: [...paths].join(' / ') } : {}),
    };
  });
}

if (!existsSync('/usr/bin/time')) throw new Error('needs GNU time (apt-get install time)');
const bpftrace = spawnSync('sh', ['-c', 'command -v bpftrace'], { encoding: 'utf8' }).stdout.trim();
const timing = { ...process.env, SONDE_STARTUP_TIMING: '1' };
const empty = join(mkdtempSync(join(tmpdir(), 'sonde-bench-')), 'empty.cjs');
writeFileSync(empty, '');
/** gethostlatency's uprobes and uretprobes on libc (the script `sonde gethostlatency -v` shows), exiting once attached. */
const GETHOSTLATENCY = 'uprobe:libc:getaddrinfo,uprobe:libc:gethostbyname,uprobe:libc:gethostbyname2 { @start[tid] = nsecs; @host[tid] = arg0; } '
  + 'uretprobe:libc:getaddrinfo,uretprobe:libc:gethostbyname,uretprobe:libc:gethostbyname2 /@start[tid]/ { '
  + 'printf("%d %s %llu %s\\n", pid, comm, nsecs - @start[tid], str(@host[tid])); delete(@start[tid]); delete(@host[tid]); } BEGIN { exit(); }';
const pairs: [string[], string][] = ([
  [['-e', 'BEGIN { exit(); }'], "-e 'BEGIN { exit(); }'"],
  [['--info'], '--info'],
  [['-e', 'uprobe:/bin/bash:readline { exit(); } BEGIN { exit(); }'], '-e uprobe:/bin/bash:readline'],
  [['-e', GETHOSTLATENCY], '-e gethostlatency (6 uprobes)'],
  [['-e', 'tracepoint:syscalls:sys_enter_openat /pid == 1/ { printf("%s\\n", comm); } BEGIN { exit(); }'], '-e tracepoint, pid + comm'],
] as [string[], string][]).filter(([, shown]) => only === undefined || new RegExp(only).test(shown));
const rows: [Row, Row | undefined][] = pairs.map(([args, shown]) => {
  const r = bench([
    { name: `sonde ${shown}`, cmd: [SONDE, ...args], env: timing },
    ...(bpftrace ? [{ name: `bpftrace ${shown}`, cmd: [bpftrace, ...args] }] : []),
  ]);
  return [r[0]!, r[1]];
});
const [node] = bench([{ name: 'node (empty file)', cmd: [process.execPath, empty] }]);
rmSync(join(empty, '..'), { recursive: true, force: true });
rmSync(join(perfOut, '..'), { recursive: true, force: true });

console.log(`runs: ${runs} (median), node ${process.version}, NODE_EXTRA_CA_CERTS ${process.env['NODE_EXTRA_CA_CERTS'] ? 'set' : 'unset'}`);
console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('command                                        wall(s)  CPU(ms)  maxRSS(MB)  first bpf() (ms)');
const line = (r: Row): string => `${r.name.padEnd(46)} ${r.wall.toFixed(3).padStart(7)}  ${r.cpu !== undefined ? r.cpu.toFixed(1).padStart(7) : '      -'}  ${(r.rss / 1024).toFixed(1).padStart(10)}  ${r.first !== undefined ? r.first.toFixed(1).padStart(16) : '               -'}`;
for (const [s, b] of rows) {
  console.log(line(s) + (s.path ? `   (${s.path})` : ''));
  if (b) console.log(line(b));
  if (b) console.log(`  ratio sonde/bpftrace: wall ${(s.wall / b.wall).toFixed(2)}${s.cpu !== undefined && b.cpu !== undefined ? `, CPU ${(s.cpu / b.cpu).toFixed(2)}` : ''}, RSS ${(s.rss / b.rss).toFixed(2)}`);
}
console.log(line(node!));

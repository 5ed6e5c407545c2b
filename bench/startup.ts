// Start-up cost, sonde next to bpftrace: a whole `BEGIN { exit(); }` run (compile, load, run,
// exit) and `--info`; wall time and peak RSS, median of N runs, sonde and bpftrace run in turn so
// that other jobs on the machine weigh on both alike. Also: Node's own start-up (`node` on an empty
// file: the floor for sonde), which path bin/sonde took (bundle with code cache, …) and when sonde
// made its first bpf() call.
// Usage: node dist/bench/startup.js [--runs=10]   (needs root and /usr/bin/time)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
const SONDE = fileURLToPath(new URL('../../bin/sonde', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Sample { wall: number; rss: number; stderr: string }

/** One run: wall seconds (our clock around the child: GNU time's %e has 10 ms steps) and max RSS (KiB). */
function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %M', ...cmd], { encoding: 'utf8', env });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  const m = /TIME (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no RSS from /usr/bin/time: ${r.stderr}`);
  return { wall, rss: Number(m[1]), stderr: r.stderr };
}

interface Row { name: string; wall: number; rss: number; first?: number; path?: string }

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
const pairs: [string[], string][] = [[['-e', 'BEGIN { exit(); }'], "-e 'BEGIN { exit(); }'"], [['--info'], '--info']];
const rows: [Row, Row | undefined][] = pairs.map(([args, shown]) => {
  const r = bench([
    { name: `sonde ${shown}`, cmd: [SONDE, ...args], env: timing },
    ...(bpftrace ? [{ name: `bpftrace ${shown}`, cmd: [bpftrace, ...args] }] : []),
  ]);
  return [r[0]!, r[1]];
});
const [node] = bench([{ name: 'node (empty file)', cmd: [process.execPath, empty] }]);
rmSync(join(empty, '..'), { recursive: true, force: true });

console.log(`runs: ${runs} (median), node ${process.version}, NODE_EXTRA_CA_CERTS ${process.env['NODE_EXTRA_CA_CERTS'] ? 'set' : 'unset'}`);
console.log('command                           wall(s)  maxRSS(MB)  first bpf() (ms)');
const line = (r: Row): string => `${r.name.padEnd(33)} ${r.wall.toFixed(3).padStart(7)}  ${(r.rss / 1024).toFixed(1).padStart(10)}  ${r.first !== undefined ? r.first.toFixed(1).padStart(16) : '               -'}`;
for (const [s, b] of rows) {
  console.log(line(s) + (s.path ? `   (${s.path})` : ''));
  if (b) console.log(line(b));
  if (b) console.log(`  ratio sonde/bpftrace: wall ${(s.wall / b.wall).toFixed(2)}, RSS ${(s.rss / b.rss).toFixed(2)}`);
}
console.log(line(node!));

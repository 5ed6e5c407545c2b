// Start-up cost: `sonde --info` next to `bpftrace --info` (wall time and peak RSS, median of N
// runs), and how long after process start sonde makes its first bpf() call.
// Usage: node dist/bench/startup.js [--runs=10]   (needs root and /usr/bin/time)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
const SONDE = fileURLToPath(new URL('../../bin/sonde', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall seconds and max RSS (KiB) of one run, from GNU time. */
function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): { wall: number; rss: number; stderr: string } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', ...cmd], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr}`);
  return { wall: Number(m[1]), rss: Number(m[2]), stderr: r.stderr };
}

function bench(name: string, cmd: string[], env?: NodeJS.ProcessEnv) {
  measure(cmd, env); // warm the page cache
  const walls: number[] = [];
  const rsss: number[] = [];
  const firsts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = measure(cmd, env);
    walls.push(r.wall);
    rsss.push(r.rss);
    const f = /first bpf\(\) \(\w+\) at ([\d.]+) ms/.exec(r.stderr);
    if (f) firsts.push(Number(f[1]));
  }
  return { name, wall: median(walls), rss: median(rsss), first: firsts.length ? median(firsts) : undefined };
}

if (!existsSync('/usr/bin/time')) throw new Error('needs GNU time (apt-get install time)');
const rows = [bench('sonde --info', [SONDE, '--info'], { ...process.env, SONDE_STARTUP_TIMING: '1' })];
const bpftrace = spawnSync('sh', ['-c', 'command -v bpftrace'], { encoding: 'utf8' }).stdout.trim();
if (bpftrace) rows.push(bench('bpftrace --info', [bpftrace, '--info']));
console.log(`runs: ${runs} (median)`);
console.log('command            wall(s)  maxRSS(MB)  first bpf() (ms)');
for (const r of rows) {
  console.log(`${r.name.padEnd(18)} ${r.wall.toFixed(3).padStart(7)}  ${(r.rss / 1024).toFixed(1).padStart(10)}  ${r.first !== undefined ? r.first.toFixed(1).padStart(16) : '               -'}`);
}
if (rows.length === 2) {
  console.log(`ratio sonde/bpftrace: wall ${(rows[0]!.wall / rows[1]!.wall).toFixed(2)}, RSS ${(rows[0]!.rss / rows[1]!.rss).toFixed(2)}`);
}

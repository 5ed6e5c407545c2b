// Start-up of each classic tool: the time from exec to its "Tracing…" banner (printed once every
// probe is attached), sonde next to bpftrace running (a) its own .bt of the tool where it ships
// one, and (b) the very script sonde generated for the tool (what `sonde <tool> -v` prints), each
// timed to its first output after "Attaching N probes..." (a BEGIN printf: bpftrace runs BEGIN
// once everything is attached). Median of N runs, the three run in turn so that other jobs on the
// machine weigh on all alike. A .bt that cannot run on this kernel (kprobes) is reported as such.
// Next to each time, the CPU time the process had used by then (its threads' /proc schedstat run
// times, read the moment the line appears): on a loaded machine wall-clock times mostly measure
// the other jobs, CPU time much less so.
// Usage: node dist/bench/tools-startup.js [--runs=5] [--tools=a,b]   (needs root)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOLS } from '../src/tools/index.js';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 5);
const only = process.argv.find((a) => a.startsWith('--tools='))?.slice(8).split(',');
const SONDE = fileURLToPath(new URL('../../bin/sonde', import.meta.url));
const bpftrace = spawnSync('sh', ['-c', 'command -v bpftrace'], { encoding: 'utf8' }).stdout.trim();

/** Arguments a tool needs to start at all (the rest start with none). */
const ARGS: Record<string, string[]> = {
  funccount: ['t:syscalls:sys_enter_openat'],
  trace: ['t:syscalls:sys_enter_openat'],
  argdist: ['-C', 't:syscalls:sys_enter_openat():int:args->flags'],
  funclatency: ['c:malloc'],
};

/** Tools that need something this benchmark does not start (a mysqld with USDT probes). */
const SKIP: Record<string, string> = { mysqld_qslower: 'needs a running mysqld with USDT probes' };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Run { ms?: number; cpu?: number; error?: string; stderr: string }

/** CPU time (ms) process `pid` has used so far, all its threads (live ones: the run time of /proc/PID/task/N/schedstat). */
function cpuMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}

/** Starts `cmd`, resolves when `ready` matches its output (ms since spawn), then ends it with SIGINT. */
function timeTo(cmd: string[], ready: (out: string, err: string) => boolean, timeoutMs = 30000): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ms: number | undefined;
    let cpu: number | undefined;
    const check = (): void => {
      if (ms === undefined && ready(out, err)) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        cpu = p.pid !== undefined ? cpuMs(p.pid) : undefined;
        p.kill('SIGINT');
      }
    };
    p.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()));
    p.stderr.on('data', (d: Buffer) => ((err += d.toString()), check()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      const lines = (err || out).trim().split('\n');
      // (bpftrace 0.17 always says "couldn't set RLIMIT_MEMLOCK", harmlessly, on this kernel.)
      const why = lines.find((l) => /ERROR|FATAL|error:|Error/.test(l) && !/RLIMIT_MEMLOCK/.test(l)) ?? lines.at(-1) ?? '';
      if (ms !== undefined) resolve({ ms, ...(cpu !== undefined ? { cpu } : {}), stderr: err });
      else resolve({ error: `exit ${code}: ${why.replace(/^(stdin|\/[^:]*):\d+(:\d+)?(-\d+)?: /, '')}`.slice(0, 80), stderr: err });
    });
  });
}

const bannerSeen = (_o: string, e: string): boolean => /^(Tracing|Sampling)\b.*$/m.test(e);
/** bpftrace: the first line after "Attaching N probes..." (BEGIN's printf), on stdout. */
const afterAttach = (o: string): boolean => /Attaching \d+ probes?\.\.\.\n.*\S.*\n/.test(o);

/** The script sonde generates for a tool, from its -v report. */
async function sondeScript(name: string): Promise<string | undefined> {
  const r = await timeTo([SONDE, name, '-v', ...(ARGS[name] ?? [])], (_o, e) => /\n-{14}\n/.test(e));
  const m = /--- script ---\n([\s\S]*?)\n-{14}\n/.exec(r.stderr);
  return m?.[1];
}

interface Row { tool: string; sonde: string; bt: string; same: string }
const fmt = (xs: Run[]): string => {
  const ok = xs.flatMap((x) => (x.ms !== undefined ? [x.ms] : []));
  if (ok.length !== xs.length) return `fails: ${xs.find((x) => x.error)?.error ?? '?'}`;
  // bpftrace goes on without the probes it could not attach (kprobes on this kernel): say so.
  const skipped = new Set(xs.flatMap((x) => [...x.stderr.matchAll(/could not attach probe (\S+?),? skipping/g)].map((m) => m[1]!)));
  const cpus = xs.flatMap((x) => (x.cpu !== undefined ? [x.cpu] : []));
  const cpu = cpus.length === xs.length ? ` (CPU ${median(cpus).toFixed(0)} ms)` : '';
  return `${median(ok).toFixed(0)} ms${cpu}${skipped.size ? ` (without ${[...skipped].join(' ')}: not attached)` : ''}`;
};

const dir = mkdtempSync(join(tmpdir(), 'sonde-tools-bench-'));
const rows: Row[] = [];
for (const t of TOOLS) {
  if (only && !only.includes(t.name)) continue;
  if (SKIP[t.name]) {
    rows.push({ tool: t.name, sonde: `not run: ${SKIP[t.name]}`, bt: existsSync(`/usr/sbin/${t.name}.bt`) ? 'not run' : 'no .bt', same: 'not run' });
    continue;
  }
  const bt = `/usr/sbin/${t.name}.bt`;
  const script = bpftrace ? await sondeScript(t.name) : undefined;
  const same = script !== undefined ? join(dir, `${t.name}.bt`) : undefined;
  if (same) writeFileSync(same, `BEGIN { printf("Tracing\\n"); }\n${script}\n`);
  const s: Run[] = [];
  const b: Run[] = [];
  const g: Run[] = [];
  await timeTo([SONDE, t.name, ...(ARGS[t.name] ?? [])], bannerSeen); // warm-up (page cache)
  for (let i = 0; i < runs; i++) {
    s.push(await timeTo([SONDE, t.name, ...(ARGS[t.name] ?? [])], bannerSeen));
    if (bpftrace && existsSync(bt)) b.push(await timeTo([bpftrace, bt], afterAttach));
    if (bpftrace && same) g.push(await timeTo([bpftrace, same], afterAttach));
  }
  rows.push({ tool: t.name, sonde: fmt(s), bt: b.length ? fmt(b) : 'no .bt', same: g.length ? fmt(g) : script === undefined ? 'no script' : '-' });
  process.stderr.write(`${t.name} done\n`);
}
rmSync(dir, { recursive: true, force: true });

console.log(`runs: ${runs} (median), node ${process.version}, ${bpftrace ? spawnSync(bpftrace, ['--version'], { encoding: 'utf8' }).stdout.trim() : 'no bpftrace'}`);
console.log('| tool | sonde <tool> to "Tracing…" | bpftrace <tool>.bt to first output | bpftrace running sonde\'s script |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.tool} | ${r.sonde} | ${r.bt} | ${r.same} |`);

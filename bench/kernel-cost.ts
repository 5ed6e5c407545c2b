// In-kernel cost per event, sonde vs bpftrace, from the kernel's BPF run-time statistics
// (BPF_ENABLE_STATS: each program's run count and nanoseconds, on only while this runs).
//
// Three ways of measuring, each repeated in alternating rounds (medians are printed):
// - alone: each tracer runs the script by itself on an identical workload (the same command with
//   the same event count), sonde and bpftrace in turn, the order swapped every round. Nothing
//   warms caches for anyone: the fairest figure.
// - sonde-first / bpftrace-first: both tracers run the script at the same time on the same
//   events. The program attached first runs first on every event and warms caches (the
//   tracepoint's record, the map and helper code) for the second, so both orders are shown.
//
// Usage: node dist/bench/kernel-cost.js [--events=200000] [--rounds=5]
//          [--modes=alone,sonde-first,bpftrace-first] [--only=SUBSTRING] [--tracers=sonde,bpftrace]
//          [--script='PROGRAM' --workload=read|openat] [--verbose]   (root; bpftrace installed unless --tracers=sonde with --modes=alone)
// --verbose prints every round on stderr, with each program's ns per run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { enableStats, close } from '../src/sys/index.js';
import { programById } from '../src/bpf/inspect.js';

const SONDE = fileURLToPath(new URL('../../bin/sonde', import.meta.url));
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const events = Number(arg('events') ?? 200000);
const rounds = Number(arg('rounds') ?? 5);
const only = arg('only');
const verbose = process.argv.includes('--verbose');
type TracerName = 'sonde' | 'bpftrace';
type Mode = 'alone' | 'sonde-first' | 'bpftrace-first';
const modes = (arg('modes') ?? 'alone,sonde-first,bpftrace-first').split(',') as Mode[];
const tracers = (arg('tracers') ?? 'sonde,bpftrace').split(',') as TracerName[];
for (const m of modes) if (!['alone', 'sonde-first', 'bpftrace-first'].includes(m)) throw new Error(`unknown mode ${m}`);

interface Case { name: string; script: string; workload: string[] }
const dd = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=512', `count=${events}`];
const opens = ['sh', '-c', `i=0; while [ $i -lt ${Math.floor(events / 10)} ]; do : < /etc/hostname; i=$((i+1)); done`];
const CASES: Case[] = [
  { name: '@[comm] = count() on sys_enter_openat', script: 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }', workload: opens },
  { name: '@[pid] = sum(args->count) on sys_enter_read', script: 'tracepoint:syscalls:sys_enter_read { @[pid] = sum(args->count); }', workload: dd },
  {
    name: 'latency: @s[tid] = nsecs → hist(nsecs - @s[tid])',
    script: 'tracepoint:syscalls:sys_enter_read { @s[tid] = nsecs; } tracepoint:syscalls:sys_exit_read /@s[tid]/ { @ = hist(nsecs - @s[tid]); delete(@s[tid]); }',
    workload: dd,
  },
  { name: 'printf per event on sys_enter_openat', script: 'tracepoint:syscalls:sys_enter_openat { printf("%d %s\\n", pid, comm); }', workload: opens },
  { name: '@ = lhist(args->count, 0, 4096, 256) on sys_enter_read', script: 'tracepoint:syscalls:sys_enter_read { @ = lhist(args->count, 0, 4096, 256); }', workload: dd },
];

// --script='…' --workload=read|openat: measure one script of your own instead.
const own = arg('script');
if (own) CASES.splice(0, CASES.length, { name: own, script: own, workload: arg('workload') === 'openat' ? opens : dd });

interface Tracer { name: TracerName; proc: ChildProcess; progs: number[] }

/** Ids of the BPF programs a process holds open (its fds' fdinfo), so other users' programs never count. */
function programsOf(pid: number): number[] {
  const ids: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
      const m = /^prog_id:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.push(Number(m[1]));
    } catch {
      // The fd closed meanwhile.
    }
  }
  return [...new Set(ids)];
}

async function start(name: TracerName, script: string): Promise<Tracer> {
  const cmd = name === 'sonde' ? SONDE : 'bpftrace';
  // Both print this line on stderr once every probe is attached (bpftrace's own test protocol).
  const proc = spawn(cmd, ['-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' },
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED')) resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (c) => reject(new Error(`${name} exited (${c}) before attaching: ${out}`)));
  });
  await new Promise((r) => setTimeout(r, 200));
  proc.stdout!.resume();
  proc.stderr!.resume();
  const progs = programsOf(proc.pid!);
  if (progs.length === 0) throw new Error(`${name} holds no BPF program after attaching`);
  return { name, proc, progs };
}

interface Stat { ns: bigint; cnt: bigint; progs: Map<number, { name: string; ns: bigint; cnt: bigint }> }
function stats(t: Tracer): Stat {
  let ns = 0n;
  let cnt = 0n;
  const progs = new Map<number, { name: string; ns: bigint; cnt: bigint }>();
  for (const id of t.progs) {
    const p = programById(id);
    if (p) {
      ns += p.runTimeNs;
      cnt += p.runCnt;
      progs.set(id, { name: p.name, ns: p.runTimeNs, cnt: p.runCnt });
    }
  }
  return { ns, cnt, progs };
}

/**
 * SIGINT, as a user stops a tracer. bpftrace 0.17 sometimes misses one that arrives outside its
 * wait for events (it then waits for the next event forever), so it is repeated every 2 s.
 */
async function stop(t: Tracer): Promise<void> {
  if (t.proc.exitCode !== null || t.proc.signalCode !== null) return;
  const exited = new Promise((r) => t.proc.on('exit', r));
  t.proc.kill('SIGINT');
  const timer = setInterval(() => t.proc.kill('SIGINT'), 2000);
  try {
    await exited;
  } finally {
    clearInterval(timer);
  }
}

function runWorkload(c: Case): void {
  const r = spawnSync(c.workload[0]!, c.workload.slice(1), { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`workload failed: ${c.workload.join(' ')}`);
}

interface Sample { ns: number; runs: number; byProgram: string }
const per = (a: Stat, b: Stat): Sample => ({
  ns: Number(a.ns - b.ns) / Math.max(1, Number(a.cnt - b.cnt)),
  runs: Number(a.cnt - b.cnt),
  byProgram: [...a.progs].map(([id, x]) => {
    const y = b.progs.get(id) ?? { name: x.name, ns: 0n, cnt: 0n };
    return `${x.name} ${(Number(x.ns - y.ns) / Math.max(1, Number(x.cnt - y.cnt))).toFixed(0)}`;
  }).join(', '),
});

/** Tracers attached in this order, all at once, on one run of the workload. */
async function measure(c: Case, order: TracerName[]): Promise<Partial<Record<TracerName, Sample>>> {
  const ts: Tracer[] = [];
  try {
    for (const n of order) ts.push(await start(n, c.script));
    const before = ts.map(stats);
    runWorkload(c);
    const after = ts.map(stats);
    const out: Partial<Record<TracerName, Sample>> = {};
    ts.forEach((t, i) => { out[t.name] = per(after[i]!, before[i]!); });
    return out;
  } finally {
    for (const t of ts.reverse()) await stop(t);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const load = () => spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ');

const statsFd = enableStats();
try {
  console.log(`events per workload run: ~${events} reads or ~${Math.floor(events / 10)} openat; ${rounds} rounds, modes ${modes.join(', ')}; load ${load()}`);
  console.log('ns per program run from BPF run-time statistics (all of a tracer\'s programs); medians over rounds');
  console.log('script | mode | sonde ns/event | bpftrace ns/event | ratio (median of per-round ratios) | runs per round (sonde/bpftrace)');
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    const samples = new Map<Mode, { s: Sample[]; b: Sample[]; r: number[] }>();
    for (const m of modes) samples.set(m, { s: [], b: [], r: [] });
    for (let round = 0; round < rounds; round++) {
      for (const m of modes) {
        const acc = samples.get(m)!;
        let got: Partial<Record<TracerName, Sample>> = {};
        if (m === 'alone') {
          const order = round % 2 === 0 ? tracers : [...tracers].reverse();
          for (const t of order) Object.assign(got, await measure(c, [t]));
        } else {
          got = await measure(c, m === 'sonde-first' ? ['sonde', 'bpftrace'] : ['bpftrace', 'sonde']);
        }
        if (got.sonde) acc.s.push(got.sonde);
        if (got.bpftrace) acc.b.push(got.bpftrace);
        if (got.sonde && got.bpftrace) acc.r.push(got.sonde.ns / got.bpftrace.ns);
        if (verbose) {
          const show = (x: Sample | undefined) => (x ? `${x.ns.toFixed(0)} (${x.runs} runs; ${x.byProgram})` : '-');
          console.error(`  ${c.name} | ${m} | round ${round} | sonde ${show(got.sonde)} | bpftrace ${show(got.bpftrace)}`);
        }
      }
    }
    for (const m of modes) {
      const a = samples.get(m)!;
      const f = (xs: Sample[]) => (xs.length ? median(xs.map((x) => x.ns)).toFixed(0) : '-');
      const runs = (xs: Sample[]) => (xs.length ? String(Math.round(median(xs.map((x) => x.runs)))) : '-');
      console.log(`${c.name} | ${m} | ${f(a.s)} | ${f(a.b)} | ${a.r.length ? median(a.r).toFixed(2) : '-'} | ${runs(a.s)}/${runs(a.b)}`);
    }
  }
  console.log(`load at the end: ${load()}`);
} finally {
  close(statsFd);
}

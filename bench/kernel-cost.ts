// In-kernel cost per event, sonde vs bpftrace, on the same events: both tracers run the same
// script at the same time; kernel BPF run-time statistics (BPF_ENABLE_STATS) give each program's
// run count and nanoseconds. Attach order changes the figure (the first program warms caches for
// the second), so every script is measured in both orders.
// Usage: node dist/bench/kernel-cost.js [--events=200000]   (root; bpftrace installed)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { enableStats, close } from '../src/sys/index.js';
import { listProgramIds, programById } from '../src/bpf/inspect.js';

const SONDE = fileURLToPath(new URL('../../bin/sonde', import.meta.url));
const events = Number(process.argv.find((a) => a.startsWith('--events='))?.slice(9) ?? 200000);

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

interface Tracer { name: string; proc: ChildProcess; progs: number[] }

async function start(name: 'sonde' | 'bpftrace', script: string): Promise<Tracer> {
  const before = new Set(listProgramIds());
  const cmd = name === 'sonde' ? SONDE : 'bpftrace';
  const proc = spawn(cmd, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('Attaching')) resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (c) => reject(new Error(`${name} exited (${c}) before attaching: ${out}`)));
  });
  // Give the tracer time to finish attaching after it printed the line.
  await new Promise((r) => setTimeout(r, 1500));
  proc.stdout!.resume();
  const progs = listProgramIds().filter((id) => !before.has(id));
  return { name, proc, progs };
}

function stats(t: Tracer): { ns: bigint; cnt: bigint } {
  let ns = 0n;
  let cnt = 0n;
  for (const id of t.progs) {
    const p = programById(id);
    if (p) { ns += p.runTimeNs; cnt += p.runCnt; }
  }
  return { ns, cnt };
}

async function stop(t: Tracer): Promise<void> {
  t.proc.kill('SIGINT');
  await new Promise((r) => t.proc.on('exit', r));
}

async function measure(c: Case, order: ['sonde' | 'bpftrace', 'sonde' | 'bpftrace']): Promise<Record<string, number>> {
  const first = await start(order[0], c.script);
  const second = await start(order[1], c.script);
  const b1 = stats(first);
  const b2 = stats(second);
  const r = spawnSync(c.workload[0]!, c.workload.slice(1), { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`workload failed: ${c.workload.join(' ')}`);
  const a1 = stats(first);
  const a2 = stats(second);
  await stop(second);
  await stop(first);
  const per = (a: { ns: bigint; cnt: bigint }, b: { ns: bigint; cnt: bigint }) => Number(a.ns - b.ns) / Math.max(1, Number(a.cnt - b.cnt));
  return { [first.name]: per(a1, b1), [second.name]: per(a2, b2) };
}

const statsFd = enableStats();
try {
  console.log(`events per workload: ~${events}; ns per program run from BPF run-time statistics`);
  console.log('script | order | sonde ns/event | bpftrace ns/event | ratio');
  for (const c of CASES) {
    for (const order of [['sonde', 'bpftrace'], ['bpftrace', 'sonde']] as const) {
      const m = await measure(c, [order[0], order[1]]);
      console.log(`${c.name} | ${order[0]} first | ${m['sonde']!.toFixed(0)} | ${m['bpftrace']!.toFixed(0)} | ${(m['sonde']! / m['bpftrace']!).toFixed(2)}`);
    }
  }
} finally {
  close(statsFd);
}

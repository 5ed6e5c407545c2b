// Attach and detach cost of many tracepoints through the kernel interface. Perf-event tracepoints
// pay a synchronous RCU wait per event on teardown (~30-50 ms each on the reference VM); raw
// tracepoints do not. This is why the compiler turns `syscalls:sys_enter_*` into one program on
// the raw `sys_enter` tracepoint.
// Usage: node dist/bench/attach.js [--pattern=syscalls:sys_enter_*] [--max=400]
import { listTracepoints } from '../src/kernel/tracefs.js';
import { attachTracepoint } from '../src/attach/tracepoint.js';
import { attachRawTracepoint } from '../src/attach/raw_tracepoint.js';
import { detachAll, type Link } from '../src/attach/link.js';
import { Program } from '../src/bpf/program.js';
import { assemble } from '../src/asm/encode.js';
import { Mov, Exit } from '../src/asm/builders.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const [cat, ev] = arg('pattern', 'syscalls:sys_enter_*').split(':') as [string, string];
const max = Number(arg('max', '400'));
const bytes = assemble([Mov.imm(0, 0), Exit()]).bytes;

async function run(kind: 'tracepoint' | 'raw_tracepoint', names: [string, string][]): Promise<void> {
  const prog = Program.load({ name: 'bench', kind, bytes });
  let t = performance.now();
  const links: Link[] = [];
  for (const [c, e] of names) {
    try {
      links.push(kind === 'tracepoint' ? attachTracepoint(prog.fd, c, e) : attachRawTracepoint(prog.fd, e));
    } catch { /* e.g. no raw tracepoint of that name */ }
  }
  const attach = performance.now() - t;
  t = performance.now();
  await detachAll(links);
  const detach = performance.now() - t;
  prog.close();
  console.log(`${kind.padEnd(15)} ${String(links.length).padStart(5)} probes  attach ${attach.toFixed(0).padStart(6)} ms  detach ${detach.toFixed(0).padStart(6)} ms  (${(detach / Math.max(links.length, 1)).toFixed(1)} ms each)`);
}

const names = listTracepoints(cat, ev).slice(0, max);
await run('tracepoint', names);
// The same count of raw tracepoints (sched/irq/... real tracepoints have raw twins; syscalls do not).
await run('raw_tracepoint', listTracepoints('*', '*').filter(([c]) => c !== 'syscalls').slice(0, names.length));

// Attach and detach cost of a kprobe wildcard: one perf-event kprobe per function (the kprobe PMU)
// against one kprobe_multi link for all of them (BPF_TRACE_KPROBE_MULTI, Linux 5.18+), then a
// whole script's start and stop as sonde runs it. Needs root and kprobes (test/vm/run guests).
// Usage: node dist/bench/kprobe-multi.js [--pattern=vfs_*] [--rounds=3]
import { attachKprobe, attachKprobeMulti, KernelFunctionNotFoundError } from '../src/attach/kprobe.js';
import { detachAll, type Link } from '../src/attach/link.js';
import { Program } from '../src/bpf/program.js';
import { assemble } from '../src/asm/encode.js';
import { Mov, Exit } from '../src/asm/builders.js';
import { AttachType } from '../src/sys/index.js';
import { compile } from '../src/lang/compile.js';
import { liveKernelView } from '../src/runtime/kernel-view.js';
import { ScriptRun } from '../src/runtime/script.js';
import { kprobeMultiWorks } from '../src/runtime/features.js';

const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const pattern = arg('pattern', 'vfs_*');
const rounds = Number(arg('rounds', '3'));
const funcs = [...new Set(liveKernelView().kernelFunctions(pattern, 'vmlinux').map((f) => f.name))].sort();
const bytes = assemble([Mov.imm(0, 0), Exit()]).bytes;
const ms = (t: number) => `${(performance.now() - t).toFixed(0).padStart(6)} ms`;

for (let round = 0; round < rounds; round++) {
  const single = Program.load({ name: 'bench', kind: 'kprobe', bytes });
  let t = performance.now();
  const links: Link[] = [];
  let refused = 0;
  for (const f of funcs) {
    try {
      links.push(attachKprobe(single.fd, { func: f }));
    } catch (e) {
      if (!(e instanceof KernelFunctionNotFoundError)) throw e;
      refused++;
    }
  }
  const a1 = ms(t);
  t = performance.now();
  await detachAll(links);
  console.log(`kprobe per function  ${String(links.length).padStart(4)} functions (${refused} refused)  attach ${a1}  detach ${ms(t)}`);
  single.close();

  if (kprobeMultiWorks()) {
    const multi = Program.load({ name: 'bench', kind: 'kprobe', bytes, expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
    // The functions a single kprobe could take (a refused name makes the whole link fail).
    const names = links.map((l) => l.target.replace(/^kprobe:/, ''));
    t = performance.now();
    const link = attachKprobeMulti(multi.fd, names);
    const a2 = ms(t);
    t = performance.now();
    await detachAll([link]);
    console.log(`one kprobe_multi     ${String(names.length).padStart(4)} functions              attach ${a2}  detach ${ms(t)}`);
    multi.close();
  }

  const script = compile(`kprobe:${pattern} { @ = count(); }`, { kernel: liveKernelView() });
  t = performance.now();
  const run = await ScriptRun.start(script, { silent: true, notifyAttached: false, err: () => {} });
  const a3 = ms(t);
  t = performance.now();
  run.stop();
  await run.done;
  console.log(`sonde kprobe:${pattern} { @ = count(); }  start ${a3}  stop ${ms(t)}  (${script.programs.map((p) => `${p.progKind}×${p.attach.length}`).join(', ')})`);
}

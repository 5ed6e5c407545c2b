// A KernelView over this machine's tracefs and syscall header, for the root-only tests (the
// compiler itself never reads the kernel; the runtime has its own view).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadKernelBtf } from '../../../src/btf/index.js';
import type { KernelView } from '../../../src/lang/kernel-view.js';
import { parseFields } from '../sema/fixture.js';

const ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

export function tracefsRoot(): string | undefined {
  return ROOTS.find((r) => existsSync(`${r}/events`));
}

function glob(g: string): RegExp {
  return new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export function liveView(): KernelView {
  const root = tracefsRoot()!;
  let nrs: Map<string, number> | undefined;
  return {
    listTracepoints(cg, eg) {
      const c = glob(cg);
      const e = glob(eg);
      const out: [string, string][] = [];
      for (const cat of readdirSync(`${root}/events`).filter((x) => c.test(x)).sort()) {
        let evs: string[];
        try {
          evs = readdirSync(`${root}/events/${cat}`);
        } catch {
          continue;
        }
        for (const ev of evs.filter((x) => e.test(x) && existsSync(`${root}/events/${cat}/${x}/format`)).sort()) out.push([cat, ev]);
      }
      return out;
    },
    tracepointFields(cat, ev) {
      const p = `${root}/events/${cat}/${ev}/format`;
      if (!existsSync(p)) return undefined;
      return parseFields(readFileSync(p, 'utf8').split('\n').filter((l) => l.includes('field:')).join('\n'));
    },
    btf: () => (existsSync('/sys/kernel/btf/vmlinux') ? loadKernelBtf() : undefined),
    possibleCpus: 1,
    pidMax: () => Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()),
    syscallNumber(name) {
      if (!nrs) {
        nrs = new Map();
        const h = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
        if (existsSync(h)) {
          for (const m of readFileSync(h, 'utf8').matchAll(/#define __NR_(\w+) (\d+)/g)) nrs.set(m[1]!, Number(m[2]));
        }
      }
      return nrs.get(name);
    },
  };
}

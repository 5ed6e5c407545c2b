// kprobe / kretprobe: through the kprobe PMU when the kernel has it, else by creating an entry in
// tracefs kprobe_events (removed again on detach). Kernels without CONFIG_KPROBES have neither.
import { appendFileSync, existsSync } from 'node:fs';
import { perfEventOpen, PerfFlag, PerfType, Mem, close, UnsupportedError, SysError, Errno } from '../sys/index.js';
import { tracefsRoot, tracepointId } from '../kernel/tracefs.js';
import { dynamicPmu } from './pmu.js';
import { attachToPerfEvent, type Link } from './link.js';

export interface KprobeOptions {
  func: string;
  offset?: number;
  retprobe?: boolean;
  /** kretprobe maxactive (concurrent instances); 0 = kernel default. */
  maxActive?: number;
}

export class KernelFunctionNotFoundError extends Error {
  override readonly name = 'KernelFunctionNotFoundError';
  constructor(readonly func: string, options?: { cause?: unknown }) {
    super(`kernel function ${func} not found, or not traceable (inlined, notrace or blacklisted)`, options);
  }
}

export type KprobeMechanism = 'pmu' | 'tracefs';

/** Which way this kernel lets us create kprobes, or the reason it does not. */
export function kprobeMechanism(): KprobeMechanism | UnsupportedError {
  if (dynamicPmu('kprobe')) return 'pmu';
  let tracefs: string | undefined;
  try {
    tracefs = tracefsRoot();
  } catch { /* judged below */ }
  if (tracefs && existsSync(`${tracefs}/kprobe_events`)) return 'tracefs';
  return new UnsupportedError('kprobes', 'kernel built without CONFIG_KPROBES (no kprobe PMU, no kprobe_events in tracefs)');
}

let seq = 0;

export function attachKprobe(progFd: number, o: KprobeOptions): Link {
  const kind = o.retprobe ? 'kretprobe' : 'kprobe';
  const target = `${kind}:${o.func}${o.offset ? `+${o.offset}` : ''}`;
  const mech = kprobeMechanism();
  if (mech instanceof UnsupportedError) throw mech;
  if (mech === 'pmu') {
    const pmu = dynamicPmu('kprobe')!;
    const func = Mem.cstring(o.func);
    let pfd: number;
    try {
      pfd = perfEventOpen(
        { type: pmu.type, config: o.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n, sample: 1, wakeupEvents: 1, flags: PerfFlag.disabled, config1: func.addr, config2: BigInt(o.offset ?? 0) },
        -1, 0, target, [func],
      );
    } catch (e) {
      if (e instanceof SysError && (e.errno === Errno.ENOENT || e.errno === Errno.EINVAL)) throw new KernelFunctionNotFoundError(o.func, { cause: e });
      throw e;
    }
    try {
      return { kind, target, fds: attachToPerfEvent(progFd, pfd, target) };
    } catch (e) {
      close(pfd);
      throw e;
    }
  }
  // tracefs: create a named probe, attach to it as a tracepoint, delete it on detach.
  const events = `${tracefsRoot()}/kprobe_events`;
  const name = `sonde_${process.pid}_${seq++}`;
  const def = `${o.retprobe ? `r${o.maxActive || ''}` : 'p'}:sonde/${name} ${o.func}${o.offset ? `+${o.offset}` : ''}`;
  try {
    appendFileSync(events, `${def}\n`);
  } catch (e) {
    // The kernel answers ENOENT/EINVAL for a function it cannot probe; anything else (EBUSY,
    // EEXIST, EACCES…) is a different problem and is reported as it is.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') throw new KernelFunctionNotFoundError(o.func, { cause: e });
    throw new Error(`creating kprobe ${o.func} through ${events} failed: ${(e as Error).message}`, { cause: e });
  }
  const remove = () => {
    try {
      appendFileSync(events, `-:sonde/${name}\n`);
    } catch { /* already gone */ }
  };
  try {
    const pfd = perfEventOpen({ type: PerfType.TRACEPOINT, config: tracepointId('sonde', name), sample: 1, wakeupEvents: 1, flags: PerfFlag.disabled }, -1, 0, target);
    try {
      return { kind, target, fds: attachToPerfEvent(progFd, pfd, target), cleanup: remove };
    } catch (e) {
      close(pfd);
      throw e;
    }
  } catch (e) {
    remove();
    throw e;
  }
}

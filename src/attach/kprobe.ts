// kprobe / kretprobe: through the kprobe PMU when the kernel has it, else by creating an entry in
// tracefs kprobe_events (removed again on detach). Kernels without CONFIG_KPROBES have neither.
import { appendFileSync, existsSync } from 'node:fs';
import { perfEventOpen, PerfFlag, PerfType, Mem, close, UnsupportedError, SysError, Errno, linkCreate, AttachType } from '../sys/index.js';
import { tracefsRoot, tracepointId } from '../kernel/tracefs.js';
import { dynamicPmu } from './pmu.js';
import { attachToPerfEvent, type Link } from './link.js';

export interface KprobeOptions {
  func: string;
  offset?: number;
  retprobe?: boolean;
  /** kretprobe maxactive (concurrent instances); 0 = kernel default. */
  maxActive?: number;
  /** The BPF cookie of the link (bpf_get_attach_cookie; needs BPF perf links, Linux 5.15+). */
  cookie?: bigint;
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
      return { kind, target, fds: attachToPerfEvent(progFd, pfd, target, o.cookie) };
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
      return { kind, target, fds: attachToPerfEvent(progFd, pfd, target, o.cookie), cleanup: remove };
    } catch (e) {
      close(pfd);
      throw e;
    }
  } catch (e) {
    remove();
    throw e;
  }
}

/** BPF_F_KPROBE_MULTI_RETURN: the link's functions are probed on return (kretprobe). */
const KPROBE_MULTI_RETURN = 1;

/**
 * One kprobe_multi link (BPF_LINK_CREATE, BPF_TRACE_KPROBE_MULTI; fprobe underneath, Linux 5.18+)
 * attaching a program loaded with that expected attach type to every function of `funcs`, by
 * name: one syscall instead of a perf event per function, and one fd to close. The kernel refuses
 * the whole link when any name cannot be probed (ENOENT, ESRCH, EINVAL…): the caller attaches the
 * functions one by one then.
 */
export function attachKprobeMulti(progFd: number, funcs: readonly string[], o: { retprobe?: boolean; cookies?: readonly bigint[] } = {}): Link {
  const kind = o.retprobe ? 'kretprobe' : 'kprobe';
  const names = funcs.map((f) => Mem.cstring(f));
  const syms = new Mem(8 * names.length);
  names.forEach((m, i) => syms.view.setBigUint64(8 * i, m.addr, true));
  // One cookie per function, in the order of the names (the kernel sorts both together).
  const cookies = o.cookies ? new Mem(8 * names.length) : undefined;
  o.cookies?.forEach((c, i) => cookies!.view.setBigUint64(8 * i, c, true));
  // link_create.kprobe_multi: flags u32 @16, cnt u32 @20, syms u64 @24, addrs u64 @32 (unused), cookies u64 @40.
  const fd = linkCreate({
    progFd, targetFd: 0, attachType: AttachType.TRACE_KPROBE_MULTI,
    tail: (v) => {
      v.setUint32(16, o.retprobe ? KPROBE_MULTI_RETURN : 0, true);
      v.setUint32(20, names.length, true);
      v.setBigUint64(24, syms.addr, true);
      if (cookies) v.setBigUint64(40, cookies.addr, true);
    },
  });
  void names; // the strings stay alive until the kernel has copied them
  return { kind: `${kind}_multi`, target: `${kind}:{${funcs.join(',')}} (kprobe_multi)`, fds: [fd] };
}

// watchpoint:ADDR:LEN:MODE and asyncwatchpoint:ADDR:LEN:MODE — a hardware breakpoint (the CPU's
// debug registers, through perf's PERF_TYPE_BREAKPOINT) on LEN bytes at ADDR, running the program
// on each access of the kinds MODE names. With a process (-p, -c) the breakpoint follows that
// task, across exec; without one it is on every CPU, for kernel addresses.
import { perfEventOpen, PerfType, PerfFlag, SysError, Errno } from '../sys/index.js';
import { onlineCpus } from '../kernel/cpus.js';
import { attachPerCpu, type Link } from './link.js';

export interface WatchpointOptions {
  address: bigint;
  /** 1, 2, 4 or 8 bytes. */
  length: number;
  /** Letters of r (read), w (write), x (execute). */
  mode: string;
  pid?: number;
}

/** HW_BREAKPOINT_R, _W, _X of <linux/hw_breakpoint.h>. */
const BP_TYPE: Record<string, number> = { r: 1, w: 2, x: 4 };

/** Why a watchpoint cannot be set, in bpftrace's words where it has some. */
export class WatchpointError extends Error {
  override readonly name = 'WatchpointError';
}

/** perf said ENOSPC: every debug register the task or CPU has is taken. */
export class OutOfWatchpointRegistersError extends WatchpointError {}

export function breakpointType(mode: string): number {
  let t = 0;
  for (const c of mode) {
    const bit = BP_TYPE[c];
    if (bit === undefined || (t & bit) !== 0) throw new WatchpointError(`invalid watchpoint mode '${mode}': letters r, w and x, each once`);
    t |= bit;
  }
  return t;
}

export function attachWatchpoint(progFd: number, o: WatchpointOptions): Link[] {
  const bpType = breakpointType(o.mode);
  const target = `watchpoint:0x${o.address.toString(16)}:${o.length}:${o.mode}`;
  const cpus = o.pid !== undefined ? [-1] : onlineCpus();
  return attachPerCpu(progFd, 'watchpoint', target, cpus, (cpu) => {
    try {
      return perfEventOpen({
        type: PerfType.BREAKPOINT, config: 0, sample: 1, wakeupEvents: 1, flags: PerfFlag.disabled,
        bpType, config1: o.address, config2: BigInt(o.length),
      }, o.pid ?? -1, cpu, target);
    } catch (e) {
      // Each CPU has four debug registers; perf says ENOSPC when the task's or CPU's are taken.
      if (e instanceof SysError && e.errno === Errno.ENOSPC) {
        throw new OutOfWatchpointRegistersError(`You are out of watchpoint registers (${target}: every hardware breakpoint register is in use)`, { cause: e });
      }
      if (e instanceof SysError && e.errno === Errno.EINVAL) {
        throw new WatchpointError(`${target}: the CPU refuses this breakpoint (x86 has no read-only breakpoints: use rw; an execute breakpoint is 8 bytes long; the address must be aligned to the length)`, { cause: e });
      }
      throw e;
    }
  });
}

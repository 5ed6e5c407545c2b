// uprobe / uretprobe through the uprobe PMU: a file path and a file offset (not a virtual address).
import { perfEventOpen, PerfFlag, Mem, close, UnsupportedError } from '../sys/index.js';
import { dynamicPmu, type DynamicPmu } from './pmu.js';
import { attachToPerfEvent, type Link } from './link.js';

export interface UprobeOptions {
  path: string;
  /** File offset of the instruction (see elf symbolFileOffset). */
  offset: number | bigint;
  retprobe?: boolean;
  /** Only this process; default every process that maps the file. */
  pid?: number;
  /** USDT semaphore: file offset of the reference counter the kernel increments while attached. */
  refCtrOffset?: number | bigint;
  /** Name for messages, e.g. "uprobe:/bin/bash:readline". */
  name?: string;
}

export function attachUprobe(progFd: number, o: UprobeOptions): Link {
  const kind = o.retprobe ? 'uretprobe' : 'uprobe';
  const target = o.name ?? `${kind}:${o.path}:0x${BigInt(o.offset).toString(16)}`;
  const pmu = dynamicPmu('uprobe');
  if (!pmu) throw new UnsupportedError('uprobes', 'no uprobe PMU in /sys/bus/event_source/devices (kernel built without CONFIG_UPROBE_EVENTS)');
  const config = uprobeConfig(pmu, o, target);
  const path = Mem.cstring(o.path);
  const pid = o.pid ?? -1;
  const pfd = perfEventOpen(
    { type: pmu.type, config, sample: 1, wakeupEvents: 1, flags: PerfFlag.disabled, config1: path.addr, config2: BigInt(o.offset) },
    pid, pid === -1 ? 0 : -1, target, [path],
  );
  try {
    return { kind, target, fds: attachToPerfEvent(progFd, pfd, target) };
  } catch (e) {
    close(pfd);
    throw e;
  }
}

/**
 * perf_event_attr.config for the uprobe PMU: the retprobe bit, and a USDT semaphore's file offset
 * in the bits format/ref_ctr_offset names (the kernel then raises the semaphore in every process
 * the probe is installed in). Without that format (Linux < 4.20) a semaphore-guarded probe would
 * never fire: that is an error, not a silent trace of nothing.
 */
export function uprobeConfig(pmu: DynamicPmu, o: Pick<UprobeOptions, 'retprobe' | 'refCtrOffset'>, target: string): bigint {
  let config = o.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n;
  if (o.refCtrOffset) {
    if (pmu.refCtrShift === undefined) {
      throw new UnsupportedError('USDT semaphores', `${target} is guarded by a semaphore, and this kernel's uprobe PMU has no ref_ctr_offset (Linux >= 4.20) to raise it: the probe would never fire`);
    }
    config |= BigInt(o.refCtrOffset) << BigInt(pmu.refCtrShift);
  }
  return config;
}

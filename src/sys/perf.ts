// perf_event_open(2) and the perf ioctls. struct perf_event_attr offsets from uapi/linux/perf_event.h.
import { lib, errno, Mem } from './libc.js';
import { SysError } from './errors.js';
import { Errno } from './errno.js';

export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;

export const PerfSwConfig = {
  'cpu-clock': 0, 'task-clock': 1, 'page-faults': 2, 'context-switches': 3, 'cpu-migrations': 4,
  'minor-faults': 5, 'major-faults': 6, 'alignment-faults': 7, 'emulation-faults': 8, dummy: 9,
  'bpf-output': 10, 'cgroup-switches': 11,
} as const;

export const PerfHwConfig = {
  'cpu-cycles': 0, instructions: 1, 'cache-references': 2, 'cache-misses': 3,
  'branch-instructions': 4, 'branch-misses': 5, 'bus-cycles': 6, 'stalled-cycles-frontend': 7,
  'stalled-cycles-backend': 8, 'ref-cpu-cycles': 9,
} as const;

export const PerfSample = { IP: 1 << 0, TID: 1 << 1, TIME: 1 << 2, CALLCHAIN: 1 << 5, CPU: 1 << 7, RAW: 1 << 10 } as const;

/** Bits of the flags word at offset 40. */
export const PerfFlag = {
  disabled: 1n << 0n, inherit: 1n << 1n, exclude_user: 1n << 4n, exclude_kernel: 1n << 5n,
  exclude_hv: 1n << 6n, freq: 1n << 10n, enable_on_exec: 1n << 12n, watermark: 1n << 14n,
  sample_id_all: 1n << 18n,
  /** The kernel writes records from the end of the ring backwards: with a read-only mapping the
   *  ring is overwritable and the newest records can be found from data_head (flight recorder). */
  write_backward: 1n << 27n,
} as const;

export const PERF_FLAG_FD_CLOEXEC = 8;
export const PERF_ATTR_SIZE = 128;

export const PerfIoc = {
  ENABLE: 0x2400, DISABLE: 0x2401, REFRESH: 0x2402, RESET: 0x2403, ID: 0x80082407, SET_BPF: 0x40042408,
  /** _IOW('$', 9, __u32): 1 stops writes into the ring (to read an overwritable one), 0 resumes. */
  PAUSE_OUTPUT: 0x40042409,
} as const;

export interface PerfEventAttr {
  type: number;
  config: bigint | number;
  /** sample_period, or sample_freq when `freq` is set. */
  sample?: bigint | number;
  sampleType?: number;
  flags?: bigint;
  wakeupEvents?: number;
  /** bp_type (PERF_TYPE_BREAKPOINT): HW_BREAKPOINT_R 1, W 2, X 4. */
  bpType?: number;
  /** config1: kprobe_func / uprobe_path pointer; bp_addr for a breakpoint. */
  config1?: bigint;
  /** config2: kprobe_addr / probe_offset; bp_len for a breakpoint. */
  config2?: bigint;
}

export function encodePerfAttr(a: PerfEventAttr): Mem {
  const m = new Mem(PERF_ATTR_SIZE);
  const v = m.view;
  v.setUint32(0, a.type, true);
  v.setUint32(4, PERF_ATTR_SIZE, true);
  v.setBigUint64(8, BigInt(a.config), true);
  v.setBigUint64(16, BigInt(a.sample ?? 0), true);
  v.setBigUint64(24, BigInt(a.sampleType ?? 0), true);
  v.setBigUint64(40, a.flags ?? 0n, true);
  v.setUint32(48, a.wakeupEvents ?? 0, true);
  v.setUint32(52, a.bpType ?? 0, true);
  v.setBigUint64(56, a.config1 ?? 0n, true);
  v.setBigUint64(64, a.config2 ?? 0n, true);
  return m;
}

/**
 * perf_event_open; pid -1 + cpu N = all tasks on CPU N, pid P + cpu -1 = task P on any CPU.
 * `what` names the event in error messages.
 */
export function perfEventOpen(a: PerfEventAttr, pid: number, cpu: number, what: string, keep: Mem[] = []): number {
  const l = lib();
  const attr = encodePerfAttr(a);
  const r = Number(l.sysPerf(l.nr.perf_event_open, attr.bytes, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC) as number | bigint);
  void keep; // strings referenced by config1 must stay alive until the call returns
  if (r < 0) {
    const e = errno();
    const sentence = e === Errno.ESRCH ? `no such process ${pid}` : undefined;
    throw new SysError(`perf_event_open(${what})`, e, undefined, sentence);
  }
  return r;
}

export function ioctl(fd: number, req: number, arg: number | bigint, what: string): number {
  const r = Number(lib().ioctl(fd, req, arg) as number | bigint);
  if (r < 0) throw new SysError(`ioctl(${what})`, errno());
  return r;
}

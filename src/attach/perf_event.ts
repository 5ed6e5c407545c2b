// profile:hz:N, software:<event>:N, hardware:<event>:N — one perf event per online CPU, each
// running the program on its samples.
import { perfEventOpen, PerfType, PerfFlag, PerfSwConfig, PerfHwConfig, SysError, Errno, UnsupportedError } from '../sys/index.js';
import { onlineCpus } from '../kernel/cpus.js';
import { attachPerCpu, type Link } from './link.js';

export interface PerfEventOptions {
  type: 'software' | 'hardware';
  event: string;
  /** Every `period` events, or `freq` times a second. */
  period?: number;
  freq?: number;
  /** Restrict to one process (-p); default all processes. */
  pid?: number;
  /** CPUs to sample on; default every online CPU. */
  cpus?: number[];
}

export const softwareEvents = Object.keys(PerfSwConfig);
export const hardwareEvents = Object.keys(PerfHwConfig);

/** bpftrace's aliases for event names. */
const ALIASES: Record<string, string> = {
  cycles: 'cpu-cycles', branches: 'branch-instructions', 'ref-cycles': 'ref-cpu-cycles',
  'cpu': 'cpu-clock', faults: 'page-faults', cs: 'context-switches', migrations: 'cpu-migrations',
  'backend-stalls': 'stalled-cycles-backend', 'frontend-stalls': 'stalled-cycles-frontend',
};

export function attachPerfEvent(progFd: number, o: PerfEventOptions): Link[] {
  const name = ALIASES[o.event] ?? o.event;
  const table: Record<string, number> = o.type === 'software' ? PerfSwConfig : PerfHwConfig;
  const config = table[name];
  if (config === undefined) {
    throw new Error(`unknown ${o.type} event '${o.event}' (known: ${Object.keys(table).join(', ')})`);
  }
  const freq = o.freq !== undefined;
  const target = `${o.type}:${name}:${freq ? `${o.freq}Hz` : o.period}`;
  const cpus = o.pid !== undefined ? [-1] : o.cpus ?? onlineCpus();
  return attachPerCpu(progFd, o.type, target, cpus, (cpu) => {
    try {
      return perfEventOpen({
        type: o.type === 'software' ? PerfType.SOFTWARE : PerfType.HARDWARE, config,
        sample: freq ? o.freq! : o.period ?? 1, wakeupEvents: 1,
        flags: PerfFlag.disabled | (freq ? PerfFlag.freq : 0n),
      }, o.pid ?? -1, cpu, target);
    } catch (e) {
      if (o.type === 'hardware' && e instanceof SysError && ([Errno.ENOENT, Errno.EOPNOTSUPP, Errno.ENODEV, Errno.EINVAL] as number[]).includes(e.errno)) {
        throw new UnsupportedError('hardware events', `no hardware PMU for ${name} (virtual machine without PMU passthrough?)`, { cause: e });
      }
      throw e;
    }
  });
}

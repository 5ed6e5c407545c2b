// Dynamic perf PMUs (kprobe, uprobe): their type number and config bit layout live in sysfs.
import { existsSync, readFileSync } from 'node:fs';

export interface DynamicPmu {
  type: number;
  /** config bit that turns a probe into a return probe. */
  retprobeBit: number;
  /**
   * uprobe: first config bit of the reference counter (USDT semaphore) offset, from
   * format/ref_ctr_offset ("config:32-63", Linux ≥ 4.20); undefined when the kernel has none.
   */
  refCtrShift?: number;
}

const cache = new Map<string, DynamicPmu | null>();

export function dynamicPmu(name: 'kprobe' | 'uprobe'): DynamicPmu | null {
  if (cache.has(name)) return cache.get(name)!;
  const dir = `/sys/bus/event_source/devices/${name}`;
  let pmu: DynamicPmu | null = null;
  if (existsSync(`${dir}/type`)) {
    const type = Number.parseInt(readFileSync(`${dir}/type`, 'utf8'), 10);
    let bit = 0;
    try {
      const m = /config:(\d+)/.exec(readFileSync(`${dir}/format/retprobe`, 'utf8'));
      if (m) bit = Number(m[1]);
    } catch { /* older kernels have no format dir: bit 0 */ }
    pmu = { type, retprobeBit: bit };
    try {
      const m = /config:(\d+)/.exec(readFileSync(`${dir}/format/ref_ctr_offset`, 'utf8'));
      if (m) pmu.refCtrShift = Number(m[1]);
    } catch { /* kernels before 4.20: no reference counters */ }
  }
  cache.set(name, pmu);
  return pmu;
}

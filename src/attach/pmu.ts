// Dynamic perf PMUs (kprobe, uprobe): their type number and config bit layout live in sysfs.
import { existsSync, readFileSync } from 'node:fs';

export interface DynamicPmu {
  type: number;
  /** config bit that turns a probe into a return probe. */
  retprobeBit: number;
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
  }
  cache.set(name, pmu);
  return pmu;
}

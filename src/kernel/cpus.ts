// CPU sets from sysfs ("0-3,5"): per-CPU map values are sized by the *possible* CPUs, perf events
// are opened on each *online* CPU.
import { readFileSync } from 'node:fs';

export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (a === undefined || Number.isNaN(a)) throw new Error(`bad CPU list: ${JSON.stringify(text)}`);
    const end = b === undefined ? a : b;
    for (let c = a; c <= end; c++) out.push(c);
  }
  return out;
}

let possible: number[] | undefined;
let online: number[] | undefined;

export function possibleCpus(): number[] {
  return (possible ??= parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8')));
}

export function onlineCpus(): number[] {
  return (online ??= parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')));
}

/** Number of value slots in a per-CPU map lookup (highest possible CPU + 1). */
export function nrPossibleCpus(): number {
  const p = possibleCpus();
  return p.length === 0 ? 1 : p[p.length - 1]! + 1;
}

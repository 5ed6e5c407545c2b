// Run by kprobe_events.test.ts in a mount namespace where the kprobe PMU is hidden, so that
// attachKprobe takes its tracefs kprobe_events path. Prints one JSON line (KprobeEventsReport).
// Does nothing unless SONDE_KPROBE_EVENTS_CHILD is set (node --test may pick up stray .js files).
import { readFileSync } from 'node:fs';
import { BpfMap } from '../../src/bpf/map.js';
import { TypedMap, u32, u64 } from '../../src/bpf/codec.js';
import { attachKprobe, kprobeMechanism, KernelFunctionNotFoundError } from '../../src/attach/kprobe.js';
import { detach } from '../../src/attach/link.js';
import { tracefsRoot } from '../../src/kernel/tracefs.js';
import { probeFeatures } from '../../src/runtime/features.js';
import { UnsupportedError } from '../../src/sys/errors.js';
import { countProgram } from '../support/progs.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';

export interface KprobeEventsReport {
  mechanism: string;
  featureDetail: string;
  runs: { kind: string; target: string; count: number; whileAttached: string[]; afterDetach: string[] }[];
  missingFunction: string;
}

const sondeEvents = () => readFileSync(`${tracefsRoot()}/kprobe_events`, 'utf8').split('\n').filter((l) => l.includes('sonde/'));

async function main(n: number): Promise<KprobeEventsReport> {
  const mech = kprobeMechanism();
  const report: KprobeEventsReport = {
    mechanism: mech instanceof UnsupportedError ? `unsupported: ${mech.message}` : mech,
    featureDetail: probeFeatures().probes.kprobe.detail,
    runs: [],
    missingFunction: '',
  };
  if (mech instanceof UnsupportedError) return report;
  for (const retprobe of [false, true]) {
    const child = await spawnPaused(await buildFixture('open_loop'), [String(n), '/etc/hostname']);
    const map = BpfMap.create({ name: 'hits', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    const prog = countProgram('kprobe', map, child.pid, retprobe ? 'kret' : 'kprobe');
    const link = attachKprobe(prog.fd, { func: 'do_sys_openat2', retprobe, ...(retprobe ? { maxActive: 16 } : {}) });
    const whileAttached = sondeEvents();
    if ((await child.go()) !== 0) throw new Error('open_loop failed');
    const count = Number(new TypedMap(map, u32, u64).get(0));
    detach(link);
    report.runs.push({ kind: link.kind, target: link.target, count, whileAttached, afterDetach: sondeEvents() });
    prog.close();
    map.close();
  }
  const map = BpfMap.create({ name: 'none', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const prog = countProgram('kprobe', map);
  try {
    attachKprobe(prog.fd, { func: 'sonde_no_such_function' });
    report.missingFunction = 'attached?!';
  } catch (e) {
    report.missingFunction = e instanceof KernelFunctionNotFoundError ? `KernelFunctionNotFoundError: ${e.message}` : String(e);
  }
  prog.close();
  map.close();
  return report;
}

if (process.env.SONDE_KPROBE_EVENTS_CHILD) {
  const report = await main(Number(process.env.SONDE_KPROBE_EVENTS_CHILD));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

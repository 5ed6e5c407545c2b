/**
 * Perf buffer throughput: 64-byte records from bpf_perf_event_output (bpf_skb_event_output for the
 * socket_filter producer) into per-CPU BPF_OUTPUT rings, consumed in JS through EventReader, with
 * zero lost records: the program counts failed outputs and PERF_RECORD_LOST is counted too.
 *   npx tsc -p . && node dist/bench/perfbuf.js [--records=N]
 * Producer, credits and checks: see bench/ringbuf.ts.
 */
import { BpfMap } from '../src/bpf/map.js';
import { PerfBuffer } from '../src/bpf/perfbuf.js';
import { EventReader } from '../src/bpf/events.js';
import { onlineCpus, nrPossibleCpus } from '../src/kernel/cpus.js';
import { getPageSize } from '../src/sys/index.js';
import {
  RECORD, args, drainOnly, measure, median, perCpuConsumer, printTable, producerProgram, stateMap, type Result,
} from './ringbuf.js';

const { records: total, runs } = args(5_000_000);
// Sample record: header 8 + u32 size + data padded so that size + data is a multiple of 8.
const sample = 8 + ((RECORD + 4 + 7) & ~7);
const nCpus = onlineCpus().length;
const rows: Result[] = [];
// [pages per CPU, wakeup_events, share of the records]: one wake-up per sample is so slow here
// (see README) that it runs on a twentieth of the records.
const configs = [[64, 1, 0.05], [64, 64, 1], [256, 256, 1], [1024, 256, 1], [1024, 1024, 1], [4096, 4096, 1]] as const;
for (const [pages, wakeupEvents, share] of configs) {
  const n = Math.round(total * share);
  const results: Result[] = [];
  for (let run = 0; run < runs; run++) {
    const pe = BpfMap.create({ name: 'bench_pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
    const st = stateMap();
    const prog = producerProgram({ kind: 'perf', map: pe }, st);
    const pb = new PerfBuffer(pe, { pages, wakeupEvents });
    // Any one CPU's ring may receive everything; records that have not woken the reader yet
    // (fewer than wakeupEvents per CPU) hold credit too.
    const capacity = Math.floor((pages * getPageSize()) / sample) - nCpus * wakeupEvents;
    const consumer = perCpuConsumer(n, nrPossibleCpus());
    results.push(await measure({
      config: `${pages} pages/CPU, wakeup_events ${wakeupEvents}`,
      prog, st, total: n, capacity,
      chunk: Math.max(1, Math.min(65536, Math.floor(capacity / 4))),
      consumer,
      lost: () => pb.lost,
      makeReader: (credit) => {
        const rd = new EventReader({ onRecord: consumer.onRecord, onBatch: credit });
        rd.addPerfBuffer(pb);
        return rd;
      },
    }));
    pb.close();
    prog.close();
    st.close();
    pe.close();
  }
  rows.push(median(results));
}

// The two halves alone: 8192 pages (32 MiB) per CPU filled by the program, then drained by JS.
const pages = 8192;
const n = Math.min(total, Math.floor((pages * getPageSize()) / sample) - 1);
const pe = BpfMap.create({ name: 'bench_pe', kind: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 0 });
const st = stateMap();
const prog = producerProgram({ kind: 'perf', map: pe }, st);
const pb = new PerfBuffer(pe, { pages, wakeupEvents: n + 1 });
const consumer = perCpuConsumer(n, nrPossibleCpus());
const reader = new EventReader({ onRecord: consumer.onRecord });
reader.addPerfBuffer(pb);
const packet = new Uint8Array(64);
const alone = drainOnly(`${pages} pages/CPU, drain only (prefilled)`, n,
  () => prog.testRun({ data: packet, repeat: n }), reader, consumer, st);
alone.result.lost = pb.lost;
rows.push(alone.result);
await reader.close();
pb.close();
prog.close();
st.close();
pe.close();

printTable(`perf buffer, ${RECORD}-byte records, ${total} per run, median of ${runs} runs, ${nCpus} CPUs, node ${process.version}`, rows);
console.log(`producer alone (test run, wake-ups only at half full, nobody reading): ${(alone.produceRate / 1e6).toFixed(2)} M records/s`);

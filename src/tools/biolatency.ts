// biolatency: block device I/O latency as a log2 histogram, as bcc's tools/biolatency.py.
import type { Value } from '../output/index.js';
import {
  chooseMechanism, hasTracepoint, helpText, num, parseToolArgs, stdio, text, verboseReport, ToolUsageError,
  type Tool, type ToolIo,
} from './tool.js';
import { diskNames, intervalCount, runHistTool, rwbsLabel } from './stat.js';

export const BIOLATENCY_HELP = helpText(
  'sonde biolatency [-h] [-T] [-Q] [-m] [-D] [-F] [-e] [-j] [-v] [interval [count]]',
  'Summarize block device I/O latency as a histogram',
  [
    { flags: '-T, --timestamp', help: 'include timestamp on output' },
    { flags: '-Q, --queued', help: 'include OS queued time in I/O time' },
    { flags: '-m, --milliseconds', help: 'millisecond histogram' },
    { flags: '-D, --disks', help: 'print a histogram per disk device' },
    { flags: '-F, --flags', help: 'print a histogram per set of I/O flags' },
    { flags: '-e, --extension', help: 'summarize average/total value' },
    { flags: '-j, --json', help: 'json output' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'interval', help: 'output interval, in seconds' },
    { flags: 'count', help: 'number of outputs' },
  ],
  `    sonde biolatency              # summarize block I/O latency as a histogram
    sonde biolatency 1 10         # print 1 second summaries, 10 times
    sonde biolatency -mT 1        # 1s summaries, milliseconds, and timestamps
    sonde biolatency -Q           # include OS queued time in I/O time
    sonde biolatency -D           # show each disk device separately
    sonde biolatency -F           # show I/O flags separately
    sonde biolatency -j           # print a dictionary
    sonde biolatency -e           # show extension summary(average/total)
`,
);

export interface BiolatencyOptions {
  queued?: boolean;
  ms?: boolean;
  by?: 'disk' | 'flags';
  extension?: boolean;
  interval?: number;
}

// -F keys on str(args->rwbs): the char[10] field carries stale bytes after its NUL.
/**
 * Latency from issue to completion, keyed by (dev, sector) as the tracepoints give no request
 * pointer; -Q starts at block_io_start (the bio entering the block layer; block_rq_insert before
 * Linux 6.5), falling back to issue for requests that have no such event (flushes).
 */
export function biolatencyScript(o: BiolatencyOptions): string {
  const k = 'args->dev, args->sector';
  const lines: string[] = [];
  if (o.queued) {
    const startTp = hasTracepoint('block', 'block_io_start') ? 'block_io_start' : 'block_rq_insert';
    lines.push(`tracepoint:block:${startTp} { @start[${k}] = nsecs; }`);
    lines.push(`tracepoint:block:block_rq_issue /!@start[${k}]/ { @start[${k}] = nsecs; }`);
  } else {
    lines.push(`tracepoint:block:block_rq_issue { @start[${k}] = nsecs; }`);
  }
  const key = o.by === 'disk' ? '[args->dev]' : o.by === 'flags' ? '[str(args->rwbs)]' : '';
  const div = o.ms ? 1000000 : 1000;
  lines.push(`tracepoint:block:block_rq_complete /@start[${k}]/ {
  $d = (nsecs - @start[${k}]) / ${div};
  @dist${key} = hist($d);${o.extension ? `\n  @ext${key} = stats($d);` : ''}
  delete(@start[${k}]);
}`);
  if (o.interval !== undefined) lines.push(`interval:s:${o.interval} { print(@dist);${o.extension ? ' print(@ext); clear(@ext);' : ''} clear(@dist); }`);
  lines.push('END { clear(@start); }');
  return lines.join('\n');
}

export async function biolatency(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    timestamp: { type: 'boolean', short: 'T' }, queued: { type: 'boolean', short: 'Q' }, milliseconds: { type: 'boolean', short: 'm' },
    disks: { type: 'boolean', short: 'D' }, flags: { type: 'boolean', short: 'F' }, extension: { type: 'boolean', short: 'e' },
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(BIOLATENCY_HELP);
    return 0;
  }
  if (v.disks && v.flags) throw new ToolUsageError('-D and -F cannot be used together');
  const { interval, count } = intervalCount(positionals);
  const o: BiolatencyOptions = {
    ...(v.queued ? { queued: true } : {}), ...(v.milliseconds ? { ms: true } : {}), ...(v.extension ? { extension: true } : {}),
    ...(v.disks ? { by: 'disk' as const } : v.flags ? { by: 'flags' as const } : {}),
    ...(interval !== undefined ? { interval } : {}),
  };
  const chosen = chooseMechanism([
    { kind: 'fentry', note: 'fentry on blk_mq_start_request / blk_account_io_done (bcc); no script: the block tracepoints are stable and as precise' },
    { kind: 'kprobe', note: 'kprobes on blk_mq_start_request / __blk_account_io_done (bcc); no script: these functions are renamed or inlined across kernels' },
    { kind: 'tracepoint', note: 'block:block_rq_issue → block_rq_complete by (dev, sector); -Q from block_io_start (or block_rq_insert)', build: biolatencyScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'biolatency', chosen, script);
  const disks = diskNames();
  const label = o.by === 'disk'
    ? (k: Value | undefined): string => disks.get(num(k)) ?? `${num(k) >> 20},${num(k) & 0xfffff}`
    : (k: Value | undefined): string => rwbsLabel(text(k));
  return runHistTool({
    script, io, verbose: v.verbose === true, hist: '@dist', ...(o.extension ? { stats: '@ext' } : {}),
    banner: v.json ? '' : 'Tracing block device I/O... Hit Ctrl-C to end.\n',
    valType: o.ms ? 'msecs' : 'usecs',
    ...(o.by ? { section: { name: o.by, label } } : {}),
    ...(interval !== undefined ? { interval } : {}), ...(count !== undefined ? { count } : {}),
    timestamp: v.timestamp === true, json: v.json === true,
  });
}

export const biolatencyTool: Tool = { name: 'biolatency', summary: 'block I/O latency as a log2 histogram (per disk, per flags)', run: biolatency };

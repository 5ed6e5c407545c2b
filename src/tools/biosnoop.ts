// biosnoop: trace block device I/O with the issuing process and latency, as bcc's tools/biosnoop.py.
import {
  chooseMechanism, hasTracepoint, helpText, jsonLine, l, num, parseToolArgs, r, runScript, stdio, text, verboseReport,
  type Tool, type ToolIo,
} from './tool.js';
import { diskDev, diskNames } from './stat.js';

export const BIOSNOOP_HELP = helpText(
  'sonde biosnoop [-h] [-Q] [-d DISK] [-P] [-j] [-v]',
  'Trace block I/O',
  [
    { flags: '-Q, --queue', help: 'include OS queued time' },
    { flags: '-d DISK, --disk DISK', help: 'trace this disk only' },
    { flags: '-P, --pattern', help: 'display block I/O pattern (sequential or random)' },
    { flags: '-j, --json', help: 'one JSON object per I/O' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde biosnoop           # trace all block I/O
    sonde biosnoop -Q        # include OS queued time
    sonde biosnoop -d vda    # trace vda only
    sonde biosnoop -P        # display block I/O pattern
    sonde biosnoop -j        # one JSON object per I/O
`,
);

export interface BiosnoopOptions {
  queue?: boolean;
  dev?: number;
  /** -P: S when an I/O starts where the disk's previous completed one ended, R if not, ? first. */
  pattern?: boolean;
}

/**
 * Requests are matched by (dev, sector). The issuing process is the one current at
 * block_io_start (the bio entering the block layer: Linux 6.5+; else block_rq_insert), or at issue
 * when neither was seen (then a kernel thread may show, as with bcc).
 */
export function biosnoopScript(o: BiosnoopOptions): string {
  const k = 'args->dev, args->sector';
  const pred = o.dev !== undefined ? ` /args->dev == ${o.dev}/` : '';
  const startTp = hasTracepoint('block', 'block_io_start') ? 'block_io_start' : 'block_rq_insert';
  return `tracepoint:block:${startTp}${pred} { @pid[${k}] = pid; @comm[${k}] = comm;${o.queue ? ` @qts[${k}] = nsecs;` : ''} }
tracepoint:block:block_rq_issue${pred} {
  if (!@pid[${k}]) { @pid[${k}] = pid; @comm[${k}] = comm; }
  @start[${k}] = nsecs; @bytes[${k}] = args->bytes;
}
tracepoint:block:block_rq_complete /@start[${k}]/ {
  $now = nsecs;${o.pattern ? `
  $pat = 0;
  if (@last[args->dev]) { $pat = args->sector + 1 == @last[args->dev] ? 1 : 2; }
  @last[args->dev] = args->sector + @bytes[${k}] / 512 + 1;` : ''}
  ${o.queue ? `$q = @qts[${k}];` : '$q = 0;'}
  printf("%llu %d %s %u %s %llu %u %llu %llu${o.pattern ? ' %d' : ''}\\n", $now, @pid[${k}], @comm[${k}], args->dev, str(args->rwbs), args->sector,
    @bytes[${k}], $q ? @start[${k}] - $q : 0, $now - @start[${k}]${o.pattern ? ', $pat' : ''});
  delete(@start[${k}]); delete(@pid[${k}]); delete(@comm[${k}]); delete(@bytes[${k}]);${o.queue ? ` delete(@qts[${k}]);` : ''}
}
END { clear(@start); clear(@pid); clear(@comm); clear(@bytes);${o.queue ? ' clear(@qts);' : ''}${o.pattern ? ' clear(@last);' : ''} }`;
}

/** bcc's T column: W for writes, R for reads (and the rest), D for discards. */
export const rwbsType = (rwbs: string): string => (rwbs.includes('D') ? 'D' : rwbs.includes('W') ? 'W' : 'R');

export async function biosnoop(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    queue: { type: 'boolean', short: 'Q' }, disk: { type: 'string', short: 'd' }, json: { type: 'boolean', short: 'j' },
    pattern: { type: 'boolean', short: 'P' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(BIOSNOOP_HELP);
    return 0;
  }
  const o: BiosnoopOptions = { ...(v.queue ? { queue: true } : {}), ...(v.disk !== undefined ? { dev: diskDev(String(v.disk)) } : {}),
    ...(v.pattern ? { pattern: true } : {}) };
  const chosen = chooseMechanism([
    { kind: 'fentry', note: 'fentry on blk_account_io_start / blk_mq_start_request / blk_account_io_done (bcc); no script: the block tracepoints are stable' },
    { kind: 'kprobe', note: 'kprobes on blk_account_io_start / blk_mq_start_request / blk_account_io_done (bcc); no script: renamed or inlined across kernels' },
    { kind: 'tracepoint', note: 'block:block_io_start (or block_rq_insert), block_rq_issue, block_rq_complete matched by (dev, sector)', build: biosnoopScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'biosnoop', chosen, script);
  const json = v.json === true;
  const disks = diskNames();
  if (!json) io.out(`${l('TIME(s)', 11)} ${l('COMM', 14)} ${l('PID', 7)} ${l('DISK', 9)} ${l('T', 1)} ${l('SECTOR', 10)} ${l('BYTES', 7)} ${o.pattern ? 'P ' : ''}${o.queue ? `${r('QUE(ms)', 7)} ` : ''}${r('LAT(ms)', 7)}\n`);
  let t0: bigint | undefined;
  return runScript(script, { verbose: v.verbose === true, io, banner: json ? '' : 'Tracing block I/O... Hit Ctrl-C to end.\n' }, {
    onPrintf: (vals) => {
      const [ts, pid, comm, dev, rwbs, sector, bytes, qns, ns, pat] = vals;
      const p = !o.pattern ? '' : num(pat) === 1 ? 'S' : num(pat) === 2 ? 'R' : '?';
      const now = typeof ts === 'bigint' ? ts : 0n;
      t0 ??= now;
      const secs = Number(now - t0) / 1e9;
      const d = num(dev);
      const disk = disks.get(d) ?? `${d >> 20},${d & 0xfffff}`;
      const c = text(comm) || '?';
      const t = rwbsType(text(rwbs));
      const lat = Number(typeof ns === 'bigint' ? ns : 0n) / 1e6;
      const que = Number(typeof qns === 'bigint' ? qns : 0n) / 1e6;
      if (json) {
        io.out(jsonLine({ time: secs, comm: c, pid: num(pid), disk, type: t, rwbs: text(rwbs), sector, bytes: num(bytes), ...(o.pattern ? { pattern: p } : {}), ...(o.queue ? { que_ms: que } : {}), lat_ms: lat }));
        return;
      }
      io.out(`${l(secs.toFixed(6), 11)} ${l(c.slice(0, 14), 14)} ${l(num(pid), 7)} ${l(disk, 9)} ${l(t, 1)} ${l(String(sector), 10)} ${l(num(bytes), 7)} ${o.pattern ? `${p} ` : ''}${o.queue ? `${r(que.toFixed(2), 7)} ` : ''}${r(lat.toFixed(2), 7)}\n`);
    },
  });
}

export const biosnoopTool: Tool = { name: 'biosnoop', summary: 'trace block I/O: COMM PID DISK T SECTOR BYTES LAT(ms)', run: biosnoop };

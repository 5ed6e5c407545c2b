// mysqld_qslower: MySQL server queries slower than a threshold, as bcc's tools/mysqld_qslower.py,
// through MySQL's USDT probes mysql:query__start / mysql:query__done in one server process.
import {
  chooseMechanism, helpText, jsonLine, l, num, parseToolArgs, r, runScript, stdio, text, ToolUsageError,
  verboseReport, type Tool, type ToolIo,
} from './tool.js';
import { usdtFiles } from '../runtime/usdt.js';
import { KernelViewError } from '../lang/kernel-view.js';

export const MYSQLD_QSLOWER_HELP = helpText(
  'sonde mysqld_qslower [-h] [-j] [-v] PID [min_ms]',
  `Trace MySQL server queries slower than a threshold (default 1 ms; 0: every query).
Needs a mysqld built with USDT probes (-DENABLE_DTRACE=1).`,
  [
    { flags: 'PID', help: 'the mysqld process to trace' },
    { flags: 'min_ms', help: 'show queries that took at least this many milliseconds (default 1; fractions allowed)' },
    { flags: '-j, --json', help: 'one JSON object per line' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde mysqld_qslower $(pgrep -n mysqld)       # queries slower than 1 ms
    sonde mysqld_qslower $(pgrep -n mysqld) 10    # queries slower than 10 ms
    sonde mysqld_qslower $(pgrep -n mysqld) 0   # every query, with its duration
    sonde mysqld_qslower -j 1234 0.5            # JSON, queries of 0.5 ms or more
`,
);

/** bcc's QUERY_MAX: the first 128 bytes of the statement. */
export const QUERY_MAX = 128;

/**
 * The query pointer and start time kept per thread (MySQL runs a connection per thread); at done,
 * the query text is read — only for slow queries, as bcc does — and sent with the start time.
 */
export function mysqldQslowerScript(o: { minNs: bigint }): string {
  return `usdt:*:mysql:query__start { @query[tid] = arg0; @start[tid] = nsecs; }
usdt:*:mysql:query__done /@start[tid] != 0/ {
  $delta = nsecs - @start[tid];
  if ($delta >= ${o.minNs}) {
    printf("%d %llu %llu %s\\n", tid, @start[tid], $delta, str(@query[tid], ${QUERY_MAX}));
  }
  delete(@query[tid]);
  delete(@start[tid]);
}`;
}

/** Milliseconds as bcc takes them (a float) → nanoseconds. */
export function parseMinMs(s: string): bigint {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s)) throw new ToolUsageError(`min_ms: not a number of milliseconds: ${s}`);
  return BigInt(Math.round(Number(s) * 1e6));
}

/** Why process `pid` cannot be traced (no such process, no MySQL probes), or undefined. */
function missingProbes(pid: number): string | undefined {
  let found: string[];
  try {
    found = usdtFiles(null, pid).flatMap((f) => f.probes.filter((p) => p.provider === 'mysql').map((p) => p.name));
  } catch (e) {
    if (e instanceof KernelViewError) return e.message;
    throw e;
  }
  const lacking = ['query__start', 'query__done'].filter((n) => !found.includes(n));
  if (lacking.length === 0) return undefined;
  return `process ${pid} has no USDT probe ${lacking.map((n) => `mysql:${n}`).join(' or ')}: MySQL must be built with -DENABLE_DTRACE=1 (Debian's mysqld and mariadbd are not)`;
}

export async function mysqldQslower(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(MYSQLD_QSLOWER_HELP);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new ToolUsageError('expected PID [min_ms]');
  const pidText = positionals[0]!;
  if (!/^\d+$/.test(pidText) || Number(pidText) < 1) throw new ToolUsageError(`PID: not a process id: ${pidText}`);
  const pid = Number(pidText);
  const minText = positionals[1] ?? '1';
  const minNs = parseMinMs(minText);
  const chosen = chooseMechanism([
    { kind: 'usdt', note: 'USDT probes mysql:query__start and mysql:query__done in the server process', build: mysqldQslowerScript },
  ]);
  const problem = missingProbes(pid);
  if (problem !== undefined) {
    io.err(`sonde mysqld_qslower: ${problem}\n`);
    return 1;
  }
  const script = chosen.build({ minNs });
  if (v.verbose) verboseReport(io, 'mysqld_qslower', chosen, script);
  const json = v.json === true;
  if (!json) io.out(`${l('TIME(s)', 14)} ${l('PID', 6)} ${r('MS', 8)} QUERY\n`);
  let t0: bigint | undefined;
  return runScript(script, {
    verbose: v.verbose === true, io, pid, strlen: QUERY_MAX,
    banner: json ? '' : `Tracing MySQL server queries for PID ${pid} slower than ${minText} ms... Hit Ctrl-C to end.\n`,
  }, {
    onPrintf: ([tid, start, delta, query]) => {
      const ts = typeof start === 'bigint' ? start : 0n;
      t0 ??= ts;
      const secs = Number(ts - t0) / 1e9;
      const ms = num(delta) / 1e6;
      if (json) io.out(jsonLine({ time_s: Number(secs.toFixed(6)), pid: num(tid), ms: Number(ms.toFixed(3)), query: text(query) }));
      else io.out(`${l(secs.toFixed(6), 14)} ${l(num(tid), 6)} ${r(ms.toFixed(3), 8)} ${text(query)}\n`);
    },
  });
}

export const mysqldQslowerTool: Tool = { name: 'mysqld_qslower', summary: 'MySQL queries slower than a threshold (USDT): PID MS QUERY', run: mysqldQslower };

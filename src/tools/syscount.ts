// syscount: summarize syscall counts and latencies, as bcc's tools/syscount.py.
import { syscallTable } from '../kernel/syscalls.js';
import type { MergedAgg, Value } from '../output/index.js';
import type { MapEntryValue } from '../runtime/render.js';
import {
  chooseMechanism, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, r, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export const SYSCOUNT_HELP = helpText(
  'sonde syscount [-h] [-p PID] [-i INTERVAL] [-d DURATION] [-T TOP] [-x] [-e ERRNO] [-L] [-m] [-P] [-l] [-j] [-v]',
  'Summarize syscall counts and latencies.',
  [
    { flags: '-p PID, --pid PID', help: 'trace only this pid' },
    { flags: '-i INTERVAL, --interval INTERVAL', help: 'print summary at this interval (seconds)' },
    { flags: '-d DURATION, --duration DURATION', help: 'total duration of trace, in seconds' },
    { flags: '-T TOP, --top TOP', help: 'print only the top syscalls by count or latency (default 10)' },
    { flags: '-x, --failures', help: 'trace only failed syscalls (return < 0)' },
    { flags: '-e ERRNO, --errno ERRNO', help: 'trace only syscalls that return this error (numeric or EPERM, etc.)' },
    { flags: '-L, --latency', help: 'collect syscall latency' },
    { flags: '-m, --milliseconds', help: 'display latency in milliseconds (default: microseconds)' },
    { flags: '-P, --process', help: 'count by process and not by syscall' },
    { flags: '-l, --list', help: 'print list of recognized syscalls and exit' },
    { flags: '-j, --json', help: 'one JSON object per summary' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  `    sonde syscount                 # count syscalls, top 10, until Ctrl-C
    sonde syscount -p 181          # only this process
    sonde syscount -L -m           # also the time spent in each, in ms
    sonde syscount -P              # by process instead of by syscall
    sonde syscount -x              # only failed syscalls
    sonde syscount -e ENOENT       # only syscalls that failed with ENOENT
    sonde syscount -i 1 -d 10      # a summary every second for 10 seconds
    sonde syscount -l              # the syscalls this machine knows
`,
);

const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11,
  ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25, ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31,
  EPIPE: 32, EDOM: 33, ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENODATA: 61, ETIME: 62, EOVERFLOW: 75, ENOTSOCK: 88, EOPNOTSUPP: 95, EADDRINUSE: 98, ECONNREFUSED: 111, EINPROGRESS: 115,
};

export interface SyscountOptions {
  pid?: number;
  failures?: boolean;
  errno?: number;
  latency?: boolean;
  byProcess?: boolean;
  interval?: number;
}

/** Counted at sys_exit (the return value decides -x/-e), timed from sys_enter with -L. */
export function syscountScript(o: SyscountOptions): string {
  const key = o.byProcess ? 'pid, comm' : 'args->id';
  const f: string[] = [];
  if (o.pid !== undefined) f.push(`pid == ${o.pid}`);
  if (o.failures) f.push('args->ret < 0');
  if (o.errno !== undefined) f.push(`args->ret == -${o.errno}`);
  const lines: string[] = [];
  if (o.latency) {
    lines.push(`tracepoint:raw_syscalls:sys_enter${o.pid !== undefined ? ` /pid == ${o.pid}/` : ''} { @start[tid] = nsecs; }`);
    lines.push(`tracepoint:raw_syscalls:sys_exit /@start[tid]${f.map((x) => ` && ${x}`).join('')}/ {
  @c[${key}] = count();
  @t[${key}] = sum(nsecs - @start[tid]);
}`);
    lines.push('tracepoint:raw_syscalls:sys_exit { delete(@start[tid]); }');
  } else {
    lines.push(`tracepoint:raw_syscalls:sys_exit${f.length ? ` /${f.join(' && ')}/` : ''} { @c[${key}] = count(); }`);
  }
  if (o.interval !== undefined) {
    // No clear(): clearing a hash that raw_syscalls keeps refilling (the deletes are syscalls too)
    // does not terminate in the runtime; the interval's figures are differences, taken in TS.
    lines.push(`interval:s:${o.interval} { print(@c);${o.latency ? ' print(@t);' : ''} }`);
  }
  return lines.join('\n');
}

function syscallNames(): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, nr] of Object.entries(syscallTable() ?? {})) if (!m.has(nr)) m.set(nr, name);
  return m;
}

const aggNum = (v: MergedAgg | Value): bigint =>
  typeof v === 'object' && v !== null ? ('count' in v && typeof v.count === 'bigint' && v.fn === 'count' ? v.count : 'sum' in v && typeof v.sum === 'bigint' ? v.sum : 0n) : 0n;

export async function syscount(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, interval: { type: 'string', short: 'i' }, duration: { type: 'string', short: 'd' },
    top: { type: 'string', short: 'T' }, failures: { type: 'boolean', short: 'x' }, errno: { type: 'string', short: 'e' },
    latency: { type: 'boolean', short: 'L' }, milliseconds: { type: 'boolean', short: 'm' }, process: { type: 'boolean', short: 'P' },
    list: { type: 'boolean', short: 'l' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(SYSCOUNT_HELP);
    return 0;
  }
  const names = syscallNames();
  if (v.list) {
    io.out([...names.values()].sort().map((n) => `${n}\n`).join(''));
    return 0;
  }
  let errno: number | undefined;
  if (v.errno !== undefined) {
    const e = String(v.errno);
    errno = /^\d+$/.test(e) ? Number(e) : ERRNO[e.toUpperCase()];
    if (errno === undefined) throw new ToolUsageError(`-e: unknown errno ${e}`);
  }
  const interval = intOption('-i', v.interval as string | undefined, 1);
  const duration = intOption('-d', v.duration as string | undefined, 1);
  const top = intOption('-T', v.top as string | undefined, 1) ?? 10;
  const o: SyscountOptions = {
    ...(v.pid !== undefined ? { pid: intOption('-p', v.pid as string, 1)! } : {}),
    ...(v.failures ? { failures: true } : {}),
    ...(errno !== undefined ? { errno } : {}),
    ...(v.latency ? { latency: true } : {}),
    ...(v.process ? { byProcess: true } : {}),
    // -d without -i: one summary at the end (bcc's interval defaults to the duration).
    ...(interval !== undefined ? { interval } : {}),
  };
  const chosen = chooseMechanism([{ kind: 'tracepoint', note: 'raw_syscalls:sys_enter/sys_exit (one program for every syscall)', build: syscountScript }]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'syscount', chosen, script);
  const json = v.json === true;
  const ms = v.milliseconds === true;
  const aggCol = o.byProcess ? 'PID    COMM' : 'SYSCALL';
  const label = (k: Value | undefined): string => {
    if (o.byProcess && Array.isArray(k)) return `${l(num(k[0]), 6)} ${text(k[1])}`;
    const nr = num(k);
    return names.get(nr) ?? `[unknown: ${nr}]`;
  };
  let counts: MapEntryValue[] = [];
  let printed = 0;
  let limitReached = false;
  const prevC = new Map<string, bigint>();
  const prevT = new Map<string, bigint>();
  const keyId = (k: Value | undefined): string => JSON.stringify(k, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  const summary = (times: MapEntryValue[] | undefined): void => {
    const tmap = new Map<string, bigint>();
    for (const e of times ?? []) {
      const id = keyId(e.key);
      const total = aggNum(e.value);
      tmap.set(id, total - (prevT.get(id) ?? 0n));
      prevT.set(id, total);
    }
    const rows = counts.map((e) => {
      const id = keyId(e.key);
      const total = aggNum(e.value);
      const count = total - (prevC.get(id) ?? 0n);
      prevC.set(id, total);
      return { key: e.key, count, ns: tmap.get(id) ?? 0n };
    }).filter((x) => x.count > 0n);
    rows.sort((a, b) => (o.latency ? Number(b.ns - a.ns) : Number(b.count - a.count)));
    const shown = rows.slice(0, top);
    const scale = ms ? 1e6 : 1e3;
    if (json) {
      io.out(jsonLine({
        time: hms(),
        rows: shown.map((x) => ({
          ...(o.byProcess && Array.isArray(x.key) ? { pid: num(x.key[0]), comm: text(x.key[1]) } : { syscall: label(x.key) }),
          count: x.count, ...(o.latency ? { [ms ? 'time_ms' : 'time_us']: Number(x.ns) / scale } : {}),
        })),
      }));
    } else {
      let s = `[${hms()}]\n`;
      s += o.latency ? `${l(aggCol, 22)} ${r('COUNT', 8)} ${r(ms ? 'TIME (ms)' : 'TIME (us)', 16)}\n` : `${l(aggCol, 22)} ${r('COUNT', 8)}\n`;
      for (const x of shown) s += `${l(label(x.key), 22)} ${r(x.count, 8)}${o.latency ? ` ${r((Number(x.ns) / scale).toFixed(6), 16)}` : ''}\n`;
      io.out(`${s}\n`);
    }
    counts = [];
  };
  const banner = `Tracing ${o.failures ? 'failed ' : ''}syscalls, printing top ${top}... Hit Ctrl-C to end.\n`;
  let stop: (() => Promise<number>) | undefined;
  const code = await runScript(script, { verbose: v.verbose === true, io, banner: json ? '' : banner }, {
    onStart: (t) => {
      stop = () => t.stop();
      if (duration !== undefined) {
        const timer = setTimeout(() => void t.stop(), duration * 1000);
        void t.done.then(() => clearTimeout(timer));
      }
    },
    onMap: (name, e) => {
      if (limitReached) return;
      // At exit in interval mode the last partial interval is printed only if it has data.
      if (e.when === 'exit' && interval !== undefined && printed > 0 && name === '@c' && e.entries.every((x) => aggNum(x.value) === (prevC.get(keyId(x.key)) ?? 0n))) return;
      if (name === '@c') {
        counts = e.entries;
        if (!o.latency) summary(undefined);
      } else if (name === '@t' && o.latency) {
        if (e.when === 'exit' && interval !== undefined && printed > 0 && counts.every((x) => aggNum(x.value) === (prevC.get(keyId(x.key)) ?? 0n))) return;
        summary(e.entries);
      } else return;
      if (name === (o.latency ? '@t' : '@c')) {
        printed++;
        if (e.when === 'print' && duration !== undefined && interval !== undefined && printed * interval >= duration) {
          limitReached = true;
          void stop?.();
        }
      }
    },
  });
  if (!json) io.err('Detaching...\n');
  return code;
}

export const syscountTool: Tool = { name: 'syscount', summary: 'count system calls (and their latency) by syscall or process', run: syscount };

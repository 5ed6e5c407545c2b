// vfsstat: count some VFS calls per second, as bcc's tools/vfsstat.py.
import {
  chooseMechanism, hasTracepoint, helpText, hms, intOption, jsonLine, num, parseToolArgs, runScript, stdio, verboseReport,
  type Tool, type ToolIo,
} from './tool.js';
import { aggValue, intervalCount } from './stat.js';

export const VFSSTAT_HELP = helpText(
  'sonde vfsstat [-h] [-p PID] [-j] [-v] [interval [count]]',
  'Count some VFS calls (read, write, fsync, open, create) per second.',
  [
    { flags: '-p PID, --pid PID', help: 'count only this process (sonde\'s addition)' },
    { flags: '-j, --json', help: 'one JSON object per interval (counts, not rates)' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
    { flags: 'interval', help: 'output interval, in seconds (default 1)' },
    { flags: 'count', help: 'number of outputs (default: until Ctrl-C)' },
  ],
  `    sonde vfsstat              # a line of rates every second until Ctrl-C
    sonde vfsstat 5            # every 5 seconds
    sonde vfsstat 1 10         # every second, 10 times
    sonde vfsstat -p 181       # only process 181
    sonde vfsstat -j 1 3       # JSON, three 1-second intervals
`,
);

/** The columns, in bcc's order; the map key is the index + 1. */
export const VFS_STATS = ['READ', 'WRITE', 'FSYNC', 'OPEN', 'CREATE'] as const;

/** Which syscalls stand for each VFS function at the syscall layer. */
const SYSCALLS: Record<(typeof VFS_STATS)[number], string[]> = {
  READ: ['read', 'readv', 'pread64', 'preadv', 'preadv2'],
  WRITE: ['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2'],
  FSYNC: ['fsync', 'fdatasync'],
  OPEN: ['open', 'openat', 'openat2'],
  CREATE: ['creat'],
};

/** bcc's kernel functions (fentry/kprobe). */
const VFS_FUNCS = ['vfs_read', 'vfs_write', 'vfs_fsync', 'vfs_open', 'vfs_create'];

export interface VfsstatOptions {
  pid?: number;
  interval: number;
}

const tail = (o: VfsstatOptions): string => `interval:s:${o.interval} { print(@s); }`;

export function vfsstatFuncScript(kind: 'fentry' | 'kprobe', o: VfsstatOptions): string {
  const pred = o.pid !== undefined ? ` /pid == ${o.pid}/` : '';
  return `${VFS_FUNCS.map((f, i) => `${kind}:${f}${pred} { @s[${i + 1}] = count(); }`).join('\n')}\n${tail(o)}`;
}

/** At the syscall layer: the read/write/fsync/open families; CREATE is creat() and opens with O_CREAT. */
export function vfsstatSyscallScript(o: VfsstatOptions): string {
  const pid = o.pid !== undefined ? `pid == ${o.pid}` : '';
  const lines: string[] = [];
  VFS_STATS.forEach((stat, i) => {
    const tps = SYSCALLS[stat].filter((c) => hasTracepoint('syscalls', `sys_enter_${c}`)).map((c) => `tracepoint:syscalls:sys_enter_${c}`);
    if (tps.length) lines.push(`${tps.join(',\n')}${pid ? ` /${pid}/` : ''} { @s[${i + 1}] = count(); }`);
  });
  // O_CREAT is 0100 (0x40) on every architecture sonde runs on (x86_64, arm64).
  for (const c of ['open', 'openat'].filter((x) => hasTracepoint('syscalls', `sys_enter_${x}`))) {
    lines.push(`tracepoint:syscalls:sys_enter_${c} /(args->flags & 0x40)${pid ? ` && ${pid}` : ''}/ { @s[5] = count(); }`);
  }
  return `${lines.join('\n')}\n${tail(o)}`;
}

export async function vfsstat(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    pid: { type: 'string', short: 'p' }, json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(VFSSTAT_HELP);
    return 0;
  }
  const { interval = 1, count } = intervalCount(positionals);
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const o: VfsstatOptions = { interval, ...(pid !== undefined ? { pid } : {}) };
  const chosen = chooseMechanism([
    { kind: 'fentry', note: 'fentry on vfs_read, vfs_write, vfs_fsync, vfs_open, vfs_create (bcc\'s functions)', build: (x: VfsstatOptions) => vfsstatFuncScript('fentry', x) },
    { kind: 'kprobe', note: 'kprobes on vfs_read, vfs_write, vfs_fsync, vfs_open, vfs_create (as bcc)', build: (x: VfsstatOptions) => vfsstatFuncScript('kprobe', x) },
    {
      kind: 'tracepoint',
      note: 'syscall layer, not VFS: read*/write*/fsync/fdatasync/open*/creat syscall entries (a read of a pipe or socket counts; ' +
        'reads the kernel makes itself, e.g. exec, do not); CREATE counts creat() and opens with O_CREAT, whether or not a file was created',
      build: vfsstatSyscallScript,
    },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'vfsstat', chosen, script);
  const json = v.json === true;
  if (!json) io.out(`${'TIME'.padEnd(8)}  ${VFS_STATS.map((s) => ` ${`${s}/s`.padStart(8)}`).join('')}\n`);
  const prev = new Map<number, bigint>();
  let rows = 0;
  let done = false;
  let last = process.hrtime.bigint();
  let stop: (() => void) | undefined;
  const code = await runScript(script, { verbose: v.verbose === true, io, banner: json ? '' : 'Tracing key VFS calls... Hit Ctrl-C to end.\n' }, {
    onStart: (t) => {
      stop = () => void t.stop();
      last = process.hrtime.bigint();
    },
    onMap: (name, e) => {
      if (name !== '@s' || done) return;
      const now = process.hrtime.bigint();
      // A Ctrl-C between two intervals: the partial interval, as a rate over the time it lasted.
      const secs = e.when === 'print' ? interval : Number(now - last) / 1e9;
      last = now;
      if (e.when === 'exit' && secs < 0.05) return;
      const counts = VFS_STATS.map(() => 0n);
      for (const x of e.entries) {
        const k = num(x.key) - 1;
        const total = aggValue(x.value);
        if (k >= 0 && k < counts.length) counts[k] = total - (prev.get(k) ?? 0n);
        prev.set(k, total);
      }
      if (json) {
        io.out(jsonLine({ time: hms(), seconds: Math.round(secs * 1000) / 1000, ...Object.fromEntries(VFS_STATS.map((s, i) => [s.toLowerCase(), counts[i]])) }));
      } else {
        io.out(`${`${hms()}:`.padEnd(9)} ${counts.map((c) => ` ${String(Math.trunc(Number(c) / secs)).padStart(8)}`).join('')}\n`);
      }
      rows++;
      if (e.when === 'print' && count !== undefined && rows >= count) {
        done = true;
        stop?.();
      }
    },
  });
  return code;
}

export const vfsstatTool: Tool = { name: 'vfsstat', summary: 'VFS calls per second: READ/s WRITE/s FSYNC/s OPEN/s CREATE/s', run: vfsstat };

// fsslower / ext4slower: trace common file system operations slower than a threshold, as bcc's
// tools/ext4slower.py (and its xfs/btrfs/zfs/nfs siblings, here one tool: fsslower -t TYPE).
import {
  chooseMechanism, hasTracepoint, helpText, hms, intOption, jsonLine, l, num, parseToolArgs, runScript, stdio, text, verboseReport,
  ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

export interface FsslowerOptions {
  /** File system type as /proc/filesystems names it (ext4, xfs, btrfs…). */
  fstype: string;
  minMs: number;
  pid?: number;
}

/** Syscalls by the operation bcc reports (R/W/S; opens are handled apart), with their offset. */
const IO_CALLS: { call: string; type: 'R' | 'W' | 'S'; off: string }[] = [
  { call: 'read', type: 'R', off: '$f->f_pos' },
  { call: 'readv', type: 'R', off: '$f->f_pos' },
  { call: 'pread64', type: 'R', off: 'args->pos' },
  { call: 'preadv', type: 'R', off: '(args->pos_h << 32) | args->pos_l' },
  { call: 'preadv2', type: 'R', off: '(args->pos_h << 32) | args->pos_l' },
  { call: 'write', type: 'W', off: '$f->f_pos' },
  { call: 'writev', type: 'W', off: '$f->f_pos' },
  { call: 'pwrite64', type: 'W', off: 'args->pos' },
  { call: 'pwritev', type: 'W', off: '(args->pos_h << 32) | args->pos_l' },
  { call: 'pwritev2', type: 'W', off: '(args->pos_h << 32) | args->pos_l' },
  { call: 'fsync', type: 'S', off: '0' },
  { call: 'fdatasync', type: 'S', off: '0' },
];
const OPEN_CALLS = ['open', 'openat', 'openat2', 'creat'];
const TYPE_CODE = { R: 0, W: 1, O: 2, S: 3 } as const;
const TYPE_LETTER = ['R', 'W', 'O', 'S'];

// Every mechanism sends: end nsecs, pid, comm, type (0 R, 1 W, 2 O, 3 S), bytes, offset, latency ns, file name
const EVENT_FMT = '"%llu %d %s %d %lld %lld %llu %s\\n"';

/**
 * `body` with $f, the open file behind a descriptor, through the task's fd table. Read straight
 * from the table (an integer cast to a pointer would be taken for a user address here).
 */
const withFile = (fd: string, body: string): string =>
  `if (${fd} >= 0 && ${fd} < curtask->files->fdt->max_fds) {
    $f = *(curtask->files->fdt->fd + ${fd});
    ${body}
  }`;
const onFs = (f: string, fstype: string): string => `${f} && strncmp(str(${f}->f_inode->i_sb->s_type->name), "${fstype}", ${fstype.length + 1}) == 0`;

/**
 * The syscall layer: entry finds the struct file behind the fd and keeps it only when its
 * superblock's file system type is the one asked for; exit reports what took at least min_ms.
 * Opens are matched at exit (the new fd's file). Latency is the whole system call's.
 */
export function fsslowerTracepointScript(o: FsslowerOptions): string {
  const pidPred = o.pid !== undefined ? `pid == ${o.pid}` : '';
  const slow = o.minMs > 0 ? `nsecs - @ts[tid] >= ${o.minMs * 1_000_000}` : '1';
  const lines: string[] = [];
  const io = IO_CALLS.filter((c) => hasTracepoint('syscalls', `sys_enter_${c.call}`));
  const byOff = new Map<string, typeof io>();
  for (const c of io) byOff.set(`${c.type}#${c.off}`, [...(byOff.get(`${c.type}#${c.off}`) ?? []), c]);
  for (const [key, calls] of byOff) {
    const [type, off] = key.split('#') as ['R' | 'W' | 'S', string];
    lines.push(`${calls.map((c) => `tracepoint:syscalls:sys_enter_${c.call}`).join(',\n')}${pidPred ? ` /${pidPred}/` : ''} {
  ${withFile('(int64)args->fd', `if (${onFs('$f', o.fstype)}) {
      @ts[tid] = nsecs; @fp[tid] = $f; @off[tid] = ${off}; @ty[tid] = ${TYPE_CODE[type]};
    }`)}
}`);
  }
  lines.push(`${io.map((c) => `tracepoint:syscalls:sys_exit_${c.call}`).join(',\n')} /@ts[tid]/ {
  if (${slow}) {
    $f = (struct file *)@fp[tid];
    printf(${EVENT_FMT}, nsecs, pid, comm, @ty[tid], @ty[tid] == ${TYPE_CODE.S} ? 0 : args->ret, @off[tid], nsecs - @ts[tid], str($f->f_path.dentry->d_name.name));
  }
  delete(@ts[tid]); delete(@fp[tid]); delete(@off[tid]); delete(@ty[tid]);
}`);
  const opens = OPEN_CALLS.filter((c) => hasTracepoint('syscalls', `sys_enter_${c}`));
  lines.push(`${opens.map((c) => `tracepoint:syscalls:sys_enter_${c}`).join(',\n')}${pidPred ? ` /${pidPred}/` : ''} { @ots[tid] = nsecs; }
${opens.map((c) => `tracepoint:syscalls:sys_exit_${c}`).join(',\n')} /@ots[tid]/ {
  ${withFile('args->ret', `if (${onFs('$f', o.fstype)}${o.minMs > 0 ? ` && nsecs - @ots[tid] >= ${o.minMs * 1_000_000}` : ''}) {
      printf(${EVENT_FMT}, nsecs, pid, comm, ${TYPE_CODE.O}, 0, 0, nsecs - @ots[tid], str($f->f_path.dentry->d_name.name));
    }`)}
  delete(@ots[tid]);
}`);
  return lines.join('\n');
}

/**
 * bcc's mechanism for ext4 (kprobes on the ext4 file operations, so page-cache hits and
 * misses are timed inside the file system, and opens as ext4_file_open). Written for ext4 only.
 */
export function ext4slowerKprobeScript(o: FsslowerOptions): string {
  const pidPred = o.pid !== undefined ? ` /pid == ${o.pid}/` : '';
  const slow = o.minMs > 0 ? ` && nsecs - @ts[tid] >= ${o.minMs * 1_000_000}` : '';
  const entry = (fn: string, type: keyof typeof TYPE_CODE, file: string, off: string): string =>
    `kprobe:${fn}${pidPred} { @ts[tid] = nsecs; @fp[tid] = ${file}; @off[tid] = ${off}; @ty[tid] = ${TYPE_CODE[type]}; }`;
  const fns = ['ext4_file_read_iter', 'ext4_file_write_iter', 'ext4_file_open', 'ext4_sync_file'];
  return [
    entry('ext4_file_read_iter', 'R', '((struct kiocb *)arg0)->ki_filp', '((struct kiocb *)arg0)->ki_pos'),
    entry('ext4_file_write_iter', 'W', '((struct kiocb *)arg0)->ki_filp', '((struct kiocb *)arg0)->ki_pos'),
    entry('ext4_file_open', 'O', '(struct file *)arg1', '0'),
    entry('ext4_sync_file', 'S', '(struct file *)arg0', '0'),
    `${fns.map((f) => `kretprobe:${f}`).join(', ')} /@ts[tid]${slow}/ {
  $f = (struct file *)@fp[tid];
  printf(${EVENT_FMT}, nsecs, pid, comm, @ty[tid], @ty[tid] == ${TYPE_CODE.R} || @ty[tid] == ${TYPE_CODE.W} ? (int64)retval : 0, @off[tid], nsecs - @ts[tid], str($f->f_path.dentry->d_name.name));
}`,
    `${fns.map((f) => `kretprobe:${f}`).join(', ')} /@ts[tid]/ { delete(@ts[tid]); delete(@fp[tid]); delete(@off[tid]); delete(@ty[tid]); }`,
  ].join('\n');
}

export function fsslowerHelp(tool: 'ext4slower' | 'fsslower'): string {
  const t = tool === 'fsslower' ? ' -t ext4' : '';
  return helpText(
    `sonde ${tool} [-h]${tool === 'fsslower' ? ' [-t TYPE]' : ''} [-j] [--json] [-p PID] [-v] [min_ms]`,
    `Trace common ${tool === 'fsslower' ? 'file system' : 'ext4'} file operations slower than a threshold`,
    [
      ...(tool === 'fsslower' ? [{ flags: '-t TYPE, --type TYPE', help: 'file system type, as /proc/filesystems names it (default ext4)' }] : []),
      { flags: '-j, --csv', help: 'just print fields: comma-separated values' },
      { flags: '--json', help: 'one JSON object per operation' },
      { flags: '-p PID, --pid PID', help: 'trace this PID only' },
      { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
      { flags: 'min_ms', help: 'minimum I/O duration to trace, in ms (default 10)' },
    ],
    `    sonde ${tool}${t}         # operations slower than 10 ms (default)
    sonde ${tool}${t} 1       # operations slower than 1 ms
    sonde ${tool}${t} -j 1    # ... 1 ms, parsable output (csv)
    sonde ${tool}${t} 0       # all operations (warning: verbose)
    sonde ${tool}${t} -p 185  # trace PID 185 only
${tool === 'fsslower' ? '    sonde fsslower -t xfs 5        # xfs operations slower than 5 ms\n' : ''}`,
  );
}

export async function fsslower(tool: 'ext4slower' | 'fsslower', argv: string[], io: ToolIo): Promise<number> {
  const { values: v, positionals } = parseToolArgs(argv, {
    csv: { type: 'boolean', short: 'j' }, json: { type: 'boolean' }, pid: { type: 'string', short: 'p' },
    verbose: { type: 'boolean', short: 'v' }, ...(tool === 'fsslower' ? { type: { type: 'string' as const, short: 't' } } : {}),
  });
  if (v.help) {
    io.out(fsslowerHelp(tool));
    return 0;
  }
  if (positionals.length > 1) throw new ToolUsageError(`unrecognized arguments: ${positionals.slice(1).join(' ')}`);
  const fstype = (v.type as string | undefined) ?? 'ext4';
  if (!/^[a-z0-9_.]+$/.test(fstype)) throw new ToolUsageError(`-t: not a file system type: ${fstype}`);
  const pid = intOption('-p', v.pid as string | undefined, 1);
  const o: FsslowerOptions = { fstype, minMs: intOption('min_ms', positionals[0], 0) ?? 10, ...(pid !== undefined ? { pid } : {}) };
  const chosen = chooseMechanism([
    { kind: 'fentry', note: `fentry/fexit on the ${fstype} file operations` },
    { kind: 'kprobe', note: 'kprobes on ext4_file_read_iter/write_iter/open and ext4_sync_file (bcc\'s mechanism)', ...(fstype === 'ext4' ? { build: ext4slowerKprobeScript } : {}) },
    {
      kind: 'tracepoint',
      note: `syscall tracepoints (read/write/pread/pwrite/readv/writev families, open/openat/openat2/creat, fsync/fdatasync) filtered to files whose superblock is ${fstype}: latency is the whole system call's, not the file system's alone; mmap'd I/O, io_uring, sendfile and splice are not seen`,
      build: fsslowerTracepointScript,
    },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, tool, chosen, script);
  const csv = v.csv === true;
  const json = v.json === true;
  if (csv) io.out('ENDTIME_us,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE\n');
  else if (!json) io.out(`${l('TIME', 8)} ${l('COMM', 14)} ${l('PID', 6)} T ${l('BYTES', 7)} ${l('OFF_KB', 8)} ${'LAT(ms)'.padStart(7)} FILENAME\n`);
  const banner = csv || json ? '' : `Tracing ${fstype} operations${o.minMs > 0 ? ` slower than ${o.minMs} ms` : ''}... Hit Ctrl-C to end.\n`;
  return runScript(script, { verbose: v.verbose === true, io, banner, ...(pid !== undefined ? { pid } : {}) }, {
    onPrintf: (vals) => {
      const [ts, p, comm, type, bytes, off, lat, file] = vals;
      const t = TYPE_LETTER[num(type)] ?? '?';
      const ns = typeof ts === 'bigint' ? ts : 0n;
      const latNs = typeof lat === 'bigint' ? lat : 0n;
      const offset = typeof off === 'bigint' ? off : 0n;
      if (csv) {
        io.out(`${ns / 1000n},${text(comm)},${num(p)},${t},${num(bytes)},${offset},${latNs / 1000n},${text(file)}\n`);
        return;
      }
      if (json) {
        io.out(jsonLine({ time: hms(), comm: text(comm), pid: num(p), type: t, bytes: num(bytes), offset, lat_ms: Number(latNs) / 1e6, file: text(file) }));
        return;
      }
      io.out(`${l(hms(), 8)} ${l(text(comm).slice(0, 14), 14)} ${l(num(p), 6)} ${t} ${l(num(bytes), 7)} ${l(offset / 1024n, 8)} ${(Number(latNs) / 1e6).toFixed(2).padStart(7)} ${text(file)}\n`);
    },
  });
}

export const fsslowerTool: Tool = {
  name: 'fsslower', summary: 'file system operations slower than a threshold (-t TYPE)',
  run: (argv, io = stdio) => fsslower('fsslower', argv, io),
};
export const ext4slowerTool: Tool = {
  name: 'ext4slower', summary: 'ext4 reads, writes, opens, syncs slower than a threshold',
  run: (argv, io = stdio) => fsslower('ext4slower', argv, io),
};

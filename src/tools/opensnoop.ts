// opensnoop: trace open() syscalls, as bcc's tools/opensnoop.py (same options and columns).
import {
  chooseMechanism, helpText, hasTracepoint, intOption, jsonLine, l, num, parseToolArgs, r, runScript, stdio, stopAfter, text,
  verboseReport, ToolUsageError, type Tool, type ToolIo,
} from './tool.js';

const EXAMPLES = `    sonde opensnoop                    # trace all open() syscalls
    sonde opensnoop -T                 # include timestamps
    sonde opensnoop -U                 # include UID
    sonde opensnoop -x                 # only show failed opens
    sonde opensnoop -p 181             # only trace PID 181
    sonde opensnoop -t 123             # only trace TID 123
    sonde opensnoop -u 1000            # only trace UID 1000
    sonde opensnoop -d 10              # trace for 10 seconds only
    sonde opensnoop -n main            # only process names containing "main"
    sonde opensnoop -e                 # show extended fields
    sonde opensnoop -F                 # show full path of relative opens
    sonde opensnoop -f O_WRONLY -f O_RDWR  # only print calls for writing
    sonde opensnoop -j                 # one JSON object per open
`;

export const OPENSNOOP_HELP = helpText(
  'sonde opensnoop [-h] [-T] [-U] [-x] [-p PID] [-t TID] [-u UID] [-d DURATION] [-n NAME] [-e] [-f FLAG_FILTER] [-F] [-j] [-v]',
  'Trace open() syscalls',
  [
    { flags: '-T, --timestamp', help: 'include timestamp on output' },
    { flags: '-U, --print-uid', help: 'print UID column' },
    { flags: '-x, --failed', help: 'only show failed opens' },
    { flags: '-p PID, --pid PID', help: 'trace this PID only' },
    { flags: '-t TID, --tid TID', help: 'trace this TID only' },
    { flags: '-u UID, --uid UID', help: 'trace this UID only' },
    { flags: '-d DURATION, --duration DURATION', help: 'total duration of trace in seconds' },
    { flags: '-n NAME, --name NAME', help: 'only print process names containing this name' },
    { flags: '-e, --extended_fields', help: 'show extended fields' },
    { flags: '-f FLAG, --flag_filter FLAG', help: 'filter on flags argument (e.g., O_WRONLY)' },
    { flags: '-F, --full-path', help: 'show full path for an open file with relative path' },
    { flags: '-j, --json', help: 'one JSON object per line' },
    { flags: '-v, --verbose', help: 'print the mechanism, the script and in-kernel cost' },
  ],
  EXAMPLES,
);

/** open(2) flags by name (asm-generic values; x86_64 and arm64 share them except O_DIRECT family). */
const O_FLAGS: Record<string, number> = {
  O_RDONLY: 0, O_WRONLY: 0o1, O_RDWR: 0o2, O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: 0o400, O_TRUNC: 0o1000,
  O_APPEND: 0o2000, O_NONBLOCK: 0o4000, O_DSYNC: 0o10000, O_ASYNC: 0o20000, O_DIRECT: 0o40000,
  O_LARGEFILE: 0o100000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000, O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000, O_SYNC: 0o4010000, O_PATH: 0o10000000, O_TMPFILE: 0o20200000,
};

export interface OpensnoopOptions {
  pid?: number;
  tid?: number;
  uid?: number;
  failed?: boolean;
  flagMask?: number;
  /** -F: send the directory a relative path was opened from, component by component. */
  fullPath?: boolean;
}

/** Directory levels -F walks up (bcc's opensnoop also stops at a fixed depth). */
const FULL_PATH_DEPTH = 32;

/**
 * -F in the kernel, as bcc does it: for a relative path, walk from the cwd (AT_FDCWD) or the
 * directory fd's dentry up to the root, crossing mount points through struct mount, and send
 * each name (innermost first) keyed by thread. User space joins them when the open's own event
 * arrives — the process may be gone by then.
 */
function dirWalk(): string {
  return `  if (str(@fname[tid], 2) != "/") {
    if (@dfd[tid] == -100) { $d = curtask->fs->pwd.dentry; $m = curtask->fs->pwd.mnt; }
    else { $f = curtask->files->fdt->fd[@dfd[tid]]; $d = $f->f_path.dentry; $m = $f->f_path.mnt; }
    $i = 0;
    while ($i < ${FULL_PATH_DEPTH}) {
      if ($d == $m->mnt_root) {
        $mnt = kptr((struct mount *)((uint64)$m - offsetof(struct mount, mnt)));
        $par = $mnt->mnt_parent;
        if ($par == $mnt) { break; }
        $d = $mnt->mnt_mountpoint;
        $m = kptr((struct vfsmount *)((uint64)$par + offsetof(struct mount, mnt)));
      } else {
        printf("%d %d %s\\n", tid, $i, str($d->d_name.name));
        $d = $d->d_parent;
      }
      $i++;
    }
  }
`;
}

/** The script: filename pointer and flags kept at entry, the event sent at exit with the result. */
export function opensnoopScript(o: OpensnoopOptions): string {
  const filters: string[] = [];
  if (o.pid !== undefined) filters.push(`pid == ${o.pid}`);
  if (o.tid !== undefined) filters.push(`tid == ${o.tid}`);
  if (o.uid !== undefined) filters.push(`uid == ${o.uid}`);
  const pred = filters.length ? ` /${filters.join(' && ')}/` : '';
  const calls = ['open', 'openat', 'openat2'].filter((c) => hasTracepoint('syscalls', `sys_enter_${c}`));
  const lines: string[] = [];
  for (const c of calls) {
    // openat2's flags are inside struct open_how (a user pointer): not read here, shown as 0.
    const flags = c === 'openat2' ? '0' : 'args->flags';
    const flagPred = o.flagMask !== undefined ? ` && (${flags} & ${o.flagMask})` : '';
    const p = flagPred ? (pred ? pred.replace(/\/$/, `${flagPred}/`) : ` /1${flagPred}/`) : pred;
    // open() is relative to the cwd (AT_FDCWD = -100), openat/openat2 to their dfd.
    const dfd = c === 'open' ? '-100' : '(int32)args->dfd';
    lines.push(`tracepoint:syscalls:sys_enter_${c}${p} { @fname[tid] = args->filename; @flags[tid] = ${flags}; @dfd[tid] = ${dfd}; }`);
  }
  const exits = calls.map((c) => `tracepoint:syscalls:sys_exit_${c}`).join(',\n');
  const failed = o.failed ? ' && args->ret < 0' : '';
  lines.push(`${exits} /@fname[tid]${failed}/ {
${o.fullPath ? dirWalk() : ''}  printf("%llu %d %d %d %s %d %d %s %d\\n", nsecs, pid, tid, uid, comm, args->ret, @flags[tid], str(@fname[tid]), @dfd[tid]);
}`);
  lines.push(`${exits} { delete(@fname[tid]); delete(@flags[tid]); delete(@dfd[tid]); }`);
  return lines.join('\n');
}

export async function opensnoop(argv: string[], io: ToolIo = stdio): Promise<number> {
  const { values: v } = parseToolArgs(argv, {
    timestamp: { type: 'boolean', short: 'T' }, 'print-uid': { type: 'boolean', short: 'U' },
    failed: { type: 'boolean', short: 'x' }, pid: { type: 'string', short: 'p' }, tid: { type: 'string', short: 't' },
    uid: { type: 'string', short: 'u' }, duration: { type: 'string', short: 'd' }, name: { type: 'string', short: 'n' },
    extended_fields: { type: 'boolean', short: 'e' }, flag_filter: { type: 'string', short: 'f', multiple: true },
    'full-path': { type: 'boolean', short: 'F' },
    json: { type: 'boolean', short: 'j' }, verbose: { type: 'boolean', short: 'v' },
  });
  if (v.help) {
    io.out(OPENSNOOP_HELP);
    return 0;
  }
  let flagMask: number | undefined;
  for (const f of (v.flag_filter as string[] | undefined) ?? []) {
    const bits = O_FLAGS[f.toUpperCase()];
    if (bits === undefined) throw new ToolUsageError(`-f: unknown flag ${f} (one of ${Object.keys(O_FLAGS).join(', ')})`);
    flagMask = (flagMask ?? 0) | bits;
  }
  if (flagMask === 0) throw new ToolUsageError('-f O_RDONLY cannot be tested as a bit (it is 0)');
  const o: OpensnoopOptions = {
    ...(v.pid !== undefined ? { pid: intOption('-p', v.pid as string, 1)! } : {}),
    ...(v.tid !== undefined ? { tid: intOption('-t', v.tid as string, 1)! } : {}),
    ...(v.uid !== undefined ? { uid: intOption('-u', v.uid as string, 0)! } : {}),
    ...(v.failed ? { failed: true } : {}),
    ...(flagMask !== undefined ? { flagMask } : {}),
    ...(v['full-path'] ? { fullPath: true } : {}),
  };
  const duration = intOption('-d', v.duration as string | undefined, 1);
  const chosen = chooseMechanism([
    { kind: 'fentry', note: 'fexit on do_sys_openat2 (bcc\'s preference)' },
    { kind: 'kprobe', note: 'kprobe/kretprobe on do_sys_openat2' },
    { kind: 'tracepoint', note: 'syscalls:sys_enter/exit_open, openat, openat2 (stable tracepoints)', build: opensnoopScript },
  ]);
  const script = chosen.build(o);
  if (v.verbose) verboseReport(io, 'opensnoop', chosen, script);
  const json = v.json === true;
  const showTid = o.tid !== undefined;
  if (!json) {
    io.out(`${v.timestamp ? l('TIME(s)', 14) : ''}${v['print-uid'] ? l('UID', 6) : ''}${l(showTid ? 'TID' : 'PID', 6)} ${l('COMM', 16)} ${r('FD', 4)} ${r('ERR', 3)} ${v.extended_fields ? l('FLAGS', 9) : ''}PATH\n`);
  }
  let t0: bigint | undefined;
  const dirs = new Map<number, string[]>();
  const name = v.name as string | undefined;
  return runScript(script, { verbose: v.verbose === true, io, strlen: 256, banner: json ? '' : 'Tracing open() syscalls... Hit Ctrl-C to end.\n' }, {
    onStart: (t) => stopAfter(t, duration),
    onPrintf: (vals) => {
      if (vals.length === 3) {
        // -F: one directory name, innermost first.
        const t = num(vals[0]);
        const list = dirs.get(t) ?? [];
        list[num(vals[1])] = text(vals[2]);
        dirs.set(t, list);
        return;
      }
      const [ts, pid, tid, uid, comm, ret, flags, pathV] = vals;
      let path = text(pathV);
      if (o.fullPath && !path.startsWith('/')) {
        const names = (dirs.get(num(tid)) ?? []).filter((x) => x !== undefined);
        path = `/${[...names].reverse().map((x) => `${x}/`).join('')}${path}`;
      }
      dirs.delete(num(tid));
      const c = text(comm);
      if (name !== undefined && !c.includes(name)) return;
      const rv = num(ret);
      const fd = rv >= 0 ? rv : -1;
      const err = rv >= 0 ? 0 : -rv;
      const ns = typeof ts === 'bigint' ? ts : 0n;
      t0 ??= ns;
      const secs = Number(ns - t0) / 1e9;
      if (json) {
        io.out(jsonLine({ time: secs, uid: num(uid), pid: num(pid), tid: num(tid), comm: c, fd, err, flags: num(flags), path: path }));
        return;
      }
      io.out(`${v.timestamp ? l(secs.toFixed(9), 14) : ''}${v['print-uid'] ? l(num(uid), 6) : ''}${l(showTid ? num(tid) : num(pid), 6)} ${l(c, 16)} ${r(fd, 4)} ${r(err, 3)} ${v.extended_fields ? `${num(flags).toString(8).padStart(8, '0')} ` : ''}${path}\n`);
    },
  });
}

export const opensnoopTool: Tool = { name: 'opensnoop', summary: 'trace open() syscalls: PID COMM FD ERR PATH', run: opensnoop };

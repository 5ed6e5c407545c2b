// task_struct's pid/tgid/comm offsets, kept on disk per kernel: every script that reads pid, tid
// or comm needs them, and finding them means reading and scanning the kernel's BTF (5.5 MB from
// sysfs, ~17 ms of CPU and 6 MB of memory per start). The answer only changes with the kernel,
// so it is stored under the cache directory keyed by the BTF file's identity.
//
// Safe when the directory cannot be written (the answer is computed each time) and when the file
// is damaged (ignored, rewritten). Only a file we own and nobody else may write is believed: the
// offsets become loads in every program, and a planted file must not choose them.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir, release } from 'node:os';
import { join } from 'node:path';
import type { TaskOffsets } from '../lang/kernel-view.js';

const FILE = 'task-offsets.json';
const FORMAT = 1;

/** Where sonde keeps what it learns about the system: $SONDE_CACHE_DIR, $XDG_CACHE_HOME/sonde, /var/cache/sonde (root), ~/.cache/sonde. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SONDE_CACHE_DIR']) return env['SONDE_CACHE_DIR'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'sonde');
  if (process.geteuid?.() === 0) return '/var/cache/sonde';
  return join(homedir(), '.cache', 'sonde');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * What identifies the kernel BTF at `btfPath`: its size and mtime (sysfs gives the boot time), the
 * kernel release and build, and the boot id — a new boot (kexec included) is a new key. undefined
 * when the file cannot be stat'ed (no BTF: nothing to cache).
 */
export function btfIdentity(btfPath: string): string | undefined {
  let st;
  try {
    st = statSync(btfPath);
  } catch {
    return undefined;
  }
  return [btfPath, st.size, st.mtimeMs, st.ino, release(), readText('/proc/sys/kernel/version'), readText('/proc/sys/kernel/random/boot_id')].join('\n');
}

function valid(t: unknown): t is TaskOffsets | null {
  if (t === null) return true;
  if (typeof t !== 'object') return false;
  const o = t as Record<string, unknown>;
  return ['pid', 'tgid', 'comm'].every((k) => Number.isSafeInteger(o[k]) && (o[k] as number) >= 0) && Object.keys(o).length === 3;
}

/** The stored answer for `key`, or undefined (none, another key, damaged, or not trustworthy). */
function load(path: string, key: string): TaskOffsets | null | undefined {
  let fd: number | undefined;
  try {
    // The checks and the read are of one open file, never a symbolic link: a directory others can
    // write to cannot swap the file between the two.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    const uid = process.geteuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    const j = JSON.parse(readFileSync(fd, 'utf8')) as { format?: unknown; key?: unknown; task?: unknown };
    if (j.format !== FORMAT || j.key !== key || !valid(j.task)) return undefined;
    return j.task;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the answer atomically (a reader sees the old file or the new one); failures are ignored. */
function store(dir: string, path: string, key: string, task: TaskOffsets | null): void {
  const tmp = `${path}.${process.pid}.tmp`;
  let created = false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    // O_EXCL: never through a link or a file someone left at that name (the directory may be theirs).
    const fd = openSync(tmp, 'wx', 0o644);
    created = true;
    try {
      writeSync(fd, `${JSON.stringify({ format: FORMAT, key, task })}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch {
    // Leave a file we did not create alone; remove our own half-written one.
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // gone already
      }
    }
  }
}

/**
 * The offsets for the BTF whose identity is `key`: from the cache file in `dir` when it holds
 * this key, else `compute()` (then stored). No key: computed, nothing stored.
 */
export function cachedTaskOffsets(dir: string, key: string | undefined, compute: () => TaskOffsets | undefined): TaskOffsets | undefined {
  if (key === undefined) return compute();
  const path = join(dir, FILE);
  const hit = load(path, key);
  if (hit !== undefined) return hit ?? undefined;
  const task = compute();
  store(dir, path, key, task ?? null);
  return task;
}

/** `/proc/PID/maps`: which file is mapped where in a process. */
import { readFileSync } from 'node:fs';
import { ProcessMapsError } from './errors.js';

export interface MemoryMapping {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** As printed, e.g. "r-xp". */
  readonly perms: string;
  readonly executable: boolean;
  /** File offset of `start`. */
  readonly offset: number;
  readonly devMajor: number;
  readonly devMinor: number;
  /** 0 for anonymous and special mappings. */
  readonly inode: number;
  /** File path, a pseudo name such as "[heap]" or "[vdso]", or "" for anonymous memory. */
  readonly path: string;
  /** The file was unlinked (or replaced) after it was mapped; `path` has the suffix removed. */
  readonly deleted: boolean;
}

/** True for mappings backed by a real file (not [heap], [vdso], anonymous memory…). */
export function isFileBacked(m: MemoryMapping): boolean {
  return m.inode !== 0 && m.path.startsWith('/');
}

const LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+)(?:\s(.*))?$/;

export function parseProcMaps(text: string): MemoryMapping[] {
  const out: MemoryMapping[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    let path = (m[8] ?? '').trimStart();
    const deleted = path.endsWith(' (deleted)');
    if (deleted) path = path.slice(0, -' (deleted)'.length);
    out.push({
      start: Number(BigInt(`0x${m[1]}`)),
      end: Number(BigInt(`0x${m[2]}`)),
      perms: m[3]!,
      executable: m[3]![2] === 'x',
      offset: Number(BigInt(`0x${m[4]}`)),
      devMajor: parseInt(m[5]!, 16),
      devMinor: parseInt(m[6]!, 16),
      inode: Number(m[7]),
      path,
      deleted,
    });
  }
  return out.sort((a, b) => a.start - b.start);
}

export function readProcMaps(pid: number): MemoryMapping[] {
  try {
    return parseProcMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such process' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new ProcessMapsError(pid, reason);
  }
}

/** The mapping containing `addr` (maps must be sorted by start, as parseProcMaps returns them). */
export function findMapping(maps: readonly MemoryMapping[], addr: number): MemoryMapping | undefined {
  let lo = 0;
  let hi = maps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const m = maps[mid]!;
    if (addr < m.start) hi = mid - 1;
    else if (addr >= m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}

// The block tools' workload: direct-I/O writes (dd oflag=direct) to a file on a real disk, and
// the name of that disk as /proc/partitions has it (the whole disk, not a partition).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';

/** A directory on a block device (not tmpfs), and the disk under it; undefined when there is none. */
export function blockScratch(): { dir: string; disk: string; cleanup: () => void } | undefined {
  for (const base of [tmpdir(), '/var/tmp']) {
    const src = execFileSync('findmnt', ['-no', 'SOURCE', '-T', base], { encoding: 'utf8' }).trim();
    const m = /^\/dev\/([\w-]+)$/.exec(src);
    if (!m) continue;
    let disk = m[1]!;
    // A partition's sysfs directory sits inside its disk's: /sys/class/block/vda1 → …/vda/vda1.
    if (existsSync(`/sys/class/block/${disk}/partition`)) {
      disk = basename(dirname(realpathSync(`/sys/class/block/${disk}`)));
    }
    const dir = mkdtempSync(join(base, 'sonde-bio-'));
    return { dir, disk, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  return undefined;
}

/** Writes `count` blocks of `bs` bytes with O_DIRECT over an existing file; resolves with dd's pid. */
export async function directWrites(file: string, count: number, bs = 4096): Promise<number> {
  execFileSync('dd', ['if=/dev/zero', `of=${file}`, `bs=${bs}`, `count=${count}`, 'conv=fsync'], { stdio: 'ignore' });
  const dd = spawn('dd', ['if=/dev/zero', `of=${file}`, `bs=${bs}`, `count=${count}`, 'oflag=direct', 'conv=notrunc'], { stdio: 'ignore' });
  const [code] = (await once(dd, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`dd exited with ${code}`);
  return dd.pid!;
}

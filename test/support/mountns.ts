// A workload in a mount namespace of its own: the mountns_run fixture puts a copy of a program in
// a tmpfs that only that namespace sees, then runs it paused on stdin (see workload.ts).
import { mkdtempSync, readlinkSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildFixture } from '../fixtures/build.js';
import { spawnPaused, type PausedChild } from './workload.js';

export interface NamespacedChild extends PausedChild {
  /** The program's path as the process sees it; nothing is there in our mount namespace. */
  readonly exe: string;
  /** Kills the child (if still running) and removes the (empty, here) directory. */
  stop(): void;
}

/**
 * Starts fixture `program` (built as buildFixture does) with `args` from a tmpfs mounted in a new
 * mount namespace over an empty directory of ours; resolves once it is blocked reading stdin.
 * The program must wait on stdin (e.g. uprobe_target --wait) before doing its work.
 */
export async function startInOwnMountNs(program: string, args: string[]): Promise<NamespacedChild> {
  const [runner, bin] = await Promise.all([buildFixture('mountns_run'), buildFixture(program)]);
  const dir = mkdtempSync('/tmp/sonde-mountns-');
  const child = await spawnPaused(runner, [dir, bin, ...args]);
  const exe = join(dir, basename(bin));
  const seen = readlinkSync(`/proc/${child.pid}/exe`);
  if (seen !== exe) throw new Error(`mountns_run: the process runs ${seen}, expected ${exe}`);
  return {
    ...child,
    exe,
    stop: () => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch { /* gone */ }
      rmdirSync(dir);
    },
  };
}

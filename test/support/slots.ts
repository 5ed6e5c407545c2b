// Shared by the slot-map CLI tests (tidmaps, aggslots): run a tracer, and the syscalls fixture
// copied under a comm of the test's own, so no other test's system calls match its filters.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture } from '../fixtures/build.js';

export const HAVE_BPFTRACE = spawnSync('bpftrace', ['--version'], { encoding: 'utf8' }).status === 0;

/** A tracer's stdout; it must exit 0. */
export function runOk(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LC_ALL: 'C' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The static syscalls fixture ("0x3 8x2": read ×3, lseek ×2; arguments -1, 0, 0) as `comm`, in a temp dir. */
export async function syscallsAs(comm: string): Promise<{ bin: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `sonde-${comm}-`));
  const bin = join(dir, comm);
  copyFileSync(await buildFixture('syscalls-static'), bin);
  return { bin, dir };
}

// bin/sonde run as a user runs it, for tests that check what it prints and how it exits.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

export interface SondeRun {
  code: number | null;
  out: string;
  err: string;
}

/** Runs sonde to its end; `env` is added to this process's environment. */
export function runSonde(args: readonly string[], opts: { env?: Record<string, string>; timeout?: number } = {}): SondeRun {
  const r = spawnSync(SONDE, args, { encoding: 'utf8', timeout: opts.timeout ?? 60_000, ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// sonde's drop-in mode for tests: `bpftrace`, a link to bin/sonde in a directory of its own, as a
// user makes it with `ln -s "$(command -v sonde)" /usr/local/bin/bpftrace`.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SONDE } from './sonde.js';

export { SONDE };

export interface DropIn {
  /** The link: run it and sonde is bpftrace. */
  readonly path: string;
  remove(): void;
}

export function dropInBpftrace(): DropIn {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-dropin-'));
  const path = join(dir, 'bpftrace');
  symlinkSync(SONDE, path);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// `sonde -l [PATTERN]`.
import { listProbes, formatListing } from '../runtime/list.js';
import type { CliOptions } from './options.js';

export async function list(o: CliOptions): Promise<number> {
  const probes = listProbes(o.listPattern, { verbose: o.verbose, ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  process.stdout.write(formatListing(probes));
  return 0;
}

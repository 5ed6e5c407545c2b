// `sonde -l [PATTERN]`.
import { listProbes, formatListing } from '../runtime/list.js';
import { LangError } from '../lang/diagnostic.js';
import type { CliOptions } from './options.js';

export async function list(o: CliOptions): Promise<number> {
  let probes;
  try {
    probes = listProbes(o.listPattern, { verbose: o.verbose, ...(o.pid !== undefined ? { pid: o.pid } : {}) });
  } catch (e) {
    // A pattern no probe name could be: shown with a caret, as a script's errors are.
    if (e instanceof LangError) return (process.stderr.write(`${e.format()}\n`), 1);
    throw e;
  }
  process.stdout.write(formatListing(probes));
  return 0;
}

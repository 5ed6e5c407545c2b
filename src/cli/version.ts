export const VERSION = '0.1.0';

/** The bpftrace release whose language and runtime tests sonde follows (docs/COMPAT.md). */
export const BPFTRACE_LEVEL = '0.17.0';

/**
 * What `--version` prints. Run as `bpftrace` (a link of that name, the drop-in mode), wrappers
 * check for bpftrace's `bpftrace vX.Y.Z`: the language level sonde follows, then the truth.
 */
export function versionLine(as: 'sonde' | 'bpftrace'): string {
  return as === 'bpftrace' ? `bpftrace v${BPFTRACE_LEVEL} (sonde ${VERSION})` : `sonde ${VERSION}`;
}

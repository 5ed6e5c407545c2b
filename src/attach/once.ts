// BEGIN and END: programs that must run exactly once, in sonde's own context (pid, comm are
// sonde's). A raw_tracepoint program run through BPF_PROG_TEST_RUN does exactly that, with no
// attach and nothing to detach (kernel ≥ 5.10).
import type { Program } from '../bpf/program.js';
import { SysError, Errno, UnsupportedError } from '../sys/index.js';

export function runOnce(prog: Program, cpu?: number): number {
  if (prog.spec.kind !== 'raw_tracepoint') {
    throw new Error(`runOnce: program ${prog.name} must be a raw_tracepoint program (is ${prog.spec.kind})`);
  }
  try {
    // A raw tracepoint's context is an array of u64 arguments; BEGIN/END take none.
    return prog.testRun({ ctx: new Uint8Array(8), ...(cpu !== undefined ? { cpu } : {}) }).retval;
  } catch (e) {
    if (e instanceof SysError && (e.errno === Errno.EINVAL || e.errno === Errno.ENOTSUPP || e.errno === Errno.EOPNOTSUPP)) {
      throw new UnsupportedError('BEGIN/END probes', 'BPF_PROG_TEST_RUN of raw tracepoint programs needs Linux 5.10 or later', { cause: e });
    }
    throw e;
  }
}

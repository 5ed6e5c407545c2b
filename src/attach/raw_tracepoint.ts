// rawtracepoint:<name> — BPF_RAW_TRACEPOINT_OPEN: no perf event, arguments are the raw u64s.
import { rawTracepointOpen, SysError, Errno } from '../sys/index.js';
import type { Link } from './link.js';

export class RawTracepointNotFoundError extends Error {
  override readonly name = 'RawTracepointNotFoundError';
  constructor(readonly tracepoint: string) {
    super(`raw tracepoint ${tracepoint} does not exist on this kernel`);
  }
}

export function attachRawTracepoint(progFd: number, name: string): Link {
  const target = `rawtracepoint:${name}`;
  try {
    return { kind: 'rawtracepoint', target, fds: [rawTracepointOpen(name, progFd)] };
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.ENOENT) throw new RawTracepointNotFoundError(name);
    throw e;
  }
}

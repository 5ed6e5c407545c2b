// tracepoint:<category>:<event> — a perf event of type TRACEPOINT with the tracefs id. One fd
// (pid -1, cpu 0) is enough: the program hangs off the tracepoint itself, for every CPU.
import { perfEventOpen, PerfType, PerfFlag, close } from '../sys/index.js';
import { tracepointId } from '../kernel/tracefs.js';
import { attachToPerfEvent, type Link } from './link.js';

export function attachTracepoint(progFd: number, category: string, event: string): Link {
  const target = `tracepoint:${category}:${event}`;
  const id = tracepointId(category, event);
  const pfd = perfEventOpen({ type: PerfType.TRACEPOINT, config: id, sample: 1, wakeupEvents: 1, flags: PerfFlag.disabled }, -1, 0, target);
  try {
    return { kind: 'tracepoint', target, fds: attachToPerfEvent(progFd, pfd, target) };
  } catch (e) {
    close(pfd);
    throw e;
  }
}

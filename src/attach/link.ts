// A Link is whatever keeps one program attached; closing it detaches. Every attach kind returns one.
import { close, closeMany, linkCreate, AttachType, ioctl, PerfIoc, SysError, Errno } from '../sys/index.js';

export interface Link {
  readonly kind: string;
  /** What it is attached to, for messages and `-v` ("tracepoint:syscalls:sys_enter_openat"). */
  readonly target: string;
  /** Every fd this link owns, in the order they must be closed. */
  readonly fds: readonly number[];
  /** Extra teardown after the fds are closed (e.g. removing a tracefs kprobe_events entry). */
  readonly cleanup?: () => void;
}

export function detach(link: Link): void {
  for (const fd of link.fds) close(fd);
  link.cleanup?.();
}

/**
 * Detaches many links at once. Closing perf-event fds waits for RCU grace periods in the kernel;
 * closing them concurrently lets those waits overlap (hundreds of tracepoints: seconds → well under 1 s).
 */
export async function detachAll(links: readonly Link[]): Promise<void> {
  // Links first (program off the hook), then the perf events they referenced.
  const first: number[] = [];
  const second: number[] = [];
  for (const l of links) {
    if (l.fds.length > 1) {
      first.push(...l.fds.slice(0, -1));
      second.push(l.fds[l.fds.length - 1]!);
    } else {
      first.push(...l.fds);
    }
  }
  await closeMany(first);
  await closeMany(second);
  for (const l of links) l.cleanup?.();
}

let perfLinkSupported: boolean | undefined;

/**
 * Attaches a program to an opened perf event fd. Prefers a BPF link (kernel ≥ 5.15) and falls back
 * to PERF_EVENT_IOC_SET_BPF. Returns the fds to close, link first. The perf fd is enabled here.
 */
export function attachToPerfEvent(progFd: number, perfFd: number, what: string, cookie?: bigint): number[] {
  if (perfLinkSupported !== false || cookie !== undefined) {
    try {
      // link_create.perf_event.bpf_cookie u64 @16: what bpf_get_attach_cookie() returns.
      const lfd = linkCreate({ progFd, targetFd: perfFd, attachType: AttachType.PERF_EVENT, ...(cookie !== undefined ? { tail: (v: DataView) => v.setBigUint64(16, cookie, true) } : {}) });
      perfLinkSupported = true;
      ioctl(perfFd, PerfIoc.ENABLE, 0, what);
      return [lfd, perfFd];
    } catch (e) {
      if (!(e instanceof SysError) || (e.errno !== Errno.EINVAL && e.errno !== Errno.EOPNOTSUPP && e.errno !== Errno.ENOTSUPP)) throw e;
      // Without a link there is no cookie to carry.
      if (perfLinkSupported === true || cookie !== undefined) throw e;
      perfLinkSupported = false;
    }
  }
  ioctl(perfFd, PerfIoc.SET_BPF, progFd, what);
  ioctl(perfFd, PerfIoc.ENABLE, 0, what);
  return [perfFd];
}

/**
 * One perf event per CPU of `cpus` (-1: one that follows a task), each made by `open` and running
 * the program; named `target cpuN`. If any open or attach fails, the ones made so far are closed.
 */
export function attachPerCpu(progFd: number, kind: string, target: string, cpus: readonly number[], open: (cpu: number) => number): Link[] {
  const links: Link[] = [];
  try {
    for (const cpu of cpus) {
      const pfd = open(cpu);
      try {
        links.push({ kind, target: cpu >= 0 ? `${target} cpu${cpu}` : target, fds: attachToPerfEvent(progFd, pfd, target) });
      } catch (e) {
        close(pfd);
        throw e;
      }
    }
  } catch (e) {
    for (const l of links) detach(l);
    throw e;
  }
  return links;
}

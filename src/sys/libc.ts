// The only place sonde touches native code: libc through koffi. Everything else calls the typed
// wrappers in this folder. koffi is loaded lazily so pure layers and `--help` never pay for it.
import koffi from 'koffi';
import { SysError } from './errors.js';

const SYSCALL_NR: Record<string, { bpf: number; perf_event_open: number }> = {
  x64: { bpf: 321, perf_event_open: 298 },
  arm64: { bpf: 280, perf_event_open: 241 },
};

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

interface Libc {
  nr: { bpf: number; perf_event_open: number };
  sysBpf: Fn;
  sysPerf: Fn;
  ioctl: Fn;
  mmap: Fn;
  munmap: Fn;
  close: Fn;
  read: Fn;
  write: Fn;
  epollCreate1: Fn;
  epollCtl: Fn;
  epollWait: Fn;
  eventfd: Fn;
  mount: Fn;
  addrOf: Fn;
  getpagesize: Fn;
  clockGettime: Fn;
}

let libc: Libc | undefined;

export function lib(): Libc {
  if (libc) return libc;
  const nr = SYSCALL_NR[process.arch];
  if (!nr) throw new Error(`sonde: unsupported architecture ${process.arch} (x64 and arm64 are supported)`);
  const l = koffi.load('libc.so.6');
  // glibc's syscall() is variadic but passes integer arguments in the same registers as a fixed
  // prototype on x86_64 and arm64, so fixed prototypes avoid koffi's slower variadic path.
  const f = (proto: string) => l.func(proto) as unknown as Fn;
  libc = {
    nr,
    sysBpf: f('long syscall(long nr, long cmd, void *attr, unsigned int size)'),
    sysPerf: f('long syscall(long nr, void *attr, int pid, int cpu, int group_fd, unsigned long flags)'),
    ioctl: f('int ioctl(int fd, unsigned long req, unsigned long arg)'),
    mmap: f('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    munmap: f('int munmap(void *addr, size_t len)'),
    close: f('int close(int fd)'),
    read: f('long read(int fd, void *buf, size_t n)'),
    write: f('long write(int fd, void *buf, size_t n)'),
    epollCreate1: f('int epoll_create1(int flags)'),
    epollCtl: f('int epoll_ctl(int epfd, int op, int fd, void *ev)'),
    epollWait: f('int epoll_wait(int epfd, void *evs, int max, int timeout)'),
    eventfd: f('int eventfd(unsigned int initval, int flags)'),
    mount: f('int mount(const char *src, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    // memmove(p, p, 0) returns p: the cheapest way to learn the address of a buffer's memory.
    addrOf: f('uintptr_t memmove(void *dst, void *src, size_t n)'),
    getpagesize: f('int getpagesize()'),
    clockGettime: f('int clock_gettime(int clk, void *ts)'),
  };
  return libc;
}

export function errno(): number {
  return koffi.errno();
}

/** Throws SysError when a libc call returned -1. */
export function check(op: string, ret: number | bigint, detail?: string): number {
  const r = Number(ret);
  if (r < 0) throw new SysError(op, koffi.errno(), detail);
  return r;
}

/**
 * Stable memory for pointers the kernel reads or writes (keys, values, instruction arrays, logs).
 * ArrayBuffer backing stores are allocated outside V8's moving heap, so the address stays valid
 * for as long as the buffer is referenced.
 */
export class Mem {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly addr: bigint;
  constructor(size: number) {
    const ab = new ArrayBuffer(Math.max(size, 8));
    this.bytes = new Uint8Array(ab, 0, size);
    this.view = new DataView(ab);
    this.addr = BigInt(lib().addrOf(this.bytes, this.bytes, 0) as number | bigint);
  }
  static from(data: Uint8Array): Mem {
    const m = new Mem(data.length);
    m.bytes.set(data);
    return m;
  }
  static cstring(s: string): Mem {
    const b = Buffer.from(s + '\0', 'utf8');
    return Mem.from(b);
  }
}

export function addressOf(buf: Uint8Array): bigint {
  return BigInt(lib().addrOf(buf, buf, 0) as number | bigint);
}

export function close(fd: number): void {
  if (fd < 0) return;
  lib().close(fd);
}

/**
 * Closes many fds concurrently on worker threads. Tearing down perf-event tracepoints waits for
 * RCU grace periods inside close(); done one by one, hundreds of them take tens of seconds, while
 * concurrent closes let the grace periods overlap.
 */
export function closeMany(fds: readonly number[], concurrency = 128): Promise<void> {
  const l = lib();
  return new Promise((resolve) => {
    let next = 0;
    let active = 0;
    // koffi refuses more than max_async_calls (256) queued calls: keep a bounded number in flight.
    const pump = () => {
      while (active < concurrency && next < fds.length) {
        active++;
        l.close.async(fds[next++], () => {
          active--;
          if (next === fds.length && active === 0) resolve();
          else pump();
        });
      }
    };
    if (fds.length === 0) resolve();
    else pump();
  });
}

export function pointerAddress(p: unknown): bigint {
  return koffi.address(p);
}

export function viewOf(p: unknown, len: number): ArrayBuffer {
  return koffi.view(p, len);
}

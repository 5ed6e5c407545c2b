// Waiting for ring/perf buffer readiness without blocking Node's event loop: epoll_wait runs on a
// worker thread (koffi's async call) and an eventfd in the same epoll set lets us wake it to stop.
import { lib, check, close, Mem } from './libc.js';

const EPOLLIN = 0x001;
const EPOLL_CTL_ADD = 1;
const EPOLL_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
// struct epoll_event is packed on x86_64 (12 bytes) and naturally aligned elsewhere (16 bytes).
const EV_SIZE = process.arch === 'x64' ? 12 : 16;
const EV_DATA = process.arch === 'x64' ? 4 : 8;
const WAKE_TOKEN = 0xffffffff;

export class Poller {
  private epfd: number;
  private wakefd: number;
  private events: Mem;
  private readonly max: number;
  private pending: Promise<number[]> | null = null;
  private closed = false;

  constructor(max = 64) {
    const l = lib();
    this.max = max;
    this.epfd = check('epoll_create1', l.epollCreate1(EPOLL_CLOEXEC) as number);
    this.wakefd = check('eventfd', l.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) as number);
    this.events = new Mem(EV_SIZE * max);
    this.add(this.wakefd, WAKE_TOKEN);
  }

  /** Watch fd for readability; `token` (u32) is what wait() reports for it. */
  add(fd: number, token: number): void {
    const ev = new Mem(16);
    ev.view.setUint32(0, EPOLLIN, true);
    ev.view.setUint32(EV_DATA, token, true);
    check('epoll_ctl', lib().epollCtl(this.epfd, EPOLL_CTL_ADD, fd, ev.bytes) as number);
  }

  /**
   * Resolves with the tokens of ready fds (empty on timeout or wake-up). Only one wait at a time.
   * timeoutMs -1 waits until an event or wake().
   */
  wait(timeoutMs: number): Promise<number[]> {
    if (this.closed) return Promise.resolve([]);
    if (this.pending) throw new Error('Poller.wait: already waiting');
    const l = lib();
    this.pending = new Promise((resolve, reject) => {
      l.epollWait.async(this.epfd, this.events.bytes, this.max, timeoutMs, (err: unknown, n: number) => {
        this.pending = null;
        if (err) return reject(err);
        const tokens: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = this.events.view.getUint32(i * EV_SIZE + EV_DATA, true);
          if (t === WAKE_TOKEN) this.drainWake();
          else tokens.push(t);
        }
        resolve(tokens);
      });
    });
    return this.pending;
  }

  /** Makes a pending wait() return now. */
  wake(): void {
    if (this.closed) return;
    const one = new Mem(8);
    one.view.setBigUint64(0, 1n, true);
    lib().write(this.wakefd, one.bytes, 8);
  }

  private drainWake(): void {
    const buf = new Mem(8);
    lib().read(this.wakefd, buf.bytes, 8);
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  /** Closes the epoll and eventfd; a pending wait is woken first and the fds closed once it returns. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending) {
      this.wake();
      await this.pending.catch(() => []);
    }
    this.closed = true;
    close(this.epfd);
    close(this.wakefd);
  }
}

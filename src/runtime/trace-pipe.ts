// --trace-pipe: the lines of tracefs's trace_pipe (bpf_trace_printk output: debugf()) copied to
// the script's output while it runs. trace_pipe is opened non-blocking and drained on a timer and
// once more at the end, so nothing blocks the event loop or a thread-pool thread at exit.
// trace_pipe is the kernel's one global pipe: reading it consumes the lines for every reader.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { tracefsRoot } from '../kernel/tracefs.js';

export class TracePipeReader {
  private readonly fd: number;
  private readonly timer: NodeJS.Timeout;
  private readonly buf = Buffer.alloc(64 * 1024);
  private partial = '';
  private closed = false;

  /** Opens trace_pipe; `write` gets whole lines, newline included. */
  constructor(private readonly write: (text: string) => void, intervalMs = 100, path = join(tracefsRoot(), 'trace_pipe')) {
    try {
      this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      throw new Error(`--trace-pipe: cannot open ${path}: ${(e as Error).message}`);
    }
    this.timer = setInterval(() => this.drain(), intervalMs);
    this.timer.unref();
  }

  /** Copies every complete line available now. */
  drain(): void {
    if (this.closed) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') break;
        throw e;
      }
      if (n <= 0) break;
      const text = this.partial + this.buf.toString('utf8', 0, n);
      const end = text.lastIndexOf('\n') + 1;
      if (end > 0) this.write(text.slice(0, end));
      this.partial = text.slice(end);
    }
  }

  /** A last drain (a line without its newline yet is written too), then closes the pipe. */
  close(): void {
    if (this.closed) return;
    this.drain();
    if (this.partial) this.write(`${this.partial}\n`);
    this.partial = '';
    this.closed = true;
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}

// Where a script's text goes (stdout, or -o FILE), with bpftrace's -B buffering modes.
import { openSync, writeSync, closeSync } from 'node:fs';

export type BufferMode = 'none' | 'line' | 'full';

export interface TextOut {
  write(text: string): void;
  /** Pushes out anything buffered. */
  flush(): void;
  /** A batch of events has been written: push it out unless fully buffered (-B full). */
  endOfBatch?(): void;
}

const FULL_LIMIT = 64 * 1024;

/**
 * Text written to a file descriptor. `none` writes every piece at once, `line` holds a partial
 * line until its newline arrives, `full` holds up to 64 KiB (flushed at the end, or when asked).
 */
export class FdTextOut implements TextOut {
  private buf = '';
  private fd: number;
  private readonly owned: boolean;
  /** Set once a write failed (closed pipe): later text is dropped instead of throwing again. */
  broken: Error | undefined;

  private readonly onError: ((e: Error) => void) | undefined;

  /** `onError` is told once when writing fails for good (a closed pipe: `sonde … | head`). */
  constructor(fd: number, readonly mode: BufferMode = 'line', owned = false, onError?: (e: Error) => void) {
    this.fd = fd;
    this.owned = owned;
    this.onError = onError;
  }

  /** -o FILE: created or truncated, as bpftrace does. */
  static toFile(path: string, mode: BufferMode = 'line', onError?: (e: Error) => void): FdTextOut {
    return new FdTextOut(openSync(path, 'w', 0o644), mode, true, onError);
  }

  endOfBatch(): void {
    if (this.mode !== 'full') this.flush();
  }

  write(text: string): void {
    if (text === '') return;
    if (this.mode === 'none') return this.put(text);
    this.buf += text;
    if (this.mode === 'line') {
      const nl = this.buf.lastIndexOf('\n');
      if (nl >= 0) {
        const out = this.buf.slice(0, nl + 1);
        this.buf = this.buf.slice(nl + 1);
        this.put(out);
      }
    } else if (this.buf.length >= FULL_LIMIT) {
      this.flush();
    }
  }

  flush(): void {
    if (this.buf === '') return;
    const out = this.buf;
    this.buf = '';
    this.put(out);
  }

  close(): void {
    this.flush();
    if (this.owned && this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private put(text: string): void {
    if (this.broken || this.fd < 0) return;
    const b = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < b.length) {
      try {
        off += writeSync(this.fd, b, off, b.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // stdout may be a non-blocking pipe: wait for the reader rather than lose output.
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        this.broken = e as Error;
        this.onError?.(this.broken);
        return;
      }
    }
  }
}

/** Collects text in memory (the library API and tests). */
export class StringTextOut implements TextOut {
  text = '';
  write(text: string): void {
    this.text += text;
  }
  flush(): void {}
}

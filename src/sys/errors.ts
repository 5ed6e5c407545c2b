import { errnoName, errnoSentence } from './errno.js';

/** A failed system call: which operation, the errno and its name, and a plain sentence. */
export class SysError extends Error {
  override readonly name = 'SysError';
  readonly op: string;
  readonly errno: number;
  readonly code: string;
  readonly detail: string | undefined;

  constructor(op: string, errno: number, detail?: string, sentence?: string) {
    const code = errnoName(errno);
    super(`${op}: ${sentence ?? errnoSentence(errno)} (${code})${detail ? `: ${detail}` : ''}`);
    this.op = op;
    this.errno = errno;
    this.code = code;
    this.detail = detail;
  }
}

/** A kernel feature this machine does not have, said plainly (e.g. "kprobes: kernel built without CONFIG_KPROBES"). */
export class UnsupportedError extends Error {
  override readonly name = 'UnsupportedError';
  readonly feature: string;
  readonly reason: string;
  constructor(feature: string, reason: string, options?: { cause?: unknown }) {
    super(`${feature} not supported by this kernel: ${reason}`, options);
    this.feature = feature;
    this.reason = reason;
  }
}

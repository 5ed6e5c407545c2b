/**
 * Where an ELF file's bytes come from. Files are read in ranges on demand so that opening a large
 * binary only costs its headers; every read re-checks the file's identity so that a binary rebuilt
 * underneath us is reported instead of silently mixing bytes of two different files.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { ElfFileChangedError, ElfFormatError } from './errors.js';

/** Identity of a file on disk; two equal identities mean the same bytes (for our purposes). */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface ByteSource {
  /** Name used in error messages (the path for files). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; throws ElfFormatError if the range is outside the source. */
  read(offset: number, length: number): Uint8Array;
}

export function identityOf(path: string): FileIdentity {
  const st = statSync(path);
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new ElfFormatError(name, `truncated: wanted ${length} bytes at offset ${offset}, file has ${size}`);
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name: string = '<memory>',
  ) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this.name, this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** Opens the file for each read: no descriptor outlives a call, so nothing needs closing. */
export class FileSource implements ByteSource {
  readonly identity: FileIdentity;
  readonly size: number;
  constructor(readonly name: string) {
    this.identity = identityOf(name);
    this.size = this.identity.size;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this.name, this.size, offset, length);
    const fd = openSync(this.name, 'r');
    try {
      const st = fstatSync(fd);
      if (!sameIdentity(this.identity, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs })) {
        throw new ElfFileChangedError(this.name);
      }
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new ElfFileChangedError(this.name);
        done += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

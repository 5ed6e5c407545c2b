// mmap(2)/munmap(2) with the mapping exposed as an ArrayBuffer over the kernel's pages (no copies).
import { lib, errno, pointerAddress, viewOf } from './libc.js';
import { SysError } from './errors.js';

export const Prot = { READ: 1, WRITE: 2 } as const;
export const MAP_SHARED = 1;

export class Mapping {
  readonly buffer: ArrayBuffer;
  readonly addr: bigint;
  readonly length: number;
  private ptr: unknown;
  constructor(ptr: unknown, length: number) {
    this.ptr = ptr;
    this.length = length;
    this.addr = pointerAddress(ptr);
    this.buffer = viewOf(ptr, length);
  }
  /** After unmap the buffer must not be touched again: the memory is gone. */
  unmap(): void {
    if (this.ptr === null) return;
    lib().munmap(this.ptr, this.length);
    this.ptr = null;
  }
  get mapped(): boolean {
    return this.ptr !== null;
  }
}

export function mmap(fd: number, length: number, prot: number, offset: number, what: string): Mapping {
  const p = lib().mmap(null, length, prot, MAP_SHARED, fd, offset);
  const addr = p === null ? 0n : pointerAddress(p);
  if (p === null || addr === 0xffffffffffffffffn) throw new SysError(`mmap(${what})`, errno());
  return new Mapping(p, length);
}

let pageSize = 0;
export function getPageSize(): number {
  if (!pageSize) pageSize = Number(lib().getpagesize() as number);
  return pageSize;
}

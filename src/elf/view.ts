/** Little-endian field reads over a byte range, with ELF-flavoured bounds errors. */
import { ElfFormatError } from './errors.js';

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export class LeView {
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    /** File name for error messages. */
    readonly file: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  private check(off: number, n: number): void {
    if (off < 0 || off + n > this.bytes.length) {
      throw new ElfFormatError(this.file, `field at offset ${off} runs past the end of its ${this.bytes.length}-byte table`);
    }
  }
  u8(off: number): number {
    this.check(off, 1);
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    this.check(off, 2);
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    this.check(off, 4);
    return this.dv.getUint32(off, true);
  }
  /** 64-bit field as a number; structural fields (offsets, sizes) beyond 2^53 mean a corrupt file. */
  u64(off: number): number {
    const v = this.u64Big(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ElfFormatError(this.file, `64-bit field at offset ${off} is too large (0x${v.toString(16)})`);
    }
    return Number(v);
  }
  u64Big(off: number): bigint {
    this.check(off, 8);
    return this.dv.getBigUint64(off, true);
  }
  i64Big(off: number): bigint {
    this.check(off, 8);
    return this.dv.getBigInt64(off, true);
  }
}

/** NUL-terminated string at `off`; ELF names are bytes, decoded as UTF-8 (invalid bytes replaced). */
export function cString(bytes: Uint8Array, off: number): string {
  if (off < 0 || off >= bytes.length) return '';
  let end = bytes.indexOf(0, off);
  if (end < 0) end = bytes.length;
  const slice = bytes.subarray(off, end);
  // Nearly every symbol name is ASCII; latin1 decoding is much faster and identical for it.
  for (let i = 0; i < slice.length; i++) {
    if (slice[i]! >= 0x80) return utf8.decode(slice);
  }
  return latin1.decode(slice);
}

/**
 * A string table (.strtab, .dynstr) decoded once: large binaries have 100k+ symbol names, and one
 * latin1 decode plus substring per name is several times faster than a decoder call per name.
 * Tables holding non-ASCII bytes fall back to per-name UTF-8 decoding.
 */
export class StringTable {
  private readonly text: string | undefined;
  constructor(private readonly bytes: Uint8Array) {
    const ascii = !bytes.some((b) => b >= 0x80);
    this.text = ascii ? latin1.decode(bytes) : undefined;
  }
  get(off: number): string {
    if (this.text === undefined) return cString(this.bytes, off);
    if (off < 0 || off >= this.text.length) return '';
    const end = this.text.indexOf('\0', off);
    return this.text.slice(off, end < 0 ? undefined : end);
  }
}

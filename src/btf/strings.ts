import { BtfError } from './error.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * The string section of one BTF blob. Split BTF continues the base's offsets: offset `start` is
 * this blob's first byte, anything below belongs to the base chain.
 */
export class BtfStrings {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly base: BtfStrings | undefined;

  constructor(bytes: Uint8Array, base: BtfStrings | undefined) {
    this.bytes = bytes;
    this.base = base;
    this.start = base ? base.end : 0;
  }

  /** One past the last valid offset, counting the base chain. */
  get end(): number {
    return this.start + this.bytes.length;
  }

  /** The section that holds `off`; throws if no section does. */
  owner(off: number): BtfStrings {
    let s: BtfStrings | undefined = this;
    while (s && off < s.start) s = s.base;
    if (!s || off >= s.end) {
      throw new BtfError('malformed', `string offset ${off} is outside the string section (size ${this.end})`);
    }
    return s;
  }

  /** The NUL-terminated string at `off`. Names are ASCII in practice, so decode that inline. */
  get(off: number): string {
    if (off === 0 && this.start === 0) return '';
    const s = this.owner(off);
    const bytes = s.bytes;
    const from = off - s.start;
    let to = bytes.indexOf(0, from);
    if (to < 0) to = bytes.length; // validated at parse time; defensive
    let out = '';
    for (let i = from; i < to; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return utf8.decode(bytes.subarray(from, to));
      out += String.fromCharCode(b);
    }
    return out;
  }

  /** FNV-1a over the bytes of the string at `off` (same function as {@link hashBytes}). */
  hash(off: number): number {
    const s = this.owner(off);
    const bytes = s.bytes;
    let h = 0x811c9dc5;
    for (let i = off - s.start; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0) break;
      h = Math.imul(h ^ b, 0x01000193);
    }
    return h >>> 0;
  }

  /** Whether the string at `off` is exactly `query` (UTF-8 bytes). */
  equals(off: number, query: Uint8Array): boolean {
    const s = this.owner(off);
    const bytes = s.bytes;
    const from = off - s.start;
    if (from + query.length >= bytes.length) return false;
    for (let i = 0; i < query.length; i++) if (bytes[from + i] !== query[i]) return false;
    return bytes[from + query.length] === 0;
  }
}

/** FNV-1a over raw bytes. */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

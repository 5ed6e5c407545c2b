import { type BtfStrings, hashBytes } from './strings.js';

const utf8 = new TextEncoder();

/**
 * A name → entries hash index over string offsets, built without making one JS string per entry:
 * hashing reads the string section bytes in place, and a lookup compares bytes. Entries are small
 * integers (a type's local index, or an enumerator's slot); chains keep them in ascending order.
 */
export class NameIndex {
  private readonly heads: Int32Array;
  private readonly next: Int32Array;
  private readonly hashes: Uint32Array;
  private readonly nameOffs: Uint32Array;
  private readonly strings: BtfStrings;
  private readonly mask: number;

  /** `nameOffs[i]` is entry i's name; entries with offset 0 (anonymous) are left out. */
  constructor(nameOffs: Uint32Array, strings: BtfStrings) {
    const n = nameOffs.length;
    let size = 16;
    while (size < n) size *= 2;
    this.mask = size - 1;
    this.heads = new Int32Array(size).fill(-1);
    this.next = new Int32Array(n);
    this.hashes = new Uint32Array(n);
    this.nameOffs = nameOffs;
    this.strings = strings;
    // Insert from the back so each chain lists entries in ascending order.
    for (let i = n - 1; i >= 0; i--) {
      const off = nameOffs[i]!;
      if (off === 0) continue;
      const h = strings.hash(off);
      this.hashes[i] = h;
      const b = h & this.mask;
      this.next[i] = this.heads[b]!;
      this.heads[b] = i;
    }
  }

  /** Entries whose name is exactly `name`, ascending. */
  lookup(name: string): number[] {
    const out: number[] = [];
    if (name === '') return out;
    const q = utf8.encode(name);
    const h = hashBytes(q);
    for (let i = this.heads[h & this.mask]!; i >= 0; i = this.next[i]!) {
      if (this.hashes[i] === h && this.nameOffs[i] !== 0 && this.strings.equals(this.nameOffs[i]!, q)) out.push(i);
    }
    return out;
  }
}

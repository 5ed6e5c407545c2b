/** Fixed-size bit sets over small integers, for liveness and interference. */
export class BitSet {
  readonly words: Uint32Array;
  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }

  delete(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }

  clear(): void {
    this.words.fill(0);
  }

  copyFrom(o: BitSet): void {
    this.words.set(o.words);
  }

  /** this |= o; true if this changed. */
  union(o: BitSet): boolean {
    const a = this.words;
    const b = o.words;
    let changed = false;
    for (let k = 0; k < a.length; k++) {
      const v = (a[k]! | b[k]!) >>> 0;
      if (v !== a[k]) {
        a[k] = v;
        changed = true;
      }
    }
    return changed;
  }

  /** this &= o */
  intersect(o: BitSet): void {
    const a = this.words;
    const b = o.words;
    for (let k = 0; k < a.length; k++) a[k]! &= b[k]!;
  }

  equals(o: BitSet): boolean {
    const a = this.words;
    const b = o.words;
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
    return true;
  }

  isEmpty(): boolean {
    for (const w of this.words) if (w !== 0) return false;
    return true;
  }

  forEach(f: (i: number) => void): void {
    const a = this.words;
    for (let k = 0; k < a.length; k++) {
      let w = a[k]!;
      while (w !== 0) {
        const low = w & -w;
        f((k << 5) + 31 - Math.clz32(low));
        w ^= low;
      }
    }
  }

  clone(): BitSet {
    const c = new BitSet(this.size);
    c.words.set(this.words);
    return c;
  }
}

/**
 * A set of small integers with O(1) add/delete/clear and iteration over its members only
 * (Briggs & Torczon's sparse set), for live sets walked once per definition.
 */
export class SparseSet {
  readonly dense: Int32Array;
  private readonly sparse: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.dense = new Int32Array(capacity);
    this.sparse = new Int32Array(capacity);
  }

  has(i: number): boolean {
    const p = this.sparse[i]!;
    return p < this.size && this.dense[p] === i;
  }

  add(i: number): void {
    if (this.has(i)) return;
    this.dense[this.size] = i;
    this.sparse[i] = this.size++;
  }

  delete(i: number): void {
    if (!this.has(i)) return;
    const p = this.sparse[i]!;
    const last = this.dense[--this.size]!;
    this.dense[p] = last;
    this.sparse[last] = p;
  }

  clear(): void {
    this.size = 0;
  }
}

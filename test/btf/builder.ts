/**
 * A small BTF encoder for tests: build types by hand, get the exact bytes a compiler or pahole
 * would write. Independent of src/btf (it shares no code), so a parser bug cannot hide in it.
 */

const KIND = {
  int: 1, ptr: 2, array: 3, struct: 4, union: 5, enum: 6, fwd: 7, typedef: 8, volatile: 9, const: 10,
  restrict: 11, func: 12, func_proto: 13, var: 14, datasec: 15, float: 16, decl_tag: 17, type_tag: 18, enum64: 19,
} as const;

/** [name, type, bitOffset, bitfieldSize?] */
export type MemberSpec = readonly [string, number, number, number?];

export interface EncodeOptions {
  bigEndian?: boolean;
  /** Extra zero bytes after the 24-byte header (a newer, longer header). */
  headerPad?: number;
  /** Put the string section before the type section. */
  stringsFirst?: boolean;
}

export class BtfBuilder {
  private readonly words: number[] = [];
  private readonly strs = new Map<string, number>();
  private strBytes: number[] = [];
  readonly firstId: number;
  private count = 0;
  /** Offset of this builder's first string (the base's string length, for split BTF). */
  readonly strStart: number;
  private readonly base: BtfBuilder | undefined;

  constructor(base?: BtfBuilder) {
    this.base = base;
    this.firstId = base ? base.nextId : 1;
    this.strStart = base ? base.strEnd : 0;
    if (!base) {
      this.strBytes.push(0);
      this.strs.set('', 0);
    }
  }

  get nextId(): number {
    return this.firstId + this.count;
  }

  get strEnd(): number {
    return this.strStart + this.strBytes.length;
  }

  /** Offset of `s`, reusing the base's copy when it has one (as split BTF does). */
  str(s: string): number {
    if (s === '') return 0;
    const inBase = this.base?.findStr(s);
    if (inBase !== undefined) return inBase;
    let off = this.strs.get(s);
    if (off === undefined) {
      off = this.strEnd;
      this.strs.set(s, off);
      this.strBytes.push(...new TextEncoder().encode(s), 0);
    }
    return off;
  }

  private findStr(s: string): number | undefined {
    return this.base?.findStr(s) ?? this.strs.get(s);
  }

  /** Append raw words as one type record; returns its id. */
  raw(...words: number[]): number {
    this.words.push(...words.map((w) => w >>> 0));
    return this.firstId + this.count++;
  }

  private head(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number): number[] {
    return [this.str(name), ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType];
  }

  int(name: string, size: number, o: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; offset?: number } = {}): number {
    const enc = (o.signed ? 1 : 0) | (o.char ? 2 : 0) | (o.bool ? 4 : 0);
    return this.raw(...this.head(name, KIND.int, 0, false, size), (enc << 24) | ((o.offset ?? 0) << 16) | (o.bits ?? size * 8));
  }
  ptr(type: number): number {
    return this.raw(...this.head('', KIND.ptr, 0, false, type));
  }
  array(elem: number, nelems: number, indexType = 0): number {
    return this.raw(...this.head('', KIND.array, 0, false, 0), elem, indexType, nelems);
  }
  struct(name: string, size: number, members: readonly MemberSpec[], kflag = true, union = false): number {
    const rec = this.head(name, union ? KIND.union : KIND.struct, members.length, kflag, size);
    for (const [n, type, off, bf] of members) rec.push(this.str(n), type, kflag ? ((bf ?? 0) << 24) | off : off);
    return this.raw(...rec);
  }
  union(name: string, size: number, members: readonly MemberSpec[], kflag = true): number {
    return this.struct(name, size, members, kflag, true);
  }
  enum(name: string, size: number, values: readonly (readonly [string, number])[], signed = false): number {
    const rec = this.head(name, KIND.enum, values.length, signed, size);
    for (const [n, v] of values) rec.push(this.str(n), v);
    return this.raw(...rec);
  }
  enum64(name: string, size: number, values: readonly (readonly [string, bigint])[], signed = false): number {
    const rec = this.head(name, KIND.enum64, values.length, signed, size);
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      rec.push(this.str(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.raw(...rec);
  }
  fwd(name: string, union = false): number {
    return this.raw(...this.head(name, KIND.fwd, 0, union, 0));
  }
  typedef(name: string, type: number): number {
    return this.raw(...this.head(name, KIND.typedef, 0, false, type));
  }
  volatile(type: number): number {
    return this.raw(...this.head('', KIND.volatile, 0, false, type));
  }
  const(type: number): number {
    return this.raw(...this.head('', KIND.const, 0, false, type));
  }
  restrict(type: number): number {
    return this.raw(...this.head('', KIND.restrict, 0, false, type));
  }
  typeTag(name: string, type: number, attribute = false): number {
    return this.raw(...this.head(name, KIND.type_tag, 0, attribute, type));
  }
  declTag(name: string, type: number, componentIdx: number, attribute = false): number {
    return this.raw(...this.head(name, KIND.decl_tag, 0, attribute, type), componentIdx);
  }
  /** linkage: 0 static, 1 global, 2 extern (stored in vlen). */
  func(name: string, proto: number, linkage = 1): number {
    return this.raw(...this.head(name, KIND.func, linkage, false, proto));
  }
  funcProto(ret: number, params: readonly (readonly [string, number])[], variadic = false): number {
    const all = variadic ? [...params, ['', 0] as const] : params;
    const rec = this.head('', KIND.func_proto, all.length, false, ret);
    for (const [n, t] of all) rec.push(this.str(n), t);
    return this.raw(...rec);
  }
  var(name: string, type: number, linkage = 1): number {
    return this.raw(...this.head(name, KIND.var, 0, false, type), linkage);
  }
  datasec(name: string, size: number, vars: readonly (readonly [number, number, number])[]): number {
    const rec = this.head(name, KIND.datasec, vars.length, false, size);
    for (const v of vars) rec.push(...v);
    return this.raw(...rec);
  }
  float(name: string, size: number): number {
    return this.raw(...this.head(name, KIND.float, 0, false, size));
  }

  /** The blob: header, then types, then strings (or the other way round). */
  encode(o: EncodeOptions = {}): Uint8Array {
    const hdrLen = 24 + (o.headerPad ?? 0);
    const typeLen = this.words.length * 4;
    const strLen = this.strBytes.length;
    const typeOff = o.stringsFirst ? strLen + ((4 - (strLen % 4)) % 4) : 0;
    const strOff = o.stringsFirst ? 0 : typeLen;
    const buf = new Uint8Array(hdrLen + Math.max(typeOff + typeLen, strOff + strLen));
    const view = new DataView(buf.buffer);
    const le = !o.bigEndian;
    view.setUint16(0, 0xeb9f, le);
    buf[2] = 1; // version
    view.setUint32(4, hdrLen, le);
    view.setUint32(8, typeOff, le);
    view.setUint32(12, typeLen, le);
    view.setUint32(16, strOff, le);
    view.setUint32(20, strLen, le);
    this.words.forEach((w, i) => view.setUint32(hdrLen + typeOff + i * 4, w, le));
    buf.set(this.strBytes, hdrLen + strOff);
    return buf;
  }
}

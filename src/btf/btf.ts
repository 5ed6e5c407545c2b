import { BtfError } from './error.js';
import { NameIndex } from './name-index.js';
import { BtfStrings } from './strings.js';
import {
  KIND,
  KIND_NAMES,
  type BtfEnumerator,
  type BtfKind,
  type BtfMember,
  type BtfParam,
  type BtfType,
  type BtfVarSecinfo,
  type BtfVoid,
  type EnumValueInfo,
  type FuncInfo,
  type Linkage,
  type MemberInfo,
} from './types.js';
import { MAX_CHAIN, alignOf, findMember, member, memberPath, sizeOf } from './layout.js';
import { cTypeName } from './c-name.js';

const MAGIC = 0xeb9f;
const HEADER_LEN = 24;

const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Words after the 3-word btf_type header: FIXED[kind] + PER_VLEN[kind] * vlen; -1 = unknown kind. */
const FIXED = new Int8Array(32).fill(-1);
const PER_VLEN = new Int8Array(32);
for (const k of Object.values(KIND)) FIXED[k] = 0;
FIXED[KIND.int] = 1;
FIXED[KIND.array] = 3;
FIXED[KIND.var] = 1;
FIXED[KIND.decl_tag] = 1;
PER_VLEN[KIND.struct] = 3;
PER_VLEN[KIND.union] = 3;
PER_VLEN[KIND.enum] = 2;
PER_VLEN[KIND.func_proto] = 2;
PER_VLEN[KIND.datasec] = 3;
PER_VLEN[KIND.enum64] = 3;

const LINKAGE: readonly Linkage[] = ['static', 'global', 'extern'];
const VOID: BtfVoid = Object.freeze({ kind: 'void', id: 0, name: '' });

/** Kinds that only rename or qualify another type: what {@link Btf.resolve} skips. */
const TRANSPARENT = new Uint8Array(32);
TRANSPARENT[KIND.typedef] = 1;
TRANSPARENT[KIND.const] = 1;
TRANSPARENT[KIND.volatile] = 1;
TRANSPARENT[KIND.restrict] = 1;
TRANSPARENT[KIND.type_tag] = 1;

export interface ParseOptions {
  /** What this blob is ('vmlinux', a module name): used in error messages. */
  readonly name?: string;
}

/**
 * One BTF blob (plus its base, for split BTF). Opening costs one pass over the type section that
 * records where each type starts; types become objects only when asked for, and are cached.
 */
export class Btf {
  /** The base this split BTF continues, if any. */
  readonly base: Btf | undefined;
  /** Label for messages, e.g. 'vmlinux'. */
  readonly label: string;
  /** First type id defined by this blob (1 for a base, base.nextId for split BTF). */
  readonly firstId: number;
  /** Number of types this blob defines (not counting the base's). */
  readonly ownTypeCount: number;
  /** Byte order the blob was written in. */
  readonly littleEndian: boolean;
  readonly strings: BtfStrings;

  /** The type section as native-order u32 words: every BTF record is a whole number of words. */
  private readonly words: Uint32Array;
  /** Word offset of each own type, by `id - firstId`. */
  private readonly offsets: Uint32Array;
  private readonly cache = new Map<number, BtfType>();
  private names: NameIndex | undefined;
  /** Lookups answered by a scan, before the name index was built (see find). */
  private scans = 0;
  private enumerators: { index: NameIndex; pos: Uint32Array; owner: Uint32Array } | undefined;
  private ptrSize: number | undefined;

  private constructor(
    base: Btf | undefined,
    label: string,
    littleEndian: boolean,
    words: Uint32Array,
    offsets: Uint32Array,
    strings: BtfStrings,
  ) {
    this.base = base;
    this.label = label;
    this.littleEndian = littleEndian;
    this.words = words;
    this.offsets = offsets;
    this.strings = strings;
    this.firstId = base ? base.nextId : 1;
    this.ownTypeCount = offsets.length;
  }

  /**
   * Parse a BTF blob. With `base`, the blob is split BTF (a kernel module's): its type ids and
   * string offsets continue where the base's end. The bytes are referenced, not copied, when they
   * are in host order and 4-byte aligned.
   */
  static parse(bytes: Uint8Array, base?: Btf, options: ParseOptions = {}): Btf {
    const label = options.name ?? (base ? 'split' : 'this');
    const bad = (msg: string, byteOffset?: number): BtfError =>
      new BtfError('malformed', `${label} BTF is malformed: ${msg}`, byteOffset === undefined ? {} : { byteOffset });
    if (bytes.length < HEADER_LEN) throw bad(`${bytes.length} bytes is too short for a BTF header`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = dv.getUint16(0, true);
    let le: boolean;
    if (magic === MAGIC) le = true;
    else if (magic === 0x9feb) le = false;
    else throw bad(`magic is 0x${magic.toString(16)}, not 0xeb9f`, 0);
    const version = bytes[2]!;
    if (version !== 1) throw bad(`version ${version}, only version 1 is known`, 2);
    const hdrLen = dv.getUint32(4, le);
    if (hdrLen < HEADER_LEN || hdrLen > bytes.length) throw bad(`header length ${hdrLen} is invalid`, 4);
    const typeOff = dv.getUint32(8, le);
    const typeLen = dv.getUint32(12, le);
    const strOff = dv.getUint32(16, le);
    const strLen = dv.getUint32(20, le);
    const dataLen = bytes.length - hdrLen;
    if (typeOff % 4 !== 0 || typeLen % 4 !== 0) throw bad(`type section (offset ${typeOff}, length ${typeLen}) is not 4-byte aligned`, 8);
    if (typeOff + typeLen > dataLen) throw bad(`type section runs past the end of the data`, 8);
    if (strOff + strLen > dataLen) throw bad(`string section runs past the end of the data`, 16);
    if (typeLen > 0 && strLen > 0 && typeOff < strOff + strLen && strOff < typeOff + typeLen) {
      throw bad('type and string sections overlap', 8);
    }
    const strStart = hdrLen + strOff;
    if (!base && (strLen === 0 || bytes[strStart] !== 0)) throw bad('string section must start with an empty string', strStart);
    if (strLen > 0 && bytes[strStart + strLen - 1] !== 0) throw bad('string section does not end with a NUL', strStart + strLen - 1);

    const typeStart = hdrLen + typeOff;
    const nWords = typeLen / 4;
    let words: Uint32Array;
    if (le === HOST_LE && (bytes.byteOffset + typeStart) % 4 === 0) {
      words = new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, nWords);
    } else {
      words = new Uint32Array(nWords);
      for (let i = 0; i < nWords; i++) words[i] = dv.getUint32(typeStart + i * 4, le);
    }
    const firstId = base ? base.nextId : 1;
    const offsets = scan(words, firstId, typeStart, bad);
    const strings = new BtfStrings(bytes.subarray(strStart, strStart + strLen), base?.strings);
    return new Btf(base, label, le, words, offsets, strings);
  }

  /** One past the highest type id (base types included). */
  get nextId(): number {
    return this.firstId + this.ownTypeCount;
  }

  /** Number of type ids in use, base types included, not counting void (id 0). */
  get typeCount(): number {
    return this.nextId - 1;
  }

  /** Where the raw record for `id` lives, or throws for an id outside this BTF. */
  private locate(id: number): { btf: Btf; pos: number } {
    if (Number.isInteger(id) && id >= this.firstId && id < this.nextId) return { btf: this, pos: this.offsets[id - this.firstId]! };
    if (this.base && Number.isInteger(id) && id > 0 && id < this.firstId) return this.base.locate(id);
    throw new BtfError('bad-id', `type id ${id} does not exist in ${this.label} BTF (ids run 1..${this.nextId - 1})`, { typeId: id });
  }

  /** The kind of a type, read from the raw record without inflating it. */
  kindOf(id: number): BtfKind {
    if (id === 0) return 'void';
    const { btf, pos } = this.locate(id);
    return KIND_NAMES[(btf.words[pos + 1]! >>> 24) & 0x1f]!;
  }

  /** The name of a type ('' if anonymous), without inflating it. */
  nameOf(id: number): string {
    if (id === 0) return '';
    const { btf, pos } = this.locate(id);
    return btf.strings.get(btf.words[pos]!);
  }

  /** The type with this id, as a plain record. Id 0 is void. */
  typeById(id: number): BtfType {
    if (id === 0) return VOID;
    if (id < this.firstId && this.base) return this.base.typeById(id);
    const hit = this.cache.get(id);
    if (hit) return hit;
    const { pos } = this.locate(id);
    const t = Object.freeze(this.inflate(id, pos));
    this.cache.set(id, t);
    return t;
  }

  private inflate(id: number, p: number): BtfType {
    const w = this.words;
    const s = this.strings;
    const name = s.get(w[p]!);
    const info = w[p + 1]!;
    const kind = KIND_NAMES[(info >>> 24) & 0x1f]!;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = w[p + 2]!;
    switch (kind) {
      case 'int': {
        const v = w[p + 3]!;
        const enc = (v >>> 24) & 0x0f;
        return {
          kind, id, name, size: sizeOrType,
          signed: (enc & 1) !== 0, char: (enc & 2) !== 0, bool: (enc & 4) !== 0,
          bits: v & 0xff, bitOffset: (v >>> 16) & 0xff,
        };
      }
      case 'ptr':
        return { kind, id, name, type: sizeOrType };
      case 'array':
        return { kind, id, name, type: w[p + 3]!, indexType: w[p + 4]!, nelems: w[p + 5]! };
      case 'struct':
      case 'union': {
        const members: BtfMember[] = new Array(vlen);
        for (let i = 0, m = p + 3; i < vlen; i++, m += 3) {
          const type = w[m + 1]!;
          const off = w[m + 2]!;
          let bitOffset: number;
          let bitfieldSize: number;
          if (kflag) {
            bitOffset = off & 0xffffff;
            bitfieldSize = off >>> 24;
          } else {
            // Legacy encoding: a bitfield is a member whose INT type is narrower than its storage.
            bitOffset = off;
            bitfieldSize = 0;
            const intId = this.resolve(type);
            if (intId !== 0 && this.kindOf(intId) === 'int') {
              const loc = this.locate(intId);
              const size = loc.btf.words[loc.pos + 2]!;
              const v = loc.btf.words[loc.pos + 3]!;
              const bits = v & 0xff;
              const intOff = (v >>> 16) & 0xff;
              if (bits !== size * 8 || intOff !== 0) {
                bitfieldSize = bits;
                bitOffset += intOff;
              }
            }
          }
          members[i] = { name: s.get(w[m]!), type, bitOffset, bitfieldSize };
        }
        return { kind, id, name, size: sizeOrType, members };
      }
      case 'enum': {
        const values: BtfEnumerator[] = new Array(vlen);
        for (let i = 0, e = p + 3; i < vlen; i++, e += 2) {
          const raw = w[e + 1]!;
          values[i] = { name: s.get(w[e]!), value: BigInt(kflag ? raw | 0 : raw) };
        }
        return { kind, id, name, size: sizeOrType, signed: kflag, values };
      }
      case 'enum64': {
        const values: BtfEnumerator[] = new Array(vlen);
        for (let i = 0, e = p + 3; i < vlen; i++, e += 3) {
          values[i] = { name: s.get(w[e]!), value: enum64Value(w[e + 1]!, w[e + 2]!, kflag) };
        }
        return { kind, id, name, size: sizeOrType, signed: kflag, values };
      }
      case 'fwd':
        return { kind, id, name, fwdKind: kflag ? 'union' : 'struct' };
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
        return { kind, id, name, type: sizeOrType };
      case 'type_tag':
        return { kind, id, name, type: sizeOrType, attribute: kflag };
      case 'func':
        return { kind, id, name, type: sizeOrType, linkage: this.linkage(vlen, id) };
      case 'func_proto': {
        const params: BtfParam[] = [];
        let variadic = false;
        for (let i = 0, q = p + 3; i < vlen; i++, q += 2) {
          const nameOff = w[q]!;
          const type = w[q + 1]!;
          // A trailing nameless param of type void is how BTF spells `...`.
          if (i === vlen - 1 && nameOff === 0 && type === 0) variadic = true;
          else params.push({ name: s.get(nameOff), type });
        }
        return { kind, id, name, returnType: sizeOrType, params, variadic };
      }
      case 'var':
        return { kind, id, name, type: sizeOrType, linkage: this.linkage(w[p + 3]!, id) };
      case 'datasec': {
        const vars: BtfVarSecinfo[] = new Array(vlen);
        for (let i = 0, v = p + 3; i < vlen; i++, v += 3) vars[i] = { type: w[v]!, offset: w[v + 1]!, size: w[v + 2]! };
        return { kind, id, name, size: sizeOrType, vars };
      }
      case 'float':
        return { kind, id, name, size: sizeOrType };
      case 'decl_tag':
        return { kind, id, name, type: sizeOrType, componentIdx: w[p + 3]! | 0, attribute: kflag };
      default:
        throw new BtfError('malformed', `type #${id} has unknown kind ${kind}`, { typeId: id });
    }
  }

  private linkage(n: number, id: number): Linkage {
    const l = LINKAGE[n];
    if (!l) throw new BtfError('malformed', `${this.label} BTF is malformed: type #${id} has unknown linkage ${n}`, { typeId: id });
    return l;
  }

  /**
   * Ids of the types named `name`, ascending, base types first. With `kind`, only types of that
   * kind (or of any of those kinds). The name index is built on the first call.
   */
  find(name: string, kind?: BtfKind | readonly BtfKind[]): number[] {
    const out = this.base ? this.base.find(name, kind) : [];
    // The index costs ~10 ms for the kernel's 150k types; a scan ~0.3 ms. A compile that wants
    // a type or two (task_struct for pid/comm) scans; one that wants many builds the index.
    const locals = this.names === undefined && ++this.scans <= 8 ? this.scanName(name) : (this.names ??= this.buildNameIndex()).lookup(name);
    const kinds = kind === undefined ? undefined : typeof kind === 'string' ? [kind] : kind;
    for (const local of locals) {
      const id = this.firstId + local;
      if (!kinds || kinds.includes(this.kindOf(id))) out.push(id);
    }
    return out;
  }

  /** The first type named `name` of the given kind(s); throws `not-found` if there is none. */
  findOne(name: string, kind: BtfKind | readonly BtfKind[]): number {
    const ids = this.find(name, kind);
    if (ids.length === 0) {
      const what = typeof kind === 'string' ? kind : kind.join(' or ');
      throw new BtfError('not-found', `no ${what} named '${name}' in ${this.label} BTF`);
    }
    return ids[0]!;
  }

  /**
   * Local indexes of the own types named exactly `name`, ascending, as the name index gives them:
   * the name's offsets are found in the string sections (base chain included), then the types'
   * name words are compared with them.
   */
  private scanName(name: string): number[] {
    const out: number[] = [];
    if (name === '') return out;
    const q = Buffer.from(name, 'utf8');
    const offs: number[] = [];
    for (let s: BtfStrings | undefined = this.strings; s !== undefined; s = s.base) {
      const hay = Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
      for (let p = hay.indexOf(q); p >= 0; p = hay.indexOf(q, p + 1)) {
        if (p + q.length < hay.length && hay[p + q.length] === 0 && s.start + p !== 0) offs.push(s.start + p);
      }
    }
    if (offs.length === 0) return out;
    const one = offs.length === 1 ? offs[0]! : -1;
    const many = offs.length > 1 ? new Set(offs) : undefined;
    const w = this.words;
    const o = this.offsets;
    for (let i = 0; i < o.length; i++) {
      const off = w[o[i]!]!;
      if (off === one || (many !== undefined && many.has(off))) out.push(i);
    }
    return out;
  }

  private buildNameIndex(): NameIndex {
    const nameOffs = new Uint32Array(this.ownTypeCount);
    for (let i = 0; i < nameOffs.length; i++) nameOffs[i] = this.words[this.offsets[i]!]!;
    return new NameIndex(nameOffs, this.strings);
  }

  /** Follow typedef, const, volatile, restrict and type_tag down to the type they name. */
  resolve(id: number): number {
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      if (id === 0) return 0;
      const { btf, pos } = this.locate(id);
      if (!TRANSPARENT[(btf.words[pos + 1]! >>> 24) & 0x1f]) return id;
      id = btf.words[pos + 2]!;
    }
    throw new BtfError('malformed', `${this.label} BTF: typedef/qualifier chain from type #${id} is too long (a loop?)`, { typeId: id });
  }

  /** Size in bytes, as C's sizeof. Throws `no-size` for void, functions and forward declarations. */
  sizeof(id: number): number {
    return sizeOf(this, id);
  }

  /** Alignment in bytes, as C's _Alignof; 1 for packed structs. */
  alignof(id: number): number {
    return alignOf(this, id);
  }

  /**
   * Member `name` of a struct or union (typedefs and qualifiers on `structId` are followed),
   * looking inside anonymous struct/union members as C does. Throws `no-member` if absent.
   */
  member(structId: number, name: string): MemberInfo {
    return member(this, structId, name);
  }

  /** Like {@link member} but `undefined` when absent (still throws if `structId` is not a struct/union). */
  findMember(structId: number, name: string): MemberInfo | undefined {
    return findMember(this, structId, name);
  }

  /**
   * A dotted member path such as `__sk_common.skc_dport` or `comm[2]`, with offsets summed from
   * the outer struct. Steps go through embedded structs and arrays only, never through pointers.
   */
  memberPath(structId: number, path: string): MemberInfo {
    return memberPath(this, structId, path);
  }

  /**
   * The FUNC named `name` with its prototype's parameters (what fentry/fexit args are). If BTF
   * holds several FUNCs of that name (static functions in different files), the first is used.
   */
  funcProto(name: string): FuncInfo {
    const funcId = this.findOne(name, 'func');
    const fn = this.typeById(funcId);
    if (fn.kind !== 'func') throw new BtfError('wrong-kind', `${name} is a ${fn.kind}, not a function`, { typeId: funcId });
    const proto = this.typeById(fn.type);
    if (proto.kind !== 'func_proto') {
      throw new BtfError('malformed', `function ${name} (type #${funcId}) points at a ${proto.kind}, not a prototype`, { typeId: funcId });
    }
    return {
      funcId, protoId: proto.id, name, linkage: fn.linkage,
      returnType: proto.returnType, params: proto.params, variadic: proto.variadic,
    };
  }

  /** The enumerator constant `name` from whichever enum declares it; throws `not-found`. */
  enumValue(name: string): EnumValueInfo {
    const v = this.findEnumValue(name);
    if (!v) throw new BtfError('not-found', `no enum constant named '${name}' in ${this.label} BTF (macros like TASK_RUNNING are not in BTF)`);
    return v;
  }

  /** Like {@link enumValue} but `undefined` when absent. Base BTF is searched first. */
  findEnumValue(name: string): EnumValueInfo | undefined {
    const fromBase = this.base?.findEnumValue(name);
    if (fromBase) return fromBase;
    this.enumerators ??= this.buildEnumeratorIndex();
    const { index, pos, owner } = this.enumerators;
    const hits = index.lookup(name);
    if (hits.length === 0) return undefined;
    const e = pos[hits[0]!]!;
    const enumId = this.firstId + owner[hits[0]!]!;
    const w = this.words;
    const tp = this.offsets[owner[hits[0]!]!]!;
    const info = w[tp + 1]!;
    const signed = info >>> 31 === 1;
    const is64 = ((info >>> 24) & 0x1f) === KIND.enum64;
    const value = is64 ? enum64Value(w[e + 1]!, w[e + 2]!, signed) : BigInt(signed ? w[e + 1]! | 0 : w[e + 1]!);
    return { name, value, enumId, signed, size: w[tp + 2]! };
  }

  private buildEnumeratorIndex(): { index: NameIndex; pos: Uint32Array; owner: Uint32Array } {
    const w = this.words;
    let n = 0;
    for (let i = 0; i < this.ownTypeCount; i++) {
      const info = w[this.offsets[i]! + 1]!;
      const k = (info >>> 24) & 0x1f;
      if (k === KIND.enum || k === KIND.enum64) n += info & 0xffff;
    }
    const pos = new Uint32Array(n);
    const owner = new Uint32Array(n);
    const nameOffs = new Uint32Array(n);
    let j = 0;
    for (let i = 0; i < this.ownTypeCount; i++) {
      const p = this.offsets[i]!;
      const info = w[p + 1]!;
      const k = (info >>> 24) & 0x1f;
      if (k !== KIND.enum && k !== KIND.enum64) continue;
      const stride = k === KIND.enum ? 2 : 3;
      const vlen = info & 0xffff;
      for (let e = p + 3, v = 0; v < vlen; v++, e += stride, j++) {
        pos[j] = e;
        owner[j] = i;
        nameOffs[j] = w[e]!;
      }
    }
    return { index: new NameIndex(nameOffs, this.strings), pos, owner };
  }

  /** A C spelling of the type: `struct task_struct *`, `unsigned int`, `char[16]`, `int (*)(void)`. */
  typeName(id: number): string {
    return cTypeName(this, id);
  }

  /**
   * Pointer size in bytes. BTF does not record it; like libbpf, infer it from the size of `long`,
   * defaulting to 8 (BPF targets are 64-bit).
   */
  get pointerSize(): number {
    if (this.base) return this.base.pointerSize;
    if (this.ptrSize === undefined) {
      this.ptrSize = 8;
      for (const n of ['long', 'long int', 'unsigned long', 'long unsigned int']) {
        const ids = this.find(n, 'int');
        if (ids.length > 0) {
          const t = this.typeById(ids[0]!);
          if (t.kind === 'int' && (t.size === 4 || t.size === 8)) this.ptrSize = t.size;
          break;
        }
      }
    }
    return this.ptrSize;
  }
}

function enum64Value(lo: number, hi: number, signed: boolean): bigint {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  return signed ? BigInt.asIntN(64, v) : v;
}

/** The one pass at open time: where each type's record starts (word offsets), nothing else. */
function scan(
  words: Uint32Array,
  firstId: number,
  sectionByte: number,
  bad: (msg: string, byteOffset?: number) => BtfError,
): Uint32Array {
  const n = words.length;
  // Every record is at least 3 words, so this bounds the count; trimmed afterwards.
  const offsets = new Uint32Array(Math.floor(n / 3));
  let count = 0;
  let pos = 0;
  while (pos < n) {
    const id = firstId + count;
    if (pos + 3 > n) throw bad(`type #${id} is truncated`, sectionByte + pos * 4);
    const info = words[pos + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const fixed = FIXED[kind]!;
    if (fixed < 0 || kind === 0) {
      throw bad(`type #${id} has unknown kind ${kind} (BTF newer than sonde knows?)`, sectionByte + pos * 4 + 4);
    }
    offsets[count++] = pos;
    pos += 3 + fixed + PER_VLEN[kind]! * (info & 0xffff);
    if (pos > n) throw bad(`type #${id} runs past the end of the type section`, sectionByte + offsets[count - 1]! * 4);
  }
  return offsets.slice(0, count);
}

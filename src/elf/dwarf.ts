/**
 * DWARF debug information of one ELF file: functions with their parameters and the C types they
 * use (base, pointer, const/volatile/restrict, typedef, struct/union with bitfields, enum, array).
 *
 *   const dwarf = DwarfInfo.fromElf(ElfFile.open(path));   // undefined: no .debug_info
 *   dwarf?.functionParams('main')    // [{ name: 'argc', type: <offset> }, …]
 *   dwarf?.type(offset)              // { kind: 'pointer', to: … }
 *
 * Lazy: opening reads only the unit headers; the first lookup scans the DIEs once for the names
 * of functions and types (no attribute beyond names is kept); a type is decoded when asked for.
 * Pure: bytes in, objects out.
 */
import type { ElfFile } from './elf-file.js';
import { DwarfError } from './dwarf-error.js';
import { Cursor, DW_FORM, readForm, readUnits, skipForm, stringAt, type AttrValue, type Unit } from './dwarf-forms.js';

export { DwarfError } from './dwarf-error.js';

const TAG = {
  array: 0x01, class: 0x02, enum: 0x04, formal_parameter: 0x05, member: 0x0d, pointer: 0x0f, reference: 0x10,
  compile_unit: 0x11, struct: 0x13, subroutine: 0x15, typedef: 0x16, union: 0x17, subrange: 0x21,
  base: 0x24, const: 0x26, enumerator: 0x28, subprogram: 0x2e, volatile: 0x35, restrict: 0x37,
  unspecified: 0x3b, partial_unit: 0x3c, type_unit: 0x41, rvalue_reference: 0x42, atomic: 0x47, skeleton_unit: 0x4a,
} as const;

const AT = {
  name: 0x03, byte_size: 0x0b, bit_offset: 0x0c, bit_size: 0x0d, low_pc: 0x11, encoding: 0x3e,
  upper_bound: 0x2f, abstract_origin: 0x31, count: 0x37, data_member_location: 0x38, declaration: 0x3c,
  specification: 0x47, type: 0x49, ranges: 0x55, data_bit_offset: 0x6b, str_offsets_base: 0x72, addr_base: 0x73, signature: 0x69,
} as const;

/** DW_ATE_* encodings of base types. */
export const DW_ATE = { boolean: 0x02, float: 0x04, signed: 0x05, signed_char: 0x06, unsigned: 0x07, unsigned_char: 0x08 } as const;

/** A type reference: the .debug_info offset of its DIE, or VOID_TYPE (no DW_AT_type). */
export type TypeRef = number;
export const VOID_TYPE: TypeRef = -1;
/** A type in another unit or file this reader does not follow (DW_FORM_ref_sig8 type units, dwz's DW_FORM_GNU_ref_alt). */
export const FOREIGN_TYPE: TypeRef = -2;
/** References into a dwz companion file (DW_FORM_GNU_ref_alt) are its offsets plus this. */
export const ALT_BASE = 2 ** 40;

export interface DwarfMember {
  /** '' for an anonymous struct/union member. */
  name: string;
  type: TypeRef;
  /** Offset of the member from the start of its struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield (absent for ordinary members). */
  bitSize?: number;
}

export type DwarfType =
  | { kind: 'void' }
  | { kind: 'base'; name: string; size: number; encoding: number }
  | { kind: 'pointer'; to: TypeRef; size: number }
  | { kind: 'const' | 'volatile' | 'restrict' | 'atomic'; to: TypeRef }
  | { kind: 'typedef'; name: string; to: TypeRef }
  | { kind: 'struct' | 'union'; name: string; size: number; declaration: boolean; members: DwarfMember[] }
  | { kind: 'enum'; name: string; size: number; signed: boolean }
  /** counts: one per dimension, 0 for a flexible array member (`int a[]`). */
  | { kind: 'array'; of: TypeRef; counts: number[] }
  /** A function type (what a function pointer points to). */
  | { kind: 'function'; ret: TypeRef; params: TypeRef[]; variadic: boolean }
  /** A type sonde does not model (C++ ptr-to-member, a type in a dwz companion file…). */
  | { kind: 'unknown'; tag: number };

export interface DwarfParam {
  /** '' when the compiler recorded no name. */
  name: string;
  type: TypeRef;
}

interface Die {
  offset: number;
  tag: number;
  children: boolean;
  attrs: Map<number, AttrValue>;
  /** Offset just past this DIE's own attributes (its first child, or its next sibling). */
  next: number;
  unit: Unit;
  /** The file whose DIE it is (the dwz companion's DIEs are read by its own DwarfInfo). */
  owner: DwarfInfo;
}

export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  /** .debug_addr (DWARF 5 DW_FORM_addrx). */
  addr?: Uint8Array;
  /** DWARF 4's .debug_types (gcc -fdebug-types-section). */
  types?: Uint8Array;
}

export class DwarfInfo {
  private readonly units: Unit[];
  private index: { functions: Map<string, number[]>; types: Map<string, number[]>; byAddress: Map<number, number> } | undefined;
  private readonly types = new Map<TypeRef, DwarfType>();
  /** .debug_info, followed by DWARF 4's .debug_types when there is one (one offset space). */
  private readonly info: Uint8Array;
  /** Type units by signature: the offset of the type each describes. */
  private readonly signatures = new Map<string, number>();

  /** The dwz companion file (`.gnu_debugaltlink`) this file's GNU_ref_alt/GNU_strp_alt forms point into. */
  private readonly alt: DwarfInfo | undefined;
  /** Added to every offset this file hands out (ALT_BASE for a companion file). */
  private readonly refBase: number;

  constructor(private readonly s: DwarfSections, readonly file = '<memory>', opts: { alt?: DwarfInfo; refBase?: number } = {}) {
    this.alt = opts.alt;
    this.refBase = opts.refBase ?? 0;
    if (s.types && s.types.length > 0) {
      this.info = new Uint8Array(s.info.length + s.types.length);
      this.info.set(s.info, 0);
      this.info.set(s.types, s.info.length);
      this.units = [...readUnits(this.info.subarray(0, s.info.length), s.abbrev, file), ...readUnits(this.info, s.abbrev, file, s.info.length, true)];
    } else {
      this.info = s.info;
      this.units = readUnits(s.info, s.abbrev, file);
    }
    for (const u of this.units) if (u.signature !== undefined && u.typeOffset !== undefined) this.signatures.set(u.signature, u.typeOffset + this.refBase);
  }

  /**
   * The DWARF of an ELF file, or undefined when it has none (no .debug_info). `alt`: the dwz
   * companion file its `.gnu_debugaltlink` names (see altLink()), opened by the caller.
   */
  static fromElf(elf: ElfFile, alt?: ElfFile): DwarfInfo | undefined {
    const sections = DwarfInfo.sections(elf);
    if (!sections) return undefined;
    const altSections = alt ? DwarfInfo.sections(alt) : undefined;
    const altInfo = altSections && alt ? new DwarfInfo(altSections, alt.path, { refBase: ALT_BASE }) : undefined;
    return new DwarfInfo(sections, elf.path, altInfo ? { alt: altInfo } : {});
  }

  /**
   * The dwz companion file an ELF file's `.gnu_debugaltlink` names: its path as recorded
   * (absolute, or relative to the file's folder) and its build ID; undefined without the section.
   */
  static altLink(elf: ElfFile): { path: string; buildId: string } | undefined {
    const sh = elf.section('.gnu_debugaltlink');
    if (!sh) return undefined;
    const bytes = elf.sectionData(sh);
    const end = bytes.indexOf(0);
    if (end <= 0) return undefined;
    return { path: Buffer.from(bytes.subarray(0, end)).toString('utf8'), buildId: Buffer.from(bytes.subarray(end + 1)).toString('hex') };
  }

  private static sections(elf: ElfFile): DwarfSections | undefined {
    const info = elf.section('.debug_info');
    const abbrev = elf.section('.debug_abbrev');
    if (!info || !abbrev || info.size === 0 || info.type === 8 /* SHT_NOBITS: stripped into a debug file */) return undefined;
    const opt = (name: string) => {
      const sh = elf.section(name);
      return sh ? elf.sectionData(sh) : undefined;
    };
    const sections: DwarfSections = { info: elf.sectionData(info), abbrev: elf.sectionData(abbrev) };
    const str = opt('.debug_str');
    const lineStr = opt('.debug_line_str');
    const strOffsets = opt('.debug_str_offsets');
    const addr = opt('.debug_addr');
    if (addr) sections.addr = addr;
    const types = opt('.debug_types');
    if (types) sections.types = types;
    if (str) sections.str = str;
    if (lineStr) sections.lineStr = lineStr;
    if (strOffsets) sections.strOffsets = strOffsets;
    return sections;
  }

  /** Names of the functions defined or declared in the debug info, sorted. */
  functionNames(): string[] {
    return [...this.scan().functions.keys()].sort();
  }

  /**
   * The parameters of a function, in order, or undefined when the debug info has no function of
   * that name. The definition's when there are several DIEs; `address` (the symbol's value) finds
   * the definition of an alias (glibc's `malloc` is `__libc_malloc`) where only a declaration
   * carries the name.
   */
  functionParams(name: string, address?: number | (() => number | undefined)): DwarfParam[] | undefined {
    const index = this.scan();
    const offs = index.functions.get(name) ?? [];
    const dies = offs.map((o) => this.die(o));
    let die = dies.find((d) => d.attrs.has(AT.low_pc) || d.attrs.has(AT.ranges));
    if (!die && address !== undefined) {
      const pc = typeof address === 'function' ? address() : address;
      const at = pc !== undefined ? index.byAddress.get(pc) : undefined;
      if (at !== undefined) die = this.die(at);
    }
    die ??= dies.find((d) => !flag(d, AT.declaration)) ?? dies[0];
    if (!die) return undefined;
    let params = this.params(die);
    // A concrete instance of an inlined function may list no parameters of its own.
    const origin = this.ref(die, AT.abstract_origin) ?? this.ref(die, AT.specification);
    if (params.length === 0 && origin !== undefined) params = this.params(this.die(origin));
    return params;
  }

  /** A named type: `struct Foo`, `union u`, `enum e`, a typedef or base type name (`size_t`, `int`). */
  findType(name: string): TypeRef | undefined {
    const offs = this.scan().types.get(name);
    if (!offs) return this.alt?.findType(name);
    // A complete definition rather than a forward declaration.
    return offs.find((o) => !flag(this.die(o), AT.declaration)) ?? offs[0];
  }

  /** The type at a reference (VOID_TYPE: void). */
  type(ref: TypeRef): DwarfType {
    if (ref === VOID_TYPE) return { kind: 'void' };
    if (ref === FOREIGN_TYPE) return { kind: 'unknown', tag: 0 };
    if (ref >= ALT_BASE && this.refBase === 0) return this.alt ? this.alt.type(ref) : { kind: 'unknown', tag: 0 };
    let t = this.types.get(ref);
    if (!t) {
      t = this.decodeType(this.die(ref));
      this.types.set(ref, t);
    }
    return t;
  }

  /** Through typedefs and qualifiers to the type that says what the value is. */
  resolve(ref: TypeRef): TypeRef {
    for (let i = 0; i < 64; i++) {
      const t = this.type(ref);
      if (t.kind !== 'typedef' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'atomic') return ref;
      ref = t.to;
    }
    return ref;
  }

  /** Size of a value of the type in bytes (0 when unknown or incomplete). */
  sizeof(ref: TypeRef): number {
    const t = this.type(this.resolve(ref));
    switch (t.kind) {
      case 'base': case 'pointer': case 'struct': case 'union': case 'enum': return t.size;
      case 'array': return t.counts.reduce((n, c) => n * c, this.sizeof(t.of));
      default: return 0;
    }
  }

  /**
   * The C spelling of a type as bpftrace's listing shows it: `int`, `char**`, `struct Foo*`,
   * `const char*`, `unsigned int[4]`.
   */
  typeName(ref: TypeRef): string {
    const t = this.type(ref);
    switch (t.kind) {
      case 'void': return 'void';
      case 'base': return t.name;
      case 'typedef': return t.name;
      case 'pointer': {
        const to = this.type(t.to);
        if (to.kind !== 'function') return `${this.typeName(t.to)}*`;
        const params = to.params.map((p) => this.typeName(p));
        if (to.variadic) params.push('...');
        return `${this.typeName(to.ret)} (*)(${params.length > 0 ? params.join(', ') : 'void'})`;
      }
      case 'const': case 'volatile': case 'restrict': case 'atomic': {
        const inner = this.typeName(t.to);
        if (t.kind === 'restrict') return inner;
        return `${t.kind === 'atomic' ? '_Atomic' : t.kind} ${inner}`;
      }
      case 'struct': case 'union': case 'enum': return `${t.kind} ${t.name}`;
      case 'array': return `${this.typeName(t.of)}${t.counts.map((c) => `[${c}]`).join('')}`;
      case 'function': return `${this.typeName(t.ret)} ()`;
      case 'unknown': return t.tag === 0 ? '<unknown type>' : `<unknown type 0x${t.tag.toString(16)}>`;
    }
  }

  // ─── internals ────────────────────────────────────────────────────────────

  private params(die: Die): DwarfParam[] {
    const out: DwarfParam[] = [];
    for (const child of this.children(die)) {
      if (child.tag !== TAG.formal_parameter) continue;
      let name = this.name(child);
      let type = this.ref(child, AT.type);
      const origin = this.ref(child, AT.abstract_origin);
      if (origin !== undefined && (name === undefined || type === undefined)) {
        const o = this.die(origin);
        name ??= this.name(o);
        type ??= this.ref(o, AT.type);
      }
      out.push({ name: name ?? '', type: type ?? VOID_TYPE });
    }
    return out;
  }

  private decodeType(die: Die): DwarfType {
    // A declaration standing for a type in a type unit (-fdebug-types-section).
    const sig = die.attrs.get(AT.signature);
    if (sig && sig.form === DW_FORM.ref_sig8) {
      const at = this.signatures.get(String(sig.value));
      if (at !== undefined && at !== die.offset) return this.type(at);
    }
    const name = this.name(die) ?? '';
    const to = this.ref(die, AT.type) ?? VOID_TYPE;
    const size = num(die, AT.byte_size);
    switch (die.tag) {
      case TAG.base: return { kind: 'base', name, size: size ?? 0, encoding: num(die, AT.encoding) ?? 0 };
      case TAG.pointer: case TAG.reference: case TAG.rvalue_reference: return { kind: 'pointer', to, size: size ?? die.unit.addressSize };
      case TAG.const: return { kind: 'const', to };
      case TAG.volatile: return { kind: 'volatile', to };
      case TAG.restrict: return { kind: 'restrict', to };
      case TAG.atomic: return { kind: 'atomic', to };
      case TAG.typedef: return { kind: 'typedef', name, to };
      case TAG.unspecified: return { kind: 'void' };
      case TAG.subroutine: {
        const params: TypeRef[] = [];
        let variadic = false;
        for (const c of this.children(die)) {
          if (c.tag === TAG.formal_parameter) params.push(this.ref(c, AT.type) ?? VOID_TYPE);
          else if (c.tag === 0x18) variadic = true; // DW_TAG_unspecified_parameters
        }
        return { kind: 'function', ret: to, params, variadic };
      }
      case TAG.struct: case TAG.class: case TAG.union: {
        const members: DwarfMember[] = [];
        for (const m of this.children(die)) {
          if (m.tag !== TAG.member || m.attrs.has(0x3f) /* DW_AT_external: a static member */) continue;
          members.push(this.member(m, die.tag === TAG.union));
        }
        return { kind: die.tag === TAG.union ? 'union' : 'struct', name, size: size ?? 0, declaration: flag(die, AT.declaration), members };
      }
      case TAG.enum: {
        let signed = false;
        const base = this.ref(die, AT.type);
        if (base !== undefined) {
          const b = this.type(this.resolve(base));
          signed = b.kind === 'base' && (b.encoding === DW_ATE.signed || b.encoding === DW_ATE.signed_char);
        } else {
          for (const e of this.children(die)) {
            const v = e.attrs.get(0x1c); // DW_AT_const_value
            if (e.tag === TAG.enumerator && v && typeof v.value === 'number' && v.value < 0) signed = true;
          }
        }
        return { kind: 'enum', name, size: size ?? 4, signed };
      }
      case TAG.array: {
        const counts: number[] = [];
        for (const r of this.children(die)) {
          if (r.tag !== TAG.subrange && r.tag !== TAG.enum) continue;
          const count = num(r, AT.count);
          const upper = num(r, AT.upper_bound);
          const lower = num(r, 0x22) ?? 0; // DW_AT_lower_bound
          counts.push(count ?? (upper !== undefined ? upper - lower + 1 : 0));
        }
        return { kind: 'array', of: to, counts: counts.length > 0 ? counts : [0] };
      }
      default:
        return { kind: 'unknown', tag: die.tag };
    }
  }

  private member(m: Die, inUnion: boolean): DwarfMember {
    const name = this.name(m) ?? '';
    const type = this.ref(m, AT.type) ?? VOID_TYPE;
    let bitOffset = 0;
    const loc = m.attrs.get(AT.data_member_location);
    if (loc !== undefined) {
      if (typeof loc.value === 'number') bitOffset = loc.value * 8;
      else if (loc.value instanceof Uint8Array) bitOffset = memberLocationExpr(loc.value) * 8;
    } else if (!inUnion) {
      bitOffset = num(m, AT.data_bit_offset) ?? 0;
    }
    const bitSize = num(m, AT.bit_size);
    if (bitSize === undefined) return { name, type, bitOffset };
    const oldStyle = num(m, AT.bit_offset);
    if (oldStyle !== undefined) {
      // DWARF 2/3: bit_offset counts from the most significant bit of the storage unit.
      const unit = num(m, AT.byte_size) ?? this.sizeof(type);
      bitOffset += unit * 8 - oldStyle - bitSize;
    }
    return { name, type, bitOffset, bitSize };
  }

  private scan(): NonNullable<DwarfInfo['index']> {
    if (this.index) return this.index;
    const functions = new Map<string, number[]>();
    const types = new Map<string, number[]>();
    const byAddress = new Map<number, number>();
    const pendingFns: [number, number][] = [];
    const add = (m: Map<string, number[]>, k: string, off: number) => {
      const l = m.get(k);
      if (l) l.push(off);
      else m.set(k, [off]);
    };
    const info = this.info;
    for (const unit of this.units) {
      const root = this.readDie(unit, unit.dieOffset);
      if (!root) continue;
      this.setUnitBase(root);
      if (root.tag !== TAG.compile_unit && root.tag !== TAG.partial_unit && root.tag !== TAG.type_unit) continue;
      if (!root.children) continue;
      // Children of the unit (depth 1) are read for their names only; deeper DIEs are stepped
      // over without decoding (the scan of a large library's debug info must stay fast).
      const c = new Cursor(info, root.next);
      let depth = 1;
      while (depth > 0 && c.pos < unit.end) {
        const offset = c.pos;
        const code = c.uleb();
        if (code === 0) {
          depth--;
          continue;
        }
        const ab = unit.abbrevs.get(code);
        if (!ab) throw new DwarfError(`${this.file}: unknown abbreviation ${code} at .debug_info offset ${offset}`);
        const tag = ab.tag;
        const wanted = depth === 1 && (tag === TAG.subprogram || tag === TAG.struct || tag === TAG.union || tag === TAG.enum ||
          tag === TAG.typedef || tag === TAG.base || tag === TAG.class);
        if (!wanted) {
          for (const a of ab.attrs) skipForm(c, a.form, unit);
        } else {
          let name: AttrValue | undefined;
          let origin: AttrValue | undefined;
          let lowPc: AttrValue | undefined;
          for (const a of ab.attrs) {
            if (a.name === AT.name) name = readForm(c, a.form, unit, a.implicit);
            else if (tag === TAG.subprogram && (a.name === AT.abstract_origin || a.name === AT.specification)) origin = readForm(c, a.form, unit, a.implicit);
            else if (tag === TAG.subprogram && a.name === AT.low_pc) lowPc = readForm(c, a.form, unit, a.implicit);
            else skipForm(c, a.form, unit);
          }
          const n = name ? this.str(name, unit) : undefined;
          if (tag === TAG.subprogram) {
            const pc = lowPc ? this.address(lowPc, unit) : undefined;
            if (pc !== undefined && pc !== 0 && !byAddress.has(pc)) byAddress.set(pc, offset + this.refBase);
            if (n !== undefined) add(functions, n, offset + this.refBase);
            else if (origin && typeof origin.value === 'number' && isRef(origin.form)) pendingFns.push([offset + this.refBase, origin.value + this.refBase]);
          } else if (n !== undefined) {
            const prefix = tag === TAG.struct || tag === TAG.class ? 'struct ' : tag === TAG.union ? 'union ' : tag === TAG.enum ? 'enum ' : '';
            add(types, prefix + n, offset + this.refBase);
          }
        }
        if (ab.children) depth++;
      }
    }
    // Out-of-line instances named through their abstract origin: listed after the origin.
    for (const [off, origin] of pendingFns) {
      try {
        const name = this.name(this.die(origin));
        if (name !== undefined) add(functions, name, off);
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
      }
    }
    return (this.index = { functions, types, byAddress });
  }

  /** A DW_AT_low_pc value: an address, or an index into .debug_addr. */
  private address(v: AttrValue, unit: Unit): number | undefined {
    if (typeof v.value !== 'number') return undefined;
    if (v.form === DW_FORM.addr) return v.value;
    if (v.form === DW_FORM.addrx || v.form === DW_FORM.addrx1 || v.form === DW_FORM.addrx2 || v.form === DW_FORM.addrx3 ||
      v.form === DW_FORM.addrx4 || v.form === DW_FORM.GNU_addr_index) {
      const a = this.s.addr;
      const at = unit.addrBase + v.value * unit.addressSize;
      if (!a || at + unit.addressSize > a.length) return undefined;
      const dv = new DataView(a.buffer, a.byteOffset, a.byteLength);
      return unit.addressSize === 8 ? Number(dv.getBigUint64(at, true)) : dv.getUint32(at, true);
    }
    return undefined;
  }

  /** Offset just past the children that start at `pos` (and their null terminator). */
  private skipChildren(unit: Unit, pos: number): number {
    let depth = 1;
    while (depth > 0 && pos < unit.end) {
      const c = new Cursor(this.info, pos);
      const code = c.uleb();
      if (code === 0) {
        depth--;
        pos = c.pos;
        continue;
      }
      const ab = unit.abbrevs.get(code);
      if (!ab) throw new DwarfError(`${this.file}: unknown abbreviation ${code} at .debug_info offset ${pos}`);
      for (const a of ab.attrs) skipForm(c, a.form, unit);
      if (ab.children) depth++;
      pos = c.pos;
    }
    return pos;
  }

  private setUnitBase(root: Die): void {
    const base = root.attrs.get(AT.str_offsets_base);
    if (base && typeof base.value === 'number') root.unit.strOffsetsBase = base.value;
    const addr = root.attrs.get(AT.addr_base);
    if (addr && typeof addr.value === 'number') root.unit.addrBase = addr.value;
  }

  private *children(die: Die): Generator<Die> {
    if (die.owner !== this) {
      yield* die.owner.children(die);
      return;
    }
    if (!die.children) return;
    let pos = die.next;
    for (;;) {
      const child = this.readDie(die.unit, pos);
      if (!child) return;
      yield child;
      pos = child.children ? this.skipChildren(die.unit, child.next) : child.next;
    }
  }

  private unitAt(offset: number): Unit {
    let lo = 0;
    let hi = this.units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.units[mid]!;
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    throw new DwarfError(`${this.file}: .debug_info offset ${offset} is in no unit`);
  }

  /** The DIE at a reference (this file's offsets plus refBase; ALT_BASE and up: the companion's). */
  private die(offset: number): Die {
    if (offset >= ALT_BASE && this.refBase === 0) {
      if (!this.alt) throw new DwarfError(`${this.file}: a reference into a dwz companion file, which was not found`);
      return this.alt.die(offset);
    }
    offset -= this.refBase;
    const unit = this.unitAt(offset);
    const d = this.readDie(unit, offset);
    if (!d) throw new DwarfError(`${this.file}: no DIE at .debug_info offset ${offset}`);
    return d;
  }

  /** The DIE at `pos`, or undefined for a null entry. */
  private readDie(unit: Unit, pos: number): Die | undefined {
    const c = new Cursor(this.info, pos);
    const code = c.uleb();
    if (code === 0) return undefined;
    const ab = unit.abbrevs.get(code);
    if (!ab) throw new DwarfError(`${this.file}: unknown abbreviation ${code} at .debug_info offset ${pos}`);
    const attrs = new Map<number, AttrValue>();
    for (const a of ab.attrs) attrs.set(a.name, readForm(c, a.form, unit, a.implicit));
    return { offset: pos + this.refBase, tag: ab.tag, children: ab.children, attrs, next: c.pos, unit, owner: this };
  }

  private name(die: Die): string | undefined {
    const v = die.attrs.get(AT.name);
    return v === undefined ? undefined : die.owner.str(v, die.unit);
  }

  private str(v: AttrValue, unit: Unit): string | undefined {
    if (typeof v.value === 'string') return v.value;
    if (typeof v.value !== 'number') return undefined;
    switch (v.form) {
      case DW_FORM.strp:
        if (!this.s.str) throw new DwarfError(`${this.file}: a string refers to .debug_str, which the file lacks`);
        return stringAt(this.s.str, v.value, '.debug_str');
      case DW_FORM.line_strp:
        if (!this.s.lineStr) throw new DwarfError(`${this.file}: a string refers to .debug_line_str, which the file lacks`);
        return stringAt(this.s.lineStr, v.value, '.debug_line_str');
      case DW_FORM.strx: case DW_FORM.strx1: case DW_FORM.strx2: case DW_FORM.strx3: case DW_FORM.strx4: case DW_FORM.GNU_str_index: {
        if (!this.s.strOffsets || !this.s.str) throw new DwarfError(`${this.file}: a string refers to .debug_str_offsets, which the file lacks`);
        const at = unit.strOffsetsBase + v.value * 4;
        if (at + 4 > this.s.strOffsets.length) throw new DwarfError(`${this.file}: string index ${v.value} is past .debug_str_offsets`);
        const off = new DataView(this.s.strOffsets.buffer, this.s.strOffsets.byteOffset).getUint32(at, true);
        return stringAt(this.s.str, off, '.debug_str');
      }
      case DW_FORM.GNU_strp_alt: case DW_FORM.strp_sup:
        // In the dwz companion file's .debug_str.
        return this.alt?.s.str ? stringAt(this.alt.s.str, v.value, '.debug_str') : undefined;
      default:
        return undefined;
    }
  }

  /** A reference attribute as an absolute .debug_info offset (references into other files: undefined). */
  private ref(die: Die, at: number): number | undefined {
    if (die.owner !== this) return die.owner.ref(die, at);
    const v = die.attrs.get(at);
    if (!v || (typeof v.value !== 'number' && v.form !== DW_FORM.ref_sig8)) return undefined;
    switch (v.form) {
      case DW_FORM.ref1: case DW_FORM.ref2: case DW_FORM.ref4: case DW_FORM.ref8: case DW_FORM.ref_udata: case DW_FORM.ref_addr:
        return (v.value as number) + this.refBase;
      case DW_FORM.GNU_ref_alt: case DW_FORM.ref_sup4: case DW_FORM.ref_sup8:
        if (this.alt) return (v.value as number) + ALT_BASE;
        return at === AT.type ? FOREIGN_TYPE : undefined;
      case DW_FORM.ref_sig8:
        return this.signatures.get(String(v.value)) ?? (at === AT.type ? FOREIGN_TYPE : undefined);
      default:
        return at === AT.type ? FOREIGN_TYPE : undefined;
    }
  }
}

function isRef(form: number): boolean {
  return form === DW_FORM.ref1 || form === DW_FORM.ref2 || form === DW_FORM.ref4 || form === DW_FORM.ref8 || form === DW_FORM.ref_udata || form === DW_FORM.ref_addr;
}

function num(die: Die, at: number): number | undefined {
  const v = die.attrs.get(at);
  return v && typeof v.value === 'number' ? v.value : undefined;
}

function flag(die: Die, at: number): boolean {
  const v = die.attrs.get(at);
  return v !== undefined && v.value !== false && v.value !== 0;
}

/** DWARF 2's member location: DW_OP_plus_uconst N (or DW_OP_constu N). */
function memberLocationExpr(expr: Uint8Array): number {
  const c = new Cursor(expr, 0, 'DW_AT_data_member_location');
  const op = c.u8();
  if (op === 0x23 || op === 0x10) return c.uleb();
  return 0;
}

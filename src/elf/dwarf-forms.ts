/**
 * The byte level of DWARF (versions 2–5, 32-bit format): a cursor over a section, unit headers,
 * abbreviation tables and attribute values by form. Every form of DWARF 5 and the GNU extensions
 * is decoded or skipped by its size, so DIEs of any producer can be walked even where sonde uses
 * none of their attributes.
 */
import { DwarfError } from './dwarf-error.js';

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08,
  block: 0x09, block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f,
  ref_addr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16,
  sec_offset: 0x17, exprloc: 0x18, flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c,
  strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f, ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22,
  rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29,
  addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

/** Little-endian reader over one section. */
export class Cursor {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, public pos = 0, readonly section = '.debug_info') {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new DwarfError(`${this.section} is truncated (wanted ${n} bytes at offset ${this.pos})`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u24(): number {
    const lo = this.u16();
    return lo | (this.u8() << 16);
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }
  sleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return b & 0x40 ? result - mul : result;
    }
  }
  cstr(): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end < 0) throw new DwarfError(`${this.section}: unterminated string at offset ${this.pos}`);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, end - this.pos).toString('utf8');
    this.pos = end + 1;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** A NUL-terminated string at `off` of a string section. */
export function stringAt(bytes: Uint8Array, off: number, section: string): string {
  if (off < 0 || off >= bytes.length) throw new DwarfError(`${section}: string offset ${off} is out of range`);
  const end = bytes.indexOf(0, off);
  return Buffer.from(bytes.buffer, bytes.byteOffset + off, (end < 0 ? bytes.length : end) - off).toString('utf8');
}

export interface AbbrevAttr { name: number; form: number; implicit?: number }
export interface Abbrev { code: number; tag: number; children: boolean; attrs: AbbrevAttr[] }

/** The abbreviation table at `offset` of .debug_abbrev, by code. */
export function readAbbrevs(bytes: Uint8Array, offset: number): Map<number, Abbrev> {
  const c = new Cursor(bytes, offset, '.debug_abbrev');
  const out = new Map<number, Abbrev>();
  for (;;) {
    const code = c.uleb();
    if (code === 0) return out;
    const tag = c.uleb();
    const children = c.u8() !== 0;
    const attrs: AbbrevAttr[] = [];
    for (;;) {
      const name = c.uleb();
      const form = c.uleb();
      if (name === 0 && form === 0) break;
      attrs.push(form === DW_FORM.implicit_const ? { name, form, implicit: c.sleb() } : { name, form });
    }
    out.set(code, { code, tag, children, attrs });
  }
}

/** One compilation (or type) unit of .debug_info. */
export interface Unit {
  /** Offset of the unit header in .debug_info. */
  offset: number;
  /** Offset just past the unit. */
  end: number;
  /** Offset of the first DIE. */
  dieOffset: number;
  version: number;
  addressSize: number;
  abbrevs: Map<number, Abbrev>;
  /** DW_AT_str_offsets_base (DWARF 5), set once the unit's root DIE is read. */
  strOffsetsBase: number;
  /** DW_AT_addr_base (DWARF 5), set once the unit's root DIE is read. */
  addrBase: number;
  /** A type unit: its signature (16 hex digits) and the offset of the type it describes. */
  signature?: string;
  typeOffset?: number;
}

const DW_UT_skeleton = 0x04;
const DW_UT_split_compile = 0x05;
const DW_UT_type = 0x02;
const DW_UT_split_type = 0x06;

/**
 * The unit headers of .debug_info, in order, from `start`. `typesSection`: the units from `start`
 * on are DWARF 4's .debug_types (type units with their own header), placed after .debug_info.
 */
export function readUnits(info: Uint8Array, abbrev: Uint8Array, file: string, start = 0, typesSection = false): Unit[] {
  const units: Unit[] = [];
  const tables = new Map<number, Map<number, Abbrev>>();
  const c = new Cursor(info, start);
  while (c.pos < info.length) {
    const offset = c.pos;
    const length = c.u32();
    if (length === 0xffffffff) throw new DwarfError(`${file}: 64-bit DWARF is not supported (unit at .debug_info offset ${offset})`);
    if (length >= 0xfffffff0) throw new DwarfError(`${file}: bad unit length ${length} at .debug_info offset ${offset}`);
    const end = c.pos + length;
    const version = c.u16();
    if (version < 2 || version > 5) throw new DwarfError(`${file}: DWARF version ${version} is not supported (unit at .debug_info offset ${offset})`);
    let addressSize: number;
    let abbrevOff: number;
    let signature: string | undefined;
    let typeOffset: number | undefined;
    const typeHeader = (): void => {
      signature = c.view.getBigUint64(c.pos, true).toString(16).padStart(16, '0');
      c.skip(8);
      typeOffset = offset + c.u32();
    };
    if (version === 5) {
      const unitType = c.u8();
      addressSize = c.u8();
      abbrevOff = c.u32();
      if (unitType === DW_UT_skeleton || unitType === DW_UT_split_compile) c.skip(8);
      else if (unitType === DW_UT_type || unitType === DW_UT_split_type) typeHeader();
    } else {
      abbrevOff = c.u32();
      addressSize = c.u8();
      if (typesSection) typeHeader();
    }
    let abbrevs = tables.get(abbrevOff);
    if (!abbrevs) tables.set(abbrevOff, (abbrevs = readAbbrevs(abbrev, abbrevOff)));
    const unit: Unit = { offset, end, dieOffset: c.pos, version, addressSize, abbrevs, strOffsetsBase: 8, addrBase: 8 };
    if (signature !== undefined && typeOffset !== undefined) {
      unit.signature = signature;
      unit.typeOffset = typeOffset;
    }
    units.push(unit);
    c.pos = end;
  }
  return units;
}

/** A raw attribute value: a number (constants, offsets, indexes), a string, bytes (blocks) or a flag. */
export type RawValue = number | string | Uint8Array | boolean;

/** The value of one attribute; references are made absolute (.debug_info offsets). */
export interface AttrValue { form: number; value: RawValue }

/** Reads one attribute value of `form`. */
export function readForm(c: Cursor, form: number, unit: Unit, implicit?: number): AttrValue {
  switch (form) {
    case DW_FORM.addr: return { form, value: unit.addressSize === 8 ? c.u64() : c.u32() };
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: {
      const v = c.u8();
      return { form, value: form === DW_FORM.flag ? v !== 0 : form === DW_FORM.ref1 ? unit.offset + v : v };
    }
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: {
      const v = c.u16();
      return { form, value: form === DW_FORM.ref2 ? unit.offset + v : v };
    }
    case DW_FORM.strx3: case DW_FORM.addrx3: return { form, value: c.u24() };
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.strx4: case DW_FORM.addrx4: {
      const v = c.u32();
      return { form, value: form === DW_FORM.ref4 ? unit.offset + v : v };
    }
    case DW_FORM.ref_sig8: {
      const v = c.view.getBigUint64(c.pos, true).toString(16).padStart(16, '0');
      c.skip(8);
      return { form, value: v };
    }
    case DW_FORM.data8: case DW_FORM.ref8: {
      const v = c.u64();
      return { form, value: form === DW_FORM.ref8 ? unit.offset + v : v };
    }
    case DW_FORM.data16: c.skip(16); return { form, value: 0 };
    case DW_FORM.sdata: return { form, value: c.sleb() };
    case DW_FORM.udata: case DW_FORM.strx: case DW_FORM.addrx: case DW_FORM.loclistx: case DW_FORM.rnglistx:
    case DW_FORM.GNU_addr_index: case DW_FORM.GNU_str_index:
      return { form, value: c.uleb() };
    case DW_FORM.ref_udata: return { form, value: unit.offset + c.uleb() };
    case DW_FORM.string: return { form, value: c.cstr() };
    case DW_FORM.strp: case DW_FORM.line_strp: case DW_FORM.sec_offset: case DW_FORM.strp_sup:
    case DW_FORM.ref_sup4: case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt:
      return { form, value: c.u32() };
    case DW_FORM.ref_addr: return { form, value: unit.version === 2 ? (unit.addressSize === 8 ? c.u64() : c.u32()) : c.u32() };
    case DW_FORM.ref_sup8: return { form, value: c.u64() };
    case DW_FORM.block1: return block(c, form, c.u8());
    case DW_FORM.block2: return block(c, form, c.u16());
    case DW_FORM.block4: return block(c, form, c.u32());
    case DW_FORM.block: case DW_FORM.exprloc: return block(c, form, c.uleb());
    case DW_FORM.flag_present: return { form, value: true };
    case DW_FORM.implicit_const: return { form, value: implicit ?? 0 };
    case DW_FORM.indirect: return readForm(c, c.uleb(), unit);
    default:
      throw new DwarfError(`unknown DWARF attribute form 0x${form.toString(16)} at .debug_info offset ${c.pos}`);
  }
}

function block(c: Cursor, form: number, n: number): AttrValue {
  const start = c.pos;
  c.skip(n);
  return { form, value: c.bytes.subarray(start, start + n) };
}

/** Steps over one attribute value of `form` without decoding it (the index scan's fast path). */
export function skipForm(c: Cursor, form: number, unit: Unit): void {
  switch (form) {
    case DW_FORM.flag_present: case DW_FORM.implicit_const: return;
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: case DW_FORM.strx1: case DW_FORM.addrx1: c.skip(1); return;
    case DW_FORM.data2: case DW_FORM.ref2: case DW_FORM.strx2: case DW_FORM.addrx2: c.skip(2); return;
    case DW_FORM.strx3: case DW_FORM.addrx3: c.skip(3); return;
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.strx4: case DW_FORM.addrx4: case DW_FORM.strp: case DW_FORM.line_strp:
    case DW_FORM.sec_offset: case DW_FORM.strp_sup: case DW_FORM.ref_sup4: case DW_FORM.GNU_ref_alt: case DW_FORM.GNU_strp_alt:
      c.skip(4); return;
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: c.skip(8); return;
    case DW_FORM.data16: c.skip(16); return;
    case DW_FORM.addr: c.skip(unit.addressSize); return;
    case DW_FORM.ref_addr: c.skip(unit.version === 2 ? unit.addressSize : 4); return;
    case DW_FORM.sdata: case DW_FORM.udata: case DW_FORM.strx: case DW_FORM.addrx: case DW_FORM.loclistx: case DW_FORM.rnglistx:
    case DW_FORM.GNU_addr_index: case DW_FORM.GNU_str_index: case DW_FORM.ref_udata:
      while (c.u8() & 0x80) { /* LEB128 continuation */ }
      return;
    case DW_FORM.string: {
      const end = c.bytes.indexOf(0, c.pos);
      if (end < 0) throw new DwarfError(`${c.section}: unterminated string at offset ${c.pos}`);
      c.pos = end + 1;
      return;
    }
    case DW_FORM.block1: c.skip(c.u8()); return;
    case DW_FORM.block2: c.skip(c.u16()); return;
    case DW_FORM.block4: c.skip(c.u32()); return;
    case DW_FORM.block: case DW_FORM.exprloc: c.skip(c.uleb()); return;
    default:
      readForm(c, form, unit);
  }
}

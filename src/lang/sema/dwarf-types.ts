/**
 * Script types of a user binary's DWARF types, as records.ts makes them of the kernel's BTF:
 * `char[N]` is a string, enums are integers of their size, function pointers `void *`, records are
 * built lazily and cached by DIE, and a struct the script defines replaces the binary's of the same
 * name wherever the debug info refers to it. Pointers are user pointers: the values of a uprobe's
 * process live in its memory.
 */
import { DW_ATE, VOID_TYPE, type DwarfInfo, type TypeRef } from '../../elf/dwarf.js';
import { alignOf, type IntType, type RecordField, type RecordType, type SType } from '../types.js';

const int = (size: 1 | 2 | 4 | 8, signed: boolean): IntType => ({ kind: 'int', size, signed });
const isIntSize = (n: number): n is 1 | 2 | 4 | 8 => n === 1 || n === 2 || n === 4 || n === 8;

export class DwarfTypes {
  private readonly records = new Map<TypeRef, RecordType>();

  constructor(readonly dwarf: DwarfInfo, private readonly overrides: ReadonlyMap<string, RecordType> = new Map()) {}

  /** `struct Foo` / `union u` of the debug info, or undefined when it has none. */
  record(tag: 'struct' | 'union', name: string): RecordType | undefined {
    const ref = this.dwarf.findType(`${tag} ${name}`);
    if (ref === undefined) return undefined;
    const t = this.type(ref);
    return t.kind === 'record' ? t : undefined;
  }

  /** The script type of a DWARF type. */
  type(ref: TypeRef, inArray = false): SType {
    const d = this.dwarf;
    for (let depth = 0; depth < 64; depth++) {
      if (ref === VOID_TYPE) return { kind: 'void' };
      const t = d.type(ref);
      switch (t.kind) {
        case 'void': case 'function': case 'unknown': return { kind: 'void' };
        case 'base': {
          const signed = t.encoding === DW_ATE.signed || t.encoding === DW_ATE.signed_char || t.encoding === DW_ATE.float;
          if (isIntSize(t.size)) return int(t.size, signed);
          return { kind: 'array', of: int(1, false), length: t.size };
        }
        case 'enum':
          return int(isIntSize(t.size) ? t.size : 4, t.signed);
        case 'pointer': {
          const to = d.type(d.resolve(t.to));
          return { kind: 'pointer', to: to.kind === 'function' ? { kind: 'void' } : this.type(t.to), space: 'user' };
        }
        case 'array': {
          const inner = t.counts.length > 1;
          let of = this.type(t.of, true);
          for (let i = t.counts.length - 1; i >= 1; i--) of = { kind: 'array', of, length: t.counts[i]! };
          // Plain `char name[N]` is a string, as bpftrace has it (byte arrays stay arrays).
          if (!inner && !inArray && of.kind === 'int' && of.size === 1 && this.isChar(t.of)) return { kind: 'string', size: t.counts[0]! };
          return { kind: 'array', of, length: t.counts[0]! };
        }
        case 'struct': case 'union': {
          const own = t.name !== '' ? this.overrides.get(`${t.kind} ${t.name}`) : undefined;
          if (own) return own;
          if (t.declaration && t.name !== '') {
            // A forward declaration in this unit: the definition may be in another.
            const full = this.dwarf.findType(`${t.kind} ${t.name}`);
            if (full !== undefined && full !== ref && !(d.type(full) as { declaration?: boolean }).declaration) {
              ref = full;
              continue;
            }
            return { kind: 'record', name: `${t.kind} ${t.name}`, size: 0, align: 1, union: t.kind === 'union', fields: [] };
          }
          return this.recordOf(ref);
        }
        case 'typedef': case 'const': case 'volatile': case 'restrict': case 'atomic':
          ref = t.to;
          continue;
      }
    }
    return { kind: 'void' };
  }

  private isChar(ref: TypeRef): boolean {
    const t = this.dwarf.type(this.dwarf.resolve(ref));
    return t.kind === 'base' && t.size === 1 && t.name === 'char';
  }

  private recordOf(ref: TypeRef): RecordType {
    const cached = this.records.get(ref);
    if (cached) return cached;
    const t = this.dwarf.type(ref);
    if (t.kind !== 'struct' && t.kind !== 'union') throw new Error(`DWARF type at ${ref} is not a struct or union`);
    let fields: RecordField[] | undefined;
    let align: number | undefined;
    const rec = { kind: 'record', name: `${t.kind} ${t.name || '(anonymous)'}`, size: t.size, union: t.kind === 'union' } as RecordType;
    const build = (): RecordField[] =>
      (fields ??= t.members.map((m) => {
        const f: RecordField = { name: m.name, type: this.type(m.type), offset: Math.floor(m.bitOffset / 8) };
        if (m.bitSize !== undefined) {
          f.bitOffset = m.bitOffset % 8;
          f.bitWidth = m.bitSize;
        }
        return f;
      }));
    Object.defineProperty(rec, 'fields', { enumerable: true, get: build });
    // DWARF records no alignment: the largest of the members' (C's rule; packed structs aside).
    Object.defineProperty(rec, 'align', {
      enumerable: true,
      get: () => (align ??= Math.max(1, ...build().map((f) => alignOf(f.type)))),
    });
    this.records.set(ref, rec);
    return rec;
  }
}

/**
 * A deliberately simple, eager BTF decoder used only to cross-check src/btf on real kernel data:
 * DataView reads, every type decoded up front, strings via TextDecoder. Shares no code with the
 * lazy reader, so agreement between the two is evidence, not tautology.
 */

const KINDS = [
  'unkn', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const',
  'restrict', 'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
];

export interface NaiveType {
  kind: string;
  name: string;
  kflag: boolean;
  vlen: number;
  sizeOrType: number;
  /** struct/union members; enum/enum64 values; func_proto params; array [elem, index, nelems]. */
  members: { name: string; type: number; bitOffset: number; bitfieldSize: number }[];
  values: { name: string; value: bigint }[];
  params: { name: string; type: number }[];
  array: [number, number, number] | undefined;
}

export interface NaiveBtf {
  /** types[0] is void. */
  types: NaiveType[];
}

export function naiveParse(bytes: Uint8Array): NaiveBtf {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(0, true) !== 0xeb9f) throw new Error('naive: not little-endian BTF');
  const hdrLen = dv.getUint32(4, true);
  const typeOff = hdrLen + dv.getUint32(8, true);
  const typeEnd = typeOff + dv.getUint32(12, true);
  const strOff = hdrLen + dv.getUint32(16, true);
  const strEnd = strOff + dv.getUint32(20, true);
  const dec = new TextDecoder();
  const str = (off: number): string => {
    let end = strOff + off;
    while (end < strEnd && bytes[end] !== 0) end++;
    return dec.decode(bytes.subarray(strOff + off, end));
  };
  const u32 = (at: number): number => dv.getUint32(at, true);
  const types: NaiveType[] = [
    { kind: 'void', name: '', kflag: false, vlen: 0, sizeOrType: 0, members: [], values: [], params: [], array: undefined },
  ];
  let p = typeOff;
  while (p < typeEnd) {
    const info = u32(p + 4);
    const kind = KINDS[(info >> 24) & 0x1f];
    if (!kind || kind === 'unkn') throw new Error(`naive: unknown kind at ${p}`);
    const t: NaiveType = {
      kind, name: str(u32(p)), kflag: info >>> 31 === 1, vlen: info & 0xffff, sizeOrType: u32(p + 8),
      members: [], values: [], params: [], array: undefined,
    };
    p += 12;
    switch (kind) {
      case 'int': case 'var': case 'decl_tag':
        p += 4;
        break;
      case 'array':
        t.array = [u32(p), u32(p + 4), u32(p + 8)];
        p += 12;
        break;
      case 'struct': case 'union':
        for (let i = 0; i < t.vlen; i++, p += 12) {
          const off = u32(p + 8);
          t.members.push({
            name: str(u32(p)), type: u32(p + 4),
            bitOffset: t.kflag ? off % (1 << 24) : off,
            bitfieldSize: t.kflag ? Math.floor(off / (1 << 24)) : 0,
          });
        }
        break;
      case 'enum':
        for (let i = 0; i < t.vlen; i++, p += 8) {
          t.values.push({ name: str(u32(p)), value: t.kflag ? BigInt(dv.getInt32(p + 4, true)) : BigInt(u32(p + 4)) });
        }
        break;
      case 'enum64':
        for (let i = 0; i < t.vlen; i++, p += 12) {
          const v = BigInt(u32(p + 4)) + BigInt(u32(p + 8)) * 4294967296n;
          t.values.push({ name: str(u32(p)), value: t.kflag && v >= 2n ** 63n ? v - 2n ** 64n : v });
        }
        break;
      case 'func_proto':
        for (let i = 0; i < t.vlen; i++, p += 8) t.params.push({ name: str(u32(p)), type: u32(p + 4) });
        break;
      case 'datasec':
        p += 12 * t.vlen;
        break;
    }
    types.push(t);
  }
  return { types };
}

const SKIP = new Set(['typedef', 'const', 'volatile', 'restrict', 'type_tag']);

export function naiveResolve(n: NaiveBtf, id: number): number {
  while (SKIP.has(n.types[id]!.kind)) id = n.types[id]!.sizeOrType;
  return id;
}

/** First struct/union of that name with members (not a forward declaration). */
export function naiveFindStruct(n: NaiveBtf, name: string): number {
  const id = n.types.findIndex((t) => t.kind === 'struct' && t.name === name);
  if (id < 0) throw new Error(`naive: no struct ${name}`);
  return id;
}

/** Member bit offset by name, searching anonymous members recursively. */
export function naiveMember(n: NaiveBtf, structId: number, name: string): { type: number; bitOffset: number } | undefined {
  for (const m of n.types[naiveResolve(n, structId)]!.members) {
    if (m.name === name) return { type: m.type, bitOffset: m.bitOffset };
    if (m.name === '') {
      const inner = naiveMember(n, m.type, name);
      if (inner) return { type: inner.type, bitOffset: m.bitOffset + inner.bitOffset };
    }
  }
  return undefined;
}

import type { Btf } from './btf.js';
import { BtfError } from './error.js';
import type { BtfStruct, MemberInfo } from './types.js';

/** Longest typedef/qualifier chain followed before calling the BTF circular. */
export const MAX_CHAIN = 64;

/** Largest natural alignment of a scalar on LP64 targets (__int128, long double). */
const MAX_SCALAR_ALIGN = 16;

function noSize(btf: Btf, id: number, op: string): BtfError {
  const t = btf.typeById(id);
  const what = btf.typeName(id);
  let why: string;
  switch (t.kind) {
    case 'void':
      why = `${op}(void) is not defined`;
      break;
    case 'fwd':
      why = `${what} is only forward-declared in BTF, so its ${op} is unknown`;
      break;
    case 'func':
    case 'func_proto':
      why = `${what} is a function; a function has no ${op}`;
      break;
    default:
      why = `${what} (a ${t.kind}) has no ${op}`;
  }
  return new BtfError('no-size', why, { typeId: id });
}

export function sizeOf(btf: Btf, id: number): number {
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case 'int':
      case 'enum':
      case 'enum64':
      case 'struct':
      case 'union':
      case 'float':
      case 'datasec':
        return t.size;
      case 'ptr':
        return btf.pointerSize;
      case 'array':
        return t.nelems * sizeOf(btf, t.type);
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'var':
        id = t.type;
        continue;
      default:
        throw noSize(btf, id, 'sizeof');
    }
  }
  throw new BtfError('malformed', `type chain from #${id} is too long (a loop?)`, { typeId: id });
}

export function alignOf(btf: Btf, id: number, depth = 0): number {
  if (depth > MAX_CHAIN) throw new BtfError('malformed', `type chain from #${id} is too long (a loop?)`, { typeId: id });
  const t = btf.typeById(id);
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
    case 'float':
      return Math.max(1, Math.min(t.size, MAX_SCALAR_ALIGN));
    case 'ptr':
      return btf.pointerSize;
    case 'array':
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
    case 'var':
      return alignOf(btf, t.type, depth + 1);
    case 'struct':
    case 'union': {
      // BTF has no "packed" flag; like libbpf, infer it from a misaligned member or an odd size.
      let max = 1;
      for (const m of t.members) {
        const a = alignOf(btf, m.type, depth + 1);
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
        if (a > max) max = a;
      }
      return t.size % max === 0 ? max : 1;
    }
    default:
      throw noSize(btf, id, 'alignof');
  }
}

/** The struct/union behind `id`, or a plain error saying why there is none. */
function aggregate(btf: Btf, id: number, wanted: string): BtfStruct {
  const r = btf.resolve(id);
  const t = btf.typeById(r);
  if (t.kind === 'struct' || t.kind === 'union') return t;
  const name = btf.typeName(id);
  if (t.kind === 'fwd') {
    throw new BtfError('not-aggregate', `${name} is only forward-declared in BTF, so member '${wanted}' cannot be found`, { typeId: id });
  }
  if (t.kind === 'ptr') {
    throw new BtfError('not-aggregate', `${name} is a pointer, not a struct or union; dereference it to reach member '${wanted}'`, { typeId: id });
  }
  throw new BtfError('not-aggregate', `${name} is not a struct or union, so it has no member '${wanted}'`, { typeId: id });
}

function search(btf: Btf, t: BtfStruct, name: string, baseBits: number, via: number[]): MemberInfo | undefined {
  for (const m of t.members) {
    if (m.name === name) {
      const bitOffset = baseBits + m.bitOffset;
      return { name, type: m.type, bitOffset, bitfieldSize: m.bitfieldSize, byteOffset: Math.floor(bitOffset / 8), via };
    }
    if (m.name === '') {
      const inner = btf.typeById(btf.resolve(m.type));
      if (inner.kind === 'struct' || inner.kind === 'union') {
        const hit = search(btf, inner, name, baseBits + m.bitOffset, [...via, inner.id]);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

export function findMember(btf: Btf, structId: number, name: string): MemberInfo | undefined {
  return search(btf, aggregate(btf, structId, name), name, 0, []);
}

export function member(btf: Btf, structId: number, name: string): MemberInfo {
  const hit = findMember(btf, structId, name);
  if (!hit) {
    throw new BtfError('no-member', `${btf.typeName(btf.resolve(structId))} has no member '${name}'`, { typeId: structId });
  }
  return hit;
}

const SEGMENT = /^([A-Za-z_$][A-Za-z0-9_$]*)((?:\[\d+\])*)$/;

export function memberPath(btf: Btf, structId: number, path: string): MemberInfo {
  const segments = path.split('.');
  let type = structId;
  let bitOffset = 0;
  let bitfieldSize = 0;
  const via: number[] = [];
  const done: string[] = [];
  const outer = btf.typeName(btf.resolve(structId));
  for (const seg of segments) {
    const m = SEGMENT.exec(seg);
    if (!m) throw new BtfError('no-member', `'${path}' is not a member path (expected names joined by '.', with optional [N])`, { typeId: structId });
    const name = m[1]!;
    const where = done.length === 0 ? '' : ` (${outer}.${done.join('.')})`;
    const agg = aggregate(btf, type, name);
    const hit = search(btf, agg, name, 0, []);
    if (!hit) {
      throw new BtfError('no-member', `${btf.typeName(agg.id)}${where} has no member '${name}'`, { typeId: agg.id });
    }
    via.push(...hit.via);
    bitOffset += hit.bitOffset;
    bitfieldSize = hit.bitfieldSize;
    type = hit.type;
    done.push(name);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) {
      const n = Number(idx[1]);
      const arr = btf.typeById(btf.resolve(type));
      if (arr.kind !== 'array') {
        throw new BtfError('wrong-kind', `${outer}.${done.join('.')} is ${btf.typeName(type)}, not an array; it cannot be indexed`, { typeId: type });
      }
      if (arr.nelems > 0 && n >= arr.nelems) {
        throw new BtfError('wrong-kind', `index ${n} is out of bounds for ${outer}.${done.join('.')} (${btf.typeName(type)})`, { typeId: type });
      }
      bitOffset += n * sizeOf(btf, arr.type) * 8;
      type = arr.type;
      done[done.length - 1] += `[${n}]`;
    }
  }
  return { name: path, type, bitOffset, bitfieldSize, byteOffset: Math.floor(bitOffset / 8), via };
}

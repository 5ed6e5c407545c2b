import type { Btf } from './btf.js';
import { BtfError } from './error.js';
import type { BtfType } from './types.js';

const MAX_DEPTH = 64;

/**
 * C spelling of a type, built the way C declarators nest: `inner` is what has been declared so
 * far ("*", "(*)[4]", a name), and each level wraps it. Type tags (`__user`, `__rcu`) are left
 * out: they matter to the verifier, not to a reader.
 */
export function cTypeName(btf: Btf, id: number): string {
  const t = btf.typeById(id);
  if (t.kind === 'func') return declare(btf, t.type, t.name, 0, true);
  if (t.kind === 'var') return declare(btf, t.type, t.name, 0, false);
  return declare(btf, id, '', 0, false);
}

function join(base: string, inner: string): string {
  if (inner === '') return base;
  if (inner.startsWith('[')) return base + inner;
  return `${base} ${inner}`;
}

function tagged(t: BtfType): string {
  switch (t.kind) {
    case 'struct':
    case 'union':
      return `${t.kind} ${t.name || '(anon)'}`;
    case 'enum':
    case 'enum64':
      return `enum ${t.name || '(anon)'}`;
    case 'fwd':
      return `${t.fwdKind} ${t.name}`;
    default:
      return t.name;
  }
}

function declare(btf: Btf, id: number, inner: string, depth: number, paramNames: boolean): string {
  if (depth > MAX_DEPTH) throw new BtfError('malformed', `type #${id} nests too deeply to name (a loop?)`, { typeId: id });
  const t = btf.typeById(id);
  switch (t.kind) {
    case 'void':
      return join('void', inner);
    case 'int':
    case 'float':
    case 'typedef':
    case 'struct':
    case 'union':
    case 'enum':
    case 'enum64':
    case 'fwd':
      return join(tagged(t), inner);
    case 'ptr':
      return declare(btf, t.type, `*${inner}`, depth + 1, false);
    case 'const':
    case 'volatile':
    case 'restrict': {
      // Qualifying a pointer reads right to left ("char *const"); anything else goes in front.
      const target = btf.kindOf(skipTags(btf, t.type));
      if (target === 'ptr') return declare(btf, t.type, inner === '' ? t.kind : `${t.kind} ${inner}`, depth + 1, false);
      return `${t.kind} ${declare(btf, t.type, inner, depth + 1, false)}`;
    }
    case 'type_tag':
      return declare(btf, t.type, inner, depth + 1, false);
    case 'array': {
      const wrapped = inner.startsWith('*') ? `(${inner})` : inner;
      return declare(btf, t.type, `${wrapped}[${t.nelems}]`, depth + 1, false);
    }
    case 'func_proto': {
      const wrapped = inner.startsWith('*') ? `(${inner})` : inner;
      const params = t.params.map((p) => declare(btf, p.type, paramNames ? p.name : '', depth + 1, false));
      if (t.variadic) params.push('...');
      const list = params.length === 0 ? 'void' : params.join(', ');
      return declare(btf, t.returnType, `${wrapped}(${list})`, depth + 1, false);
    }
    case 'func':
      return declare(btf, t.type, inner === '' ? t.name : inner, depth + 1, true);
    case 'var':
      return declare(btf, t.type, inner === '' ? t.name : inner, depth + 1, false);
    case 'datasec':
      return `SEC("${t.name}")`;
    case 'decl_tag':
      return `__attribute__((btf_decl_tag("${t.name}")))`;
  }
}

function skipTags(btf: Btf, id: number): number {
  for (let i = 0; i < MAX_DEPTH && id !== 0; i++) {
    const t = btf.typeById(id);
    if (t.kind !== 'type_tag' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict') return id;
    id = t.type;
  }
  return id;
}

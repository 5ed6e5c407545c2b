/**
 * C declarations: the struct/union/enum/typedef definitions a script may carry
 * in its preamble, and the type names used in casts, sizeof and let. This is a
 * small C declarator parser (pointers, arrays, function pointers, bitfields,
 * nested and anonymous aggregates), not a C compiler: macros are not expanded
 * and attributes are skipped.
 */
import type {
  CEnumDef,
  CEnumValue,
  CField,
  CParam,
  CStructDef,
  CTypedef,
  CType,
  Expr,
  NamedType,
  TaggedType,
} from './ast.js';
import { TokenCursor } from './cursor.js';
import type { Span } from './source.js';
import type { Token } from './token.js';

/** Words that make up C base types (`unsigned long long int`). */
const C_BASE_WORDS = new Set([
  'void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', '__int128',
  '__signed__', '__unsigned__',
]);

const C_QUALIFIERS = new Set([
  'const', 'volatile', 'restrict', '__restrict', '__restrict__', '__volatile__', '__const',
  'static', 'extern', 'register', 'inline', '__inline', '__inline__', '__extension__', '_Atomic',
]);

const C_ATTRIBUTES = new Set(['__attribute__', '__attribute', '__aligned', '__packed', '__user', '__rcu', '__iomem', '__percpu', '__force']);

/** bpftrace's own type names, which start a cast just as C type keywords do. */
export const SCRIPT_TYPE_NAMES = new Set([
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'string', 'inet', 'buffer',
]);

/** Whether `tok` can only begin a type (never an expression). */
export function startsTypeOnly(tok: Token): boolean {
  if (tok.kind !== 'ident') return false;
  const w = tok.text;
  return (
    w === 'struct' || w === 'union' || w === 'enum' || C_BASE_WORDS.has(w) || C_QUALIFIERS.has(w) || SCRIPT_TYPE_NAMES.has(w)
  );
}

type Suffix = { kind: 'array'; length: Expr | null; span: Span } | { kind: 'function'; params: CParam[]; variadic: boolean; span: Span };

/** A declarator before it is applied to a base type: `*const *name[4]`, `(*fp)(int)`. */
interface DeclShape {
  pointers: string[][];
  inner: DeclShape | null;
  name: Token | null;
  suffixes: Suffix[];
  start: number;
  end: number;
}

export abstract class CDeclParser extends TokenCursor {
  /** A constant expression: array lengths, bitfield widths, enum values. */
  protected abstract parseConstant(): Expr;

  /** A top-level definition starting at `struct`, `union`, `enum` or `typedef`. */
  parseCDefinition(): Array<CStructDef | CEnumDef | CTypedef> {
    const start = this.peek().start;
    if (this.atWord('typedef')) {
      this.next();
      const base = this.parseDeclSpecifiers(true);
      const out: CTypedef[] = [];
      for (;;) {
        const d = this.parseDeclarator(base, false);
        this.skipAttributes();
        out.push({ kind: 'CTypedef', name: d.name!.text, type: d.type, span: this.spanFrom(start) });
        if (!this.eat(',')) break;
      }
      this.expectSemicolon('after typedef');
      for (const t of out) t.span = this.spanFrom(start);
      return out;
    }
    const base = this.parseDeclSpecifiers(true);
    if (base.kind !== 'TaggedType') throw this.error('expected struct, union or enum definition', start, this.prevEnd);
    this.skipAttributes();
    if (base.body === null) {
      // `struct X;` declares the tag only.
      this.expectSemicolon(`after '${base.tag} ${base.name ?? ''}'`);
      const span = this.spanFrom(start);
      if (base.tag === 'enum') return [{ kind: 'CEnumDef', name: base.name, values: null, span }];
      return [{ kind: 'CStructDef', tag: base.tag, name: base.name, members: null, span }];
    }
    // bpftrace accepts a definition with or without the trailing semicolon.
    this.eat(';');
    base.body.span = this.spanFrom(start);
    return [base.body];
  }

  private expectSemicolon(context: string): void {
    if (!this.eat(';')) throw this.unexpected(`';' ${context}`);
  }

  /** Skip `__attribute__((...))` and similar annotations. */
  protected skipAttributes(): void {
    while (this.at('ident') && C_ATTRIBUTES.has(this.peek().text)) {
      this.next();
      if (this.at('(')) this.skipBalanced();
    }
  }

  private skipBalanced(): void {
    const open = this.next();
    let depth = 1;
    while (depth > 0) {
      const tok = this.next();
      if (tok.kind === '(') depth++;
      else if (tok.kind === ')') depth--;
      else if (tok.kind === 'eof') throw this.errorAt(open, "unbalanced '(': end of file before the matching ')'");
    }
  }

  /**
   * Declaration specifiers: qualifiers plus one of a run of base words
   * (`unsigned int`), a tagged type (`struct X`, with a body if `allowBody`),
   * or a typedef name.
   */
  parseDeclSpecifiers(allowBody: boolean): NamedType | TaggedType {
    const start = this.peek().start;
    const qualifiers: string[] = [];
    const words: string[] = [];
    let tagged: TaggedType | null = null;
    let named: string | null = null;
    for (;;) {
      const tok = this.peek();
      if (tok.kind !== 'ident') break;
      const w = tok.text;
      if (C_QUALIFIERS.has(w)) {
        this.next();
        qualifiers.push(w);
      } else if (C_ATTRIBUTES.has(w)) {
        this.skipAttributes();
      } else if ((w === 'struct' || w === 'union' || w === 'enum') && !tagged && !named && words.length === 0) {
        tagged = this.parseTagged(allowBody);
      } else if (C_BASE_WORDS.has(w) && !tagged && !named) {
        this.next();
        words.push(w);
      } else if (!tagged && !named && words.length === 0) {
        this.next();
        named = w;
      } else {
        break;
      }
    }
    if (tagged) {
      tagged.qualifiers = qualifiers;
      tagged.span = this.spanFrom(start);
      return tagged;
    }
    const name = named ?? words.join(' ');
    if (name === '') throw this.unexpected('a type name');
    return { kind: 'NamedType', name, qualifiers, span: this.spanFrom(start) };
  }

  private parseTagged(allowBody: boolean): TaggedType {
    const kw = this.next();
    const tag = kw.text as 'struct' | 'union' | 'enum';
    this.skipAttributes();
    let name: string | null = null;
    if (this.at('ident')) name = this.next().text;
    let body: CStructDef | CEnumDef | null = null;
    if (this.at('{') && allowBody) {
      body = tag === 'enum' ? this.parseEnumBody(kw.start, name) : this.parseStructBody(kw.start, tag, name);
    } else if (name === null) {
      throw this.unexpected(`a name after '${tag}'`);
    }
    return { kind: 'TaggedType', tag, name, body, qualifiers: [], span: this.spanFrom(kw.start) };
  }

  private parseStructBody(start: number, tag: 'struct' | 'union', name: string | null): CStructDef {
    const open = this.expect('{');
    const members: CField[] = [];
    while (!this.at('}')) {
      if (this.at('eof')) {
        throw this.errorAt(this.peek(), `unexpected end of file in ${tag} ${name ?? ''} definition`.replace('  ', ' '), `the '{' at line ${this.source.position(open.start).line} is not closed`);
      }
      if (this.eat(';')) continue;
      members.push(...this.parseMember());
    }
    this.next();
    this.skipAttributes();
    return { kind: 'CStructDef', tag, name, members, span: this.spanFrom(start) };
  }

  private parseMember(): CField[] {
    const start = this.peek().start;
    const base = this.parseDeclSpecifiers(true);
    const out: CField[] = [];
    if (this.at(';')) {
      // An anonymous struct/union member (`union { … };`) or a lone type.
      this.next();
      return [{ kind: 'CField', name: null, type: base, bits: null, span: this.spanFrom(start) }];
    }
    for (;;) {
      let name: string | null = null;
      let type: CType = base;
      if (!this.at(':')) {
        const d = this.parseDeclarator(base, false);
        name = d.name!.text;
        type = d.type;
      }
      let bits: Expr | null = null;
      if (this.eat(':')) bits = this.parseConstant();
      this.skipAttributes();
      out.push({ kind: 'CField', name, type, bits, span: this.spanFrom(start) });
      if (!this.eat(',')) break;
    }
    // The last member may end at '}' without ';': clang (and so bpftrace) accepts it with a warning.
    if (!this.eat(';') && !this.at('}')) throw this.unexpected(`';' after member '${out[out.length - 1]!.name ?? ''}'`);
    for (const f of out) f.span = this.spanFrom(start);
    return out;
  }

  private parseEnumBody(start: number, name: string | null): CEnumDef {
    this.expect('{');
    const values: CEnumValue[] = [];
    while (!this.at('}')) {
      const id = this.peek();
      if (id.kind !== 'ident') throw this.unexpected('an enumerator name');
      this.next();
      let value: Expr | null = null;
      if (this.eat('=')) value = this.parseConstant();
      values.push({ kind: 'CEnumValue', name: id.text, value, span: this.spanFrom(id.start) });
      if (!this.eat(',')) break;
    }
    if (!this.eat('}')) throw this.unexpected("',' or '}' in enum");
    return { kind: 'CEnumDef', name, values, span: this.spanFrom(start) };
  }

  /**
   * A declarator applied to `base`: `*p`, `a[4][2]`, `(*fp)(int, char *)`.
   * With `abstract`, the name is optional (function parameters, type names).
   */
  parseDeclarator(base: CType, abstract: boolean): { name: Token | null; type: CType } {
    const shape = this.parseDeclShape(abstract);
    if (!abstract && !findName(shape)) throw this.unexpected('a name in declaration');
    // Every type node made from the declarator spans the base type through the whole declarator.
    const span = this.source.span(Math.min(base.span.offset, shape.start), Math.max(base.span.offset + base.span.length, shape.end));
    return build(shape, base, span);
  }

  private parseDeclShape(abstract: boolean): DeclShape {
    const start = this.peek().start;
    const pointers: string[][] = [];
    while (this.eat('*')) {
      const quals: string[] = [];
      while (this.at('ident') && (C_QUALIFIERS.has(this.peek().text) || C_ATTRIBUTES.has(this.peek().text))) {
        if (C_ATTRIBUTES.has(this.peek().text)) this.skipAttributes();
        else quals.push(this.next().text);
      }
      pointers.push(quals);
    }
    let inner: DeclShape | null = null;
    let name: Token | null = null;
    if (this.at('(') && (this.at('*', 1) || this.at('(', 1))) {
      this.next();
      inner = this.parseDeclShape(abstract);
      this.expect(')', 'to close the declarator');
    } else if (this.at('ident') && !(abstract && startsTypeOnly(this.peek()))) {
      name = this.next();
    }
    const suffixes: Suffix[] = [];
    for (;;) {
      const s = this.peek().start;
      if (this.eat('[')) {
        const length = this.at(']') ? null : this.parseConstant();
        this.expect(']', 'to close the array length');
        suffixes.push({ kind: 'array', length, span: this.spanFrom(s) });
      } else if (this.at('(')) {
        this.next();
        const { params, variadic } = this.parseParams();
        suffixes.push({ kind: 'function', params, variadic, span: this.spanFrom(s) });
      } else {
        break;
      }
    }
    return { pointers, inner, name, suffixes, start, end: this.prevEnd };
  }

  private parseParams(): { params: CParam[]; variadic: boolean } {
    const params: CParam[] = [];
    let variadic = false;
    if (this.eat(')')) return { params, variadic };
    if (this.atWord('void') && this.at(')', 1)) {
      this.next();
      this.next();
      return { params, variadic };
    }
    for (;;) {
      if (this.eat('...')) {
        variadic = true;
        break;
      }
      const start = this.peek().start;
      const base = this.parseDeclSpecifiers(false);
      const d = this.parseDeclarator(base, true);
      params.push({ kind: 'CParam', name: d.name?.text ?? null, type: d.type, span: this.spanFrom(start) });
      if (!this.eat(',')) break;
    }
    this.expect(')', 'to close the parameter list');
    return { params, variadic };
  }
}

function findName(shape: DeclShape): Token | null {
  return shape.name ?? (shape.inner ? findName(shape.inner) : null);
}

/** Apply a declarator shape to its base type, C's inside-out way. */
function build(shape: DeclShape, base: CType, span: Span): { name: Token | null; type: CType } {
  let t = base;
  for (const quals of shape.pointers) t = { kind: 'PointerType', to: t, qualifiers: quals, span };
  for (let i = shape.suffixes.length - 1; i >= 0; i--) {
    const s = shape.suffixes[i]!;
    if (s.kind === 'array') t = { kind: 'ArrayType', of: t, length: s.length, span };
    else t = { kind: 'FunctionType', returns: t, params: s.params, variadic: s.variadic, span };
  }
  if (shape.inner) return build(shape.inner, t, span);
  return { name: shape.name, type: t };
}

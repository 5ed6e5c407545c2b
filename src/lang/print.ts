/**
 * Text renderings of the AST: `printAst` is the indented tree shown by the
 * CLI's `-d`; `formatType` writes a type in C syntax; `formatExpr` writes an
 * expression back as script text (fully parenthesised where it matters).
 */
import type { AttachPoint, CField, CType, Expr, Node, Stmt } from './ast.js';
import { isType } from './ast.js';
import type { Span } from './source.js';

export interface PrintOptions {
  /** Append each node's position as `@line:col-endLine:endCol`. */
  spans?: boolean;
}

export function printAst(node: Node, options: PrintOptions = {}): string {
  const lines: string[] = [];
  const emit = (depth: number, text: string, span?: Span): void => {
    const at = options.spans && span ? ` @${span.line}:${span.col}-${span.endLine}:${span.endCol}` : '';
    lines.push('  '.repeat(depth) + text + at);
  };
  visit(node, 0, emit);
  return lines.join('\n') + '\n';
}

type Emit = (depth: number, text: string, span?: Span) => void;

function visit(n: Node, d: number, emit: Emit): void {
  switch (n.kind) {
    case 'Program':
      emit(d, `Program ${n.file}`, n.span);
      if (n.shebang !== null) emit(d + 1, `shebang ${n.shebang}`);
      for (const item of n.preamble) visit(item, d + 1, emit);
      if (n.config) visit(n.config, d + 1, emit);
      for (const m of n.maps) visit(m, d + 1, emit);
      for (const p of n.probes) visit(p, d + 1, emit);
      return;
    case 'Include':
      emit(d, `include ${n.angled ? `<${n.path}>` : JSON.stringify(n.path)}`, n.span);
      return;
    case 'Define':
      emit(d, `define ${n.name}${n.params ? `(${n.params.join(', ')})` : ''} ${n.body}`.trimEnd(), n.span);
      if (n.value) visit(n.value, d + 1, emit);
      return;
    case 'Directive':
      emit(d, `directive #${n.name}${n.argument ? ' ' + n.argument : ''}`, n.span);
      return;
    case 'CStructDef':
      emit(d, `${n.tag} ${n.name ?? '<anonymous>'}${n.members === null ? ' (declaration)' : ''}`, n.span);
      for (const m of n.members ?? []) visit(m, d + 1, emit);
      return;
    case 'CField':
      printField(n, d, emit);
      return;
    case 'CEnumDef':
      emit(d, `enum ${n.name ?? '<anonymous>'}${n.values === null ? ' (declaration)' : ''}`, n.span);
      for (const v of n.values ?? []) visit(v, d + 1, emit);
      return;
    case 'CEnumValue':
      emit(d, `enumerator ${n.name}${n.value ? ' = ' + formatExpr(n.value) : ''}`, n.span);
      return;
    case 'CTypedef':
      emit(d, `typedef ${formatType(n.type, n.name)}`, n.span);
      printInlineBodies(n.type, d + 1, emit);
      return;
    case 'CParam':
      emit(d, `param ${formatType(n.type, n.name ?? undefined)}`, n.span);
      return;
    case 'NamedType':
    case 'TaggedType':
    case 'PointerType':
    case 'ArrayType':
    case 'FunctionType':
      emit(d, `type ${formatType(n)}`, n.span);
      printInlineBodies(n, d + 1, emit);
      return;
    case 'ConfigBlock':
      emit(d, 'config', n.span);
      for (const s of n.settings) visit(s, d + 1, emit);
      return;
    case 'ConfigSetting':
      emit(d, `${n.name} = ${formatExpr(n.value)}`, n.span);
      return;
    case 'MapDecl':
      emit(d, `map ${n.name} = ${n.mapType}(${n.size.text})`, n.span);
      return;
    case 'Probe':
      emit(d, 'probe', n.span);
      for (const ap of n.attachPoints) visit(ap, d + 1, emit);
      if (n.predicate) {
        emit(d + 1, 'predicate');
        visit(n.predicate, d + 2, emit);
      }
      visit(n.body, d + 1, emit);
      return;
    case 'AttachPoint':
      emit(d, `attach ${n.raw} => ${formatTarget(n)}`, n.span);
      return;
    case 'Range':
      emit(d, 'range', n.span);
      visit(n.start, d + 1, emit);
      visit(n.end, d + 1, emit);
      return;
    default:
      if (isStmt(n)) visitStmt(n, d, emit);
      else visitExpr(n, d, emit);
  }
}

/** `kprobe func=vfs_read offset=16`; an undecoded spec (wildcard provider, $N field) shows its fields. */
function formatTarget(ap: AttachPoint): string {
  if (ap.provider === null || ap.target === null) {
    const parts = ap.parts.map((p, i) => (ap.quoted[i] ? JSON.stringify(p) : p)).join(' | ');
    return `${ap.provider ?? ap.providerWritten} (not expanded) [${parts}]`;
  }
  const fields: string[] = [];
  for (const [k, v] of Object.entries(ap.target)) {
    if (k === 'kind' || v === null) continue;
    let text: string;
    if (typeof v === 'string') text = /^[\w./*?+:-]+$/.test(v) ? v : JSON.stringify(v);
    else if (Array.isArray(v)) text = `[${v.join(' | ')}]`;
    else if (typeof v === 'bigint' && (k === 'address' || k === 'offset')) text = `0x${v.toString(16)}`;
    else text = String(v);
    fields.push(`${k}=${text}`);
  }
  return [ap.provider, ...fields].join(' ');
}

function printField(f: CField, d: number, emit: Emit): void {
  const bits = f.bits ? ` : ${formatExpr(f.bits)}` : '';
  emit(d, `field ${formatType(f.type, f.name ?? undefined)}${bits}`, f.span);
  printInlineBodies(f.type, d + 1, emit);
}

/** Members of a struct/union/enum defined inline (`struct { int a; } x;`). */
function printInlineBodies(t: CType, d: number, emit: Emit): void {
  const base = innermost(t);
  if (base.kind === 'TaggedType' && base.body) {
    const body = base.body;
    if (body.kind === 'CStructDef') for (const m of body.members ?? []) visit(m, d, emit);
    else for (const v of body.values ?? []) visit(v, d, emit);
  }
}

function innermost(t: CType): CType {
  switch (t.kind) {
    case 'PointerType':
      return innermost(t.to);
    case 'ArrayType':
      return innermost(t.of);
    case 'FunctionType':
      return innermost(t.returns);
    default:
      return t;
  }
}

const STMT_KINDS = new Set(['Block', 'ExprStmt', 'Assign', 'Let', 'If', 'Unroll', 'While', 'For', 'Jump']);

function isStmt(n: Node): n is Stmt {
  return STMT_KINDS.has(n.kind);
}

function visitStmt(s: Stmt, d: number, emit: Emit): void {
  switch (s.kind) {
    case 'Block':
      emit(d, 'block', s.span);
      for (const c of s.stmts) visitStmt(c, d + 1, emit);
      return;
    case 'ExprStmt':
      visitExpr(s.expr, d, emit);
      return;
    case 'Assign':
      emit(d, `assign ${s.op}`, s.span);
      visitExpr(s.target, d + 1, emit);
      visitExpr(s.value, d + 1, emit);
      return;
    case 'Let':
      emit(d, `let ${s.variable.name}${s.type ? ': ' + formatType(s.type) : ''}`, s.span);
      if (s.init) visitExpr(s.init, d + 1, emit);
      return;
    case 'If':
      emit(d, 'if', s.span);
      visitExpr(s.cond, d + 1, emit);
      visitStmt(s.then, d + 1, emit);
      if (s.else) {
        emit(d + 1, 'else');
        visitStmt(s.else, d + 2, emit);
      }
      return;
    case 'Unroll':
      emit(d, 'unroll', s.span);
      visitExpr(s.count, d + 1, emit);
      visitStmt(s.body, d + 1, emit);
      return;
    case 'While':
      emit(d, 'while', s.span);
      visitExpr(s.cond, d + 1, emit);
      visitStmt(s.body, d + 1, emit);
      return;
    case 'For':
      emit(d, `for ${s.variable.name}`, s.span);
      visit(s.iterable, d + 1, emit);
      visitStmt(s.body, d + 1, emit);
      return;
    case 'Jump':
      emit(d, s.jump, s.span);
      if (s.value) visitExpr(s.value, d + 1, emit);
      return;
  }
}

function visitExpr(e: Expr, d: number, emit: Emit): void {
  switch (e.kind) {
    case 'Integer':
      emit(d, `int ${e.value}${e.text !== String(e.value) ? ` (${e.text})` : ''}`, e.span);
      return;
    case 'String':
      emit(d, `string ${JSON.stringify(e.value)}`, e.span);
      return;
    case 'Bool':
      emit(d, `bool ${e.value}`, e.span);
      return;
    case 'Identifier':
      emit(d, `ident ${e.name}`, e.span);
      return;
    case 'Builtin':
      emit(d, `builtin ${e.name}`, e.span);
      return;
    case 'Variable':
      emit(d, `var ${e.name}`, e.span);
      return;
    case 'Map':
      emit(d, `map ${e.name}`, e.span);
      for (const k of e.keys) visitExpr(k, d + 1, emit);
      return;
    case 'Positional':
      emit(d, `param $${e.index}`, e.span);
      return;
    case 'PositionalCount':
      emit(d, 'param $#', e.span);
      return;
    case 'Unary':
      emit(d, `unop ${e.op}`, e.span);
      visitExpr(e.operand, d + 1, emit);
      return;
    case 'IncDec':
      emit(d, `${e.prefix ? 'pre' : 'post'} ${e.op}`, e.span);
      visitExpr(e.target, d + 1, emit);
      return;
    case 'Binary':
      emit(d, `binop ${e.op}`, e.span);
      visitExpr(e.left, d + 1, emit);
      visitExpr(e.right, d + 1, emit);
      return;
    case 'Ternary':
      emit(d, '?:', e.span);
      visitExpr(e.cond, d + 1, emit);
      visitExpr(e.then, d + 1, emit);
      visitExpr(e.else, d + 1, emit);
      return;
    case 'Cast':
      emit(d, `cast (${formatType(e.type)})`, e.span);
      visitExpr(e.expr, d + 1, emit);
      return;
    case 'Call':
      emit(d, `call ${e.name}`, e.span);
      for (const a of e.args) visitExpr(a, d + 1, emit);
      return;
    case 'FieldAccess':
      emit(d, `${e.arrow ? '->' : '.'} ${e.field}`, e.span);
      visitExpr(e.object, d + 1, emit);
      return;
    case 'IndexAccess':
      emit(d, 'index []', e.span);
      visitExpr(e.object, d + 1, emit);
      visitExpr(e.index, d + 1, emit);
      return;
    case 'TupleAccess':
      emit(d, `.${e.index}`, e.span);
      visitExpr(e.object, d + 1, emit);
      return;
    case 'Tuple':
      emit(d, 'tuple', e.span);
      for (const x of e.elements) visitExpr(x, d + 1, emit);
      return;
    case 'Sizeof':
      emit(d, 'sizeof', e.span);
      visit(e.arg, d + 1, emit);
      return;
    case 'Offsetof':
      emit(d, `offsetof ${e.field.join('.')}`, e.span);
      visit(e.of, d + 1, emit);
      return;
  }
}

/**
 * A type in C syntax; with `name`, as a declaration of that name:
 * formatType(ptr-to-array-4-of-int, 'p') → 'int (*p)[4]'.
 */
export function formatType(t: CType, name?: string): string {
  return declare(t, name ?? '');
}

function declare(t: CType, inner: string): string {
  const q = (quals: string[]): string => (quals.length ? quals.join(' ') + ' ' : '');
  switch (t.kind) {
    case 'NamedType':
      return join(q(t.qualifiers) + t.name, inner);
    case 'TaggedType':
      return join(q(t.qualifiers) + `${t.tag} ${t.name ?? '<anonymous>'}`, inner);
    case 'PointerType': {
      let s = '*' + (t.qualifiers.length ? t.qualifiers.join(' ') + (inner ? ' ' : '') : '') + inner;
      if (t.to.kind === 'ArrayType' || t.to.kind === 'FunctionType') s = `(${s})`;
      return declare(t.to, s);
    }
    case 'ArrayType':
      return declare(t.of, `${inner}[${t.length ? formatExpr(t.length) : ''}]`);
    case 'FunctionType': {
      const params = t.params.map((p) => formatType(p.type, p.name ?? undefined));
      if (t.variadic) params.push('...');
      return declare(t.returns, `${inner}(${params.length ? params.join(', ') : 'void'})`);
    }
  }
}

function join(base: string, inner: string): string {
  if (inner === '') return base;
  // `char[16]` and `int (*)(void)` read better without a space; `int *p` and `struct x *` with one.
  if (inner.startsWith('[')) return base + inner;
  return `${base} ${inner}`;
}

const BINARY_PREC: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

/** An expression as script text, parenthesised only where precedence needs it. */
export function formatExpr(e: Expr): string {
  return fmt(e, 0);
}

function fmt(e: Expr, outer: number): string {
  const wrap = (prec: number, s: string): string => (prec < outer ? `(${s})` : s);
  switch (e.kind) {
    case 'Integer':
      return e.text;
    case 'String':
      return JSON.stringify(e.value);
    case 'Bool':
      return String(e.value);
    case 'Identifier':
    case 'Builtin':
    case 'Variable':
      return e.name;
    case 'Map':
      return e.keys.length ? `${e.name}[${e.keys.map((k) => fmt(k, 0)).join(', ')}]` : e.name;
    case 'Positional':
      return `$${e.index}`;
    case 'PositionalCount':
      return '$#';
    case 'Unary':
      return wrap(11, e.op + fmt(e.operand, 11));
    case 'IncDec':
      return e.prefix ? e.op + fmt(e.target, 12) : fmt(e.target, 12) + e.op;
    case 'Binary': {
      const p = BINARY_PREC[e.op]!;
      return wrap(p, `${fmt(e.left, p)} ${e.op} ${fmt(e.right, p + 1)}`);
    }
    case 'Ternary':
      return wrap(0.5, `${fmt(e.cond, 1)} ? ${fmt(e.then, 0)} : ${fmt(e.else, 0.5)}`);
    case 'Cast':
      return wrap(11, `(${formatType(e.type)})${fmt(e.expr, 11)}`);
    case 'Call':
      return `${e.name}(${e.args.map((a) => fmt(a, 0)).join(', ')})`;
    case 'FieldAccess':
      return `${fmt(e.object, 12)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'IndexAccess':
      return `${fmt(e.object, 12)}[${fmt(e.index, 0)}]`;
    case 'TupleAccess':
      return `${fmt(e.object, 12)}.${e.index}`;
    case 'Tuple':
      return `(${e.elements.map((x) => fmt(x, 0)).join(', ')}${e.elements.length === 1 ? ',' : ''})`;
    case 'Sizeof':
      return `sizeof(${isType(e.arg) ? formatType(e.arg) : fmt(e.arg, 0)})`;
    case 'Offsetof':
      return `offsetof(${isType(e.of) ? formatType(e.of) : fmt(e.of, 0)}, ${e.field.join('.')})`;
  }
}

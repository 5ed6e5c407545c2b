/**
 * The syntax tree of a script. Every node is a plain object with a `kind`
 * discriminant and a `span` into the source; the root keeps the source text and
 * file name so later passes can report errors with file:line:col and a caret.
 */
import type { ProbeTarget } from './probe-target.js';
import type { Span } from './source.js';

interface NodeBase {
  span: Span;
}

// ─── Program and preamble ────────────────────────────────────────────────────

export interface Program extends NodeBase {
  kind: 'Program';
  file: string;
  source: string;
  /** The `#!` first line, if any (without the newline). */
  shebang: string | null;
  /** Preprocessor lines and C type definitions, in source order. */
  preamble: PreambleItem[];
  config: ConfigBlock | null;
  /** Top-level map declarations `let @m = lruhash(100);` (newer bpftrace). */
  maps: MapDecl[];
  probes: Probe[];
}

/** `let @name = hash(size);` at the top level. */
export interface MapDecl extends NodeBase {
  kind: 'MapDecl';
  name: string;
  /** The map kind as written: hash, lruhash, percpuhash, percpulruhash, percpuarray, … */
  mapType: string;
  size: IntegerLit;
}

export type PreambleItem = Include | Define | Directive | CStructDef | CEnumDef | CTypedef;

/** `#include <linux/sched.h>` (angled) or `#include "foo.h"`. */
export interface Include extends NodeBase {
  kind: 'Include';
  path: string;
  angled: boolean;
}

/** `#define NAME value` or `#define F(a, b) body`. */
export interface Define extends NodeBase {
  kind: 'Define';
  name: string;
  /** Parameter names of a function-like macro; null for an object-like one. */
  params: string[] | null;
  /** The replacement text as written (continuation lines joined, trimmed). */
  body: string;
  /** The body parsed as an expression, when it is one (`#define MAX 10`); else null. */
  value: Expr | null;
}

/** Any other preprocessor line (`#ifndef X`, `#endif`, `#undef X`, …), kept verbatim. */
export interface Directive extends NodeBase {
  kind: 'Directive';
  /** The directive word: 'ifndef', 'endif', … */
  name: string;
  /** The rest of the line after the directive word, trimmed. */
  argument: string;
  text: string;
}

/** `config = { stack_mode = perf; max_map_keys = 1000 }` (newer bpftrace). */
export interface ConfigBlock extends NodeBase {
  kind: 'ConfigBlock';
  settings: ConfigSetting[];
}

export interface ConfigSetting extends NodeBase {
  kind: 'ConfigSetting';
  name: string;
  value: IntegerLit | StringLit | BoolLit | Identifier;
}

// ─── C declarations (struct/union/enum/typedef in the preamble, and types in casts) ──

/** `struct X { … }` / `union X { … }`. `members` is null for a forward declaration `struct X;`. */
export interface CStructDef extends NodeBase {
  kind: 'CStructDef';
  tag: 'struct' | 'union';
  name: string | null;
  members: CField[] | null;
}

export interface CField extends NodeBase {
  kind: 'CField';
  /** null for an anonymous struct/union member or an unnamed bitfield. */
  name: string | null;
  type: CType;
  /** Width of a bitfield `int a:3`, else null. */
  bits: Expr | null;
}

export interface CEnumDef extends NodeBase {
  kind: 'CEnumDef';
  name: string | null;
  /** null for a forward declaration `enum X;`. */
  values: CEnumValue[] | null;
}

export interface CEnumValue extends NodeBase {
  kind: 'CEnumValue';
  name: string;
  value: Expr | null;
}

export interface CTypedef extends NodeBase {
  kind: 'CTypedef';
  name: string;
  type: CType;
}

/**
 * A type, as written in C definitions and in script casts/declarations.
 * Script types use the same shapes: `(uint32)` is a NamedType, `(struct sock *)`
 * a PointerType to a TaggedType, `(int8[4])` an ArrayType, and `string[16]` an
 * ArrayType of the NamedType `string` (sema gives that its bpftrace meaning).
 */
export type CType = NamedType | TaggedType | PointerType | ArrayType | FunctionType;

/** `int`, `unsigned long`, `u32`, `uint64`, `pid_t`… with qualifiers such as const. */
export interface NamedType extends NodeBase {
  kind: 'NamedType';
  name: string;
  qualifiers: string[];
}

/** `struct X`, `union X`, `enum X`; `body` holds an inline definition (`struct { int a; } x;`). */
export interface TaggedType extends NodeBase {
  kind: 'TaggedType';
  tag: 'struct' | 'union' | 'enum';
  name: string | null;
  body: CStructDef | CEnumDef | null;
  qualifiers: string[];
}

export interface PointerType extends NodeBase {
  kind: 'PointerType';
  to: CType;
  qualifiers: string[];
}

export interface ArrayType extends NodeBase {
  kind: 'ArrayType';
  of: CType;
  /** null for `[]`. */
  length: Expr | null;
}

export interface FunctionType extends NodeBase {
  kind: 'FunctionType';
  returns: CType;
  params: CParam[];
  variadic: boolean;
}

export interface CParam extends NodeBase {
  kind: 'CParam';
  name: string | null;
  type: CType;
}

// ─── Probes ──────────────────────────────────────────────────────────────────

export interface Probe extends NodeBase {
  kind: 'Probe';
  attachPoints: AttachPoint[];
  predicate: Expr | null;
  body: Block;
}

export type ProviderName =
  | 'BEGIN'
  | 'END'
  | 'kprobe'
  | 'kretprobe'
  | 'uprobe'
  | 'uretprobe'
  | 'usdt'
  | 'tracepoint'
  | 'rawtracepoint'
  | 'profile'
  | 'interval'
  | 'software'
  | 'hardware'
  | 'watchpoint'
  | 'asyncwatchpoint'
  | 'fentry'
  | 'fexit'
  | 'iter'
  | 'self'
  | 'test'
  | 'bench';

/**
 * One probe specification such as `uprobe:/bin/bash:readline`. `parts` are
 * the colon-separated fields after the provider, with quotes removed
 * (`uprobe:bin:cpp:"ns::f()"` → ['bin', 'cpp', 'ns::f()']).
 */
export interface AttachPoint extends NodeBase {
  kind: 'AttachPoint';
  /** Exactly as written. */
  raw: string;
  /**
   * Canonical provider: `k` and `kprobe` are both 'kprobe', `kfunc` is 'fentry',
   * `begin` is 'BEGIN'. null for a wildcard provider (`t*point:…`), which the
   * probe layer expands with matchProviders().
   */
  provider: ProviderName | null;
  /** The provider as written (`k`, `kprobe`, `kfunc`, `begin`, `t*point`). */
  providerWritten: string;
  parts: string[];
  /** Per part: whether it was written in double quotes (a quoted part holds no wildcards). */
  quoted: boolean[];
  /** Where each part is in the source (quotes included), for errors about one field. */
  partSpans: Span[];
  /**
   * The decoded meaning (function, path, offset, rate, …). null when it cannot
   * be decoded before expansion: a wildcard provider, or a positional
   * parameter in a field (`uprobe:$1:main`).
   */
  target: ProbeTarget | null;
}

// ─── Statements ──────────────────────────────────────────────────────────────

export type Stmt =
  | ExprStmt
  | AssignStmt
  | LetStmt
  | IfStmt
  | UnrollStmt
  | WhileStmt
  | ForStmt
  | JumpStmt
  | Block;

export interface Block extends NodeBase {
  kind: 'Block';
  stmts: Stmt[];
}

export interface ExprStmt extends NodeBase {
  kind: 'ExprStmt';
  expr: Expr;
}

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

/** `$x = e`, `@m[k] += e`. The target is a Variable or a Map (with or without keys). */
export interface AssignStmt extends NodeBase {
  kind: 'Assign';
  op: AssignOp;
  target: Variable | MapRef;
  value: Expr;
}

/** `let $x;`, `let $x = e;`, `let $x: uint32 = e;` */
export interface LetStmt extends NodeBase {
  kind: 'Let';
  variable: Variable;
  type: CType | null;
  init: Expr | null;
}

export interface IfStmt extends NodeBase {
  kind: 'If';
  cond: Expr;
  then: Block;
  /** `else { … }` or `else if …`. */
  else: Block | IfStmt | null;
}

export interface UnrollStmt extends NodeBase {
  kind: 'Unroll';
  count: Expr;
  body: Block;
}

export interface WhileStmt extends NodeBase {
  kind: 'While';
  cond: Expr;
  body: Block;
}

/** `for ($kv : @map) { … }` or `for ($i : 0..N) { … }`. */
export interface ForStmt extends NodeBase {
  kind: 'For';
  variable: Variable;
  iterable: MapRef | Range;
  body: Block;
}

export interface Range extends NodeBase {
  kind: 'Range';
  start: Expr;
  end: Expr;
}

export interface JumpStmt extends NodeBase {
  kind: 'Jump';
  jump: 'break' | 'continue' | 'return';
  /** `return expr` (newer syntax); null otherwise. */
  value: Expr | null;
}

// ─── Expressions ─────────────────────────────────────────────────────────────

export type Expr =
  | IntegerLit
  | StringLit
  | BoolLit
  | Identifier
  | Builtin
  | Variable
  | MapRef
  | Positional
  | PositionalCount
  | Unary
  | IncDec
  | Binary
  | Ternary
  | Cast
  | Call
  | FieldAccess
  | IndexAccess
  | TupleAccess
  | Tuple
  | Sizeof
  | Offsetof;

export interface IntegerLit extends NodeBase {
  kind: 'Integer';
  /** Unsigned value; a duration literal (`100ms`) is already in nanoseconds. */
  value: bigint;
  /** As written, e.g. '0x10', '1_000', '1e6', '5ms'. */
  text: string;
  suffix: string;
}

export interface StringLit extends NodeBase {
  kind: 'String';
  value: string;
  bytes: Uint8Array;
}

/** `true` / `false` (newer bpftrace). */
export interface BoolLit extends NodeBase {
  kind: 'Bool';
  value: boolean;
}

/** A bare name that is not a builtin: an enum constant, a #define, a stack mode (`perf`), a typedef. */
export interface Identifier extends NodeBase {
  kind: 'Identifier';
  name: string;
}

/** A builtin variable: pid, comm, nsecs, arg0, args, retval, curtask, … */
export interface Builtin extends NodeBase {
  kind: 'Builtin';
  name: string;
}

/** `$name`; the name keeps its `$`. */
export interface Variable extends NodeBase {
  kind: 'Variable';
  name: string;
}

/** `@name`, `@name[k1, k2]`, `@`, `@[k]`; the name keeps its `@` (the anonymous map is '@'). */
export interface MapRef extends NodeBase {
  kind: 'Map';
  name: string;
  /** Empty for a scalar map reference (`@x`). */
  keys: Expr[];
}

/** `$1`, `$2`, … */
export interface Positional extends NodeBase {
  kind: 'Positional';
  index: number;
}

/** `$#` */
export interface PositionalCount extends NodeBase {
  kind: 'PositionalCount';
}

export type UnaryOp = '!' | '~' | '-' | '+' | '*' | '&';

export interface Unary extends NodeBase {
  kind: 'Unary';
  op: UnaryOp;
  operand: Expr;
}

/** `++$x`, `$x--`, `@m[k]++` … */
export interface IncDec extends NodeBase {
  kind: 'IncDec';
  op: '++' | '--';
  prefix: boolean;
  target: Variable | MapRef;
}

export type BinaryOp =
  | '||'
  | '&&'
  | '|'
  | '^'
  | '&'
  | '=='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | '<<'
  | '>>'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

export interface Binary extends NodeBase {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
}

export interface Ternary extends NodeBase {
  kind: 'Ternary';
  cond: Expr;
  then: Expr;
  else: Expr;
}

export interface Cast extends NodeBase {
  kind: 'Cast';
  type: CType;
  expr: Expr;
}

/** `name(args)`; the parser accepts any name, sema knows which functions exist. */
export interface Call extends NodeBase {
  kind: 'Call';
  name: string;
  /** Span of the function name alone, for "unknown function" errors. */
  nameSpan: Span;
  args: Expr[];
}

/** `e.field` or `e->field` (`arrow`). */
export interface FieldAccess extends NodeBase {
  kind: 'FieldAccess';
  object: Expr;
  field: string;
  arrow: boolean;
}

/** `e[i]` (array or pointer indexing; map keys are in MapRef). */
export interface IndexAccess extends NodeBase {
  kind: 'IndexAccess';
  object: Expr;
  index: Expr;
}

/** `t.0` */
export interface TupleAccess extends NodeBase {
  kind: 'TupleAccess';
  object: Expr;
  index: number;
}

export interface Tuple extends NodeBase {
  kind: 'Tuple';
  elements: Expr[];
}

/** `sizeof(type)` or `sizeof(expr)`. */
export interface Sizeof extends NodeBase {
  kind: 'Sizeof';
  arg: CType | Expr;
}

/** `offsetof(struct X, a.b)` or `offsetof(expr, a.b)`. */
export interface Offsetof extends NodeBase {
  kind: 'Offsetof';
  of: CType | Expr;
  field: string[];
}

export type Node =
  | Program
  | PreambleItem
  | ConfigBlock
  | ConfigSetting
  | MapDecl
  | CField
  | CEnumValue
  | CType
  | CParam
  | Probe
  | AttachPoint
  | Stmt
  | Range
  | Expr;

const TYPE_KINDS = new Set(['NamedType', 'TaggedType', 'PointerType', 'ArrayType', 'FunctionType']);

/** Whether a Sizeof/Offsetof/Let operand is a type rather than an expression. */
export function isType(node: CType | Expr): node is CType {
  return TYPE_KINDS.has(node.kind);
}

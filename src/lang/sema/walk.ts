/** Small AST walks sema needs before typing: which builtins a probe uses. */
import type { Expr, Stmt, Probe, CType } from '../ast.js';
import { isType } from '../ast.js';

/** Calls `f` on every expression of a probe (predicate and body), outermost first. */
export function forEachExpr(probe: Probe, f: (e: Expr) => void): void {
  if (probe.predicate) expr(probe.predicate, f);
  stmt(probe.body, f);
}

/** Calls `f` on every expression of a statement (a loop body), outermost first. */
export function forEachExprIn(s: Stmt, f: (e: Expr) => void): void {
  stmt(s, f);
}

/** Calls `f` on a statement and every statement nested in it. */
export function forEachStmt(s: Stmt, f: (s: Stmt) => void): void {
  f(s);
  switch (s.kind) {
    case 'Block': for (const x of s.stmts) forEachStmt(x, f); return;
    case 'If': forEachStmt(s.then, f); if (s.else) forEachStmt(s.else, f); return;
    case 'Unroll': case 'While': case 'For': forEachStmt(s.body, f); return;
    default: return;
  }
}

function stmt(s: Stmt, f: (e: Expr) => void): void {
  switch (s.kind) {
    case 'Block': for (const x of s.stmts) stmt(x, f); return;
    case 'ExprStmt': expr(s.expr, f); return;
    case 'Assign': expr(s.target, f); expr(s.value, f); return;
    case 'Let': expr(s.variable, f); if (s.init) expr(s.init, f); return;
    case 'If': expr(s.cond, f); stmt(s.then, f); if (s.else) stmt(s.else, f); return;
    case 'Unroll': expr(s.count, f); stmt(s.body, f); return;
    case 'While': expr(s.cond, f); stmt(s.body, f); return;
    case 'For':
      expr(s.variable, f);
      if (s.iterable.kind === 'Range') { expr(s.iterable.start, f); expr(s.iterable.end, f); } else expr(s.iterable, f);
      stmt(s.body, f);
      return;
    case 'Jump': if (s.value) expr(s.value, f); return;
  }
}

function expr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  const sub = (x: Expr | CType): void => {
    if (!isType(x)) expr(x, f);
  };
  switch (e.kind) {
    case 'Map': e.keys.forEach(sub); return;
    case 'Unary': sub(e.operand); return;
    case 'IncDec': sub(e.target); return;
    case 'Binary': sub(e.left); sub(e.right); return;
    case 'Ternary': sub(e.cond); sub(e.then); sub(e.else); return;
    case 'Cast': sub(e.expr); return;
    case 'Call': e.args.forEach(sub); return;
    case 'FieldAccess': sub(e.object); return;
    case 'IndexAccess': sub(e.object); sub(e.index); return;
    case 'TupleAccess': sub(e.object); return;
    case 'Tuple': e.elements.forEach(sub); return;
    case 'Sizeof': sub(e.arg); return;
    case 'Offsetof': sub(e.of); return;
    default: return;
  }
}

/** Names of the builtins (`args`, `probe`, …) a probe mentions. */
export function builtinsUsed(probe: Probe): Set<string> {
  const out = new Set<string>();
  forEachExpr(probe, (e) => {
    if (e.kind === 'Builtin') out.add(e.name);
  });
  return out;
}

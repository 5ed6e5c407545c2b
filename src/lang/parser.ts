/**
 * Recursive-descent parser for bpftrace-compatible scripts, with precedence
 * climbing for binary operators. Produces the AST in ast.ts; the first syntax
 * error is thrown as a LangError pointing at the offending token.
 *
 * Accepted: the bpftrace 0.17 language plus newer syntax (config blocks,
 * `let`, `for` over ranges, duration literals, lowercase begin/end, `if`
 * without parentheses, `return expr`). Function names are not checked here:
 * knowing which calls exist is sema's job.
 */
import type {
  AssignOp,
  AssignStmt,
  AttachPoint,
  BinaryOp,
  Block,
  ConfigBlock,
  ConfigSetting,
  CType,
  Define,
  Directive,
  Expr,
  ForStmt,
  IfStmt,
  Include,
  JumpStmt,
  LetStmt,
  MapDecl,
  MapRef,
  PreambleItem,
  Probe,
  Program,
  Stmt,
  UnaryOp,
  Variable,
} from './ast.js';
import { CDeclParser, startsTypeOnly } from './cdecl.js';
import { LangError } from './diagnostic.js';
import { hasWildcard, PROVIDERS, scanSpec, SpecScanError } from './probe-spec.js';
import { decodeTarget, TargetError, type ProbeTarget } from './probe-target.js';
import { SourceFile } from './source.js';
import type { Token, TokenKind } from './token.js';

export interface ParseOptions {
  /** File name used in diagnostics; default "stdin" (as bpftrace calls a -e program). */
  file?: string;
}

/** Parse a whole script. Throws LangError on the first syntax error. */
export function parse(text: string, options: ParseOptions = {}): Program {
  const source = new SourceFile(options.file ?? 'stdin', text);
  return new Parser(source).parseProgram();
}

/** Parse a lone expression (tests, tools, and #define bodies). */
export function parseExpression(text: string, options: ParseOptions = {}): Expr {
  const source = new SourceFile(options.file ?? 'stdin', text);
  const p = new Parser(source);
  const e = p.parseExpr();
  if (!p.at('eof')) throw p.unexpected('end of expression');
  return e;
}

/** Binding power of binary operators: C's precedence, higher binds tighter. */
const BINARY_PRECEDENCE: Partial<Record<TokenKind, number>> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

const MAX_NESTING = 1000;

const ASSIGN_OPS = new Set<TokenKind>(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);

const UNARY_OPS = new Set<TokenKind>(['!', '~', '-', '+', '*', '&']);

/** Builtin variables (bpftrace 0.17 and later); other bare names are Identifiers. */
const BUILTINS = new Set([
  'args', 'cgroup', 'comm', 'cpid', 'numaid', 'cpu', 'ctx', 'curtask', 'elapsed', 'func', 'gid', 'nsecs', 'pid',
  'probe', 'rand', 'retval', 'tid', 'uid', 'username', 'kstack', 'ustack', 'jiffies', 'ncpus', 'usermode',
]);

export function isBuiltinName(name: string): boolean {
  return BUILTINS.has(name) || /^s?arg[0-9]+$/.test(name) || name.startsWith('__builtin_');
}

/** Words that begin statements and so cannot be used as values. */
const STATEMENT_KEYWORDS = new Set(['if', 'else', 'while', 'for', 'unroll', 'return', 'break', 'continue', 'let']);

/** Newer top-level forms we recognise only to say they are unsupported. */
const TOP_LEVEL_UNSUPPORTED = new Map([
  ['macro', 'macro definitions (bpftrace 0.24+)'],
  ['fn', 'subprogram definitions (bpftrace 0.21+)'],
  ['import', 'imports (bpftrace 0.24+)'],
]);

/** Tokens that can start an operand; used to tell a cast `(pid_t)$x` from a parenthesised name `(X) - 1`. */
const OPERAND_START = new Set<TokenKind>(['ident', 'int', 'string', 'var', 'map', 'positional', 'paramcount', '(', '!', '~']);

export class Parser extends CDeclParser {
  /** Inside `/…/`: a '/' followed by '{' ends the predicate instead of dividing. */
  private inPredicate = false;
  /** Nesting depth of expressions and blocks, bounded so a pathological script gets an error, not a stack overflow. */
  private depth = 0;

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_NESTING) {
      const tok = this.peek();
      this.depth = 0;
      throw this.errorAt(tok, `nesting is too deep (more than ${MAX_NESTING} levels)`);
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  constructor(source: SourceFile, start = 0, limit = source.text.length) {
    super(source, start, limit);
  }

  // ─── Program ───────────────────────────────────────────────────────────────

  parseProgram(): Program {
    const text = this.source.text;
    const shebang = text.startsWith('#!') ? text.slice(0, indexOrEnd(text, '\n')).replace(/\r$/, '') : null;
    const preamble: PreambleItem[] = [];
    let config: ConfigBlock | null = null;
    const maps: MapDecl[] = [];
    const probes: Probe[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.kind === 'eof') break;
      if (tok.kind === 'directive') {
        if (probes.length > 0) throw this.errorAt(tok, 'preprocessor directives must come before the first probe');
        preamble.push(this.parseDirective());
      } else if (tok.kind === 'ident' && /^(struct|union|enum|typedef)$/.test(tok.text)) {
        if (probes.length > 0) {
          throw this.errorAt(tok, `C definitions must come before the first probe`, `move this ${tok.text} to the top of the script`);
        }
        preamble.push(...this.parseCDefinition());
      } else if (tok.kind === 'ident' && tok.text === 'config' && this.at('=', 1)) {
        if (probes.length > 0) throw this.errorAt(tok, 'the config block must come before the first probe');
        if (config !== null) throw this.errorAt(tok, 'only one config block is allowed', `the first is at line ${config.span.line}`);
        config = this.parseConfig();
      } else if (tok.kind === 'ident' && tok.text === 'let' && !this.at(':', 1)) {
        if (!this.at('map', 1)) {
          throw this.errorAt(this.peek(1), 'only maps can be declared at the top level', 'declare variables inside a probe: let $x = 1;');
        }
        maps.push(this.parseMapDecl());
      } else {
        probes.push(this.parseProbe());
      }
    }
    return {
      kind: 'Program',
      file: this.source.name,
      source: text,
      shebang,
      preamble,
      config,
      maps,
      probes,
      span: this.source.span(0, text.length),
    };
  }

  private parseDirective(): Include | Define | Directive {
    const tok = this.next();
    const m = /^#\s*([A-Za-z_]\w*)?/.exec(tok.text)!;
    const name = m[1] ?? '';
    const argStart = tok.start + m[0].length;
    const argument = stripComments(tok.text.slice(m[0].length)).trim();
    const span = this.source.span(tok.start, tok.end);
    if (name === 'include') {
      const inc = /^(<([^>\n]+)>|"([^"\n]+)")$/.exec(argument);
      if (!inc) throw this.errorAt(tok, 'expected <file> or "file" after #include');
      return { kind: 'Include', path: inc[2] ?? inc[3]!, angled: inc[2] !== undefined, span };
    }
    if (name === 'define') return this.parseDefine(tok, argStart, span);
    if (name === '') throw this.errorAt(tok, 'expected a preprocessor directive name after #');
    return { kind: 'Directive', name, argument, text: tok.text, span };
  }

  private parseDefine(tok: Token, argStart: number, span: Define['span']): Define {
    const text = this.source.text;
    let i = argStart;
    while (text[i] === ' ' || text[i] === '\t') i++;
    const nameMatch = /^[A-Za-z_]\w*/.exec(text.slice(i, tok.end));
    if (!nameMatch) throw this.error('expected a macro name after #define', i, Math.max(i + 1, tok.end));
    const name = nameMatch[0];
    i += name.length;
    let params: string[] | null = null;
    if (text[i] === '(') {
      const close = text.indexOf(')', i);
      if (close < 0 || close > tok.end) throw this.error(`expected ')' to close the parameters of macro ${name}`, i, tok.end);
      params = text
        .slice(i + 1, close)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      i = close + 1;
    }
    const body = stripComments(text.slice(i, tok.end))
      .replace(/\s*\\\r?\n\s*/g, ' ')
      .trim();
    let value: Expr | null = null;
    if (params === null && body !== '') {
      // The body is an expression when it parses as one (`#define MAX 10`); otherwise only the text is kept.
      try {
        const p = new Parser(this.source, i, tok.end);
        const e = p.parseExpr();
        if (p.at('eof')) value = e;
      } catch (e) {
        if (!(e instanceof LangError)) throw e;
      }
    }
    return { kind: 'Define', name, params, body, value, span };
  }

  private parseConfig(): ConfigBlock {
    const start = this.next().start;
    this.expect('=', "after 'config'");
    this.expect('{', "after 'config ='");
    const settings: ConfigSetting[] = [];
    for (;;) {
      if (this.eat(';')) continue;
      if (this.at('}')) break;
      const key = this.peek();
      if (key.kind !== 'ident') throw this.unexpected("a config setting name or '}'");
      this.next();
      this.expect('=', `after config setting '${key.text}'`);
      const v = this.peek();
      let value: ConfigSetting['value'];
      const span = this.source.span(v.start, v.end);
      if (v.kind === 'int') value = { kind: 'Integer', value: v.intValue!, text: v.text, suffix: v.intSuffix!, span };
      else if (v.kind === 'string') value = { kind: 'String', value: v.strValue!, bytes: v.strBytes!, span };
      else if (v.kind === 'ident' && (v.text === 'true' || v.text === 'false')) value = { kind: 'Bool', value: v.text === 'true', span };
      else if (v.kind === 'ident') value = { kind: 'Identifier', name: v.text, span };
      else throw this.unexpected('an integer, string or name as the config value');
      this.next();
      settings.push({ kind: 'ConfigSetting', name: key.text, value, span: this.spanFrom(key.start) });
      if (!this.at(';') && !this.at('}')) throw this.unexpected("';' or '}' after config setting");
    }
    this.next();
    this.eat(';');
    return { kind: 'ConfigBlock', settings, span: this.spanFrom(start) };
  }

  private parseMapDecl(): MapDecl {
    const start = this.next().start;
    const map = this.next();
    if (map.text === '@') throw this.errorAt(map, 'the anonymous map @ cannot be declared');
    this.expect('=', `after 'let ${map.text}'`);
    const type = this.peek();
    if (type.kind !== 'ident') throw this.unexpected('a map type such as hash or lruhash');
    this.next();
    this.expect('(', `after '${type.text}'`);
    const size = this.peek();
    if (size.kind !== 'int') throw this.unexpected('the map size (an integer)');
    this.next();
    this.expect(')', 'after the map size');
    this.expect(';', 'after the map declaration');
    return {
      kind: 'MapDecl',
      name: map.text,
      mapType: type.text,
      size: { kind: 'Integer', value: size.intValue!, text: size.text, suffix: size.intSuffix!, span: this.source.span(size.start, size.end) },
      span: this.spanFrom(start),
    };
  }

  // ─── Probes ────────────────────────────────────────────────────────────────

  private parseProbe(): Probe {
    const start = this.peek().start;
    const attachPoints: AttachPoint[] = [];
    for (;;) {
      attachPoints.push(this.parseAttachPoint());
      if (!this.at(',')) break;
      this.next();
      // A trailing comma before the predicate or block is allowed.
      if (this.at('{') || this.at('/')) break;
    }
    let predicate: Expr | null = null;
    if (this.at('/')) {
      this.next();
      this.inPredicate = true;
      try {
        predicate = this.parseExpr();
      } finally {
        this.inPredicate = false;
      }
      if (!this.at('/')) throw this.unexpected("'/' to end the predicate");
      this.next();
      if (!this.at('{')) throw this.unexpected("'{' after the predicate");
    } else if (!this.at('{')) {
      const last = attachPoints[attachPoints.length - 1]!;
      throw this.unexpected(`'{' or '/' after probe '${last.raw}'`);
    }
    const body = this.parseBlock();
    return { kind: 'Probe', attachPoints, predicate, body, span: this.spanFrom(start) };
  }

  private parseAttachPoint(): AttachPoint {
    const tok = this.peek();
    if (tok.kind !== 'ident' && tok.kind !== '*' && tok.kind !== '?') {
      throw this.unexpected('a probe such as kprobe:vfs_read or BEGIN');
    }
    if (tok.kind === 'ident' && TOP_LEVEL_UNSUPPORTED.has(tok.text) && !this.at(':', 1)) {
      throw this.errorAt(tok, `${TOP_LEVEL_UNSUPPORTED.get(tok.text)!} are not supported yet`);
    }
    const text = this.source.text;
    let scanned;
    try {
      scanned = scanSpec(text, tok.start);
    } catch (e) {
      if (e instanceof SpecScanError) throw this.error(e.message, e.start, e.end);
      throw e;
    }
    const wildcard = hasWildcard(scanned.providerWritten);
    const provider = PROVIDERS.get(scanned.providerWritten) ?? null;
    const positional = scanned.providerWritten.includes('$');
    if (positional && !/^[A-Za-z0-9_]*\$[0-9]+$/.test(scanned.providerWritten)) {
      throw this.error(`invalid positional parameter in probe type '${scanned.providerWritten}'`, tok.start, scanned.providerEnd,
        'a $N parameter must end the probe type: BEG$1, $1');
    }
    if (provider === null && !wildcard && !positional) {
      throw this.error(
        `unknown probe type '${scanned.providerWritten}'`,
        tok.start,
        scanned.providerEnd,
        'probe types are BEGIN, END, kprobe, kretprobe, uprobe, uretprobe, usdt, tracepoint, rawtracepoint, ' +
          'profile, interval, software, hardware, watchpoint, fentry, fexit, iter',
      );
    }
    const after = text[scanned.end];
    if (after !== undefined && !/[\s,{/;}()]/.test(after)) {
      const ch = String.fromCodePoint(text.codePointAt(scanned.end)!);
      throw this.error(`invalid character '${ch}' in probe '${text.slice(tok.start, scanned.end)}${ch}'`, scanned.end, scanned.end + ch.length);
    }
    const partSpans = scanned.partRanges.map(([s, e]) => this.source.span(s, e));
    let target: ProbeTarget | null = null;
    if (provider !== null) {
      try {
        target = decodeTarget(provider, scanned.parts, scanned.quoted);
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        const where = e.part === null ? null : partSpans[e.part]!;
        // An empty field is reported at the ':' before it, where the caret is visible.
        const start = where === null ? tok.start : where.length === 0 ? where.offset - 1 : where.offset;
        const end = where === null ? scanned.end : where.offset + where.length;
        throw this.error(e.message, start, Math.max(end, start + 1), e.hint);
      }
    }
    this.seek(scanned.end);
    this.prevEnd = scanned.end;
    return {
      kind: 'AttachPoint',
      raw: text.slice(tok.start, scanned.end),
      provider,
      providerWritten: scanned.providerWritten,
      parts: scanned.parts,
      quoted: scanned.quoted,
      partSpans,
      target,
      span: this.source.span(tok.start, scanned.end),
    };
  }

  // ─── Statements ────────────────────────────────────────────────────────────

  parseBlock(): Block {
    return this.nested(() => this.parseBlockInner());
  }

  private parseBlockInner(): Block {
    const open = this.peek();
    if (open.kind !== '{') throw this.unexpected("'{'");
    this.next();
    const stmts: Stmt[] = [];
    const unclosed = (): LangError =>
      this.errorAt(this.peek(), "expected '}' before end of file", `the block opened at line ${this.source.position(open.start).line} is not closed`);
    for (;;) {
      // Empty statements (`;;`) are tolerated; bpftrace rejects them but they are harmless.
      if (this.eat(';')) continue;
      const tok = this.peek();
      if (tok.kind === '}') break;
      if (tok.kind === 'eof') throw unclosed();
      const stmt = this.parseStatement();
      stmts.push(stmt);
      if (endsWithBlock(stmt)) continue;
      if (this.at(';')) {
        this.next();
        continue;
      }
      if (this.at('}')) continue;
      if (this.at('eof')) throw unclosed();
      if (ASSIGN_OPS.has(this.peek().kind)) {
        throw this.errorAt(this.peek(), `unexpected '${this.peek().text}': an assignment is a statement, not a value`, 'assign in separate statements: $a = 1; $b = $a;');
      }
      throw this.unexpected("';' or '}' after statement");
    }
    this.next();
    return { kind: 'Block', stmts, span: this.spanFrom(open.start) };
  }

  parseStatement(): Stmt {
    const tok = this.peek();
    if (tok.kind === '{') return this.parseBlock();
    if (tok.kind === 'ident') {
      switch (tok.text) {
        case 'if':
          return this.parseIf();
        case 'unroll': {
          this.next();
          const count = this.parseCondition('unroll');
          const body = this.parseBodyBlock('unroll count');
          return { kind: 'Unroll', count, body, span: this.spanFrom(tok.start) };
        }
        case 'while': {
          this.next();
          const cond = this.parseCondition('while');
          const body = this.parseBodyBlock('while condition');
          return { kind: 'While', cond, body, span: this.spanFrom(tok.start) };
        }
        case 'for':
          return this.parseFor();
        case 'break':
        case 'continue': {
          this.next();
          return { kind: 'Jump', jump: tok.text, value: null, span: this.spanFrom(tok.start) };
        }
        case 'return': {
          this.next();
          let value: Expr | null = null;
          if (!this.at(';') && !this.at('}')) value = this.parseExpr();
          const j: JumpStmt = { kind: 'Jump', jump: 'return', value, span: this.spanFrom(tok.start) };
          return j;
        }
        case 'let':
          return this.parseLet();
        case 'else':
          throw this.errorAt(tok, "'else' without a matching 'if'");
      }
    }
    const target = this.parseExpr();
    const op = this.peek();
    if (!ASSIGN_OPS.has(op.kind)) return { kind: 'ExprStmt', expr: target, span: target.span };
    if (target.kind === 'TupleAccess') {
      throw this.error(
        'tuples are immutable once created',
        target.span.offset,
        op.end,
        'create a new tuple and assign that instead',
      );
    }
    if (target.kind !== 'Variable' && target.kind !== 'Map') {
      throw this.error(
        `cannot assign to ${describeExpr(target)}`,
        target.span.offset,
        target.span.offset + target.span.length,
        'only variables ($x) and maps (@m, @m[key]) can be assigned',
      );
    }
    this.next();
    const value = this.parseExpr();
    const stmt: AssignStmt = { kind: 'Assign', op: op.kind as AssignOp, target, value, span: this.spanFrom(target.span.offset) };
    return stmt;
  }

  /** The condition after if/while/unroll: parentheses are optional (newer bpftrace allows `if $x {`). */
  private parseCondition(keyword: string): Expr {
    if (this.at('{')) throw this.unexpected(`a condition after '${keyword}'`);
    return this.parseExpr();
  }

  private parseBodyBlock(after: string): Block {
    if (!this.at('{')) throw this.unexpected(`'{' after the ${after}`);
    return this.parseBlock();
  }

  private parseIf(): IfStmt {
    const start = this.next().start;
    const cond = this.parseCondition('if');
    const then = this.parseBodyBlock('if condition');
    let otherwise: Block | IfStmt | null = null;
    if (this.atWord('else')) {
      this.next();
      if (this.atWord('if')) otherwise = this.nested(() => this.parseIf());
      else if (this.at('{')) otherwise = this.parseBlock();
      else throw this.unexpected("'{' or 'if' after 'else'");
    }
    return { kind: 'If', cond, then, else: otherwise, span: this.spanFrom(start) };
  }

  private parseFor(): ForStmt {
    const start = this.next().start;
    const paren = this.eat('(');
    const v = this.peek();
    if (v.kind !== 'var') throw this.unexpected("a variable after 'for', as in for ($kv : @map)");
    this.next();
    const variable: Variable = { kind: 'Variable', name: v.text, span: this.source.span(v.start, v.end) };
    this.expect(':', `after the loop variable ${v.text}`);
    const first = this.parseUnary();
    let iterable: ForStmt['iterable'];
    if (this.eat('..')) {
      const end = this.parseUnary();
      iterable = { kind: 'Range', start: first, end, span: this.spanFrom(first.span.offset) };
    } else if (first.kind === 'Map' && first.keys.length === 0) {
      iterable = first;
    } else {
      throw this.error(
        'a for loop iterates over a map or a range',
        first.span.offset,
        first.span.offset + first.span.length,
        'write for ($kv : @map) { … } or for ($i : 0..10) { … }',
      );
    }
    if (paren) this.expect(')', 'to close the for loop header');
    const body = this.parseBodyBlock('for loop header');
    return { kind: 'For', variable, iterable, body, span: this.spanFrom(start) };
  }

  private parseLet(): LetStmt {
    const start = this.next().start;
    const v = this.peek();
    if (v.kind !== 'var') throw this.unexpected("a variable after 'let', as in let $x = 1");
    this.next();
    const variable: Variable = { kind: 'Variable', name: v.text, span: this.source.span(v.start, v.end) };
    let type: CType | null = null;
    if (this.eat(':')) type = this.parseTypeName();
    let init: Expr | null = null;
    if (this.eat('=')) init = this.parseExpr();
    return { kind: 'Let', variable, type, init, span: this.spanFrom(start) };
  }

  // ─── Expressions ───────────────────────────────────────────────────────────

  parseExpr(): Expr {
    return this.nested(() => this.parseTernary());
  }

  protected parseConstant(): Expr {
    return this.parseTernary();
  }

  private parseTernary(): Expr {
    const cond = this.parseBinary(1);
    if (!this.at('?')) return cond;
    this.next();
    const then = this.parseExpr();
    if (!this.at(':')) throw this.unexpected("':' in the conditional expression");
    this.next();
    const otherwise = this.nested(() => this.parseTernary());
    return { kind: 'Ternary', cond, then, else: otherwise, span: this.spanFrom(cond.span.offset) };
  }

  private parseBinary(minPrec: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const op = this.peek();
      const prec = BINARY_PRECEDENCE[op.kind];
      if (prec === undefined || prec < minPrec) return left;
      // `/pid == 1/ {`: this '/' closes the predicate.
      if (op.kind === '/' && this.inPredicate && this.at('{', 1)) return left;
      this.next();
      if (this.at('eof')) throw this.unexpected(`an expression after '${op.text}'`);
      const right = this.parseBinary(prec + 1);
      left = { kind: 'Binary', op: op.kind as BinaryOp, left, right, span: this.spanFrom(left.span.offset) };
    }
  }

  parseUnary(): Expr {
    return this.nested(() => this.parseUnaryInner());
  }

  private parseUnaryInner(): Expr {
    const tok = this.peek();
    if (UNARY_OPS.has(tok.kind)) {
      this.next();
      const operand = this.parseUnary();
      return { kind: 'Unary', op: tok.kind as UnaryOp, operand, span: this.spanFrom(tok.start) };
    }
    if (tok.kind === '++' || tok.kind === '--') {
      this.next();
      const target = this.parseUnary();
      if (target.kind !== 'Variable' && target.kind !== 'Map') {
        throw this.errorAt(tok, `the ${tok.kind} operator must be applied to a map or variable`);
      }
      return { kind: 'IncDec', op: tok.kind, prefix: true, target, span: this.spanFrom(tok.start) };
    }
    if (tok.kind === '(') {
      const type = this.tryCastType();
      if (type !== null) {
        if (this.at('eof')) throw this.unexpected('an expression after the cast');
        const expr = this.parseUnary();
        return { kind: 'Cast', type, expr, span: this.spanFrom(tok.start) };
      }
    }
    if (tok.kind === 'ident' && this.at('(', 1)) {
      if (tok.text === 'sizeof') return this.parseSizeof();
      if (tok.text === 'offsetof') return this.parseOffsetof();
    }
    return this.parsePostfix();
  }

  /**
   * At '(': if a cast follows, consume `(type)` and return the type; otherwise
   * consume nothing and return null. A lone name in parentheses is a cast only
   * when an operand follows: `(pid_t)$x` is a cast, `(X) - 1` a subtraction.
   */
  private tryCastType(): CType | null {
    const m = this.mark();
    this.next();
    const first = this.peek();
    if (startsTypeOnly(first)) {
      const type = this.parseTypeName();
      this.expect(')', 'to close the cast');
      return type;
    }
    if (first.kind !== 'ident' || isBuiltinName(first.text) || STATEMENT_KEYWORDS.has(first.text) || this.at('(', 1)) {
      this.reset(m);
      return null;
    }
    let type: CType;
    try {
      type = this.parseTypeName();
    } catch (e) {
      if (!(e instanceof LangError)) throw e;
      this.reset(m);
      return null;
    }
    if (!this.at(')')) {
      this.reset(m);
      return null;
    }
    this.next();
    if (type.kind === 'PointerType' || OPERAND_START.has(this.peek().kind)) return type;
    this.reset(m);
    return null;
  }

  /** A type in a cast, sizeof, offsetof or let: C specifiers then `*` and `[N]` suffixes, left to right. */
  parseTypeName(): CType {
    const start = this.peek().start;
    let type: CType = this.parseDeclSpecifiers(false);
    for (;;) {
      if (this.eat('*')) {
        type = { kind: 'PointerType', to: type, qualifiers: [], span: this.spanFrom(start) };
      } else if (this.at('[')) {
        this.next();
        const length = this.at(']') ? null : this.parseConstant();
        this.expect(']', 'to close the array length');
        type = { kind: 'ArrayType', of: type, length, span: this.spanFrom(start) };
      } else {
        return type;
      }
    }
  }

  private parseSizeof(): Expr {
    const start = this.next().start;
    this.expect('(', "after 'sizeof'");
    let arg: CType | Expr | null = null;
    if (startsTypeOnly(this.peek())) {
      arg = this.parseTypeName();
    } else if (this.at('ident') && !isBuiltinName(this.peek().text) && (this.at('*', 1) || this.at('[', 1))) {
      // `sizeof(u32 *)` is a type; `sizeof(x[1])` and `sizeof(x * 2)` are expressions.
      const m = this.mark();
      try {
        const t = this.parseTypeName();
        if (this.at(')')) arg = t;
        else this.reset(m);
      } catch (e) {
        if (!(e instanceof LangError)) throw e;
        this.reset(m);
      }
    }
    arg ??= this.parseExpr();
    this.expect(')', 'to close sizeof');
    return { kind: 'Sizeof', arg, span: this.spanFrom(start) };
  }

  private parseOffsetof(): Expr {
    const start = this.next().start;
    this.expect('(', "after 'offsetof'");
    const of: CType | Expr = startsTypeOnly(this.peek()) ? this.parseTypeName() : this.parseExpr();
    this.expect(',', 'between the type and the field in offsetof');
    const field: string[] = [];
    for (;;) {
      const f = this.peek();
      if (f.kind !== 'ident') throw this.unexpected('a field name');
      this.next();
      field.push(f.text);
      if (!this.eat('.')) break;
    }
    this.expect(')', 'to close offsetof');
    return { kind: 'Offsetof', of, field, span: this.spanFrom(start) };
  }

  private parsePostfix(): Expr {
    // A postfix operator's node starts where its operand's text does, parentheses included:
    // `((struct foo *)0)->a` is at the outer '(' (where bpftrace's locations put it).
    const start = this.peek().start;
    let e = this.parsePrimary();
    for (;;) {
      const tok = this.peek();
      if (tok.kind === '.') {
        this.next();
        const f = this.peek();
        if (f.kind === 'int') {
          if (!/^[0-9]+$/.test(f.text)) throw this.errorAt(f, `invalid tuple index '${f.text}'`);
          this.next();
          e = { kind: 'TupleAccess', object: e, index: Number(f.text), span: this.spanFrom(start) };
        } else if (f.kind === 'ident') {
          this.next();
          e = { kind: 'FieldAccess', object: e, field: f.text, arrow: false, span: this.spanFrom(start) };
        } else {
          throw this.unexpected("a field name or tuple index after '.'");
        }
      } else if (tok.kind === '->') {
        this.next();
        const f = this.peek();
        if (f.kind !== 'ident') throw this.unexpected("a field name after '->'");
        this.next();
        e = { kind: 'FieldAccess', object: e, field: f.text, arrow: true, span: this.spanFrom(start) };
      } else if (tok.kind === '[') {
        this.next();
        const index = this.parseExpr();
        this.expect(']', 'to close the index');
        e = { kind: 'IndexAccess', object: e, index, span: this.spanFrom(start) };
      } else if (tok.kind === '++' || tok.kind === '--') {
        if (e.kind !== 'Variable' && e.kind !== 'Map') {
          throw this.errorAt(tok, `the ${tok.kind} operator must be applied to a map or variable`);
        }
        this.next();
        e = { kind: 'IncDec', op: tok.kind, prefix: false, target: e, span: this.spanFrom(start) };
      } else {
        return e;
      }
    }
  }

  private parsePrimary(): Expr {
    const tok = this.peek();
    const span = this.source.span(tok.start, tok.end);
    switch (tok.kind) {
      case 'int':
        this.next();
        return { kind: 'Integer', value: tok.intValue!, text: tok.text, suffix: tok.intSuffix!, span };
      case 'string':
        this.next();
        return { kind: 'String', value: tok.strValue!, bytes: tok.strBytes!, span };
      case 'var':
        this.next();
        return { kind: 'Variable', name: tok.text, span };
      case 'map':
        return this.parseMap();
      case 'positional':
        if (tok.position === 0) throw this.errorAt(tok, 'positional parameters start at $1', '$0 is not a parameter');
        this.next();
        return { kind: 'Positional', index: tok.position!, span };
      case 'paramcount':
        this.next();
        return { kind: 'PositionalCount', span };
      case '(':
        return this.parseParenthesised();
      case 'ident': {
        if (this.at('(', 1)) return this.parseCall();
        if (STATEMENT_KEYWORDS.has(tok.text)) throw this.errorAt(tok, `expected an expression, found keyword '${tok.text}'`);
        this.next();
        if (tok.text === 'true' || tok.text === 'false') return { kind: 'Bool', value: tok.text === 'true', span };
        if (isBuiltinName(tok.text)) return { kind: 'Builtin', name: tok.text, span };
        return { kind: 'Identifier', name: tok.text, span };
      }
      default:
        throw this.unexpected('an expression');
    }
  }

  private parseMap(): MapRef {
    const tok = this.next();
    const keys: Expr[] = [];
    if (this.at('[')) {
      this.next();
      if (this.at(']')) throw this.unexpected('a map key', `use ${tok.text} without brackets for a map with no key`);
      keys.push(...this.parseExprList(']'));
    }
    return { kind: 'Map', name: tok.text, keys, span: this.spanFrom(tok.start) };
  }

  private parseCall(): Expr {
    const name = this.next();
    this.next(); // '('
    const args = this.at(')') ? [] : this.parseExprList(')');
    if (args.length === 0) this.next();
    return {
      kind: 'Call',
      name: name.text,
      nameSpan: this.source.span(name.start, name.end),
      args,
      span: this.spanFrom(name.start),
    };
  }

  /** Comma-separated expressions up to and including `close`. */
  private parseExprList(close: ']' | ')'): Expr[] {
    const out: Expr[] = [];
    for (;;) {
      out.push(this.parseExpr());
      if (this.eat(',')) continue;
      if (this.eat(close)) return out;
      throw this.unexpected(`',' or '${close}'`);
    }
  }

  /** `(e)`, a tuple `(a, b)` / `(a,)`, or the empty tuple `()`. */
  private parseParenthesised(): Expr {
    const open = this.next();
    if (this.eat(')')) return { kind: 'Tuple', elements: [], span: this.spanFrom(open.start) };
    const first = this.parseExpr();
    if (this.eat(')')) return first;
    if (!this.at(',')) throw this.unexpected("')'");
    const elements = [first];
    while (this.eat(',')) {
      if (this.at(')')) break;
      elements.push(this.parseExpr());
    }
    this.expect(')', 'to close the tuple');
    return { kind: 'Tuple', elements, span: this.spanFrom(open.start) };
  }
}

function endsWithBlock(stmt: Stmt): boolean {
  return stmt.kind === 'If' || stmt.kind === 'While' || stmt.kind === 'For' || stmt.kind === 'Unroll' || stmt.kind === 'Block';
}

/** Drop C comments from a preprocessor line (outside string literals). */
function stripComments(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"?/.exec(s.slice(i))!;
      out += m[0];
      i += m[0].length - 1;
    } else if (c === '/' && s[i + 1] === '/') {
      break;
    } else if (c === '/' && s[i + 1] === '*') {
      const close = s.indexOf('*/', i + 2);
      out += ' ';
      if (close < 0) break;
      i = close + 1;
    } else {
      out += c;
    }
  }
  return out;
}

function indexOrEnd(s: string, needle: string): number {
  const i = s.indexOf(needle);
  return i < 0 ? s.length : i;
}

/** Short description of an expression for messages ("a function call", "field access"). */
function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'Call':
      return `the result of ${e.name}()`;
    case 'FieldAccess':
      return `field '${e.field}'`;
    case 'IndexAccess':
      return 'an array element';
    case 'Unary':
      return e.op === '*' ? 'a dereference' : 'an expression';
    case 'Builtin':
      return `builtin '${e.name}'`;
    case 'Identifier':
      return `'${e.name}'`;
    case 'Positional':
      return `parameter $${e.index}`;
    default:
      return 'this expression';
  }
}

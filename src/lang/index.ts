/** The script language front end: text → tokens → AST, with diagnostics. */
export * from './ast.js';
export { LangError, formatDiagnostic, type Diagnostic, type Severity } from './diagnostic.js';
export { Lexer, tokenize, parseIntegerLiteral } from './lexer.js';
export { parse, parseExpression, isBuiltinName, type ParseOptions } from './parser.js';
export { PROVIDERS, matchProviders, hasWildcard } from './probe-spec.js';
export { decodeTarget, TargetError, type ProbeTarget, type TimerUnit } from './probe-target.js';
export { printAst, formatType, formatExpr, type PrintOptions } from './print.js';
export { SourceFile, joinSpans, type Span } from './source.js';
export type { Token, TokenKind } from './token.js';

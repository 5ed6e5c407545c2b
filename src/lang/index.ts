/** The script language front end: text → tokens → AST, with diagnostics. */
export * from './ast.js';
export { LangError, formatDiagnostic, type Diagnostic, type Severity } from './diagnostic.js';
export { Lexer, tokenize } from './lexer.js';
export { parse, parseExpression, isBuiltinName, type ParseOptions } from './parser.js';
export { PROVIDERS } from './probe-spec.js';
export { printAst, formatType, formatExpr, type PrintOptions } from './print.js';
export { SourceFile, joinSpans, type Span } from './source.js';
export type { Token, TokenKind } from './token.js';

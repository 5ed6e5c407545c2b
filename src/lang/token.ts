/** Tokens of the script language. Punctuation tokens use their own text as their kind. */

export const PUNCTUATORS = [
  // Longest first: the lexer takes the first match.
  '<<=', '>>=', '...',
  '..', '->', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '==', '!=', '<=', '>=', '<<', '>>', '&&', '||',
  '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '<', '>', '=', '?', ':', ';', ',', '.', '(', ')', '[', ']', '{', '}',
] as const;

export type Punctuator = (typeof PUNCTUATORS)[number];

export type TokenKind =
  | 'ident' // identifiers and keywords alike; keywords are recognised by the parser in context
  | 'int'
  | 'string'
  | 'var' // $name
  | 'positional' // $1, $2, ...
  | 'paramcount' // $#
  | 'map' // @name, or @ alone
  | 'directive' // a whole preprocessor line: #include <x.h>
  | 'eof'
  | Punctuator;

export interface Token {
  kind: TokenKind;
  /** Exact source text of the token. */
  text: string;
  /** Offsets into the source: [start, end). */
  start: number;
  end: number;
  /** int: the value (nanoseconds for a duration literal such as 5ms). */
  intValue?: bigint;
  /** int: the suffix as written ('', 'u', 'ULL', 'ms', …). */
  intSuffix?: string;
  /** string: the decoded text; escapes \xNN and \NNN give the character with that code. */
  strValue?: string;
  /** string: the exact bytes the literal stands for (UTF-8 for source characters, raw bytes for escapes). */
  strBytes?: Uint8Array;
  /** positional: the parameter number of $N. */
  position?: number;
}

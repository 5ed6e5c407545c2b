/**
 * printf-style format strings: which conversions a format has and whether the arguments fit
 * them, with bpftrace's messages. The output layer formats the records; this only checks.
 */
import type { SType } from '../types.js';

export type ConversionKind = 'integer' | 'string' | 'buffer';

export interface Conversion {
  /** The whole conversion as written, e.g. `%-08lx`. */
  text: string;
  /** Length modifier + specifier, e.g. `lx` (what bpftrace's messages call the token). */
  token: string;
  expects: ConversionKind;
}

const LENGTHS = ['hh', 'h', 'll', 'l', 'j', 'z', 't'];
// `%i` is not a conversion in bpftrace 0.17 (printf("%i", 5) is "Too many arguments").
const INT_SPECS = 'duoxXp';

/** The conversions of a format; `%%` is a literal percent. Throws FormatError on an unknown one. */
export function parseConversions(fmt: string): Conversion[] {
  const out: Conversion[] = [];
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') continue;
    const start = i;
    i++;
    if (fmt[i] === '%') continue;
    while (i < fmt.length && '-+ #0'.includes(fmt[i]!)) i++;
    while (i < fmt.length && /[0-9]/.test(fmt[i]!)) i++;
    if (fmt[i] === '.') {
      i++;
      while (i < fmt.length && /[0-9]/.test(fmt[i]!)) i++;
    }
    const tokStart = i;
    let len = '';
    for (const l of LENGTHS) {
      if (fmt.startsWith(l, i)) {
        len = l;
        break;
      }
    }
    i += len.length;
    const c = fmt[i] ?? '';
    let expects: ConversionKind | null = null;
    let token = len + c;
    if (len === '' && c === 's') expects = 'string';
    else if (len === '' && c === 'c') expects = 'integer';
    else if (len === '' && c === 'r') {
      expects = 'buffer';
      if (fmt[i + 1] === 'x' || fmt[i + 1] === 'h') {
        i++;
        token += fmt[i];
      }
    } else if (c !== '' && INT_SPECS.includes(c)) expects = 'integer';
    if (expects === null) throw new FormatError(`Unknown format string token: %${fmt.slice(tokStart, i + 1)}`);
    out.push({ text: fmt.slice(start, i + 1), token, expects });
  }
  return out;
}

export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/** What kind of value a script type is, for matching against a conversion. */
export function argKind(t: SType): string {
  switch (t.kind) {
    case 'int': case 'pointer': return 'integer';
    case 'string': case 'symbol': case 'stack': return 'string';
    case 'buffer': return 'buffer';
    case 'agg': return t.fn;
    case 'void': return 'none';
    case 'tuple': return 'tuple';
    case 'record': return 'record';
    case 'array': return 'array';
  }
}

/**
 * Checks a format against argument types; returns bpftrace's message (prefixed with the
 * function name) or null when they fit.
 */
export function checkFormat(func: string, fmt: string, args: SType[]): string | null {
  let convs: Conversion[];
  try {
    convs = parseConversions(fmt);
  } catch (e) {
    if (e instanceof FormatError) return `${func}: ${e.message}`;
    throw e;
  }
  if (args.length < convs.length) {
    return `${func}: Not enough arguments for format string (${args.length} supplied, ${convs.length} expected)`;
  }
  if (args.length > convs.length) {
    return `${func}: Too many arguments for format string (${args.length} supplied, ${convs.length} expected)`;
  }
  for (let i = 0; i < convs.length; i++) {
    const have = argKind(args[i]!);
    const c = convs[i]!;
    if (have !== c.expects) {
      return `${func}: %${c.token} specifier expects a value of type ${c.expects} (${have} supplied)`;
    }
  }
  return null;
}

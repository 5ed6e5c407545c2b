/**
 * printf() / system() / cat() format strings, as bpftrace 0.17 accepts and prints them.
 *
 * What bpftrace accepts (its format_specifier_re): `%` [`-`] [digits] [`.` digits] then one of
 *   s          a string (or anything that prints as one: ksym, usym, kstack, inet, username…)
 *   r rx rh    a buf(): printable ASCII kept and \xNN (r), all \xNN (rx), or `61 62 ff` (rh)
 *   c          an integer, printed as the character of its low byte
 *   d u o x X p  with an optional length modifier hh h l ll j z t  — integers
 * A leading 0 in the width is C's zero-padding flag. No other flags (+, space, #, *).
 *
 * How it prints: bpftrace widens every integer argument to 64 bits (sign- or zero-extended by its
 * type) and hands it to the C library's snprintf with the conversion as written, so the length
 * modifier decides the width that is printed: none = 32 bits, hh = 8, h = 16, l/ll/j/z/t = 64.
 * `printf("%d %u %x", -1, -1, -1)` prints `-1 4294967295 ffffffff`; `%lx` prints 16 f's.
 * glibc details kept: %p prints `0x…` (0 prints `(nil)`), '0' is ignored for %s/%c/`(nil)` and when
 * a precision is given, `%.0d` of 0 prints nothing, and a %c of 0 writes a NUL that ends the
 * text snprintf produced (bpftrace streams a C string), so its padding after the NUL is lost.
 *
 * Deliberate differences from bpftrace 0.17:
 * - `%%` always prints `%`. bpftrace only hands the text before a conversion to snprintf, so a
 *   `%%` after the last conversion (or in a format without conversions) printed as `%%`; and its
 *   conversion scanner saw the `%d` in `%%d` as a conversion.
 * - A `%` that starts no valid conversion is an error with its offset. bpftrace passed it through
 *   (printing `%f` literally, or feeding it to snprintf when it came before a real conversion), so
 *   such a script then failed on the argument count, or printed the text. `%i` is one: bpftrace
 *   0.17 refuses printf("%i", 5) ("Too many arguments"), sonde too, saying to use %d.
 * - %r with a flag, width or precision (`%10r`) is an error; bpftrace printed it literally.
 * Text is handled as UTF-8: widths and precisions count bytes, as C does.
 */
import type { SType } from '../lang/types.js';
import { stackText, withFallback } from './resolve.js';
import type { Resolver } from './resolve.js';
import { asInt, hexFormatBuffer, symbolText, ValueShapeError } from './text.js';
import { isTagged } from './value.js';
import type { Value } from './value.js';

export type LengthModifier = '' | 'hh' | 'h' | 'l' | 'll' | 'j' | 'z' | 't';
export type ConversionChar = 'd' | 'u' | 'o' | 'x' | 'X' | 'p' | 'c' | 's' | 'r' | 'rx' | 'rh';
/** What a conversion needs: bpftrace's names for the argument's type class. */
export type ArgClass = 'integer' | 'string' | 'buffer';

export interface Conversion {
  /** Character offset of the `%` in the format string. */
  offset: number;
  /** The conversion as written, e.g. `%-8lu`. */
  text: string;
  /** `-`: pad on the right. */
  leftAlign: boolean;
  /** A width starting with 0: pad integers with zeros. */
  zeroPad: boolean;
  width?: number;
  precision?: number;
  length: LengthModifier;
  conv: ConversionChar;
  expects: ArgClass;
}

export type FormatPiece =
  | { kind: 'text'; text: string }
  /** `index` is the argument the conversion consumes. */
  | { kind: 'conv'; conv: Conversion; index: number };

export interface FormatSpec {
  format: string;
  pieces: FormatPiece[];
  conversions: Conversion[];
}

/** A format string bpftrace would not accept (or would print wrongly); `offset` is the `%`. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    message: string,
    readonly format: string,
    /** Character offset of the offending `%` in the format string. */
    readonly offset: number,
    /** The offending text, e.g. `%+d`. */
    readonly token: string,
  ) {
    super(message);
  }
}

const LENGTHS: readonly LengthModifier[] = ['hh', 'h', 'll', 'l', 'j', 'z', 't'];
const INT_CONVS = 'duoxXp';
const SUPPORTED = '%d %u %o %x %X %p (with hh h l ll j z t), %c, %s, %r %rx %rh';
/** Widths and precisions beyond this are refused (glibc fails on > INT_MAX; this is saner). */
const MAX_WIDTH = 1 << 20;

/**
 * Parses and validates a format string (escapes already decoded). `fn` names the builtin in
 * messages. Throws FormatError at the first bad conversion.
 */
export function parseFormat(fmt: string, fn = 'printf'): FormatSpec {
  const pieces: FormatPiece[] = [];
  const conversions: Conversion[] = [];
  let text = '';
  let i = 0;
  const fail = (start: number, end: number, why: string): never => {
    const token = fmt.slice(start, end);
    throw new FormatError(`${fn}: ${why.replace('$T', token)}`, fmt, start, token);
  };
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch !== '%') {
      text += ch;
      i++;
      continue;
    }
    const start = i;
    i++;
    if (fmt[i] === '%') {
      text += '%';
      i++;
      continue;
    }
    // The extent of what looks like a conversion, for messages: flags/width/precision/length, one letter.
    let end = i;
    while (end < fmt.length && /[-+ #0-9.*'hlLqjzt]/.test(fmt[end]!)) end++;
    if (end < fmt.length) end++;
    const leftAlign = fmt[i] === '-';
    if (leftAlign) i++;
    const w0 = i;
    while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9') i++;
    const widthText = fmt.slice(w0, i);
    let precision: number | undefined;
    if (fmt[i] === '.') {
      const p0 = ++i;
      while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9') i++;
      if (i === p0) fail(start, end, `a precision needs digits after the '.' in $T`);
      precision = Number(fmt.slice(p0, i));
    }
    const flag = /^[-+ #*']/.exec(fmt.slice(i));
    if (flag) fail(start, end, `'${flag[0]}' is not supported in $T (only the flags '-' and '0', a width and a .precision are)`);
    let length: LengthModifier = '';
    for (const l of LENGTHS) {
      if (fmt.startsWith(l, i)) {
        length = l;
        i += l.length;
        break;
      }
    }
    const c = fmt[i];
    if (c === undefined) {
      fail(start, fmt.length, i === start + 1
        ? `'%' at the end of the format string (write %% for a percent sign)`
        : `incomplete conversion $T at the end of the format string`);
    }
    let conv: ConversionChar;
    if (INT_CONVS.includes(c!)) {
      conv = c as ConversionChar;
      i++;
    } else if (c === 'c' || c === 's' || c === 'r') {
      if (length) fail(start, i + 1, `$T: length modifiers apply only to integer conversions`);
      conv = c;
      i++;
      if (c === 'r' && (fmt[i] === 'x' || fmt[i] === 'h')) conv = `r${fmt[i++]}` as ConversionChar;
      if (c === 'r' && i - start > conv.length + 1) fail(start, i, `$T: %r takes no flags, width or precision`);
    } else if (c === 'i') {
      // bpftrace 0.17 has no %i (printf("%i", 5) is "Too many arguments"); say what to write.
      fail(start, i + 1, `$T is not a conversion bpftrace accepts; use %${fmt.slice(start + 1, i)}d`);
    } else {
      fail(start, end, `unknown conversion $T (supported: ${SUPPORTED})`);
    }
    const zeroPad = widthText.startsWith('0');
    const width = widthText.replace(/^0+/, '') === '' ? undefined : Number(widthText);
    if ((width ?? 0) > MAX_WIDTH || (precision ?? 0) > MAX_WIDTH) fail(start, i, `$T: width or precision larger than ${MAX_WIDTH}`);
    const cv: Conversion = {
      offset: start,
      text: fmt.slice(start, i),
      leftAlign,
      zeroPad,
      ...(width !== undefined ? { width } : {}),
      ...(precision !== undefined ? { precision } : {}),
      length,
      conv: conv!,
      expects: conv! === 's' ? 'string' : conv!.startsWith('r') ? 'buffer' : 'integer',
    };
    if (text) pieces.push({ kind: 'text', text });
    text = '';
    pieces.push({ kind: 'conv', conv: cv, index: conversions.length });
    conversions.push(cv);
  }
  if (text) pieces.push({ kind: 'text', text });
  return { format: fmt, pieces, conversions };
}

/** bpftrace's type class of an argument, as its messages name it. */
export function argClass(t: SType): string {
  switch (t.kind) {
    case 'int': case 'pointer': return 'integer';
    case 'symbol': return t.what === 'kaddr' || t.what === 'uaddr' ? 'integer' : 'string';
    case 'stack': return 'string';
    case 'string': return 'string';
    case 'buffer': return 'buffer';
    case 'tuple': return 'tuple';
    case 'record': return 'record';
    case 'array': return 'array';
    case 'void': return 'none';
    case 'agg': return t.fn;
  }
}

export interface FormatArgError {
  /** bpftrace's message, e.g. `printf: %s specifier expects a value of type string (integer supplied)`. */
  message: string;
  /** The argument (0-based, after the format) and its conversion; absent for a count mismatch. */
  argIndex?: number;
  conversion?: Conversion;
  expected?: ArgClass;
  /** sonde's name of the supplied type (typeName), e.g. int64, string[64]. */
  got?: string;
}

/**
 * Checks the arguments against the conversions like bpftrace's validate_format_string: first the
 * count, then each argument's type class. Returns [] when they fit.
 */
export function checkArgs(spec: FormatSpec, argTypes: readonly SType[], fn = 'printf', typeName?: (t: SType) => string): FormatArgError[] {
  const want = spec.conversions.length;
  if (argTypes.length < want) {
    return [{ message: `${fn}: Not enough arguments for format string (${argTypes.length} supplied, ${want} expected)` }];
  }
  if (argTypes.length > want) {
    return [{ message: `${fn}: Too many arguments for format string (${argTypes.length} supplied, ${want} expected)` }];
  }
  const errors: FormatArgError[] = [];
  spec.conversions.forEach((c, i) => {
    const t = argTypes[i]!;
    const supplied = argClass(t);
    if (supplied === c.expects) return;
    errors.push({
      message: `${fn}: %${c.length}${c.conv} specifier expects a value of type ${c.expects} (${supplied} supplied)`,
      argIndex: i,
      conversion: c,
      expected: c.expects,
      got: typeName ? typeName(t) : supplied,
    });
  });
  return errors;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8');

function byteLength(s: string): number {
  return utf8.encode(s).length;
}

function pad(body: string, c: Conversion, bodyBytes?: number): string {
  const w = c.width ?? 0;
  if (body.length >= w) return body;
  if ((bodyBytes ??= byteLength(body)) >= w) return body;
  const fill = ' '.repeat(w - bodyBytes);
  return c.leftAlign ? body + fill : fill + body;
}

function intBits(l: LengthModifier): number {
  return l === 'hh' ? 8 : l === 'h' ? 16 : l === '' ? 32 : 64;
}

/** One integer conversion, as glibc's snprintf prints a 64-bit argument. */
export function formatInt(c: Conversion, value: bigint): string {
  if (c.conv === 'p') {
    const v = BigInt.asUintN(64, value);
    if (v === 0n) return pad('(nil)', c);
    let digits = v.toString(16);
    if (c.precision !== undefined) digits = digits.padStart(c.precision, '0');
    if (c.zeroPad && !c.leftAlign && c.precision === undefined && c.width !== undefined) {
      digits = digits.padStart(c.width - 2, '0');
    }
    return pad(`0x${digits}`, c);
  }
  const bits = intBits(c.length);
  let sign = '';
  let digits: string;
  if (c.conv === 'd') {
    const v = BigInt.asIntN(bits, value);
    if (v < 0n) sign = '-';
    digits = (v < 0n ? -v : v).toString(10);
  } else {
    const v = BigInt.asUintN(bits, value);
    digits = v.toString(c.conv === 'u' ? 10 : c.conv === 'o' ? 8 : 16);
    if (c.conv === 'X') digits = digits.toUpperCase();
  }
  if (c.precision !== undefined) {
    if (c.precision === 0 && /^0+$/.test(digits)) digits = '';
    else digits = digits.padStart(c.precision, '0');
  } else if (c.zeroPad && !c.leftAlign && c.width !== undefined) {
    digits = digits.padStart(c.width - sign.length, '0');
  }
  return pad(sign + digits, c);
}

/** %s: precision cuts to that many bytes (a character cut in half is dropped), width pads. */
export function formatString(c: Conversion, s: string): string {
  if (c.precision !== undefined) {
    const b = utf8.encode(s);
    if (b.length > c.precision) {
      let end = c.precision;
      while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
      return pad(utf8d.decode(b.subarray(0, end)), c);
    }
  }
  return pad(s, c);
}

/** %c: the low byte. A 0 is a NUL, which ends bpftrace's output of this piece (see above). */
export function formatChar(c: Conversion, value: bigint): string {
  const b = Number(BigInt.asUintN(8, value));
  if (b === 0) return c.leftAlign ? '' : ' '.repeat(Math.max(0, (c.width ?? 0) - 1));
  // A lone byte >= 0x80 is not UTF-8; print the replacement character in its place.
  return pad(b < 0x80 ? String.fromCharCode(b) : '\uFFFD', c, 1);
}

function stringArg(t: SType, v: Value, r: Resolver): string {
  if (typeof v === 'string') return v;
  if (isTagged(v) && v.kind === 'symbol' && t.kind === 'symbol') return symbolText(t.what, v, r);
  if (isTagged(v) && v.kind === 'stack') return stackText(v, 8, r);
  throw new ValueShapeError('a string', v);
}

/**
 * The text printf() prints for these argument values (decoded with their types; see decode.ts).
 * The spec must have passed checkArgs for these types.
 */
export function formatPrintf(spec: FormatSpec, values: readonly Value[], types: readonly SType[], resolver?: Partial<Resolver>): string {
  const r = withFallback(resolver);
  let out = '';
  for (const p of spec.pieces) {
    if (p.kind === 'text') {
      out += p.text;
      continue;
    }
    const c = p.conv;
    const v = values[p.index];
    const t = types[p.index];
    if (v === undefined || t === undefined) {
      throw new FormatError(`no argument for ${c.text} (argument ${p.index + 1})`, spec.format, c.offset, c.text);
    }
    switch (c.expects) {
      case 'integer':
        out += c.conv === 'c' ? formatChar(c, asInt(v)) : formatInt(c, asInt(v));
        break;
      case 'string':
        out += formatString(c, stringArg(t, v, r));
        break;
      case 'buffer': {
        if (!isTagged(v) || v.kind !== 'buffer') throw new ValueShapeError('a buffer', v);
        out += hexFormatBuffer(v.bytes, c.conv === 'r', c.conv !== 'rh');
        break;
      }
    }
  }
  return out;
}

/** Errors the back end raises: the IR asks for something the machine or the verifier cannot give. */
import type { Span } from '../source.js';

export class CodegenError extends Error {
  override readonly name: string = 'CodegenError';
  readonly span?: Span;
  constructor(message: string, span?: Span) {
    super(message);
    if (span !== undefined) this.span = span;
  }
}

/** A stack object or spill slot as the overflow message names it. */
export interface StackUse {
  name: string;
  size: number;
}

/**
 * The frame does not fit. `used` is the frame size the layout needed, `objects` the stack
 * objects live at the point where the most bytes are live, largest first (spill slots appear
 * together as one 'spilled registers' entry).
 */
export class StackOverflowError extends CodegenError {
  override readonly name: string = 'StackOverflowError';
  readonly used: number;
  readonly limit: number;
  readonly objects: StackUse[];
  /** For frames that only overflow once calls are chained: the call chain, outermost first. */
  readonly chain?: string[];
  constructor(used: number, limit: number, objects: StackUse[], span?: Span, chain?: string[]) {
    const where = chain !== undefined ? ` across calls ${chain.join(' → ')}` : span !== undefined ? ` at ${spanText(span)}` : '';
    const list = objects.slice(0, 3).map((o) => `${o.name} ${o.size} B`);
    if (objects.length > 3) list.push('…');
    super(`stack limit exceeded: ${used} of ${limit} bytes in use${where}${list.length ? ` (${list.join(', ')})` : ''}`, span);
    this.used = used;
    this.limit = limit;
    this.objects = objects;
    if (chain !== undefined) this.chain = chain;
  }
}

export function spanText(s: Span): string {
  return `${s.line}:${s.col}`;
}

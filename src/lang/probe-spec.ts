/**
 * Probe specifications (`kprobe:vfs_read`, `uprobe:/bin/bash:readline`,
 * `usdt:/usr/lib/libc.so.6:libc:setjmp`) are scanned as raw text: paths,
 * wildcards and C++ names are not tokens of the expression language.
 */
import type { ProviderName } from './ast.js';

/** Provider names as written → canonical provider. */
export const PROVIDERS: ReadonlyMap<string, ProviderName> = new Map<string, ProviderName>([
  ['BEGIN', 'BEGIN'],
  ['begin', 'BEGIN'],
  ['END', 'END'],
  ['end', 'END'],
  ['kprobe', 'kprobe'],
  ['k', 'kprobe'],
  ['kretprobe', 'kretprobe'],
  ['kr', 'kretprobe'],
  ['uprobe', 'uprobe'],
  ['u', 'uprobe'],
  ['uretprobe', 'uretprobe'],
  ['ur', 'uretprobe'],
  ['usdt', 'usdt'],
  ['U', 'usdt'],
  ['tracepoint', 'tracepoint'],
  ['t', 'tracepoint'],
  ['rawtracepoint', 'rawtracepoint'],
  ['rt', 'rawtracepoint'],
  ['profile', 'profile'],
  ['p', 'profile'],
  ['interval', 'interval'],
  ['i', 'interval'],
  ['software', 'software'],
  ['s', 'software'],
  ['hardware', 'hardware'],
  ['h', 'hardware'],
  ['watchpoint', 'watchpoint'],
  ['w', 'watchpoint'],
  ['asyncwatchpoint', 'asyncwatchpoint'],
  ['aw', 'asyncwatchpoint'],
  ['fentry', 'fentry'],
  ['f', 'fentry'],
  ['kfunc', 'fentry'],
  ['fexit', 'fexit'],
  ['fr', 'fexit'],
  ['kretfunc', 'fexit'],
  ['iter', 'iter'],
  ['it', 'iter'],
  ['self', 'self'],
  ['test', 'test'],
  ['bench', 'bench'],
]);

/** Providers whose fields are file paths (binaries, iterator pins), where '/' is part of the spec rather than a predicate. */
const PATH_PROVIDERS = new Set<ProviderName>(['uprobe', 'uretprobe', 'usdt', 'iter']);

/** Providers a wildcard provider (`t*point:…`, `*:/bin/sh:*`) may match, as bpftrace expands them. */
const KERNEL_PROVIDERS: ProviderName[] = [
  'kprobe', 'kretprobe', 'tracepoint', 'rawtracepoint', 'software', 'hardware', 'fentry', 'fexit', 'iter',
];
const USER_PROVIDERS: ProviderName[] = ['uprobe', 'uretprobe', 'usdt'];

/**
 * Canonical providers matching a wildcard provider pattern. bpftrace picks
 * among user-space providers when the first field is a path (contains '/'),
 * and among kernel providers otherwise.
 */
export function matchProviders(pattern: string, userspace: boolean): ProviderName[] {
  const re = globToRegExp(pattern);
  return (userspace ? USER_PROVIDERS : KERNEL_PROVIDERS).filter((p) => re.test(p));
}

export function hasWildcard(s: string): boolean {
  return /[*?]/.test(s);
}

/** `*` and `?` wildcards as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

export interface ScannedSpec {
  end: number;
  providerWritten: string;
  providerEnd: number;
  parts: string[];
  quoted: boolean[];
  /** [start, end) offsets of each part in the source. */
  partRanges: Array<[number, number]>;
}

export class SpecScanError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

function isSpecChar(c: string): boolean {
  return /[A-Za-z0-9_\-.*?+\[\]$@=~#]/.test(c);
}

/**
 * Scan one probe spec starting at `start` (a letter, or a wildcard). Stops at
 * whitespace, ',', '{', a comment, or a '/' that begins a predicate. In the
 * path-taking providers (uprobe, uretprobe, usdt, iter) '/' always belongs to the
 * spec, so a predicate there must be separated by a space, as in bpftrace.
 */
export function scanSpec(text: string, start: number): ScannedSpec {
  let i = start;
  // `BEG$1`: a positional parameter in the provider, substituted when the probe is expanded.
  while (i < text.length && /[A-Za-z0-9_*?$]/.test(text[i]!)) i++;
  const providerWritten = text.slice(start, i);
  const providerEnd = i;
  const provider = PROVIDERS.get(providerWritten);
  const slashAllowed = (provider !== undefined && PATH_PROVIDERS.has(provider)) || hasWildcard(providerWritten) || providerWritten.includes('$');
  const parts: string[] = [];
  const quoted: boolean[] = [];
  const partRanges: Array<[number, number]> = [];
  if (text[i] === ':') {
    for (;;) {
      i++; // the ':'
      const partStart = i;
      let part = '';
      let q = false;
      for (;;) {
        const c = text[i];
        if (c === undefined) break;
        if (c === '"') {
          const close = scanQuoted(text, i);
          part += unquote(text.slice(i + 1, close));
          q = true;
          i = close + 1;
        } else if (c === '/') {
          if (!slashAllowed) break;
          part += c;
          i++;
        } else if (isSpecChar(c)) {
          part += c;
          i++;
        } else {
          break;
        }
      }
      parts.push(part);
      quoted.push(q);
      partRanges.push([partStart, i]);
      if (text[i] !== ':') break;
    }
  }
  return { end: i, providerWritten, providerEnd, parts, quoted, partRanges };
}

/** Offset of the closing quote of a quoted probe field. */
function scanQuoted(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length && text[i] !== '"' && text[i] !== '\n') {
    i += text[i] === '\\' ? 2 : 1;
  }
  if (text[i] !== '"') throw new SpecScanError('unterminated string in probe: missing closing "', open, i);
  return i;
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

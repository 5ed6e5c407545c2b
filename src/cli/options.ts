// bpftrace's command line: short options that may be clustered (-lv, -dd) or take their value
// attached (-eBEGIN{}) or as the next word, long options, options anywhere before `--` (GNU getopt
// permutes), the script file as the first positional unless -e is given, positional parameters
// after it.
import type { BufferMode } from '../runtime/text-out.js';

export interface CliOptions {
  program?: string;
  file?: string;
  params: string[];
  list: boolean;
  listPattern?: string;
  debug: number;
  verbose: boolean;
  quiet: boolean;
  unsafe: boolean;
  command?: string;
  pid?: number;
  output?: string;
  buffering?: BufferMode;
  format: 'text' | 'json';
  help: boolean;
  version: boolean;
  info: boolean;
  json: boolean;
  noWarnings: boolean;
  helperChecks: number;
  /** --flight-recorder[=PAGES]: keep output in overwritable per-CPU rings, print it on SIGUSR1 and at the end. */
  recorder?: { pages?: number };
  /** --trace-pipe: copy tracefs trace_pipe lines (debugf()) to the output while running. */
  tracePipe: boolean;
  /** --include FILE (repeatable): as an `#include <FILE>` line at the top of the script. */
  includes: string[];
  /** -I DIR (repeatable): searched for headers before the system directories. */
  includeDirs: string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const PID_MAX_LIMIT = 4194304;

/** Short options that take a value. */
const WITH_VALUE = new Set(['e', 'B', 'f', 'o', 'p', 'c', 'I']);
const FLAGS = new Set(['d', 'h', 'l', 'v', 'q', 'V', 'k', 'b']);

export function parseCli(argv: readonly string[]): CliOptions {
  const o: CliOptions = {
    params: [], list: false, debug: 0, verbose: false, quiet: false, unsafe: false, format: 'text',
    help: false, version: false, info: false, json: false, noWarnings: false, helperChecks: 0, tracePipe: false,
    includes: [], includeDirs: [],
  };
  const positional: string[] = [];
  const value = (name: string, v: string | undefined): string => {
    if (v === undefined) throw new UsageError(`option -${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, attached] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), undefined];
      const next = (): string => value(name, attached ?? argv[++i]);
      switch (name) {
        case 'help': o.help = true; break;
        case 'version': o.version = true; break;
        case 'unsafe': o.unsafe = true; break;
        case 'info': o.info = true; break;
        case 'json': o.json = true; break;
        case 'no-warnings': o.noWarnings = true; break;
        case 'flight-recorder': {
          const pages = attached === undefined ? undefined : Number(attached);
          if (pages !== undefined && !(Number.isInteger(pages) && pages >= 1 && (pages & (pages - 1)) === 0)) {
            throw new UsageError(`--flight-recorder=${attached}: pages per CPU must be a power of two`);
          }
          o.recorder = pages === undefined ? {} : { pages };
          break;
        }
        case 'trace-pipe': o.tracePipe = true; break;
        case 'include': o.includes.push(next()); break;
        case 'usdt-file-activation': break;
        case 'emit-elf': case 'emit-llvm': next(); throw new UsageError(`--${name} has no meaning for sonde (no LLVM, no ELF objects)`);
        default: throw new UsageError(`unknown option '--${name}'`);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (WITH_VALUE.has(c)) {
          const v = value(c, j + 1 < a.length ? a.slice(j + 1) : argv[++i]);
          applyValue(o, c, v);
          break;
        }
        if (!FLAGS.has(c)) throw new UsageError(`unknown option '-${c}'`);
        switch (c) {
          case 'd': o.debug++; break;
          case 'h': o.help = true; break;
          case 'l': o.list = true; break;
          case 'v': o.verbose = true; break;
          case 'q': o.quiet = true; break;
          case 'V': o.version = true; break;
          case 'k': o.helperChecks++; break;
          case 'b': break;
        }
      }
      continue;
    }
    positional.push(a);
  }
  if (o.helperChecks > 2) throw new UsageError('-k is given at most twice: -k (helper failures but reads and lookups) or -kk (all)');
  if (o.list) {
    if (o.program === undefined && positional.length > 0) o.listPattern = positional.shift();
    o.params = positional;
  } else if (o.program !== undefined) {
    o.params = positional;
  } else if (positional.length > 0) {
    o.file = positional[0];
    o.params = positional.slice(1);
  }
  return o;
}

function applyValue(o: CliOptions, c: string, v: string): void {
  switch (c) {
    case 'e':
      if (o.program !== undefined) throw new UsageError('give one program (-e) only');
      o.program = v;
      return;
    case 'B':
      if (v !== 'none' && v !== 'line' && v !== 'full') throw new UsageError(`-B: invalid buffering mode '${v}' (none, line or full)`);
      o.buffering = v;
      return;
    case 'f':
      if (v !== 'text' && v !== 'json') throw new UsageError(`Invalid output format "${v}"\n-f: the output format is text (the default) or json`);
      o.format = v;
      return;
    case 'o':
      o.output = v;
      return;
    case 'p': {
      // bpftrace's words; PID_MAX_LIMIT, the most any kernel's pid_max may be on 64 bits, is its bound too.
      if (!/^\d+$/.test(v)) throw new UsageError(`pid '${v}' is not a valid decimal number`);
      if (Number(v) < 1 || Number(v) > PID_MAX_LIMIT) throw new UsageError(`pid '${v}' out of valid pid range [1,${PID_MAX_LIMIT}]`);
      o.pid = Number(v);
      return;
    }
    case 'c':
      o.command = v;
      return;
    case 'I':
      o.includeDirs.push(v);
      return;
  }
}

/**
 * What a probe specification means: `kprobe:vfs_read+16` is function vfs_read
 * at offset 16, `uprobe:/bin/x:0x1234` an address in /bin/x, `interval:ms:100`
 * a 100 ms timer. Decoding is pure (no symbol lookups, no library search, no
 * positional parameter substitution); what it cannot know is left for the
 * probe layer.
 */
import type { ProviderName } from './ast.js';
import { parseIntegerLiteral } from './lexer.js';
import { hasWildcard } from './probe-spec.js';

export type ProbeTarget =
  | { kind: 'special' }
  | { kind: 'kprobe'; module: string | null; func: string; offset: bigint | null }
  | {
      kind: 'uprobe';
      /** null when omitted (`uprobe:func` with -p PID). */
      path: string | null;
      /** Symbol language, e.g. 'cpp' in `uprobe:bin:cpp:"ns::f"`. */
      lang: string | null;
      func: string | null;
      /** `uprobe:/bin/x:0x1234`: an absolute address instead of a function. */
      address: bigint | null;
      offset: bigint | null;
    }
  | { kind: 'usdt'; path: string | null; namespace: string | null; name: string }
  | { kind: 'tracepoint'; category: string; event: string }
  | { kind: 'rawtracepoint'; module: string | null; event: string }
  /** profile and interval. `interval:1s` has unit 'us' and value 1e6 (newer bpftrace counts the one-field form in µs). */
  | { kind: 'timer'; unit: TimerUnit; value: bigint }
  /** software and hardware events; count null means the default. */
  | { kind: 'perf'; event: string; count: bigint | null }
  | {
      kind: 'watchpoint';
      /** `watchpoint:0x10000000:8:rw`: an absolute address; null for `func+argN`. */
      address: bigint | null;
      /** `watchpoint:func+arg1:8:rw`: watch the address in argument `arg` of `func`. */
      func: string | null;
      arg: number | null;
      length: bigint;
      mode: string;
    }
  | { kind: 'fentry'; module: string | null; func: string }
  | { kind: 'iter'; object: string; pin: string | null }
  /** self, test, bench: fields kept as they are. */
  | { kind: 'other'; fields: string[] };

export type TimerUnit = 'hz' | 's' | 'ms' | 'us' | 'ns';

const TIMER_UNITS = new Set<string>(['hz', 's', 'ms', 'us']);

/** A problem with one probe spec; `part` is the index of the offending field (null: the whole spec). */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly part: number | null,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const USAGE: Record<ProviderName, string> = {
  BEGIN: 'BEGIN',
  END: 'END',
  kprobe: 'kprobe:vfs_read or kprobe:module:function',
  kretprobe: 'kretprobe:vfs_read',
  uprobe: 'uprobe:/bin/bash:readline',
  uretprobe: 'uretprobe:/bin/bash:readline',
  usdt: 'usdt:/path/to/binary:provider:name',
  tracepoint: 'tracepoint:syscalls:sys_enter_openat',
  rawtracepoint: 'rawtracepoint:sched_switch',
  profile: 'profile:hz:99 or profile:s:1',
  interval: 'interval:s:1 or interval:ms:100',
  software: 'software:cpu-clock:1000000',
  hardware: 'hardware:cache-misses:1000000',
  watchpoint: 'watchpoint:0x10000000:8:rw',
  asyncwatchpoint: 'asyncwatchpoint:0x10000000:8:rw',
  fentry: 'fentry:vfs_read or fentry:module:function',
  fexit: 'fexit:vfs_read',
  iter: 'iter:task',
  self: 'self:signal:SIGUSR1',
  test: 'test:name',
  bench: 'bench:name',
};

/** Kernel functions bpftrace 0.17 refuses a kretprobe on. */
const BANNED_KRETPROBES: ReadonlySet<string> = new Set(['_raw_spin_lock', '_raw_spin_lock_irqsave', '_raw_spin_unlock_irqrestore', 'queued_spin_lock_slowpath']);

/**
 * Decode the fields after the provider. Returns null when a field holds a
 * positional parameter (`uprobe:$1:main`), which must be substituted first.
 */
export function decodeTarget(provider: ProviderName, parts: string[], quoted: boolean[]): ProbeTarget | null {
  let substitute = false;
  parts.forEach((p, i) => {
    if (quoted[i] || !p.includes('$')) return;
    // As in bpftrace, `$N` must end its field: `uprobe:$1:main`, `uprobe:/opt/$2:f`.
    const m = /^[^$]*\$([0-9]+)$/.exec(p);
    if (!m) {
      throw new TargetError(`invalid positional parameter in probe field '${p}'`, i, 'a $N parameter must end its field; quote any text after it');
    }
    const n = Number(m[1]);
    if (n < 1 || n > 0x7fffffff) throw new TargetError(`positional parameter $${m[1]} is out of range`, i);
    substitute = true;
  });
  if (substitute) return null;
  const n = parts.length;
  const usage = `write it as ${USAGE[provider]}`;
  const count = (min: number, max: number): void => {
    if (n < min || n > max) {
      const what =
        min === max ? `${min} field${min === 1 ? '' : 's'}` : `${min} to ${max} fields`;
      throw new TargetError(`${provider} probe takes ${what}, found ${n}`, null, usage);
    }
  };
  const nonEmpty = (i: number, what: string): string => {
    const p = parts[i]!;
    if (p === '') throw new TargetError(`missing ${what} in ${provider} probe`, i, usage);
    return p;
  };
  const number = (i: number, what: string): bigint => {
    const p = nonEmpty(i, what);
    const r = parseIntegerLiteral(p);
    if ('error' in r) throw new TargetError(`invalid ${what} '${p}' in ${provider} probe`, i, usage);
    return r.value;
  };

  switch (provider) {
    case 'BEGIN':
    case 'END':
      if (n > 0) throw new TargetError(`${provider} probe takes no fields`, 0);
      return { kind: 'special' };

    case 'kprobe':
    case 'kretprobe': {
      count(1, 2);
      const module = n === 2 ? nonEmpty(0, 'module name') : null;
      const { func, offset } = splitOffset(parts, n - 1, provider === 'kprobe', 'function name', provider);
      // bpftrace refuses these: a return probe on the locks kretprobes themselves take can deadlock.
      if (provider === 'kretprobe' && BANNED_KRETPROBES.has(func)) {
        // bpftrace 0.17's words, its own "error: " included (it prints "ERROR: error: kretprobe:…").
        throw new TargetError(`error: kretprobe:${func} can't be used as it might lock up your system.`, n - 1);
      }
      return { kind: 'kprobe', module, func, offset };
    }

    case 'uprobe':
    case 'uretprobe': {
      count(1, 3);
      const path = n >= 2 ? nonEmpty(0, 'binary path') : null;
      const lang = n === 3 ? nonEmpty(1, 'language') : null;
      const last = n - 1;
      const field = nonEmpty(last, 'function name or address');
      const asNumber = quoted[last] || field.includes('+') ? null : parseIntegerLiteral(field);
      if (asNumber !== null && 'value' in asNumber && asNumber.suffix === '') {
        const address = asNumber.value;
        if (path !== null && hasWildcard(path)) {
          throw new TargetError('an absolute address cannot be used with a wildcard path', 0);
        }
        return { kind: 'uprobe', path, lang, func: null, address, offset: null };
      }
      const { func, offset } = splitOffset(parts, last, provider === 'uprobe', 'function name', provider);
      return { kind: 'uprobe', path, lang, func, address: null, offset };
    }

    case 'usdt':
      count(1, 3);
      if (n === 1) return { kind: 'usdt', path: null, namespace: null, name: nonEmpty(0, 'probe name') };
      // As in bpftrace, an empty path means the files of the -p process (`usdt::provider:name`)
      // and an empty provider any provider (`usdt:/bin/x::name`).
      return {
        kind: 'usdt',
        path: parts[0] === '' ? null : parts[0]!,
        namespace: n === 3 ? (parts[1] === '' ? '*' : parts[1]!) : null,
        name: nonEmpty(n - 1, 'probe name'),
      };

    case 'tracepoint':
      // `tracepoint:*foo*` (a wildcard event with no category) searches every category.
      if (n === 1 && hasWildcard(parts[0]!)) return { kind: 'tracepoint', category: '*', event: parts[0]! };
      count(2, 2);
      return { kind: 'tracepoint', category: nonEmpty(0, 'category'), event: nonEmpty(1, 'event name') };

    case 'rawtracepoint':
      count(1, 2);
      return {
        kind: 'rawtracepoint',
        module: n === 2 ? nonEmpty(0, 'module name') : null,
        event: nonEmpty(n - 1, 'event name'),
      };

    case 'profile':
    case 'interval': {
      count(1, 2);
      if (n === 1) {
        // Newer bpftrace: `interval:1s`, `profile:100ms`, `interval:1000000` (nanoseconds), counted in
        // microseconds, at least 1 µs.
        const ns = number(0, 'period');
        if (ns < 1000n) {
          throw new TargetError(`Invalid rate of ${provider} probe. Minimum is 1000 or 1us. Found: ${ns} nanoseconds`, 0, `write ${provider}:hz:N for a rate, e.g. ${provider}:hz:99`);
        }
        return { kind: 'timer', unit: 'us', value: ns / 1000n };
      }
      const unit = nonEmpty(0, 'unit');
      if (!TIMER_UNITS.has(unit)) {
        throw new TargetError(`invalid unit '${unit}' in ${provider} probe`, 0, 'units are hz, s, ms and us');
      }
      return { kind: 'timer', unit: unit as TimerUnit, value: number(1, unit === 'hz' ? 'rate' : 'count') };
    }

    case 'software':
    case 'hardware': {
      count(1, 2);
      const event = nonEmpty(0, 'event name');
      const count2 = n === 2 && parts[1] !== '' && parts[1] !== '*' ? number(1, 'count') : null;
      return { kind: 'perf', event, count: count2 };
    }

    case 'watchpoint':
    case 'asyncwatchpoint': {
      count(3, 3);
      const where = nonEmpty(0, 'address');
      let address: bigint | null = null;
      let func: string | null = null;
      let arg: number | null = null;
      if (where.includes('+')) {
        const m = /^([^+]+)\+arg([0-9]+)$/.exec(where);
        if (!m) throw new TargetError(`invalid watchpoint target '${where}'`, 0, 'use an address or function+argN, as in watchpoint:func+arg0:8:rw');
        func = m[1]!;
        arg = Number(m[2]!);
      } else {
        address = number(0, 'address');
      }
      const length = number(1, 'length');
      const mode = nonEmpty(2, 'mode');
      if (!/^[rwx]+$/.test(mode)) throw new TargetError('watchpoint mode must be combination of (r,w,x)', 2);
      return { kind: 'watchpoint', address, func, arg, length, mode };
    }

    case 'fentry':
    case 'fexit':
      count(1, 2);
      return { kind: 'fentry', module: n === 2 ? nonEmpty(0, 'module name') : null, func: nonEmpty(n - 1, 'function name') };

    case 'iter': {
      count(1, 2);
      const object = nonEmpty(0, 'iterator name');
      if (hasWildcard(object)) throw new TargetError('iter probes do not support wildcards', 0);
      return { kind: 'iter', object, pin: n === 2 ? nonEmpty(1, 'pin path') : null };
    }

    case 'self':
    case 'test':
    case 'bench':
      return { kind: 'other', fields: [...parts] };
  }
}

/** `func+0x10` → func and offset; `allowOffset` is false for return probes. */
function splitOffset(
  parts: string[],
  i: number,
  allowOffset: boolean,
  what: string,
  provider: ProviderName,
): { func: string; offset: bigint | null } {
  const p = parts[i]!;
  if (p === '') throw new TargetError(`missing ${what} in ${provider} probe`, i);
  const plus = p.indexOf('+');
  if (plus < 0) return { func: p, offset: null };
  if (!allowOffset) throw new TargetError(`${provider} probes cannot take an offset`, i, 'offsets (+N) are for entry probes');
  const func = p.slice(0, plus);
  const off = p.slice(plus + 1);
  if (func === '') throw new TargetError(`missing ${what} before '+' in ${provider} probe`, i);
  const r = parseIntegerLiteral(off);
  if ('error' in r || r.suffix !== '') throw new TargetError(`invalid offset '${off}' in ${provider} probe`, i);
  return { func, offset: r.value };
}

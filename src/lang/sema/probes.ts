/**
 * Attach points → concrete probe instances: wildcards expanded against the KernelView,
 * positional parameters substituted, each instance with the program type it needs and the
 * AttachDef the runtime will use.
 */
import type { AttachPoint, ProviderName } from '../ast.js';
import type { KernelView, TracepointFieldInfo } from '../kernel-view.js';
import { decodeTarget, TargetError, type ProbeTarget } from '../probe-target.js';
import { hasWildcard } from '../probe-spec.js';
import type { AttachDef, ProgKindName } from '../spec.js';
import type { Span } from '../source.js';
import { expandUsdt, UsdtProbeError, type UsdtInstanceInfo } from '../usdt.js';

export interface ProbeInstance {
  provider: ProviderName;
  /** The full name, as the `probe` builtin prints it: `tracepoint:syscalls:sys_enter_openat`. */
  name: string;
  attach: AttachDef;
  progKind: ProgKindName;
  tracepoint?: { category: string; event: string; fields: TracepointFieldInfo[] };
  /** usdt: the probe site (its argument operands). */
  usdt?: UsdtInstanceInfo;
  /** Instances with different keys do not share a program when the body reads argN. */
  groupKey?: string;
  /** The attach point it came from. */
  ap: AttachPoint;
}

/** A problem with an attach point; `span` points at the part at fault. */
export class ProbeError extends Error {
  constructor(message: string, readonly span: Span, readonly hint?: string) {
    super(message);
  }
}

const SOFTWARE_EVENTS: Record<string, [string, number]> = {
  'cpu-clock': ['cpu-clock', 1000000], cpu: ['cpu-clock', 1000000],
  'task-clock': ['task-clock', 1000000],
  'page-faults': ['page-faults', 100], faults: ['page-faults', 100],
  'context-switches': ['context-switches', 1000], cs: ['context-switches', 1000],
  'cpu-migrations': ['cpu-migrations', 1],
  'minor-faults': ['minor-faults', 100], 'major-faults': ['major-faults', 1],
  'alignment-faults': ['alignment-faults', 1], 'emulation-faults': ['emulation-faults', 1],
  dummy: ['dummy', 1], 'bpf-output': ['bpf-output', 1],
};

const HARDWARE_EVENTS: Record<string, [string, number]> = {
  'cpu-cycles': ['cpu-cycles', 1000000], cycles: ['cpu-cycles', 1000000],
  instructions: ['instructions', 1000000],
  'cache-references': ['cache-references', 1000000], 'cache-misses': ['cache-misses', 1000000],
  'branch-instructions': ['branch-instructions', 100000], branches: ['branch-instructions', 100000],
  'branch-misses': ['branch-misses', 100000], 'bus-cycles': ['bus-cycles', 100000],
  'frontend-stalls': ['frontend-stalls', 1000000], 'backend-stalls': ['backend-stalls', 1000000],
  'ref-cycles': ['ref-cycles', 1000000],
};

const UNIT_NS: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

export interface ExpandOptions {
  kernel: KernelView;
  params: string[];
  pid?: number;
}

/** Expands one attach point. Throws ProbeError. */
export function expandAttachPoint(ap: AttachPoint, o: ExpandOptions): ProbeInstance[] {
  const provider = ap.provider;
  if (provider === null) {
    throw new ProbeError(`wildcard provider '${ap.providerWritten}' is not supported yet`, ap.span, 'write the provider in full, e.g. tracepoint:');
  }
  let target = ap.target;
  let parts = ap.parts;
  if (target === null) {
    parts = ap.parts.map((p, i) => (ap.quoted[i] ? p : p.replace(/\$([0-9]+)$/, (_, n: string) => o.params[Number(n) - 1] ?? '')));
    try {
      target = decodeTarget(provider, parts, ap.quoted);
    } catch (e) {
      if (e instanceof TargetError) throw new ProbeError(e.message, e.part === null ? ap.span : ap.partSpans[e.part] ?? ap.span, e.hint);
      throw e;
    }
    if (target === null) throw new ProbeError('positional parameter in probe could not be substituted', ap.span);
  }
  const one = (attach: AttachDef, progKind: ProgKindName, name: string): ProbeInstance[] => [{ provider, name, attach, progKind, ap }];
  const t: ProbeTarget = target;
  switch (provider) {
    case 'BEGIN':
      return one({ kind: 'begin' }, 'raw_tracepoint', 'BEGIN');
    case 'END':
      return one({ kind: 'end' }, 'raw_tracepoint', 'END');
    case 'tracepoint': {
      if (t.kind !== 'tracepoint') break;
      if (hasWildcard(t.category) || hasWildcard(t.event)) {
        const found = o.kernel.listTracepoints(t.category, t.event);
        if (found.length === 0) throw new ProbeError(`no tracepoint matches ${t.category}:${t.event}`, ap.span);
        return found.map(([category, event]) => tracepointInstance(ap, category, event, o.kernel.tracepointFields(category, event) ?? []));
      }
      const fields = o.kernel.tracepointFields(t.category, t.event);
      if (fields === undefined) throw new ProbeError(`tracepoint not found: ${t.category}:${t.event}`, ap.span);
      return [tracepointInstance(ap, t.category, t.event, fields)];
    }
    case 'rawtracepoint':
      if (t.kind !== 'rawtracepoint') break;
      if (hasWildcard(t.event)) throw new ProbeError('rawtracepoint wildcards are not supported yet', ap.partSpans[ap.parts.length - 1] ?? ap.span);
      return one({ kind: 'rawtracepoint', name: t.event }, 'raw_tracepoint', `rawtracepoint:${t.event}`);
    case 'kprobe':
    case 'kretprobe': {
      if (t.kind !== 'kprobe') break;
      if (hasWildcard(t.func) || (t.module !== null && hasWildcard(t.module))) {
        throw new ProbeError(`${provider} wildcards are not supported yet`, ap.partSpans[ap.parts.length - 1] ?? ap.span);
      }
      const attach: AttachDef = { kind: provider, func: t.func };
      if (t.offset !== null) attach.offset = Number(t.offset);
      if (t.module !== null) attach.module = t.module;
      const name = `${provider}:${t.module !== null ? `${t.module}:` : ''}${t.func}${t.offset !== null ? `+${t.offset}` : ''}`;
      return one(attach, 'kprobe', name);
    }
    case 'uprobe':
    case 'uretprobe': {
      if (t.kind !== 'uprobe') break;
      let path = t.path;
      if (path === null) {
        if (o.pid === undefined) throw new ProbeError(`${provider} needs a binary path (or -p PID)`, ap.span, `write it as ${provider}:/path/to/binary:function`);
        path = `/proc/${o.pid}/exe`;
      }
      if (hasWildcard(path) || (t.func !== null && hasWildcard(t.func))) {
        throw new ProbeError(`${provider} wildcards are not supported yet`, ap.span);
      }
      const attach: AttachDef = { kind: provider, path, func: t.func ?? '' };
      if (t.address !== null) attach.address = t.address;
      if (t.offset !== null) attach.offset = Number(t.offset);
      const where = t.func !== null ? `${t.func}${t.offset !== null ? `+${t.offset}` : ''}` : `0x${(t.address ?? 0n).toString(16)}`;
      return one(attach, 'kprobe', `${provider}:${path}:${where}`);
    }
    case 'profile':
    case 'interval': {
      if (t.kind !== 'timer') break;
      if (t.value <= 0n) throw new ProbeError(`${provider} ${t.unit === 'hz' ? 'frequency' : 'period'} should be a positive integer`, ap.partSpans[ap.parts.length - 1] ?? ap.span);
      const name = `${provider}:${ap.parts.join(':')}`;
      if (provider === 'profile') {
        const hz = t.unit === 'hz' ? Number(t.value) : 1e9 / Number(t.value * UNIT_NS[t.unit]!);
        return one({ kind: 'profile', hz }, 'perf_event', name);
      }
      const periodNs = t.unit === 'hz' ? Math.round(1e9 / Number(t.value)) : Number(t.value * UNIT_NS[t.unit]!);
      return one({ kind: 'interval', periodNs }, 'perf_event', name);
    }
    case 'software':
    case 'hardware': {
      if (t.kind !== 'perf') break;
      const table = provider === 'software' ? SOFTWARE_EVENTS : HARDWARE_EVENTS;
      const ev = table[t.event];
      if (!ev) throw new ProbeError(`${t.event} is not a known ${provider} event`, ap.partSpans[0] ?? ap.span, `known events: ${Object.keys(table).join(', ')}`);
      const period = t.count !== null ? Number(t.count) : ev[1];
      return one({ kind: provider, event: ev[0], period }, 'perf_event', `${provider}:${ap.parts.join(':')}`);
    }
    case 'usdt':
      if (t.kind !== 'usdt') break;
      try {
        return expandUsdt(ap, t, o);
      } catch (e) {
        if (e instanceof UsdtProbeError) throw new ProbeError(e.message, e.part === null ? ap.span : ap.partSpans[e.part] ?? ap.span, e.hint);
        throw e;
      }
    default:
      throw new ProbeError(`${provider} probes are not supported yet`, ap.span);
  }
  throw new ProbeError(`invalid ${provider} probe`, ap.span);
}

function tracepointInstance(ap: AttachPoint, category: string, event: string, fields: TracepointFieldInfo[]): ProbeInstance {
  return {
    provider: 'tracepoint',
    name: `tracepoint:${category}:${event}`,
    attach: { kind: 'tracepoint', category, event },
    progKind: 'tracepoint',
    tracepoint: { category, event, fields },
    ap,
  };
}

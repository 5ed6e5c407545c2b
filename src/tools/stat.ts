// What the histogram and stack tools share: bcc's `[interval [count]]`, a log2 histogram per
// interval (text or JSON), disk names for dev_t numbers, and stacks printed bcc's way.
import { readFileSync } from 'node:fs';
import type { MergedAgg, Value } from '../output/index.js';
import type { MapEntryValue } from '../runtime/render.js';
import type { StackValue } from '../output/value.js';
import { hms, jsonLine, log2Hist, num, runScript, ToolUsageError, type ToolIo } from './tool.js';

/** bcc's positional `[interval [count]]`; `interval` must be ≥ 1 second. */
export function intervalCount(positionals: string[], what = 'interval'): { interval?: number; count?: number } {
  if (positionals.length > 2) throw new ToolUsageError(`unrecognized arguments: ${positionals.slice(2).join(' ')}`);
  const [i, c] = positionals.map((p, k) => {
    if (!/^\d+$/.test(p) || Number(p) < 1) throw new ToolUsageError(`${k === 0 ? what : 'count'}: not a positive number: ${p}`);
    return Number(p);
  });
  return { ...(i !== undefined ? { interval: i } : {}), ...(c !== undefined ? { count: c } : {}) };
}

/** Kernel dev_t (major << 20 | minor) → name, from /proc/partitions (disks and partitions). */
export function diskNames(): Map<number, string> {
  const m = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync('/proc/partitions', 'utf8');
  } catch {
    return m;
  }
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^\d+$/.test(f[0]!) && /^\d+$/.test(f[1]!)) m.set((Number(f[0]) << 20) | Number(f[1]), f[3]!);
  }
  return m;
}

export function diskDev(name: string): number {
  for (const [dev, n] of diskNames()) if (n === name) return dev;
  throw new ToolUsageError(`no disk named ${name} (see /proc/partitions)`);
}

/** A block request's rwbs string (R, WS, FWFS…) as bcc's -F labels: Sync-Write, Read… */
export function rwbsLabel(rwbs: string): string {
  const op = rwbs.includes('D') ? 'Discard' : rwbs.includes('E') ? 'SecureErase' : rwbs.includes('W') ? 'Write' : rwbs.includes('R') ? 'Read' : rwbs.startsWith('F') ? 'Flush' : 'NoOp';
  const pre: string[] = [];
  if (op !== 'Flush' && rwbs.startsWith('F')) pre.push('Flush');
  if (rwbs.includes('A')) pre.push('ReadAhead');
  if (rwbs.includes('M')) pre.push('Metadata');
  if (rwbs.includes('S')) pre.push('Sync');
  if (/.F/.test(rwbs)) pre.push('ForcedUnitAccess');
  return [...pre, op].join('-');
}

/** A merged aggregation (not a plain value). */
export const merged = (v: MergedAgg | Value | undefined): MergedAgg | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !('kind' in v) ? v : undefined;

const buckets = (v: MergedAgg | Value): Map<number, bigint> => {
  const m = merged(v);
  return m && 'buckets' in m ? m.buckets : new Map();
};

/** bcc's JSON histogram: log2 buckets as interval-start/interval-end/count (slots up to the last used). */
export function histJson(b: Map<number, bigint>): { 'interval-start': number; 'interval-end': number; count: bigint }[] {
  const vals: bigint[] = [];
  for (const [i, c] of b) {
    const k = Math.max(1, i - 1);
    vals[k] = (vals[k] ?? 0n) + c;
  }
  const out = [];
  for (let k = 1; k < vals.length; k++) {
    const low = k === 1 ? 0 : 2 ** (k - 1);
    out.push({ 'interval-start': low, 'interval-end': 2 ** k - 1, count: vals[k] ?? 0n });
  }
  return out;
}

export interface HistRun {
  script: string;
  io: ToolIo;
  verbose: boolean;
  banner: string;
  /** The histogram map's name in the script (e.g. '@usecs') and, with -e, its stats() map. */
  hist: string;
  stats?: string;
  valType: string;
  /** Section label for keyed histograms ('disk', 'pid'…) and how a key prints. */
  section?: { name: string; label: (k: Value | undefined) => string };
  interval?: number;
  count?: number;
  timestamp: boolean;
  json: boolean;
}

/**
 * Runs a script whose interval probe prints (and clears) the histogram map, or that prints it at
 * the end only: each printing becomes bcc's output for one interval; `count` intervals end the run.
 */
export async function runHistTool(h: HistRun): Promise<number> {
  let printed = 0;
  let done = false;
  let stop: (() => void) | undefined;
  let pendingStats = new Map<string, { total: bigint; count: bigint }>();
  let pendingHist: MapEntryValue[] = [];
  const keyText = (k: Value | undefined): string => (h.section ? h.section.label(k) : '');
  const emit = (entries: MapEntryValue[]): void => {
    // One histogram per label (keys that print alike are merged), in label order as bcc sorts.
    const byLabel = new Map<string, Map<number, bigint>>();
    for (const e of entries) {
      const m = byLabel.get(keyText(e.key)) ?? new Map<number, bigint>();
      for (const [i, c] of buckets(e.value)) m.set(i, (m.get(i) ?? 0n) + c);
      byLabel.set(keyText(e.key), m);
    }
    const labels = [...byLabel.keys()].sort((x, y) => (/^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0));
    if (h.json) {
      for (const label of labels.length || h.section ? labels : ['']) {
        const st = pendingStats.get(label);
        h.io.out(jsonLine({
          ts: hms(), val_type: h.valType, ...(h.section ? { [h.section.name]: label } : {}),
          data: histJson(byLabel.get(label) ?? new Map()),
          ...(st ? { total: st.total, count: st.count, avg: st.count ? Number(st.total) / Number(st.count) : 0 } : {}),
        }));
      }
      return;
    }
    let s = '\n';
    if (h.timestamp) s += `${hms().padEnd(8)}\n`;
    for (const label of labels) {
      if (h.section) s += `\n${h.section.name} = ${label}\n`;
      s += log2Hist(byLabel.get(label)!, h.valType);
      const st = pendingStats.get(label);
      if (st) {
        const avg = st.count ? st.total / st.count : 0n;
        s += `\navg = ${avg} ${h.valType}, total: ${st.total} ${h.valType}, count: ${st.count}\n`;
      }
    }
    h.io.out(s);
  };
  const code = await runScript(h.script, { verbose: h.verbose, io: h.io, banner: h.banner }, {
    onStart: (t) => {
      stop = () => void t.stop();
    },
    onMap: (name, e) => {
      if (done) return;
      // The stats map (-e) is printed right after the histogram, in the interval probe and at exit.
      if (name === h.hist && h.stats) {
        pendingHist = e.entries;
        return;
      }
      if (h.stats && name === h.stats) {
        pendingStats = new Map();
        for (const x of e.entries) {
          const v = merged(x.value);
          if (!v || !('total' in v)) continue;
          const p = pendingStats.get(keyText(x.key));
          pendingStats.set(keyText(x.key), { total: v.total + (p?.total ?? 0n), count: v.count + (p?.count ?? 0n) });
        }
        emit(pendingHist);
      } else if (name === h.hist) {
        emit(e.entries);
      } else return;
      printed++;
      if (e.when === 'print' && h.count !== undefined && printed >= h.count) {
        done = true;
        stop?.();
      }
    },
  });
  return code;
}

/** A stack key's frames as bcc prints them ([unknown] for unresolved; undefined when missed). */
export function stackFrames(v: Value | undefined, annotate = false): string[] | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v.kind !== 'stack') return undefined;
  const s = v as StackValue;
  // -EFAULT: no stack in that space (a user-mode sample's kernel stack); other errors: missed.
  if (s.id === -14) return [];
  if (s.id < 0) return undefined;
  return (s.frames ?? []).map((f) => (f.sym.startsWith('0x') ? '[unknown]' : f.sym) + (annotate && s.space === 'kernel' ? '_[k]' : ''));
}

export interface StackRow {
  kernel?: Value;
  user?: Value;
  comm: string;
  pid: number;
  value: bigint;
}

/**
 * bcc's stack output (profile, offcputime): kernel frames, `--` (with -d), user frames, then
 * `-  comm (pid)` and the value, ascending by value; or with `folded`, one line
 * `comm;user…;kernel… value` (outermost first) for flame graphs.
 */
export function stackReport(rows: StackRow[], o: { folded: boolean; delimited: boolean; annotate: boolean; kernel: boolean; user: boolean }): string {
  rows.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  let s = '';
  for (const r of rows) {
    const k = o.kernel ? stackFrames(r.kernel, o.annotate) : [];
    const u = o.user ? stackFrames(r.user) : [];
    const both = o.delimited && (k?.length ?? 0) > 0 && (u?.length ?? 0) > 0;
    if (o.folded) {
      const line = [r.comm];
      if (o.user) line.push(...(u ? [...u].reverse() : ['[Missed User Stack]']));
      if (o.kernel) {
        if (both) line.push('-');
        line.push(...(k ? [...k].reverse() : ['[Missed Kernel Stack]']));
      }
      s += `${line.join(';')} ${r.value}\n`;
      continue;
    }
    if (o.kernel) s += k ? k.map((f) => `    ${f}\n`).join('') : '    [Missed Kernel Stack]\n';
    if (both) s += '    --\n';
    if (o.user) s += u ? u.map((f) => `    ${f}\n`).join('') : '    [Missed User Stack]\n';
    s += `    ${'-'.padEnd(16)} ${r.comm} (${r.pid})\n        ${r.value}\n\n`;
  }
  return s;
}

/** JSON for one stack row (frames innermost first). */
export function stackJson(r: StackRow, o: { kernel: boolean; user: boolean }, valueName: string): Record<string, unknown> {
  return {
    comm: r.comm, pid: r.pid,
    ...(o.kernel ? { kernel_stack: stackFrames(r.kernel) ?? null } : {}),
    ...(o.user ? { user_stack: stackFrames(r.user) ?? null } : {}),
    [valueName]: r.value,
  };
}

export const aggValue = (v: MergedAgg | Value): bigint => {
  const m = merged(v);
  if (!m) return typeof v === 'bigint' ? v : 0n;
  return m.fn === 'count' ? m.count : m.fn === 'sum' ? m.sum : 0n;
};

export { num };

export interface StackRun {
  script: string;
  io: ToolIo;
  verbose: boolean;
  banner: string;
  duration?: number;
  /** Which stacks the map key `@[kstack?, ustack?, comm, pid]` holds. */
  kernel: boolean;
  user: boolean;
  folded: boolean;
  delimited: boolean;
  annotate: boolean;
  json: boolean;
  /** The JSON name of the value (samples, usecs…). */
  valueName: string;
}

/** Runs a script that fills `@[kstack, ustack, comm, pid]`; at the end prints it bcc's way. */
export async function runStackTool(s: StackRun): Promise<number> {
  return runScript(s.script, { verbose: s.verbose, io: s.io, banner: s.banner }, {
    onStart: (t) => {
      if (s.duration === undefined) return;
      const timer = setTimeout(() => void t.stop(), s.duration * 1000);
      void t.done.then(() => clearTimeout(timer));
    },
    onMap: (name, e) => {
      if (name !== '@' || e.when !== 'exit') return;
      const rows: StackRow[] = [];
      for (const x of e.entries) {
        const k = Array.isArray(x.key) ? x.key : [];
        let i = 0;
        const kernel = s.kernel ? k[i++] : undefined;
        const user = s.user ? k[i++] : undefined;
        rows.push({ ...(kernel ? { kernel } : {}), ...(user ? { user } : {}), comm: typeof k[i] === 'string' ? (k[i] as string) : '', pid: num(k[i + 1]), value: aggValue(x.value) });
      }
      const o = { folded: s.folded, delimited: s.delimited, annotate: s.annotate, kernel: s.kernel, user: s.user };
      // Stacks that differ only in their addresses (another instruction of the same function) print alike: one row.
      const merged = new Map<string, StackRow>();
      for (const r of rows) {
        const id = JSON.stringify([o.kernel ? stackFrames(r.kernel, o.annotate) ?? null : 0, o.user ? stackFrames(r.user) ?? null : 0, r.comm, r.pid]);
        const m = merged.get(id);
        if (m) m.value += r.value;
        else merged.set(id, { ...r });
      }
      rows.splice(0, rows.length, ...merged.values());
      if (s.json) {
        rows.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
        for (const r of rows) s.io.out(jsonLine(stackJson(r, o, s.valueName)));
      } else {
        s.io.out(stackReport(rows, o));
      }
    },
  });
}

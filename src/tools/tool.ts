// What every classic tool shares: option parsing with bcc's -h layout, the mechanism chosen from
// feature probing, the banner, and running the generated script through the library API (trace()).
// A tool is a script generator plus a column formatter; the kernel work is the language's.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { trace, type Trace, type TraceEvent } from '../api.js';
import { probeKindFeature, type ProbeKind } from '../runtime/features.js';
import { tracefsRoot } from '../kernel/tracefs.js';
import type { MergedAgg, Value } from '../output/index.js';
import { aggScalar } from '../output/agg.js';
import { inetText } from '../output/resolve.js';

export class ToolUsageError extends Error {
  override readonly name = 'ToolUsageError';
}

export interface ToolIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Called once the probes are attached, with a way to end the trace as Ctrl-C would (tests). */
  started?: (stop: () => Promise<number>) => void;
}

export const stdio: ToolIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

export interface Tool {
  name: string;
  summary: string;
  run(argv: string[], io?: ToolIo): Promise<number>;
}

export interface OptionDoc {
  flags: string;
  help: string;
}

/** Words of `text` in lines of at most `width` columns, each but the first indented by `indent`. */
function wrap(text: string, width: number, indent: number, first = 0, words = text.split(' ')): string {
  const lines: string[] = [];
  let line = '';
  let room = width - first;
  for (const word of words) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = width - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/**
 * bcc's argparse layout: usage line, description, options, then the examples (what -h prints).
 * As argparse: lines kept under 80 columns, the help column at most 24, a longer option's help on
 * the next line.
 */
export function helpText(usage: string, description: string, options: OptionDoc[], examples: string): string {
  const all = [{ flags: '-h, --help', help: 'show this help message and exit' }, ...options];
  const col = Math.min(24, Math.max(...all.map((o) => o.flags.length)) + 4);
  const opt = (o: OptionDoc): string => {
    const head = `  ${o.flags}`;
    return head.length + 2 <= col ? `${head.padEnd(col)}${wrap(o.help, 79, col, col)}` : `${head}\n${' '.repeat(col)}${wrap(o.help, 79, col, col)}`;
  };
  // The usage line wraps after "usage: sonde tool", continuation lines aligned under the options.
  const prog = /^(\S+(?: [a-z][\w-]*)?) /.exec(usage)?.[1] ?? '';
  // Bracketed groups stay whole ("[interval [count]]", "[-p PID | -t TID]").
  const rest = usage.slice(prog.length + 1);
  const groups: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of rest) {
    if (ch === ' ' && depth === 0) {
      if (cur) groups.push(cur);
      cur = '';
      continue;
    }
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    cur += ch;
  }
  if (cur) groups.push(cur);
  const usageText = prog ? `${prog} ${wrap(rest, 79, 8 + prog.length, 8 + prog.length, groups)}` : usage;
  return `usage: ${usageText}\n\n${description}\n\noptions:\n${all.map(opt).join('\n')}\n\nexamples:\n${examples}`;
}

export interface ParsedOptions {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** parseArgs with -h/--help added; errors become ToolUsageError (exit 2, as argparse). */
export function parseToolArgs(argv: string[], options: NonNullable<ParseArgsConfig['options']>): ParsedOptions {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new ToolUsageError(e instanceof Error ? e.message : String(e));
  }
}

export function intOption(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new ToolUsageError(`${name}: not a valid number: ${v}`);
  return Number(v);
}

/** A way of measuring: the probe kind it needs; the first one this kernel has is used. */
export interface Mechanism<S> {
  kind: ProbeKind;
  /** What this mechanism measures, for -v (and the man page's CAVEATS). */
  note: string;
  /** Undefined when the tool has no script for this kind yet (the choice falls through). */
  build?: S;
}

export interface Chosen<S> {
  mechanism: Mechanism<S>;
  build: S;
  /** One line per mechanism considered, for -v. */
  report: string[];
}

export function chooseMechanism<S>(list: Mechanism<S>[]): Chosen<S> {
  // Only the kinds listed are tried (a uprobe tool never loads the kernel's BTF for fentry).
  const report: string[] = [];
  let chosen: Mechanism<S> | undefined;
  for (const m of list) {
    const feat = probeKindFeature(m.kind);
    const state = !feat.ok ? `no (${feat.detail})` : !m.build ? 'available, no script for it yet' : chosen ? 'available' : 'yes';
    if (!chosen && feat.ok && m.build) chosen = m;
    report.push(`  ${m.kind}: ${state}`);
  }
  if (!chosen?.build) throw new Error(`no mechanism available on this kernel:\n${report.join('\n')}`);
  return { mechanism: chosen, build: chosen.build, report };
}

export function verboseReport(io: ToolIo, tool: string, c: Chosen<unknown>, script: string): void {
  io.err(`${tool}: mechanism ${c.mechanism.kind} — ${c.mechanism.note}\n${c.report.join('\n')}\n--- script ---\n${script}\n--------------\n`);
}

/** Does tracefs have this tracepoint (e.g. syscalls:sys_enter_open is absent on arm64)? */
export function hasTracepoint(category: string, event: string): boolean {
  try {
    return existsSync(`${tracefsRoot()}/events/${category}/${event}`);
  } catch {
    return false;
  }
}

export interface RunHandlers {
  /** `line`: the printf's text as the script formatted it. */
  onPrintf?(values: Value[], line: string): void;
  onMap?(name: string, e: Extract<TraceEvent, { type: 'map' }>): void;
  /** Called once attached, with the handle (to stop it after a duration). */
  onStart?(t: Trace): void;
}

/** Runs a generated script; Ctrl-C (handled by the runtime's session) ends it and maps arrive. */
export async function runScript(script: string, opts: { verbose?: boolean; io: ToolIo; banner?: string; strlen?: number; pid?: number }, h: RunHandlers): Promise<number> {
  const t = await trace(script, {
    ...(opts.verbose ? { verbose: true } : {}), ...(opts.strlen ? { strlen: opts.strlen } : {}),
    // -p: uprobes and USDT probes in this process only (and its files, for usdt:* targets).
    ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
  });
  if (opts.banner) opts.io.err(opts.banner);
  h.onStart?.(t);
  opts.io.started?.(() => t.stop());
  for await (const e of t) {
    if (e.type === 'printf') h.onPrintf?.(e.values, e.text);
    else if (e.type === 'map') h.onMap?.(e.name, e);
    else if (e.type === 'lost') opts.io.err(e.text);
  }
  return t.done;
}

export function stopAfter(t: Trace, seconds: number | undefined): void {
  if (seconds === undefined) return;
  const timer = setTimeout(() => void t.stop(), seconds * 1000);
  void t.done.then(() => clearTimeout(timer));
}

export const num = (v: Value | undefined): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
export const big = (v: Value | undefined): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n);
export const text = (v: Value | undefined): string =>
  typeof v === 'string' ? v : typeof v === 'object' && !Array.isArray(v) && v.kind === 'symbol' && v.what === 'inet' ? inetText(v) : String(v ?? '');

/** A map entry's number: count/sum/min/max/avg merged across CPUs, or a plain integer value. */
export function aggNumber(v: MergedAgg | Value): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'fn' in v && !('kind' in v)) return aggScalar(v);
  return 0n;
}

export function hms(d = new Date()): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

/** A JSON line (bigints as numbers when exact, else strings). */
export function jsonLine(o: Record<string, unknown>): string {
  return `${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v))}\n`;
}

/** printf-free column formatting: left/right pad. */
export const l = (s: string | number | bigint, w: number): string => String(s).padEnd(w);
export const r = (s: string | number | bigint, w: number): string => String(s).padStart(w);

/** bcc's print_log2_hist: `usecs : count distribution` with 40 stars (bpftrace bucket indexes in). */
export function log2Hist(buckets: Map<number, bigint>, valType: string): string {
  // bpftrace bucket i: 0 negative, 1 zero, 2 one, i ≥ 3 [2^(i-2), 2^(i-1)); bcc slot k ≥ 1 holds
  // [2^(k-1), 2^k − 1] with 0 folded into slot 1 — so k = max(1, i − 1).
  const vals: bigint[] = [];
  for (const [i, c] of buckets) {
    const k = Math.max(1, i - 1);
    vals[k] = (vals[k] ?? 0n) + c;
  }
  let idxMax = -1;
  let valMax = 0n;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i] ?? 0n;
    if (v > 0n) idxMax = i;
    if (v > valMax) valMax = v;
  }
  if (idxMax <= 0) return '';
  const wide = idxMax > 32;
  const stars = wide ? 20 : 40;
  let s = wide ? `               ${valType.padEnd(29)} : count     distribution\n` : `     ${valType.padEnd(19)} : count     distribution\n`;
  for (let i = 1; i <= idxMax; i++) {
    let low = (1n << BigInt(i)) >> 1n;
    const high = (1n << BigInt(i)) - 1n;
    if (low === high) low -= 1n;
    const v = vals[i] ?? 0n;
    const w = wide ? 20 : 10;
    s += `${r(low, w)} -> ${l(high, w)} : ${l(v, 8)} |${l(starBar(v, valMax, stars), stars)}|\n`;
  }
  return s;
}

function starBar(val: bigint, max: bigint, width: number): string {
  if (max === 0n) return '';
  // bcc's _stars: one star for each i with i <= width*val/max - 1, i.e. floor(width*val/max).
  return '*'.repeat(Math.min(width, Number((BigInt(width) * val) / max)));
}

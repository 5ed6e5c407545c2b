// `-l [pattern]`: the probes this machine offers, one full name a line, as bpftrace lists them:
// tracepoints from tracefs, kernel functions (when kprobes exist), software and hardware events,
// functions and USDT probes of a binary (`uprobe:/bin/bash:*`, `usdt:/path:*`).
import { PROVIDERS } from '../lang/probe-spec.js';
import { globToRegExp, listTracepoints, tracepointFormat } from '../kernel/tracefs.js';
import { kernelFunctions } from '../kernel/functions.js';
import { kprobeMechanism } from '../attach/kprobe.js';
import { ElfFile, matchFunctions, resolveBinary, resolveLibrary } from '../elf/index.js';
import { KernelViewError, type UsdtFileInfo } from '../lang/kernel-view.js';
import { usdtFileInfo, usdtFiles } from './usdt.js';

/** bpftrace's software events (its SW_PROBE_LIST), listed as `software:NAME:`. */
export const SOFTWARE_EVENTS = [
  'alignment-faults', 'bpf-output', 'context-switches', 'cpu-clock', 'cpu-migrations', 'dummy',
  'emulation-faults', 'major-faults', 'minor-faults', 'page-faults', 'task-clock',
] as const;

/** bpftrace's hardware events (its HW_PROBE_LIST), listed as `hardware:NAME:`. */
export const HARDWARE_EVENTS = [
  'backend-stalls', 'branch-instructions', 'branch-misses', 'bus-cycles', 'cache-misses',
  'cache-references', 'cpu-cycles', 'frontend-stalls', 'instructions', 'ref-cycles',
] as const;

export class ListError extends Error {
  override readonly name = 'ListError';
}

export interface ListedProbe {
  name: string;
  /** -v: the tracepoint's fields as C declarations (bpftrace prints them indented by 4). */
  fields?: string[];
}

function splitFirst(s: string): [string, string | undefined] {
  const i = s.indexOf(':');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** Kernel functions a kprobe can name (none on a kernel without kprobes), sorted, once each. */
function kprobeFunctions(): string[] {
  if (typeof kprobeMechanism() !== 'string') return [];
  return [...new Set(kernelFunctions().functions.map((f) => f.name))];
}

function resolveFile(file: string): string {
  try {
    return resolveBinary(file);
  } catch (e) {
    try {
      return resolveLibrary(file);
    } catch {
      throw e;
    }
  }
}

function tracepointProbes(catGlob: string, evGlob: string, verbose: boolean): ListedProbe[] {
  return listTracepoints(catGlob, evGlob).map(([c, e]) => {
    const name = `tracepoint:${c}:${e}`;
    if (!verbose) return { name };
    let fields: string[] = [];
    try {
      fields = tracepointFormat(c, e).fields.map((f) => f.decl);
    } catch { /* vanished while listing */ }
    return { name, fields };
  });
}

/**
 * Probes matching `pattern` (all of them without one). A pattern with a provider
 * (`tracepoint:sched:*`, `t:syscalls:*open*`, `software:*`, `uprobe:/bin/bash:read*`) lists that
 * kind; a bare pattern (`*sleep*`) matches every listed probe's full name.
 */
export function listProbes(pattern?: string, opts: { verbose?: boolean; pid?: number } = {}): ListedProbe[] {
  const verbose = !!opts.verbose;
  const pat = pattern === undefined || pattern === '' ? '*' : pattern;
  const [head, rest] = splitFirst(pat);
  const provider = rest !== undefined ? PROVIDERS.get(head) : undefined;
  if (provider === 'usdt') return listUsdt(rest!, opts.pid);
  if (provider === 'uprobe' || provider === 'uretprobe') {
    const [file, what] = splitFirst(rest!);
    if (!file) throw new ListError(`${head}: give a binary or library, e.g. ${provider}:/bin/bash:*`);
    const elf = ElfFile.open(resolveFile(file));
    return matchFunctions(elf, what ?? '*').map((f) => f.symbol.name)
      .sort().filter((n, i, all) => n !== all[i - 1]).map((n) => ({ name: `${provider}:${file}:${n}` }));
  }
  if (provider === 'tracepoint') {
    const [cat, ev] = splitFirst(rest!);
    return tracepointProbes(ev === undefined ? '*' : cat, ev === undefined ? cat : ev, verbose);
  }
  // Everything else: build the full list of kernel-side probes and match full names.
  const re = globToRegExp(provider ? `${provider}:${rest}` : pat);
  const out: ListedProbe[] = [];
  if (!provider || provider === 'kprobe' || provider === 'kretprobe') {
    const kinds = provider ? [provider] : ['kprobe'];
    for (const f of kprobeFunctions()) for (const k of kinds) if (re.test(`${k}:${f}`)) out.push({ name: `${k}:${f}` });
  }
  if (!provider) out.push(...tracepointProbes('*', '*', verbose).filter((p) => re.test(p.name)));
  if (!provider || provider === 'software') {
    for (const e of SOFTWARE_EVENTS) if (re.test(`software:${e}:`) || re.test(`software:${e}`)) out.push({ name: `software:${e}:` });
  }
  if (!provider || provider === 'hardware') {
    for (const e of HARDWARE_EVENTS) if (re.test(`hardware:${e}:`) || re.test(`hardware:${e}`)) out.push({ name: `hardware:${e}:` });
  }
  // -p: the USDT probes of every file the process maps too (bpftrace's `-l -p PID`).
  if (!provider && opts.pid !== undefined) out.push(...listUsdt('*', opts.pid).filter((p) => re.test(p.name)));
  if (provider === 'rawtracepoint') {
    const seen = new Set<string>();
    for (const [, e] of listTracepoints('*', '*')) {
      const name = `rawtracepoint:${e}`;
      if (!seen.has(name) && re.test(name)) out.push({ name });
      seen.add(name);
    }
  }
  return out;
}

/**
 * `usdt:FILE:PATTERN` (PATTERN `provider:name` or `name`, with wildcards), sorted as bpftrace
 * sorts them; with -p, `usdt:*` (or a wildcard FILE) lists the files that process maps.
 */
function listUsdt(rest: string, pid?: number): ListedProbe[] {
  let [file, what] = splitFirst(rest);
  if (pid !== undefined && what === undefined) [file, what] = ['*', file];
  if (!file) throw new ListError('usdt: give a binary or library, e.g. usdt:/usr/bin/python3:*');
  const re = globToRegExp(what ?? '*');
  let files: UsdtFileInfo[];
  try {
    files = /[*?]/.test(file) ? usdtFiles(file === '*' && pid !== undefined ? null : file, pid) : [usdtFileInfo(resolveFile(file))];
  } catch (e) {
    if (e instanceof KernelViewError) throw new ListError(e.message);
    throw e;
  }
  const names = new Set<string>();
  for (const f of files) {
    // bpftrace's names: a path as written (a wildcard file name on disk keeps the directory as
    // written); a name looked up, or a process's files, as the file found.
    const shown = !file.includes('/') ? f.path
      : !/[*?]/.test(file) ? file
        : pid === undefined ? file.slice(0, file.lastIndexOf('/') + 1) + f.path.slice(f.path.lastIndexOf('/') + 1) : f.path;
    for (const p of f.probes) if (re.test(`${p.provider}:${p.name}`) || re.test(p.name)) names.add(`usdt:${shown}:${p.provider}:${p.name}`);
  }
  return [...names].sort().map((name) => ({ name }));
}

/** The text `-l` prints: a name a line, -v adding the fields of tracepoints. */
export function formatListing(probes: readonly ListedProbe[]): string {
  let s = '';
  for (const p of probes) {
    s += `${p.name}\n`;
    for (const f of p.fields ?? []) s += `    ${f}\n`;
  }
  return s;
}

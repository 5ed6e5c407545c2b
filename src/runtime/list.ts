// `-l [pattern]`: the probes this machine offers, one full name a line, as bpftrace lists them:
// tracepoints from tracefs, kernel functions (when kprobes exist), software and hardware events,
// functions and USDT probes of a binary (`uprobe:/bin/bash:*`, `usdt:/path:*`).
import { PROVIDERS } from '../lang/probe-spec.js';
import { globToRegExp, listTracepoints, tracepointFormat } from '../kernel/tracefs.js';
import { kernelFunctions } from '../kernel/functions.js';
import { kprobeMechanism } from '../attach/kprobe.js';
import { ElfFile, matchFunctions, resolveBinary, resolveLibrary } from '../elf/index.js';
import { KernelViewError, type UsdtFileInfo } from '../lang/kernel-view.js';
import { globFiles, usdtFileInfo, usdtFiles } from './usdt.js';
import { debugInfoOf } from './debug-info.js';
import { readlinkSync } from 'node:fs';
import { LangError } from '../lang/diagnostic.js';
import { SourceFile } from '../lang/source.js';
import { hasWildcard } from '../lang/probe-spec.js';

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
  /** -v: the tracepoint's fields, or a function's parameters (DWARF), as C declarations (bpftrace prints them indented by 4). */
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

/** A file as written (path, program, library); with -p, the one that process sees (its mount namespace). */
function resolveFile(file: string, pid?: number): string {
  try {
    return resolveBinary(file, pid !== undefined ? { pid } : {});
  } catch (e) {
    try {
      return resolveLibrary(file, pid);
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
  checkCharacters(pat);
  const [head, rest] = splitFirst(pat);
  const provider = rest !== undefined ? PROVIDERS.get(head) : undefined;
  // `*:./prog:*`: a wildcard provider over a file lists its functions and its USDT probes.
  if (provider === undefined && rest !== undefined && hasWildcard(head) && rest.includes('/')) {
    const re = globToRegExp(head);
    return (['uprobe', 'usdt'] as const).filter((p) => re.test(p)).flatMap((p) => listProbes(`${p}:${rest}`, opts));
  }
  if (provider === 'usdt') return listUsdt(rest!, opts.pid);
  if (provider === 'uprobe' || provider === 'uretprobe') {
    let [file, what] = splitFirst(rest!);
    // -p with `uprobe:PATTERN`: the functions of the process's executable, as bpftrace names it.
    if (opts.pid !== undefined && what === undefined) [file, what] = [processExecutable(opts.pid), file];
    if (!file) throw new ListError(`${head}: give a binary or library, e.g. ${provider}:/bin/bash:*`);
    const wild = hasWildcard(file);
    return uprobeFiles(file, opts.pid).flatMap(([shown, path]) => {
      let elf: ElfFile;
      try {
        elf = ElfFile.open(path);
      } catch (e) {
        if (wild) return []; // one of many files that is no ELF object we can read: nothing to list, as bpftrace
        throw e;
      }
      const found = matchFunctions(elf, what ?? '*');
      const names = found.map((f) => f.symbol.name).sort().filter((n, i, all) => n !== all[i - 1]);
      // -v: each function's parameters from the file's debug info (nothing listed without it).
      const dwarf = verbose && names.length > 0 ? debugInfoOf(path).dwarf : undefined;
      const address = new Map(found.map((f) => [f.symbol.name, f.symbol.value]));
      return names.map((n) => {
        const params = dwarf?.functionParams(n, address.get(n));
        return params ? { name: `${provider}:${shown}:${n}`, fields: params.map((p) => `${dwarf!.typeName(p.type)} ${p.name}`.trimEnd()) } : { name: `${provider}:${shown}:${n}` };
      });
    });
  }
  // -p alone: the process's own probes, its executable's functions and the USDT probes of what it maps.
  if (provider === undefined && rest === undefined && opts.pid !== undefined) {
    const re = globToRegExp(pat);
    return [...listProbes('uprobe:*', opts), ...listUsdt('*', opts.pid)].filter((p) => re.test(p.name));
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
 * bpftrace reads a listing pattern as a probe: characters no probe name has (a backslash, `$`,
 * blanks, quotes, braces, `;`) are refused as its lexer refuses them.
 */
function checkCharacters(pattern: string): void {
  const bad = /[\s\\$;{}"'`#|&<>^\x00-\x1f\x7f]/.exec(pattern);
  if (!bad) return;
  const shown = bad[0] === '\n' ? '\\n' : bad[0] === '\t' ? '\\t' : bad[0];
  const source = new SourceFile('stdin', pattern);
  const line = pattern.slice(0, bad.index).split('\n').length;
  const col = bad.index - pattern.lastIndexOf('\n', bad.index - 1);
  throw new LangError(`invalid character '${shown}' in the probe pattern`, 'stdin',
    { line, col, endLine: line, endCol: col + 1, offset: bad.index, length: 1 }, { source });
}

/** `/proc/PID/root/EXE`: the executable of a process, through its own root, as bpftrace shows it. */
function processExecutable(pid: number): string {
  try {
    return `/proc/${pid}/root${readlinkSync(`/proc/${pid}/exe`)}`;
  } catch (e) {
    throw new ListError(`-p ${pid}: cannot read the process's executable: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such process' : (e as Error).message}`);
  }
}

/** The files a uprobe pattern's FILE names, each as shown and as opened: a wildcard in the file name matches ELF files of its directory. */
function uprobeFiles(file: string, pid?: number): [string, string][] {
  if (!hasWildcard(file)) return [[file, resolveFile(file, pid)]];
  let paths: string[];
  try {
    paths = globFiles(file);
  } catch (e) {
    if (e instanceof KernelViewError) throw new ListError(e.message);
    throw e;
  }
  // bpftrace's names: the directory as written, the name found.
  const dir = file.slice(0, file.lastIndexOf('/') + 1);
  return paths.map((p) => [dir + p.slice(p.lastIndexOf('/') + 1), p]);
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
    files = /[*?]/.test(file) ? usdtFiles(file === '*' && pid !== undefined ? null : file, pid) : [usdtFileInfo(resolveFile(file, pid))];
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

/** The text `-l` prints: a name a line, -v adding the fields of tracepoints and the parameters of functions. */
export function formatListing(probes: readonly ListedProbe[]): string {
  let s = '';
  for (const p of probes) {
    s += `${p.name}\n`;
    for (const f of p.fields ?? []) s += `    ${f}\n`;
  }
  return s;
}

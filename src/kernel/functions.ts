// Kernel functions a kprobe (or fentry) can name, for wildcards (`kprobe:vfs_read*`) and `-l`:
// tracefs available_filter_functions lists exactly the traceable ones (ftrace's view: not
// inlined, not notrace), as bpftrace reads them. Where that file cannot be read (a kernel without
// CONFIG_DYNAMIC_FTRACE, or one that refuses it: this file answers EPERM on a kernel without
// kprobes), the text symbols of /proc/kallsyms stand in; they include functions that cannot be
// probed, which then fail at attach time like any other missing function.
import { readFileSync } from 'node:fs';
import { tracefsRoot } from './tracefs.js';
import { kallsyms } from './kallsyms.js';

export interface KernelFunction {
  name: string;
  /** The module defining it; absent for vmlinux. */
  module?: string;
}

export interface KernelFunctionList {
  source: 'available_filter_functions' | 'kallsyms';
  /** Sorted by name, then module; one entry per (name, module). */
  functions: KernelFunction[];
  /** name → modules defining it ('' for vmlinux). */
  byName: Map<string, string[]>;
}

/** `name [module]` lines (available_filter_functions) → sorted, deduplicated entries. */
export function parseFilterFunctions(text: string): KernelFunction[] {
  const seen = new Set<string>();
  const out: KernelFunction[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)(?:\s+\[([^\]]+)\])?/.exec(line);
    if (!m) continue;
    // Since 6.5 some kernels append the address (available_filter_functions_addrs is separate,
    // but keep only the name and the module either way).
    const key = `${m[1]}\t${m[2] ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m[2] ? { name: m[1]!, module: m[2] } : { name: m[1]! });
  }
  return sortFunctions(out);
}

function sortFunctions(list: KernelFunction[]): KernelFunction[] {
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : (a.module ?? '') < (b.module ?? '') ? -1 : (a.module ?? '') > (b.module ?? '') ? 1 : 0));
}

function index(source: KernelFunctionList['source'], functions: KernelFunction[]): KernelFunctionList {
  const byName = new Map<string, string[]>();
  for (const f of functions) {
    const list = byName.get(f.name);
    if (list) list.push(f.module ?? '');
    else byName.set(f.name, [f.module ?? '']);
  }
  return { source, functions, byName };
}

let cached: KernelFunctionList | undefined;

/** The running kernel's traceable functions (cached for the life of the process). */
export function kernelFunctions(): KernelFunctionList {
  if (cached) return cached;
  let text: string | undefined;
  try {
    text = readFileSync(`${tracefsRoot()}/available_filter_functions`, 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined && text.length > 0) return (cached = index('available_filter_functions', parseFilterFunctions(text)));
  const ks = kallsyms();
  const fns: KernelFunction[] = ks.functions().map(({ name, module }) => (module ? { name, module } : { name }));
  return (cached = index('kallsyms', sortFunctions(fns)));
}

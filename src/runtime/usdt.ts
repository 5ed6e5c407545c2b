// USDT probes on the live system: which files a `usdt:` target means (a path, a program in PATH,
// a library — with -p as that process maps it — or every file a process maps), their probe sites
// from `.note.stapsdt`, and attaching one uprobe per site with its semaphore as the uprobe's
// ref_ctr_offset, so the kernel itself raises the semaphore in every process that maps the file
// (including processes started after the attach, such as -c's child).
import { readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { attachUprobe } from '../attach/uprobe.js';
import { detach, type Link } from '../attach/link.js';
import {
  ElfError, ElfFile, isFileBacked, readProcMaps, resolveBinary, resolveLibrary,
} from '../elf/index.js';
import { hostPathOf, isElf64 } from '../elf/resolve.js';
import { KernelViewError, type UsdtArgSpec, type UsdtFileInfo, type UsdtProbeInfo } from '../lang/kernel-view.js';
import type { AttachDef } from '../lang/spec.js';
import { globToRegExp as glob, hasWildcard as wild } from '../lang/probe-spec.js';

/**
 * The file a `usdt:`/`uprobe:` target names: a path, a program in PATH, or a library. With -p, the
 * file that process sees (its mount namespace: /proc/PID/root/… when it is not ours).
 */
export function resolveUsdtTarget(target: string, pid?: number): string {
  if (target.includes('/')) return resolveBinary(target, pid !== undefined ? { pid } : {});
  // With -p, a library the process maps wins (`usdt:libfoo:…`); else a program, then a library.
  const order = pid !== undefined ? [() => resolveLibrary(target, pid), () => resolveBinary(target, { pid })] : [() => resolveBinary(target), () => resolveLibrary(target)];
  let first: unknown;
  for (const f of order) {
    try {
      return f();
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

/** Files mapped executable by a process (the program and its libraries), as paths we can open. */
export function mappedFiles(pid: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of readProcMaps(pid)) {
    if (!isFileBacked(m) || !m.executable || seen.has(m.path)) continue;
    seen.add(m.path);
    out.push(hostPathOf(m, pid));
  }
  return out;
}

/** Files mapped executable by any process (`usdt:*:provider:name` without -p), as bpftrace scans them. */
export function mappedFilesOfAllProcesses(): string[] {
  const seen = new Set<string>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      for (const f of mappedFiles(Number(d))) seen.add(f);
    } catch {
      // gone, or a kernel thread without maps
    }
  }
  return [...seen].sort();
}

/** `dir/name*`: the ELF files of dir whose names match (wildcards in the last component only). */
export function globFiles(pattern: string): string[] {
  const dir = dirname(pattern);
  if (wild(dir)) throw new KernelViewError(`${pattern}: wildcards are supported in the file name only, not in directories`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new KernelViewError(`${pattern}: cannot read directory ${dir}`);
  }
  const re = glob(basename(pattern));
  return names.filter((n) => re.test(n)).map((n) => resolve(dir, n)).filter((p) => isElf64(p)).sort();
}

/** The KernelView's `usdtFiles`: see src/lang/kernel-view.ts. */
export function usdtFiles(target: string | null, pid?: number): UsdtFileInfo[] {
  try {
    if (target !== null && !wild(target)) return [usdtFileInfo(resolveUsdtTarget(target, pid))];
    if (target === null && pid === undefined) throw new KernelViewError('a usdt probe without a file needs -p PID');
    // A wildcard: among the files the process maps (-p), else files on disk (a path) or the
    // files every process maps (a bare pattern such as `*`).
    const onDisk = pid === undefined && target!.includes('/');
    const candidates = pid !== undefined ? mappedFiles(pid) : onDisk ? globFiles(target!) : mappedFilesOfAllProcesses();
    // Mapped files are matched by their whole path (a `*` spans directories).
    const re = target !== null && !onDisk ? glob(target) : undefined;
    const out: UsdtFileInfo[] = [];
    for (const path of candidates) {
      if (re !== undefined && !re.test(path)) continue;
      let info: UsdtFileInfo;
      try {
        info = usdtFileInfo(path);
      } catch {
        continue; // a file we cannot read as ELF has no probes for us
      }
      if (info.probes.length > 0) out.push(info);
    }
    if (out.length === 0 && target !== null) {
      const where = pid !== undefined ? `mapped by process ${pid}` : target.includes('/') ? 'on disk' : 'mapped by any process';
      throw new KernelViewError(`no file ${where} matches ${target} and has USDT probes`);
    }
    return out;
  } catch (e) {
    if (e instanceof KernelViewError) throw e;
    if (e instanceof ElfError) throw new KernelViewError(e.message, { cause: e });
    // A file we may not read (EACCES) or one that went away while we looked (ENOENT).
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') throw new KernelViewError(`usdt target ${target ?? `of process ${pid}`}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** The USDT probes of one file, their sites in note order, each argument decoded. */
export function usdtFileInfo(path: string): UsdtFileInfo {
  const elf = ElfFile.openShared(path);
  const probes = new Map<string, UsdtProbeInfo>();
  for (const p of elf.usdtProbes()) {
    const key = `${p.provider}:${p.name}`;
    let info = probes.get(key);
    if (!info) probes.set(key, (info = { provider: p.provider, name: p.name, sites: [] }));
    if (p.pcFileOffset === undefined) {
      throw new KernelViewError(`USDT probe ${key} in ${path} is at 0x${p.pc.toString(16)}, outside the file's loaded segments (a corrupt note?)`);
    }
    const args = p.arguments.map((a): UsdtArgSpec => {
      if (a.kind !== 'mem' || a.symbol === undefined) return a;
      const sym = elf.findSymbols(a.symbol).find((s) => s.sectionIndex !== 0);
      return sym !== undefined ? { ...a, symbolAddress: sym.value } : a;
    });
    info.sites.push({
      offset: p.pcFileOffset, pc: p.pc, args,
      ...(p.semaphoreFileOffset !== undefined ? { semaphore: p.semaphoreFileOffset } : {}),
    });
  }
  return { path: elf.path.startsWith('/') ? elf.path : realpathSync(path), probes: [...probes.values()] };
}

export type UsdtAttachDef = Extract<AttachDef, { kind: 'usdt' }>;

/** The sites an attach def means: its own list, or every site of provider:name in the file. */
export function usdtSites(d: UsdtAttachDef, pid?: number): { path: string; sites: { offset: number; semaphore?: number }[] } {
  if (d.sites !== undefined) return { path: d.path, sites: d.sites };
  const path = d.path.startsWith('/') && pid === undefined ? d.path : resolveUsdtTarget(d.path, pid);
  const probe = usdtFileInfo(path).probes.find((p) => p.provider === d.provider && p.name === d.name);
  if (!probe) throw new KernelViewError(`no USDT probe ${d.provider}:${d.name} in ${path}`);
  return { path, sites: probe.sites.map((s) => ({ offset: s.offset, ...(s.semaphore !== undefined ? { semaphore: s.semaphore } : {}) })) };
}

/** One uprobe per site; the semaphore, if any, is raised by the kernel while attached. */
export function attachUsdt(progFd: number, d: UsdtAttachDef, o: { pid?: number; name: string }): Link[] {
  const { path, sites } = usdtSites(d, o.pid);
  const links: Link[] = [];
  try {
    for (const s of sites) {
      links.push(attachUprobe(progFd, {
        path, offset: s.offset, name: o.name,
        ...(s.semaphore !== undefined ? { refCtrOffset: s.semaphore } : {}),
        ...(o.pid !== undefined ? { pid: o.pid } : {}),
      }));
    }
  } catch (e) {
    for (const l of links) detach(l);
    throw e;
  }
  return links;
}

// DWARF of user binaries for the compiler (KernelView.userDebugInfo) and for `-lv`: from the file
// itself, else from its separate debug file (build ID, .gnu_debuglink), with the dwz companion
// file either names (.gnu_debugaltlink). Kept per file for the process; only section headers are
// read until the compiler looks a name up.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ElfFile } from '../elf/index.js';
import { DwarfInfo } from '../elf/dwarf.js';
import { buildIdDebugPath, findDebugFile } from '../symbols/debug-file.js';
import type { UserDebugInfo } from '../lang/kernel-view.js';

const cache = new Map<string, UserDebugInfo>();

/** The DWARF of the file at `path` (already resolved), or `dwarf: undefined` when it has none. */
export function debugInfoOf(path: string): UserDebugInfo {
  let info = cache.get(path);
  if (info) return info;
  const elf = ElfFile.open(path);
  const own = withAlt(elf, path);
  if (own) info = { path, dwarf: own };
  else {
    const debugFile = findDebugFile(elf, path);
    const dwarf = debugFile !== undefined ? withAlt(ElfFile.open(debugFile), debugFile) : undefined;
    info = debugFile !== undefined && dwarf ? { path, debugFile, dwarf } : { path, dwarf: undefined };
  }
  cache.set(path, info);
  return info;
}

function withAlt(elf: ElfFile, path: string): DwarfInfo | undefined {
  if (!elf.section('.debug_info')) return undefined;
  return DwarfInfo.fromElf(elf, altFile(elf, path));
}

/** The dwz companion file: the path recorded (absolute, or beside the file), else by build ID. */
export function altFile(elf: ElfFile, path: string, root?: string): ElfFile | undefined {
  const link = DwarfInfo.altLink(elf);
  if (!link) return undefined;
  const candidates = [isAbsolute(link.path) ? link.path : join(dirname(path), link.path)];
  const byId = buildIdDebugPath(link.buildId, root);
  if (byId !== undefined) candidates.push(byId);
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    try {
      const alt = ElfFile.open(c);
      // The companion the link means: the same build ID (when the file records one).
      const id = alt.buildId();
      if (id === undefined || id === link.buildId) return alt;
    } catch {
      // unreadable: try the next
    }
  }
  return undefined;
}

// DWARF of user binaries for the compiler (KernelView.userDebugInfo) and for `-lv`: from the file
// itself, else from its separate debug file (build ID, .gnu_debuglink). Kept per file for the
// process; only section headers are read until the compiler looks a name up.
import { ElfFile } from '../elf/index.js';
import { DwarfInfo } from '../elf/dwarf.js';
import { findDebugFile } from '../symbols/debug-file.js';
import type { UserDebugInfo } from '../lang/kernel-view.js';

const cache = new Map<string, UserDebugInfo>();

/** The DWARF of the file at `path` (already resolved), or `dwarf: undefined` when it has none. */
export function debugInfoOf(path: string): UserDebugInfo {
  let info = cache.get(path);
  if (info) return info;
  const elf = ElfFile.open(path);
  const own = DwarfInfo.fromElf(elf);
  if (own) info = { path, dwarf: own };
  else {
    const debugFile = findDebugFile(elf, path);
    const dwarf = debugFile !== undefined ? DwarfInfo.fromElf(ElfFile.open(debugFile)) : undefined;
    info = debugFile !== undefined && dwarf ? { path, debugFile, dwarf } : { path, dwarf: undefined };
  }
  cache.set(path, info);
  return info;
}

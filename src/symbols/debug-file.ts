/**
 * Separate debug files (Debian's -dbg/-dbgsym packages, Fedora's debuginfo): where gdb looks.
 *   1. /usr/lib/debug/.build-id/ab/cdef….debug   (the build ID's first byte, then the rest)
 *   2. the `.gnu_debuglink` name beside the file, in its `.debug/` folder, and under
 *      /usr/lib/debug/<the file's folder>/ — accepted only when the CRC-32 matches.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ElfFile } from '../elf/index.js';

export const DEBUG_ROOT = '/usr/lib/debug';

export function buildIdDebugPath(buildId: string, root = DEBUG_ROOT): string | undefined {
  if (buildId.length < 4) return undefined;
  return join(root, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`);
}

/** The candidate paths for a `.gnu_debuglink` name, in gdb's order. */
export function debugLinkCandidates(file: string, link: string, root = DEBUG_ROOT): string[] {
  const dir = dirname(file);
  return [join(dir, link), join(dir, '.debug', link), join(root, dir, link)].filter((p) => p !== file);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (zlib polynomial), as `.gnu_debuglink` records it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The separate debug file for `elf` (opened from `path`), or undefined when none is installed. */
export function findDebugFile(elf: ElfFile, path: string, root = DEBUG_ROOT): string | undefined {
  let buildId: string | undefined;
  try {
    buildId = elf.buildId();
  } catch {
    buildId = undefined;
  }
  const byId = buildId !== undefined ? buildIdDebugPath(buildId, root) : undefined;
  if (byId !== undefined && existsSync(byId)) return byId;
  let link;
  try {
    link = elf.debugLink();
  } catch {
    link = undefined;
  }
  if (link === undefined) return undefined;
  for (const cand of debugLinkCandidates(path, link.file, root)) {
    if (!existsSync(cand)) continue;
    try {
      if (crc32(readFileSync(cand)) === link.crc) return cand;
    } catch {
      // unreadable candidate: try the next
    }
  }
  return undefined;
}

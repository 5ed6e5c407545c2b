/**
 * `/etc/ld.so.cache`, the dynamic linker's soname → path index written by ldconfig.
 *
 * Format "glibc-ld.so.cache1.1" (glibc's dl-cache.h): a 48-byte header (magic + version, nlibs,
 * len_strings, flags, 3 pad bytes, extension_offset, 3 unused words) then `nlibs` 24-byte entries
 * (int32 flags, uint32 key, uint32 value, uint32 osversion, uint64 hwcap); key and value are offsets
 * of NUL-terminated strings counted from the start of this header. Older glibc wrote the legacy
 * "ld.so-1.7.0" table first and the new one after it (8-byte aligned); both layouts are handled.
 */
import { readFileSync, statSync } from 'node:fs';
import { ElfFormatError } from './errors.js';
import { cString, LeView } from './view.js';

export interface LdCacheEntry {
  /** Soname, e.g. "libc.so.6". */
  readonly soname: string;
  readonly path: string;
  /** Raw entry flags: low byte = kind (3 = ELF libc6), next byte = architecture. */
  readonly flags: number;
  readonly hwcap: bigint;
}

const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_MAGIC = 'ld.so-1.7.0';
const FLAG_TYPE_MASK = 0x00ff;
const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_REQUIRED_MASK = 0xff00;
/** Architecture bits of entries usable by a 64-bit process on this machine. */
const ARCH_FLAGS: Record<string, number> = { x64: 0x0300, arm64: 0x0a00, riscv64: 0x1000, ppc64: 0x0500, s390x: 0x0400 };
/** Entries for glibc-hwcaps subdirectories (x86-64-v3…) set this bit of hwcap. */
const HWCAP_EXTENSION = 1n << 62n;

export function parseLdCache(bytes: Uint8Array, file = '/etc/ld.so.cache'): LdCacheEntry[] {
  const magic = (n: number, at = 0): string => Buffer.from(bytes.subarray(at, at + n)).toString('latin1');
  let base = 0;
  if (magic(OLD_MAGIC.length) === OLD_MAGIC) {
    const nOld = new LeView(bytes, file).u32(12);
    base = (16 + nOld * 12 + 7) & ~7;
  }
  if (magic(NEW_MAGIC.length, base) !== NEW_MAGIC) throw new ElfFormatError(file, 'not a glibc-ld.so.cache1.1 file');
  const v = new LeView(bytes, file);
  const nlibs = v.u32(base + 20);
  const strings = bytes.subarray(base);
  const out: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const o = base + 48 + i * 24;
    out.push({
      flags: v.u32(o),
      soname: cString(strings, v.u32(o + 4)),
      path: cString(strings, v.u32(o + 8)),
      hwcap: v.u64Big(o + 16),
    });
  }
  return out;
}

/** Whether a process of architecture `arch` (Node's process.arch) can load the entry's library. */
export function entryMatchesArch(e: LdCacheEntry, arch: string = process.arch): boolean {
  const want = ARCH_FLAGS[arch];
  return (e.flags & FLAG_TYPE_MASK) === FLAG_ELF_LIBC6 && (want === undefined || (e.flags & FLAG_REQUIRED_MASK) === want);
}

/** True for entries of a glibc-hwcaps subdirectory (optimised copies for newer CPUs). */
export function isHwcapsEntry(e: LdCacheEntry): boolean {
  return (e.hwcap & HWCAP_EXTENSION) !== 0n;
}

let cached: { path: string; mtimeMs: number; size: number; entries: LdCacheEntry[] } | undefined;

/** Entries of the system cache, re-read only when the file changes; [] if there is none. */
export function readLdCache(path = '/etc/ld.so.cache'): LdCacheEntry[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    return [];
  }
  if (cached !== undefined && cached.path === path && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.entries;
  const entries = parseLdCache(readFileSync(path), path);
  cached = { path, mtimeMs: st.mtimeMs, size: st.size, entries };
  return entries;
}

/** The few ELF constants this layer needs (values from the System V ABI / glibc's elf.h). */

export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_XINDEX = 0xffff;

export const SHT_NULL = 0;
export const SHT_SYMTAB = 2;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERNEED = 0x6ffffffe;
export const SHT_GNU_VERSYM = 0x6fffffff;

export const SHF_EXECINSTR = 0x4;
export const SHF_COMPRESSED = 0x800;
/** Elf64_Chdr.ch_type of SHF_COMPRESSED sections. */
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;

export const PF_X = 1;

export const DT_NULL = 0;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DF_1_PIE = 0x08000000;

export const NT_GNU_BUILD_ID = 3;
export const NT_STAPSDT = 3;

export const VER_FLG_BASE = 0x1;
/** In `.gnu.version` entries: the symbol's version is not the default one (`name@VER`, not `@@`). */
export const VERSYM_HIDDEN = 0x8000;
export const VERSYM_INDEX_MASK = 0x7fff;

export const ELF64_EHDR_SIZE = 64;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;
export const ELF64_SYM_SIZE = 24;


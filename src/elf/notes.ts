/** ELF note records (Elf64_Nhdr + name + descriptor), as found in SHT_NOTE sections. */
import { ElfFormatError } from './errors.js';
import { LeView, cString } from './view.js';

export interface ElfNote {
  /** Owner name without its NUL, e.g. "GNU" or "stapsdt". */
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
  /** Section the note came from. */
  readonly section: string;
}

/**
 * Notes are padded to 4 bytes, except in sections aligned to 8 (e.g. .note.gnu.property), where
 * the descriptor and the next note start 8-aligned — the rule libelf applies (ELF_T_NHDR8).
 */
export function parseNotes(bytes: Uint8Array, align: 4 | 8, file: string, section: string): ElfNote[] {
  const v = new LeView(bytes, file);
  const pad = (n: number): number => (n + align - 1) & ~(align - 1);
  const out: ElfNote[] = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    const namesz = v.u32(off);
    const descsz = v.u32(off + 4);
    const type = v.u32(off + 8);
    const nameOff = off + 12;
    // Padding is to an aligned position, not an aligned length: in 8-aligned notes the 12-byte
    // header plus "GNU\0" puts the descriptor at 16, not at 12 + 8.
    const descOff = pad(nameOff + namesz);
    const end = pad(descOff + descsz);
    if (descOff + descsz > bytes.length) {
      throw new ElfFormatError(file, `note at offset ${off} of ${section} runs past the end of the section`);
    }
    out.push({
      name: namesz === 0 ? '' : cString(bytes.subarray(nameOff, nameOff + namesz), 0),
      type,
      desc: bytes.subarray(descOff, descOff + descsz),
      section,
    });
    off = end;
  }
  return out;
}

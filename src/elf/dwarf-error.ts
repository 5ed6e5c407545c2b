/** DWARF debug information that cannot be read (a truncated section, an unsupported format). */
export class DwarfError extends Error {
  override readonly name = 'DwarfError';
}

/**
 * `args` of a uprobe on a binary with debug info: the function's parameters (DWARF), each read
 * at function entry from the register the x86-64 SysV ABI passes it in, so the record's fields
 * are at pt_regs offsets and `args->n` is a load from the context, as a tracepoint field is.
 */
import { DW_ATE } from '../../elf/dwarf.js';
import type { RecordField, RecordType } from '../types.js';
import type { DwarfTypes } from './dwarf-types.js';
import { ARG_REGS, PT_REGS } from './analyze.js';

/** sizeof(struct pt_regs) on x86-64. */
export const PT_REGS_SIZE = 168;

export interface UprobeArgsRecord extends RecordType {
  uprobe: {
    /** Every parameter's name, in order (for messages). */
    params: string[];
    /** Parameters `args` cannot read, with the reason. */
    unsupported: Map<string, string>;
  };
}

/**
 * The `args` record of `func`, or undefined when the debug info has no such function. `address`
 * (the symbol's value, asked only when needed) finds the definition behind an alias.
 */
export function uprobeArgsRecord(types: DwarfTypes, func: string, address?: () => number | undefined): UprobeArgsRecord | undefined {
  const dwarf = types.dwarf;
  const params = dwarf.functionParams(func, address);
  if (!params) return undefined;
  const fields: RecordField[] = [];
  const unsupported = new Map<string, string>();
  let reg = 0;
  params.forEach((p, i) => {
    const name = p.name || `arg${i}`;
    const t = dwarf.type(dwarf.resolve(p.type));
    const size = dwarf.sizeof(p.type);
    if (t.kind === 'unknown') {
      unsupported.set(name, `its type is in a part of the debug info sonde does not read (a type unit or a dwz companion file)`);
      reg++;
      return;
    }
    if (t.kind === 'base' && t.encoding === DW_ATE.float) {
      // SSE registers: not in pt_regs, and they take no general-purpose register.
      unsupported.set(name, `${dwarf.typeName(p.type)} parameters are passed in SSE registers, which a uprobe cannot read`);
      return;
    }
    if (t.kind === 'struct' || t.kind === 'union') {
      unsupported.set(name, `${dwarf.typeName(p.type)} is passed by value, which args does not read yet (cast argN instead)`);
      reg += size > 16 ? 0 : Math.ceil(size / 8);
      return;
    }
    const regs = size > 8 ? 2 : 1;
    if (reg + regs > ARG_REGS.length) {
      unsupported.set(name, `parameter ${i + 1} of ${func} is passed on the stack, which args does not read yet (sargN reads stack arguments)`);
      reg = ARG_REGS.length;
      return;
    }
    if (regs === 2) unsupported.set(name, `${dwarf.typeName(p.type)} is wider than a register, which args does not read yet`);
    else fields.push({ name, type: types.type(p.type), offset: PT_REGS[ARG_REGS[reg]!]! });
    reg += regs;
  });
  return {
    kind: 'record', name: `struct _uprobe_${func}_args`, size: PT_REGS_SIZE, align: 8, union: false, fields,
    uprobe: { params: params.map((p, i) => p.name || `arg${i}`), unsupported },
  };
}

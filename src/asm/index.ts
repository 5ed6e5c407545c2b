/**
 * sonde's eBPF instruction layer: build instructions as plain records, assemble them into
 * kernel bytes, decode and disassemble them back. Pure: no FFI, no kernel.
 *
 * ```ts
 * import { assemble, disassemble, Call, Exit, Helper, JEq, Label, LdMapFd, Mov, Rsh, Stx,
 *          R0, R1, R2, R6, R10 } from './asm/index.js';
 *
 * const prog = [
 *   Mov.reg(R6, R1),
 *   Call.helper(Helper.get_current_pid_tgid),
 *   Rsh.imm(R0, 32),
 *   JEq.imm(R0, 0, 'out'),          // forward jump to a label
 *   LdMapFd(R1, 'pids'),            // 16-byte ld_imm64; fd filled in by assemble
 *   Stx(8, R10, -8, R1),            // *(u64 *)(r10 - 8) = r1   (sizes are bytes: 1|2|4|8)
 *   Label('out'),                   // names the next instruction
 *   Mov.imm(R0, 0),
 *   Exit(),
 * ];
 * const { bytes, count, spans, relocations } = assemble(prog, { mapFd: (name) => fds.get(name) });
 * console.log(disassemble(prog, { labels: true }));
 * ```
 *
 * Labels: either put a `Label(name)` mark in the list (it names the next real instruction;
 * several marks may name the same one), or set the instruction's own `label` field, e.g. with
 * `label('out', Exit())`. Jumps, `Call.local`, `Ja32` and `LdFunc` take a label name (or a raw
 * relative offset as a number) and are resolved by `assemble`.
 *
 * Long jumps: an unconditional `Ja` out of 16-bit reach is widened to `gotol` automatically
 * (option `longJumps: 'error'` to refuse); a conditional jump out of reach is an AsmError
 * ('jump-range').
 */
export * from './opcodes.js';
export * from './insn.js';
export * from './errors.js';
export * from './builders.js';
export * from './helpers.js';
export * from './encode.js';
export * from './disasm.js';

/**
 * SystemTap SDT probes ("USDT"), from the `stapsdt` notes of `.note.stapsdt`.
 *
 * Each note's descriptor is: pc, base, semaphore (three 64-bit link-time addresses), then the
 * NUL-terminated provider, name and argument strings. `base` is the link-time address of the
 * `.stapsdt.base` section; if the file was prelinked after the notes were written, the section
 * moved and the pc must move by the same delta. Like libbpf, we apply that delta to the pc only and
 * translate the semaphore address as is (prelink is effectively extinct; the delta is 0 in
 * practice). Both are then turned into file offsets through the PT_LOAD segments, which is what the
 * kernel's uprobe PMU wants (`uprobe_path:offset`, `ref_ctr_offset`).
 */
import * as C from './constants.js';
import type { ElfFile } from './elf-file.js';
import { cString, LeView } from './view.js';

/** One argument of a probe, decoded from its x86-64 assembler operand (e.g. `-4@-20(%rbp)`). */
export type UsdtArgument =
  | { readonly kind: 'const'; readonly size: number; readonly signed: boolean; readonly value: bigint; readonly text: string }
  | { readonly kind: 'reg'; readonly size: number; readonly signed: boolean; readonly register: string; readonly text: string }
  | {
      readonly kind: 'mem';
      readonly size: number;
      readonly signed: boolean;
      /** Base register (canonical 64-bit name); "rip" for RIP-relative operands. */
      readonly register: string;
      readonly offset: number;
      /** Symbol of a `sym+off(%rip)` operand. */
      readonly symbol?: string;
      readonly index?: string;
      readonly scale?: number;
      readonly text: string;
    }
  /** An operand this decoder does not understand (another architecture, or an odd form). */
  | { readonly kind: 'unknown'; readonly size: number; readonly signed: boolean; readonly text: string };

export interface UsdtProbe {
  readonly provider: string;
  readonly name: string;
  /** Probe address (link-time virtual address), adjusted for `.stapsdt.base`. */
  readonly pc: number;
  /** File offset of the probe instruction (what a uprobe attaches to); undefined if pc lies outside every PT_LOAD segment, i.e. a corrupt note. */
  readonly pcFileOffset: number | undefined;
  /** pc as written in the note, before adjustment. */
  readonly notePc: number;
  /** `.stapsdt.base` address as recorded in the note. */
  readonly noteBase: number;
  /** Actual address of `.stapsdt.base`, or undefined if the file has no such section. */
  readonly baseSectionAddr?: number;
  /** Link-time address of the 16-bit semaphore, or 0 if the probe has none. */
  readonly semaphore: number;
  /** File offset of the semaphore (the uprobe `ref_ctr_offset`), or undefined if none. */
  readonly semaphoreFileOffset?: number;
  /** Argument string exactly as in the note, e.g. "-4@%esi 8@-24(%rbp)". */
  readonly args: string;
  readonly arguments: readonly UsdtArgument[];
}

export function parseUsdtProbes(elf: ElfFile): UsdtProbe[] {
  const notes = elf.notes('.note.stapsdt').filter((n) => n.name === 'stapsdt' && n.type === C.NT_STAPSDT);
  if (notes.length === 0) return [];
  const baseSec = elf.section('.stapsdt.base');
  const baseAddr = baseSec?.addr;
  const out: UsdtProbe[] = [];
  for (const note of notes) {
    const v = new LeView(note.desc, elf.path);
    const notePc = v.u64(0);
    const noteBase = v.u64(8);
    const semaphore = v.u64(16);
    const provider = cString(note.desc, 24);
    const nameOff = 24 + Buffer.byteLength(provider) + 1;
    const name = cString(note.desc, nameOff);
    const args = cString(note.desc, nameOff + Buffer.byteLength(name) + 1);
    const pc = baseAddr !== undefined && baseAddr !== 0 && noteBase !== 0 ? notePc + (baseAddr - noteBase) : notePc;
    const pcSeg = elf.segmentForAddress(pc);
    const semSeg = semaphore !== 0 ? elf.segmentForAddress(semaphore) : undefined;
    out.push({
      provider,
      name,
      pc,
      pcFileOffset: pcSeg !== undefined ? pc - pcSeg.vaddr + pcSeg.offset : undefined,
      notePc,
      noteBase,
      ...(baseAddr !== undefined ? { baseSectionAddr: baseAddr } : {}),
      semaphore,
      ...(semSeg !== undefined ? { semaphoreFileOffset: semaphore - semSeg.vaddr + semSeg.offset } : {}),
      args,
      arguments: parseUsdtArguments(args),
    });
  }
  return out;
}

const REGISTERS: Record<string, string> = {};
for (const [r64, r32, r16, r8] of [
  ['rax', 'eax', 'ax', 'al'], ['rbx', 'ebx', 'bx', 'bl'], ['rcx', 'ecx', 'cx', 'cl'], ['rdx', 'edx', 'dx', 'dl'],
  ['rsi', 'esi', 'si', 'sil'], ['rdi', 'edi', 'di', 'dil'], ['rbp', 'ebp', 'bp', 'bpl'], ['rsp', 'esp', 'sp', 'spl'],
] as const) {
  for (const r of [r64, r32, r16, r8]) REGISTERS[r] = r64;
}
for (let i = 8; i <= 15; i++) for (const s of ['', 'd', 'w', 'b']) REGISTERS[`r${i}${s}`] = `r${i}`;
REGISTERS['rip'] = 'rip';
REGISTERS['eip'] = 'rip';
for (const [r8h, r64] of [['ah', 'rax'], ['bh', 'rbx'], ['ch', 'rcx'], ['dh', 'rdx']] as const) REGISTERS[r8h] = r64;

/** Canonical 64-bit x86 register for an AT&T register name without `%`, or undefined. */
export function canonicalRegister(name: string): string | undefined {
  return REGISTERS[name];
}

/** Decodes an argument string; operands are separated by spaces, each `[-]SIZE@OPERAND`. */
export function parseUsdtArguments(args: string): UsdtArgument[] {
  return args.split(/\s+/).filter((t) => t !== '').map(parseUsdtArgument);
}

export function parseUsdtArgument(text: string): UsdtArgument {
  let size = 8;
  let signed = false;
  let op = text;
  const sized = /^(-?)(\d+)@(.*)$/.exec(text);
  if (sized !== null) {
    signed = sized[1] === '-';
    size = Number(sized[2]);
    op = sized[3]!;
  }
  const unknown: UsdtArgument = { kind: 'unknown', size, signed, text };
  let m: RegExpExecArray | null;
  if ((m = /^\$(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(op)) !== null) {
    const s = m[1]!;
    const value = s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
    return { kind: 'const', size, signed, value, text };
  }
  if ((m = /^%([a-z0-9]+)$/.exec(op)) !== null) {
    const register = canonicalRegister(m[1]!);
    return register === undefined ? unknown : { kind: 'reg', size, signed, register, text };
  }
  // disp(%base[,%index[,scale]]) where disp is a number, a symbol, or symbol±number.
  if ((m = /^([^(]*)\(%([a-z0-9]+)(?:,%([a-z0-9]+)(?:,(\d+))?)?\)$/.exec(op)) !== null) {
    const register = canonicalRegister(m[2]!);
    const index = m[3] !== undefined ? canonicalRegister(m[3]) : undefined;
    if (register === undefined || (m[3] !== undefined && index === undefined)) return unknown;
    const disp = parseDisplacement(m[1]!);
    if (disp === undefined) return unknown;
    return {
      kind: 'mem',
      size,
      signed,
      register,
      offset: disp.offset,
      ...(disp.symbol !== undefined ? { symbol: disp.symbol } : {}),
      ...(index !== undefined ? { index, scale: m[4] !== undefined ? Number(m[4]) : 1 } : {}),
      text,
    };
  }
  return unknown;
}

function parseDisplacement(s: string): { offset: number; symbol?: string } | undefined {
  if (s === '') return { offset: 0 };
  const num = /^-?(?:0x[0-9a-fA-F]+|\d+)$/;
  if (num.test(s)) return { offset: parseSigned(s) };
  const m = /^([A-Za-z_.$][\w.$@]*)(?:([+-])(0x[0-9a-fA-F]+|\d+))?$/.exec(s);
  if (m === null) return undefined;
  const off = m[3] === undefined ? 0 : parseSigned(m[3]) * (m[2] === '-' ? -1 : 1);
  return { offset: off, symbol: m[1]! };
}

function parseSigned(s: string): number {
  return s.startsWith('-') ? -Number(s.slice(1)) : Number(s);
}

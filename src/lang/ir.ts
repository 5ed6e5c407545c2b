/**
 * The compiler's intermediate representation: what lowering (sema'd AST → IR) produces and what
 * the back end (register allocation + eBPF emission, src/lang/codegen/) consumes. Pure data.
 *
 * Model: one IrProgram per BPF program, made of functions (the main one plus callback
 * subprograms for bpf_loop / for_each_map_elem). A function is a list of basic blocks over
 * *virtual registers* (unlimited, 64-bit) and *stack objects* (byte buffers with a size and
 * alignment whose address can be taken: map keys, values, strings, event records). The back end
 * maps virtual registers to r0–r9 (spilling to the stack when needed), lays stack objects out by
 * liveness (objects never live at the same time share bytes) and fails with a clear error,
 * naming the objects, when the frame exceeds 512 bytes.
 *
 * Conventions the back end guarantees:
 * - `call` follows the BPF ABI: arguments in r1–r5, result in r0, r1–r5 clobbered; values live
 *   across a call are kept in r6–r9 or spilled.
 * - `ctx` yields the program's context pointer (r1 at entry), available anywhere.
 * - Stack objects are NOT zeroed implicitly: lowering emits `zero` where the verifier needs
 *   initialised bytes (map keys with padding, string buffers before probe_read_str…).
 * - Every instruction may carry a `span`; the emitted eBPF instructions inherit it, so verifier
 *   errors map back to the script.
 */
import type { Span } from './source.js';

export type VReg = number;
export type ObjId = number;
export type BlockId = number;

export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'mod' | 'smod' | 'and' | 'or' | 'xor' | 'lsh' | 'rsh' | 'arsh';
export type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'sgt' | 'sge' | 'slt' | 'sle' | 'set';

/** A memory address: a virtual register holding a pointer, or a stack object. */
export type Addr = { reg: VReg } | { obj: ObjId };
/** A call argument or stored value: a register, a constant, or the address of a stack object + offset. */
export type Value = { reg: VReg } | { imm: bigint } | { obj: ObjId; off: number };

export type MemSize = 1 | 2 | 4 | 8;

export type IrInsn = (
  /** dst = value (64-bit constant). */
  | { op: 'const'; dst: VReg; value: bigint }
  | { op: 'mov'; dst: VReg; src: VReg }
  /** dst = a <alu> b; with `w32` the operation is 32-bit and the result zero-extended. */
  | { op: 'alu'; alu: AluOp; dst: VReg; a: VReg; b: VReg | bigint; w32?: boolean }
  | { op: 'neg'; dst: VReg; a: VReg }
  /** Sign-extend the low `bits` of a into dst (bits 8, 16 or 32). */
  | { op: 'sext'; dst: VReg; a: VReg; bits: 8 | 16 | 32 }
  /** Zero-extend the low `bits` of a into dst. */
  | { op: 'zext'; dst: VReg; a: VReg; bits: 8 | 16 | 32 }
  /** Byte swap (ntohs etc.). */
  | { op: 'bswap'; dst: VReg; a: VReg; bits: 16 | 32 | 64 }
  /** dst = *(size *)(addr + off); `signed` sign-extends. Direct memory access (stack, map values, ctx). */
  | { op: 'load'; dst: VReg; addr: Addr; off: number; size: MemSize; signed?: boolean }
  /** *(size *)(addr + off) = value. */
  | { op: 'store'; addr: Addr; off: number; size: MemSize; value: VReg | bigint }
  /** dst = address of stack object + off. */
  | { op: 'addr'; dst: VReg; obj: ObjId; off: number }
  /** dst = the map's fd (ld_imm64 pseudo map fd), for helper arguments. */
  | { op: 'mapfd'; dst: VReg; map: string }
  /** dst = the program's context pointer. */
  | { op: 'ctx'; dst: VReg }
  /** dst = address of a subprogram (ld_imm64 pseudo func), for callback helpers. */
  | { op: 'funcaddr'; dst: VReg; func: string }
  /** Calls a BPF helper; `dst` receives r0 when given. At most 5 arguments. */
  | { op: 'call'; helper: number; args: Value[]; dst?: VReg }
  /** Calls a subprogram of the same IrProgram (bpf-to-bpf call). */
  | { op: 'calllocal'; func: string; args: Value[]; dst?: VReg }
  /** lock *(size *)(addr + off) += value (per-CPU maps can use plain load/add/store instead). */
  | { op: 'atomic_add'; addr: Addr; off: number; size: 4 | 8; value: VReg }
  /** Zero `len` bytes of a stack object from `off`. */
  | { op: 'zero'; obj: ObjId; off: number; len: number }
  /** Copy `len` bytes from memory the program may read directly (stack, map value) into a stack object. */
  | { op: 'copy'; obj: ObjId; off: number; src: Addr; srcOff: number; len: number }
) & { span?: Span };

export type Terminator = (
  /** if (a <cmp> b) goto then else goto else_; with `w32` the comparison is 32-bit. */
  | { op: 'br'; cmp: CmpOp; a: VReg; b: VReg | bigint; w32?: boolean; then: BlockId; else: BlockId }
  | { op: 'jmp'; to: BlockId }
  /** Return from the function with a value (programs return 0 unless they must filter). */
  | { op: 'ret'; value: VReg | bigint }
) & { span?: Span };

export interface IrBlock {
  id: BlockId;
  insns: IrInsn[];
  term: Terminator;
}

export interface StackObject {
  id: ObjId;
  size: number;
  /** 1, 2, 4 or 8. */
  align: number;
  /** For messages: what this is ("key of @m", "printf arguments", "$s"). */
  name: string;
  span?: Span;
}

export interface IrFunction {
  name: string;
  /** Number of arguments (subprograms: r1–r5 on entry become vregs `params`). */
  params: VReg[];
  blocks: IrBlock[];
  /** Entry block id. */
  entry: BlockId;
  objects: StackObject[];
  /** One more than the highest VReg used. */
  vregCount: number;
}

export interface IrProgram {
  /** The kernel name of the program (≤ 15 chars). */
  name: string;
  main: IrFunction;
  subprograms: IrFunction[];
}

/** Printable form for `-d` and golden tests. */
export function formatIr(p: IrProgram): string {
  const out: string[] = [`program ${p.name}`];
  for (const f of [p.main, ...p.subprograms]) {
    out.push(`func ${f.name}(${f.params.map((r) => `%${r}`).join(', ')})`);
    for (const o of f.objects) out.push(`  obj #${o.id} ${o.size}B align ${o.align} ; ${o.name}`);
    for (const b of f.blocks) {
      out.push(`  bb${b.id}:${b.id === f.entry ? ' ; entry' : ''}`);
      for (const i of b.insns) out.push(`    ${formatInsn(i)}`);
      out.push(`    ${formatTerm(b.term)}`);
    }
  }
  return out.join('\n') + '\n';
}

const v = (x: VReg | bigint) => (typeof x === 'bigint' ? String(x) : `%${x}`);
const addr = (a: Addr) => ('reg' in a ? `%${a.reg}` : `#${a.obj}`);
const val = (x: Value) => ('reg' in x ? `%${x.reg}` : 'imm' in x ? String(x.imm) : `&#${x.obj}+${x.off}`);

export function formatInsn(i: IrInsn): string {
  switch (i.op) {
    case 'const': return `%${i.dst} = ${i.value}`;
    case 'mov': return `%${i.dst} = %${i.src}`;
    case 'alu': return `%${i.dst} = ${i.alu}${i.w32 ? '32' : ''} %${i.a}, ${v(i.b)}`;
    case 'neg': return `%${i.dst} = neg %${i.a}`;
    case 'sext': return `%${i.dst} = sext${i.bits} %${i.a}`;
    case 'zext': return `%${i.dst} = zext${i.bits} %${i.a}`;
    case 'bswap': return `%${i.dst} = bswap${i.bits} %${i.a}`;
    case 'load': return `%${i.dst} = load${i.signed ? 's' : ''}${i.size * 8} ${addr(i.addr)}+${i.off}`;
    case 'store': return `store${i.size * 8} ${addr(i.addr)}+${i.off}, ${v(i.value)}`;
    case 'addr': return `%${i.dst} = &#${i.obj}+${i.off}`;
    case 'mapfd': return `%${i.dst} = map ${i.map}`;
    case 'ctx': return `%${i.dst} = ctx`;
    case 'funcaddr': return `%${i.dst} = func ${i.func}`;
    case 'call': return `${i.dst !== undefined ? `%${i.dst} = ` : ''}call ${i.helper}(${i.args.map(val).join(', ')})`;
    case 'calllocal': return `${i.dst !== undefined ? `%${i.dst} = ` : ''}call ${i.func}(${i.args.map(val).join(', ')})`;
    case 'atomic_add': return `atomic_add${i.size * 8} ${addr(i.addr)}+${i.off}, %${i.value}`;
    case 'zero': return `zero #${i.obj}+${i.off}, ${i.len}`;
    case 'copy': return `copy #${i.obj}+${i.off}, ${addr(i.src)}+${i.srcOff}, ${i.len}`;
  }
}

export function formatTerm(t: Terminator): string {
  switch (t.op) {
    case 'br': return `br ${t.cmp}${t.w32 ? '32' : ''} %${t.a}, ${v(t.b)} ? bb${t.then} : bb${t.else}`;
    case 'jmp': return `jmp bb${t.to}`;
    case 'ret': return `ret ${v(t.value)}`;
  }
}

/**
 * eBPF opcode fields, as laid out in the kernel UAPI (linux/bpf.h, linux/bpf_common.h) and the
 * BPF ISA document. An opcode byte is `class | specific`; what the specific bits mean depends on
 * the class:
 *
 *   ALU/ALU64/JMP/JMP32:  op (4 bits) | source (1 bit) | class (3 bits)
 *   LD/LDX/ST/STX:        mode (3 bits) | size (2 bits) | class (3 bits)
 */

/** Instruction class: the low three bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Access size of a load/store (bits 3-4). */
export const Size = {
  W: 0x00,
  H: 0x08,
  B: 0x10,
  DW: 0x18,
} as const;

/** Addressing mode of a load/store (bits 5-7). */
export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  /** Sign-extending load (cpu v4). */
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;

/** Operand source of ALU and JMP instructions (bit 3). */
export const Source = {
  /** 32-bit immediate. */
  K: 0x00,
  /** Source register. */
  X: 0x08,
} as const;

/** For BPF_END in class ALU the source bit selects the byte order. */
export const Endianness = {
  TO_LE: 0x00,
  TO_BE: 0x08,
} as const;

/** ALU operation (bits 4-7 of ALU/ALU64 opcodes). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;

/** Jump operation (bits 4-7 of JMP/JMP32 opcodes). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** Conditional pseudo jump (may_goto), cpu v4 era. */
  JCOND: 0xe0,
} as const;

/** Operation in the imm field of a BPF_ATOMIC store. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Modifier: also load the old value into src. */
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
  /** `dst = load_acquire(*(src + off))`, any size (kernel 6.15+). */
  LOAD_ACQ: 0x100,
  /** `store_release(*(dst + off), src)`, any size (kernel 6.15+). */
  STORE_REL: 0x110,
} as const;

/** Meaning of the src field of a 16-byte `ld_imm64` (BPF_LD | BPF_IMM | BPF_DW). */
export const PseudoLd = {
  /** Plain 64-bit immediate. */
  IMM: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** Meaning of the src field of a BPF_CALL. */
export const PseudoCall = {
  HELPER: 0,
  /** bpf-to-bpf call, imm is relative to the next instruction. */
  CALL: 1,
  /** imm is the BTF id of a kernel function. */
  KFUNC_CALL: 2,
} as const;

/** src field of BPF_JMP | BPF_JCOND. */
export const PseudoJcond = {
  MAY_GOTO: 0,
} as const;

/** Opcode of the 16-byte immediate load. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW; // 0x18

export const classOf = (code: number): number => code & 0x07;
export const sizeOf = (code: number): number => code & 0x18;
export const modeOf = (code: number): number => code & 0xe0;
export const opOf = (code: number): number => code & 0xf0;
export const sourceOf = (code: number): number => code & 0x08;

/** Byte width of a Size field value. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    default:
      return 8;
  }
}

// Golden encodings for every builder, derived by hand from the BPF ISA document
// (opcode = op|source|class or mode|size|class; regs byte = src<<4 | dst; off and imm
// little-endian), with the text the kernel's print_bpf_insn gives for each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Add, Add32, And, And32, Arsh, Arsh32, AsmError, AtomicAdd, AtomicAnd, AtomicOr, AtomicXor, Bswap, Call,
  CmpXchg, Div, Div32, Endian, Exit, Ja, Ja32, JEq, JEq32, JGe, JGe32, JGt, JGt32, JLe, JLe32, JLt, JLt32,
  JNe, JNe32, JSet, JSet32, JSGe, JSGe32, JSGt, JSGt32, JSLe, JSLe32, JSLt, JSLt32, LdAbs, LdBtfId, LdFunc,
  LdImm64, LdInd, LdMapFd, LdMapValue, Ldx, Ldxs, LoadAcquire, Lsh, Lsh32, MayGoto, Mod, Mod32, Mov, Mov32,
  Movsx, Movsx32, Mul, Mul32, Neg, Neg32, Or, Or32, Rsh, Rsh32, SDiv, SDiv32, SMod, SMod32, St, StoreRelease,
  Stx, Sub, Sub32, Xchg, Xor, Xor32, Helper,
  R0, R1, R2, R3, R4, R5, R6, R7, R9, R10,
  assemble, decode, disassemble, formatInsn,
} from '../../src/asm/index.js';
import type { Insn, MemSize } from '../../src/asm/index.js';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

interface Golden {
  insn: Insn;
  /** Encoded bytes, hex, spaces ignored: "code regs off---- imm--------". */
  bytes: string;
  /** formatInsn(insn) */
  text: string;
  /** disassembly of the bytes when it differs (map names are not in the bytes). */
  decodedText?: string;
}

export const goldens: Golden[] = [
  // ALU64, K then X
  { insn: Add.imm(R1, 8), bytes: '07 01 0000 08000000', text: '(07) r1 += 8' },
  { insn: Add.reg(R1, R2), bytes: '0f 21 0000 00000000', text: '(0f) r1 += r2' },
  { insn: Sub.imm(R2, -1), bytes: '17 02 0000 ffffffff', text: '(17) r2 -= -1' },
  { insn: Sub.reg(R3, R4), bytes: '1f 43 0000 00000000', text: '(1f) r3 -= r4' },
  { insn: Mul.imm(R0, 3), bytes: '27 00 0000 03000000', text: '(27) r0 *= 3' },
  { insn: Mul.reg(R0, R9), bytes: '2f 90 0000 00000000', text: '(2f) r0 *= r9' },
  { insn: Div.imm(R1, 10), bytes: '37 01 0000 0a000000', text: '(37) r1 /= 10' },
  { insn: Div.reg(R1, R2), bytes: '3f 21 0000 00000000', text: '(3f) r1 /= r2' },
  { insn: SDiv.imm(R1, -3), bytes: '37 01 0100 fdffffff', text: '(37) r1 s/= -3' },
  { insn: SDiv.reg(R1, R2), bytes: '3f 21 0100 00000000', text: '(3f) r1 s/= r2' },
  { insn: Or.imm(R5, 0x10), bytes: '47 05 0000 10000000', text: '(47) r5 |= 16' },
  { insn: Or.reg(R5, R6), bytes: '4f 65 0000 00000000', text: '(4f) r5 |= r6' },
  { insn: And.imm(R1, 0xff), bytes: '57 01 0000 ff000000', text: '(57) r1 &= 255' },
  { insn: And.reg(R1, R2), bytes: '5f 21 0000 00000000', text: '(5f) r1 &= r2' },
  { insn: Lsh.imm(R1, 32), bytes: '67 01 0000 20000000', text: '(67) r1 <<= 32' },
  { insn: Lsh.reg(R1, R3), bytes: '6f 31 0000 00000000', text: '(6f) r1 <<= r3' },
  { insn: Rsh.imm(R0, 32), bytes: '77 00 0000 20000000', text: '(77) r0 >>= 32' },
  { insn: Rsh.reg(R0, R1), bytes: '7f 10 0000 00000000', text: '(7f) r0 >>= r1' },
  { insn: Neg(R7), bytes: '87 07 0000 00000000', text: '(87) r7 = -r7' },
  { insn: Mod.imm(R1, 7), bytes: '97 01 0000 07000000', text: '(97) r1 %= 7' },
  { insn: Mod.reg(R1, R2), bytes: '9f 21 0000 00000000', text: '(9f) r1 %= r2' },
  { insn: SMod.imm(R1, 7), bytes: '97 01 0100 07000000', text: '(97) r1 s%= 7' },
  { insn: SMod.reg(R1, R2), bytes: '9f 21 0100 00000000', text: '(9f) r1 s%= r2' },
  { insn: Xor.imm(R3, -1), bytes: 'a7 03 0000 ffffffff', text: '(a7) r3 ^= -1' },
  { insn: Xor.reg(R3, R3), bytes: 'af 33 0000 00000000', text: '(af) r3 ^= r3' },
  { insn: Mov.imm(R0, 0), bytes: 'b7 00 0000 00000000', text: '(b7) r0 = 0' },
  { insn: Mov.reg(R6, R1), bytes: 'bf 16 0000 00000000', text: '(bf) r6 = r1' },
  { insn: Mov.reg(R1, R10), bytes: 'bf a1 0000 00000000', text: '(bf) r1 = r10' },
  { insn: Movsx(R1, R2, 8), bytes: 'bf 21 0800 00000000', text: '(bf) r1 = (s8)r2' },
  { insn: Movsx(R1, R2, 16), bytes: 'bf 21 1000 00000000', text: '(bf) r1 = (s16)r2' },
  { insn: Movsx(R1, R2, 32), bytes: 'bf 21 2000 00000000', text: '(bf) r1 = (s32)r2' },
  { insn: Arsh.imm(R1, 63), bytes: 'c7 01 0000 3f000000', text: '(c7) r1 s>>= 63' },
  { insn: Arsh.reg(R1, R2), bytes: 'cf 21 0000 00000000', text: '(cf) r1 s>>= r2' },
  { insn: Bswap(R0, 16), bytes: 'd7 00 0000 10000000', text: '(d7) r0 = bswap16 r0' },
  { insn: Bswap(R0, 32), bytes: 'd7 00 0000 20000000', text: '(d7) r0 = bswap32 r0' },
  { insn: Bswap(R5, 64), bytes: 'd7 05 0000 40000000', text: '(d7) r5 = bswap64 r5' },
  // ALU32
  { insn: Add32.imm(R1, 1), bytes: '04 01 0000 01000000', text: '(04) w1 += 1' },
  { insn: Add32.reg(R1, R2), bytes: '0c 21 0000 00000000', text: '(0c) w1 += w2' },
  { insn: Sub32.imm(R1, 1), bytes: '14 01 0000 01000000', text: '(14) w1 -= 1' },
  { insn: Sub32.reg(R1, R2), bytes: '1c 21 0000 00000000', text: '(1c) w1 -= w2' },
  { insn: Mul32.imm(R1, 6), bytes: '24 01 0000 06000000', text: '(24) w1 *= 6' },
  { insn: Mul32.reg(R1, R2), bytes: '2c 21 0000 00000000', text: '(2c) w1 *= w2' },
  { insn: Div32.imm(R1, 6), bytes: '34 01 0000 06000000', text: '(34) w1 /= 6' },
  { insn: Div32.reg(R1, R2), bytes: '3c 21 0000 00000000', text: '(3c) w1 /= w2' },
  { insn: SDiv32.imm(R1, 6), bytes: '34 01 0100 06000000', text: '(34) w1 s/= 6' },
  { insn: SDiv32.reg(R1, R2), bytes: '3c 21 0100 00000000', text: '(3c) w1 s/= w2' },
  { insn: Or32.imm(R1, 1), bytes: '44 01 0000 01000000', text: '(44) w1 |= 1' },
  { insn: Or32.reg(R1, R2), bytes: '4c 21 0000 00000000', text: '(4c) w1 |= w2' },
  { insn: And32.imm(R1, 0xffff0000), bytes: '54 01 0000 0000ffff', text: '(54) w1 &= -65536' },
  { insn: And32.reg(R1, R2), bytes: '5c 21 0000 00000000', text: '(5c) w1 &= w2' },
  { insn: Lsh32.imm(R1, 3), bytes: '64 01 0000 03000000', text: '(64) w1 <<= 3' },
  { insn: Lsh32.reg(R1, R2), bytes: '6c 21 0000 00000000', text: '(6c) w1 <<= w2' },
  { insn: Rsh32.imm(R1, 3), bytes: '74 01 0000 03000000', text: '(74) w1 >>= 3' },
  { insn: Rsh32.reg(R1, R2), bytes: '7c 21 0000 00000000', text: '(7c) w1 >>= w2' },
  { insn: Neg32(R1), bytes: '84 01 0000 00000000', text: '(84) w1 = -w1' },
  { insn: Mod32.imm(R1, 3), bytes: '94 01 0000 03000000', text: '(94) w1 %= 3' },
  { insn: Mod32.reg(R1, R2), bytes: '9c 21 0000 00000000', text: '(9c) w1 %= w2' },
  { insn: SMod32.imm(R1, 3), bytes: '94 01 0100 03000000', text: '(94) w1 s%= 3' },
  { insn: SMod32.reg(R1, R2), bytes: '9c 21 0100 00000000', text: '(9c) w1 s%= w2' },
  { insn: Xor32.imm(R1, 3), bytes: 'a4 01 0000 03000000', text: '(a4) w1 ^= 3' },
  { insn: Xor32.reg(R1, R2), bytes: 'ac 21 0000 00000000', text: '(ac) w1 ^= w2' },
  { insn: Mov32.imm(R1, 0xffffffff), bytes: 'b4 01 0000 ffffffff', text: '(b4) w1 = -1' },
  { insn: Mov32.reg(R1, R2), bytes: 'bc 21 0000 00000000', text: '(bc) w1 = w2' },
  { insn: Movsx32(R1, R2, 8), bytes: 'bc 21 0800 00000000', text: '(bc) w1 = (s8)w2' },
  { insn: Movsx32(R1, R2, 16), bytes: 'bc 21 1000 00000000', text: '(bc) w1 = (s16)w2' },
  { insn: Arsh32.imm(R1, 3), bytes: 'c4 01 0000 03000000', text: '(c4) w1 s>>= 3' },
  { insn: Arsh32.reg(R1, R2), bytes: 'cc 21 0000 00000000', text: '(cc) w1 s>>= w2' },
  { insn: Endian.le(R1, 16), bytes: 'd4 01 0000 10000000', text: '(d4) r1 = le16 r1' },
  { insn: Endian.le(R1, 64), bytes: 'd4 01 0000 40000000', text: '(d4) r1 = le64 r1' },
  { insn: Endian.be(R0, 16), bytes: 'dc 00 0000 10000000', text: '(dc) r0 = be16 r0' },
  { insn: Endian.be(R1, 32), bytes: 'dc 01 0000 20000000', text: '(dc) r1 = be32 r1' },
  // JMP, raw offsets
  { insn: Ja(-4), bytes: '05 00 fcff 00000000', text: '(05) goto pc-4' },
  { insn: Ja(0), bytes: '05 00 0000 00000000', text: '(05) goto pc+0' },
  { insn: JEq.imm(R0, 0, 2), bytes: '15 00 0200 00000000', text: '(15) if r0 == 0x0 goto pc+2' },
  { insn: JEq.reg(R1, R2, -4), bytes: '1d 21 fcff 00000000', text: '(1d) if r1 == r2 goto pc-4' },
  { insn: JGt.imm(R1, 5, 3), bytes: '25 01 0300 05000000', text: '(25) if r1 > 0x5 goto pc+3' },
  { insn: JGt.reg(R1, R2, 3), bytes: '2d 21 0300 00000000', text: '(2d) if r1 > r2 goto pc+3' },
  { insn: JGe.imm(R1, 5, 3), bytes: '35 01 0300 05000000', text: '(35) if r1 >= 0x5 goto pc+3' },
  { insn: JGe.reg(R1, R2, 3), bytes: '3d 21 0300 00000000', text: '(3d) if r1 >= r2 goto pc+3' },
  { insn: JSet.imm(R1, 8, 1), bytes: '45 01 0100 08000000', text: '(45) if r1 & 0x8 goto pc+1' },
  { insn: JSet.reg(R1, R2, 1), bytes: '4d 21 0100 00000000', text: '(4d) if r1 & r2 goto pc+1' },
  { insn: JNe.imm(R1, -1, 1), bytes: '55 01 0100 ffffffff', text: '(55) if r1 != 0xffffffff goto pc+1' },
  { insn: JNe.reg(R1, R2, 1), bytes: '5d 21 0100 00000000', text: '(5d) if r1 != r2 goto pc+1' },
  { insn: JSGt.imm(R1, 5, 1), bytes: '65 01 0100 05000000', text: '(65) if r1 s> 0x5 goto pc+1' },
  { insn: JSGt.reg(R1, R2, 1), bytes: '6d 21 0100 00000000', text: '(6d) if r1 s> r2 goto pc+1' },
  { insn: JSGe.imm(R1, 5, 1), bytes: '75 01 0100 05000000', text: '(75) if r1 s>= 0x5 goto pc+1' },
  { insn: JSGe.reg(R1, R2, 1), bytes: '7d 21 0100 00000000', text: '(7d) if r1 s>= r2 goto pc+1' },
  { insn: JLt.imm(R1, 5, 1), bytes: 'a5 01 0100 05000000', text: '(a5) if r1 < 0x5 goto pc+1' },
  { insn: JLt.reg(R1, R2, 1), bytes: 'ad 21 0100 00000000', text: '(ad) if r1 < r2 goto pc+1' },
  { insn: JLe.imm(R1, 5, 1), bytes: 'b5 01 0100 05000000', text: '(b5) if r1 <= 0x5 goto pc+1' },
  { insn: JLe.reg(R1, R2, 1), bytes: 'bd 21 0100 00000000', text: '(bd) if r1 <= r2 goto pc+1' },
  { insn: JSLt.imm(R1, 5, 1), bytes: 'c5 01 0100 05000000', text: '(c5) if r1 s< 0x5 goto pc+1' },
  { insn: JSLt.reg(R1, R2, 1), bytes: 'cd 21 0100 00000000', text: '(cd) if r1 s< r2 goto pc+1' },
  { insn: JSLe.imm(R1, 5, 1), bytes: 'd5 01 0100 05000000', text: '(d5) if r1 s<= 0x5 goto pc+1' },
  { insn: JSLe.reg(R1, R2, 1), bytes: 'dd 21 0100 00000000', text: '(dd) if r1 s<= r2 goto pc+1' },
  // JMP32
  { insn: JEq32.imm(R1, 5, 3), bytes: '16 01 0300 05000000', text: '(16) if w1 == 0x5 goto pc+3' },
  { insn: JEq32.reg(R1, R2, 3), bytes: '1e 21 0300 00000000', text: '(1e) if w1 == w2 goto pc+3' },
  { insn: JGt32.imm(R1, 5, 3), bytes: '26 01 0300 05000000', text: '(26) if w1 > 0x5 goto pc+3' },
  { insn: JGt32.reg(R1, R2, 3), bytes: '2e 21 0300 00000000', text: '(2e) if w1 > w2 goto pc+3' },
  { insn: JGe32.imm(R1, 5, 3), bytes: '36 01 0300 05000000', text: '(36) if w1 >= 0x5 goto pc+3' },
  { insn: JGe32.reg(R1, R2, 3), bytes: '3e 21 0300 00000000', text: '(3e) if w1 >= w2 goto pc+3' },
  { insn: JSet32.imm(R1, 5, 3), bytes: '46 01 0300 05000000', text: '(46) if w1 & 0x5 goto pc+3' },
  { insn: JSet32.reg(R1, R2, 3), bytes: '4e 21 0300 00000000', text: '(4e) if w1 & w2 goto pc+3' },
  { insn: JNe32.imm(R1, 5, 3), bytes: '56 01 0300 05000000', text: '(56) if w1 != 0x5 goto pc+3' },
  { insn: JNe32.reg(R1, R2, 3), bytes: '5e 21 0300 00000000', text: '(5e) if w1 != w2 goto pc+3' },
  { insn: JSGt32.imm(R1, 5, 3), bytes: '66 01 0300 05000000', text: '(66) if w1 s> 0x5 goto pc+3' },
  { insn: JSGt32.reg(R1, R2, 3), bytes: '6e 21 0300 00000000', text: '(6e) if w1 s> w2 goto pc+3' },
  { insn: JSGe32.imm(R1, 5, 3), bytes: '76 01 0300 05000000', text: '(76) if w1 s>= 0x5 goto pc+3' },
  { insn: JSGe32.reg(R1, R2, 3), bytes: '7e 21 0300 00000000', text: '(7e) if w1 s>= w2 goto pc+3' },
  { insn: JLt32.imm(R1, 5, 3), bytes: 'a6 01 0300 05000000', text: '(a6) if w1 < 0x5 goto pc+3' },
  { insn: JLt32.reg(R1, R2, 3), bytes: 'ae 21 0300 00000000', text: '(ae) if w1 < w2 goto pc+3' },
  { insn: JLe32.imm(R1, 5, 3), bytes: 'b6 01 0300 05000000', text: '(b6) if w1 <= 0x5 goto pc+3' },
  { insn: JLe32.reg(R1, R2, 3), bytes: 'be 21 0300 00000000', text: '(be) if w1 <= w2 goto pc+3' },
  { insn: JSLt32.imm(R1, 5, 3), bytes: 'c6 01 0300 05000000', text: '(c6) if w1 s< 0x5 goto pc+3' },
  { insn: JSLt32.reg(R1, R2, 3), bytes: 'ce 21 0300 00000000', text: '(ce) if w1 s< w2 goto pc+3' },
  { insn: JSLe32.imm(R1, 5, 3), bytes: 'd6 01 0300 05000000', text: '(d6) if w1 s<= 0x5 goto pc+3' },
  { insn: JSLe32.reg(R1, R2, 3), bytes: 'de 21 0300 00000000', text: '(de) if w1 s<= w2 goto pc+3' },
  { insn: Ja32(100000), bytes: '06 00 0000 a0860100', text: '(06) gotol pc+100000' },
  { insn: Ja32(-2), bytes: '06 00 0000 feffffff', text: '(06) gotol pc-2' },
  { insn: MayGoto(5), bytes: 'e5 00 0500 00000000', text: '(e5) may_goto pc+5' },
  // calls
  { insn: Call.helper(Helper.map_lookup_elem), bytes: '85 00 0000 01000000', text: '(85) call bpf_map_lookup_elem#1' },
  { insn: Call.helper(Helper.get_current_pid_tgid), bytes: '85 00 0000 0e000000', text: '(85) call bpf_get_current_pid_tgid#14' },
  { insn: Call.helper(Helper.ringbuf_output), bytes: '85 00 0000 82000000', text: '(85) call bpf_ringbuf_output#130' },
  { insn: Call.helper(999), bytes: '85 00 0000 e7030000', text: '(85) call unknown#999' },
  { insn: Call.local(5), bytes: '85 10 0000 05000000', text: '(85) call pc+5' },
  { insn: Call.local(-7), bytes: '85 10 0000 f9ffffff', text: '(85) call pc-7' },
  { insn: Call.kfunc(1234), bytes: '85 20 0000 d2040000', text: '(85) call kernel-function#1234' },
  { insn: Call.kfunc(1234, 2), bytes: '85 20 0200 d2040000', text: '(85) call kernel-function#1234' },
  { insn: Exit(), bytes: '95 00 0000 00000000', text: '(95) exit' },
  // loads
  { insn: Ldx(1, R1, R2, 4), bytes: '71 21 0400 00000000', text: '(71) r1 = *(u8 *)(r2 +4)' },
  { insn: Ldx(2, R1, R2, 4), bytes: '69 21 0400 00000000', text: '(69) r1 = *(u16 *)(r2 +4)' },
  { insn: Ldx(4, R1, R2, 4), bytes: '61 21 0400 00000000', text: '(61) r1 = *(u32 *)(r2 +4)' },
  { insn: Ldx(8, R0, R10, -8), bytes: '79 a0 f8ff 00000000', text: '(79) r0 = *(u64 *)(r10 -8)' },
  { insn: Ldx(8, R1, R1, 0), bytes: '79 11 0000 00000000', text: '(79) r1 = *(u64 *)(r1 +0)' },
  { insn: Ldxs(1, R1, R2, 0), bytes: '91 21 0000 00000000', text: '(91) r1 = *(s8 *)(r2 +0)' },
  { insn: Ldxs(2, R1, R2, 2), bytes: '89 21 0200 00000000', text: '(89) r1 = *(s16 *)(r2 +2)' },
  { insn: Ldxs(4, R1, R2, -4), bytes: '81 21 fcff 00000000', text: '(81) r1 = *(s32 *)(r2 -4)' },
  // stores
  { insn: Stx(1, R10, -1, R1), bytes: '73 1a ffff 00000000', text: '(73) *(u8 *)(r10 -1) = r1' },
  { insn: Stx(2, R10, -2, R1), bytes: '6b 1a feff 00000000', text: '(6b) *(u16 *)(r10 -2) = r1' },
  { insn: Stx(4, R10, -4, R1), bytes: '63 1a fcff 00000000', text: '(63) *(u32 *)(r10 -4) = r1' },
  { insn: Stx(8, R10, -8, R1), bytes: '7b 1a f8ff 00000000', text: '(7b) *(u64 *)(r10 -8) = r1' },
  { insn: St(1, R10, -1, 7), bytes: '72 0a ffff 07000000', text: '(72) *(u8 *)(r10 -1) = 7' },
  { insn: St(2, R10, -2, 7), bytes: '6a 0a feff 07000000', text: '(6a) *(u16 *)(r10 -2) = 7' },
  { insn: St(4, R10, -4, 7), bytes: '62 0a fcff 07000000', text: '(62) *(u32 *)(r10 -4) = 7' },
  { insn: St(8, R10, -16, -1), bytes: '7a 0a f0ff ffffffff', text: '(7a) *(u64 *)(r10 -16) = -1' },
  // 16-byte immediate loads
  {
    insn: LdImm64(R1, 0x1122334455667788n),
    bytes: '18 01 0000 88776655 00 00 0000 44332211',
    text: '(18) r1 = 0x1122334455667788',
  },
  { insn: LdImm64(R2, -1n), bytes: '18 02 0000 ffffffff 00 00 0000 ffffffff', text: '(18) r2 = 0xffffffffffffffff' },
  { insn: LdImm64(R3, 7), bytes: '18 03 0000 07000000 00 00 0000 00000000', text: '(18) r3 = 0x7' },
  {
    insn: LdMapFd(R1, 'counts'),
    bytes: '18 11 0000 00000000 00 00 0000 00000000',
    text: '(18) r1 = map[counts]',
    decodedText: '(18) r1 = map[fd:0]',
  },
  {
    insn: LdMapValue(R1, 'globals', 16),
    bytes: '18 21 0000 00000000 00 00 0000 10000000',
    text: '(18) r1 = map[globals][0]+16',
    decodedText: '(18) r1 = map[fd:0][0]+16',
  },
  { insn: LdFunc(R2, 3), bytes: '18 42 0000 03000000 00 00 0000 00000000', text: '(18) r2 = subprog[+3]' },
  { insn: LdBtfId(R3, 77), bytes: '18 33 0000 4d000000 00 00 0000 00000000', text: '(18) r3 = 0x4d' },
  // legacy packet access
  { insn: LdAbs(4, 12), bytes: '20 00 0000 0c000000', text: '(20) r0 = *(u32 *)skb[12]' },
  { insn: LdAbs(2, 12), bytes: '28 00 0000 0c000000', text: '(28) r0 = *(u16 *)skb[12]' },
  { insn: LdAbs(1, 12), bytes: '30 00 0000 0c000000', text: '(30) r0 = *(u8 *)skb[12]' },
  { insn: LdInd(1, R2, 14), bytes: '50 20 0000 0e000000', text: '(50) r0 = *(u8 *)skb[r2 + 14]' },
  { insn: LdInd(4, R2, 14), bytes: '40 20 0000 0e000000', text: '(40) r0 = *(u32 *)skb[r2 + 14]' },
  // atomics
  { insn: AtomicAdd(8, R1, 0, R2), bytes: 'db 21 0000 00000000', text: '(db) lock *(u64 *)(r1 +0) += r2' },
  { insn: AtomicAdd(4, R1, 4, R2), bytes: 'c3 21 0400 00000000', text: '(c3) lock *(u32 *)(r1 +4) += r2' },
  { insn: AtomicOr(8, R1, 0, R2), bytes: 'db 21 0000 40000000', text: '(db) lock *(u64 *)(r1 +0) |= r2' },
  { insn: AtomicAnd(8, R1, 0, R2), bytes: 'db 21 0000 50000000', text: '(db) lock *(u64 *)(r1 +0) &= r2' },
  { insn: AtomicXor(4, R1, -8, R2), bytes: 'c3 21 f8ff a0000000', text: '(c3) lock *(u32 *)(r1 -8) ^= r2' },
  {
    insn: AtomicAdd(8, R1, 0, R2, { fetch: true }),
    bytes: 'db 21 0000 01000000',
    text: '(db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)',
  },
  {
    insn: AtomicOr(4, R1, 0, R2, { fetch: true }),
    bytes: 'c3 21 0000 41000000',
    text: '(c3) r2 = atomic_fetch_or((u32 *)(r1 +0), r2)',
  },
  {
    insn: AtomicAnd(8, R1, 8, R3, { fetch: true }),
    bytes: 'db 31 0800 51000000',
    text: '(db) r3 = atomic64_fetch_and((u64 *)(r1 +8), r3)',
  },
  {
    insn: AtomicXor(8, R1, 0, R2, { fetch: true }),
    bytes: 'db 21 0000 a1000000',
    text: '(db) r2 = atomic64_fetch_xor((u64 *)(r1 +0), r2)',
  },
  { insn: Xchg(8, R1, -8, R2), bytes: 'db 21 f8ff e1000000', text: '(db) r2 = atomic64_xchg((u64 *)(r1 -8), r2)' },
  { insn: Xchg(4, R1, 0, R2), bytes: 'c3 21 0000 e1000000', text: '(c3) r2 = atomic_xchg((u32 *)(r1 +0), r2)' },
  {
    insn: CmpXchg(4, R1, 0, R2),
    bytes: 'c3 21 0000 f1000000',
    text: '(c3) r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)',
  },
  {
    insn: CmpXchg(8, R1, 0, R2),
    bytes: 'db 21 0000 f1000000',
    text: '(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)',
  },
  { insn: LoadAcquire(8, R0, R1, 0), bytes: 'db 10 0000 00010000', text: '(db) r0 = load_acquire((u64 *)(r1 +0))' },
  { insn: LoadAcquire(1, R0, R1, 2), bytes: 'd3 10 0200 00010000', text: '(d3) r0 = load_acquire((u8 *)(r1 +2))' },
  { insn: StoreRelease(4, R1, 0, R2), bytes: 'c3 21 0000 10010000', text: '(c3) store_release((u32 *)(r1 +0), r2)' },
  { insn: StoreRelease(2, R1, -2, R2), bytes: 'cb 21 feff 10010000', text: '(cb) store_release((u16 *)(r1 -2), r2)' },
];

/** The machine fields of a record, for comparing builder output with decoded bytes. */
function fields(i: Insn): Record<string, unknown> {
  const f: Record<string, unknown> = { code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm };
  if (i.imm64 !== undefined) f.imm64 = i.imm64;
  return f;
}

test('every builder encodes to its hand-derived bytes', () => {
  for (const g of goldens) {
    assert.equal(hex(assemble([g.insn]).bytes), g.bytes.replace(/\s+/g, ''), g.text);
  }
});

test('every builder prints as the kernel disassembler does', () => {
  for (const g of goldens) {
    assert.equal(formatInsn(g.insn), g.text);
    assert.equal(disassemble(unhex(g.bytes)), `   0: ${g.decodedText ?? g.text}\n`);
  }
});

test('decode is the inverse of encode for every builder', () => {
  for (const g of goldens) {
    const bytes = unhex(g.bytes);
    const decoded = decode(bytes);
    assert.equal(decoded.length, 1, g.text);
    const resolved = assemble([g.insn]).insns[0]!;
    assert.deepEqual(fields(decoded[0]!), fields(resolved), g.text);
    // raw records (no labels, no map refs) re-encode to the very same bytes
    assert.equal(hex(assemble(decoded).bytes), hex(bytes), g.text);
    if (g.insn.mapRef === undefined && g.insn.target === undefined) {
      assert.deepEqual(fields(decoded[0]!), fields(g.insn), g.text);
    }
  }
});

test('one program of every builder round-trips byte for byte', () => {
  const all = goldens.map((g) => g.insn);
  const asm = assemble(all);
  const expected = goldens.map((g) => g.bytes.replace(/\s+/g, '')).join('');
  assert.equal(hex(asm.bytes), expected);
  assert.equal(asm.count, expected.length / 16);
  assert.equal(hex(assemble(decode(asm.bytes)).bytes), expected);
});

test('the golden table covers every exported builder', async () => {
  const mod = await import('../../src/asm/builders.js');
  const tested = new Set<string>();
  const src = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8');
  for (const m of src.matchAll(/insn: (\w+)[.(]/g)) tested.add(m[1]!);
  const missing = Object.keys(mod).filter((k) => /^[A-Z]/.test(k) && !tested.has(k));
  assert.deepEqual(missing, []);
});

test('builders return plain records', () => {
  const i = Add.imm(R1, 8);
  assert.equal(Object.getPrototypeOf(i), Object.prototype);
  assert.deepEqual(i, { code: 0x07, dst: 1, src: 0, off: 0, imm: 8 });
  assert.deepEqual(JEq.imm(R0, 0, 'out'), { code: 0x15, dst: 0, src: 0, off: 0, imm: 0, target: 'out' });
  assert.deepEqual(LdMapFd(R1, 'm'), { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, mapRef: { name: 'm', kind: 'fd' } });
  assert.deepEqual(LdMapValue(R2, 'g'), {
    code: 0x18, dst: 2, src: 2, off: 0, imm: 0, mapRef: { name: 'g', kind: 'value', offset: 0 },
  });
  assert.deepEqual(Call.local('f'), { code: 0x85, dst: 0, src: 1, off: 0, imm: 0, target: 'f' });
});

test('immediates: unsigned 32-bit values are stored as their signed twin', () => {
  assert.equal(Mov32.imm(R1, 0xffffffff).imm, -1);
  assert.equal(And.imm(R1, 0x80000000).imm, -0x80000000);
  assert.equal(Mov.imm(R1, -0x80000000).imm, -0x80000000);
  assert.equal(LdImm64(R1, -2n).imm64, 0xfffffffffffffffen);
  assert.equal(LdImm64(R1, -2n).imm, -2);
  assert.equal(LdImm64(R1, 0x100000000n).imm, 0);
});

test('builders reject operands that cannot be encoded', () => {
  const range = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof AsmError && e.code === 'operand-range');
  range(() => Mov.imm(R1, 2 ** 32));
  range(() => Mov.imm(R1, -(2 ** 31) - 1));
  range(() => Add.imm(R1, 1.5));
  range(() => Ldx(8, R1, R2, 0x8000));
  range(() => Stx(8, R10, -0x8001, R1));
  range(() => Ldx(3 as MemSize, R1, R2, 0));
  range(() => Ldxs(8 as 4, R1, R2, 0));
  range(() => Movsx(R1, R2, 64 as 32));
  range(() => Movsx32(R1, R2, 32 as 16));
  range(() => Endian.be(R1, 8 as 16));
  range(() => Bswap(R1, 128 as 64));
  range(() => AtomicAdd(2 as 4, R1, 0, R2));
  range(() => LdImm64(R1, 1n << 64n));
  range(() => LdImm64(R1, 2 ** 60));
  range(() => LdAbs(8 as 4, 0));
  range(() => JEq.imm(R1, 0, 40000));
  range(() => Call.helper(2 ** 33));
});

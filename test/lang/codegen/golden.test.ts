// Goldens: the eBPF the back end emits for small hand-built IR programs, as the kernel prints it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble, disassemble } from '../../../src/asm/index.js';
import { generate } from '../../../src/lang/codegen/index.js';
import { CASES } from './cases.js';

/** Each golden starts after a newline (for readability) and ends with one. */
const GOLDEN: Record<string, string> = {
  'return a constant': `
   0: (b7) r0 = 42
   1: (95) exit
`,
  'constants: mov, mov32 for unsigned 32-bit, ld_imm64 beyond': `
   0: (b7) r0 = -7
   1: (b4) w1 = -1
   2: (18) r2 = 0x10000000000
   4: (b7) r3 = -2147483648
   5: (b4) w4 = -2147483648
   6: (0f) r0 += r1
   7: (0f) r2 += r3
   8: (0f) r0 += r2
   9: (0f) r0 += r4
  10: (95) exit
`,
  'alu: immediates, 32-bit, large immediate materialised, shift masked, constant zero divisors': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (bf) r1 = r0
   2: (27) r1 *= 3
   3: (1c) w1 -= w0
   4: (18) r2 = 0x100000000
   6: (5f) r1 &= r2
   7: (67) r1 <<= 1
   8: (b7) r2 = 0
   9: (bc) w0 = w0
  10: (4f) r1 |= r2
  11: (4f) r1 |= r0
  12: (bf) r0 = r1
  13: (95) exit
`,
  'sext, zext, bswap, neg with shifts and masks': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (bf) r1 = r0
   2: (67) r1 <<= 56
   3: (c7) r1 s>>= 56
   4: (57) r1 &= 65535
   5: (bc) w1 = w1
   6: (dc) r1 = be16 r1
   7: (87) r1 = -r1
   8: (af) r1 ^= r0
   9: (bf) r0 = r1
  10: (95) exit
`,
  'signed division without cpu v4: magnitudes and a sign fix-up': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (79) r1 = *(u64 *)(r1 +8)
   2: (bf) r2 = r0
   3: (c7) r2 s>>= 63
   4: (af) r0 ^= r2
   5: (1f) r0 -= r2
   6: (bf) r3 = r1
   7: (c7) r3 s>>= 63
   8: (af) r1 ^= r3
   9: (1f) r1 -= r3
  10: (3f) r0 /= r1
  11: (af) r2 ^= r3
  12: (af) r0 ^= r2
  13: (1f) r0 -= r2
  14: (95) exit
`,
  'signed division with cpu v4': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (79) r1 = *(u64 *)(r1 +8)
   2: (bf) r2 = r0
   3: (3f) r2 s/= r1
   4: (bf) r0 = (s16)r0
   5: (0f) r2 += r0
   6: (bf) r0 = r2
   7: (95) exit
`,
  '32-bit signed modulo by a constant': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (bf) r1 = r0
   2: (c4) w1 s>>= 31
   3: (ac) w0 ^= w1
   4: (1c) w0 -= w1
   5: (94) w0 %= 10
   6: (ac) w0 ^= w1
   7: (1c) w0 -= w1
   8: (95) exit
`,
  'stores and loads: stack objects, truncated immediates, sign-extending load': `
   0: (69) r0 = *(u16 *)(r1 +4)
   1: (67) r0 <<= 48
   2: (c7) r0 s>>= 48
   3: (7b) *(u64 *)(r10 -16) = r0
   4: (62) *(u32 *)(r10 -8) = 591751049
   5: (62) *(u32 *)(r10 -4) = -1
   6: (61) r0 = *(u32 *)(r10 -8)
   7: (95) exit
`,
  'a helper call with 5 arguments: registers, immediates, a stack address': `
   0: (79) r4 = *(u64 *)(r1 +0)
   1: (79) r1 = *(u64 *)(r1 +8)
   2: (7a) *(u64 *)(r10 -8) = 0
   3: (b7) r2 = 5
   4: (bf) r3 = r10
   5: (07) r3 += -8
   6: (18) r5 = 0x200000000
   8: (85) call unknown#1000
   9: (b7) r0 = 0
  10: (95) exit
`,
  'ctx kept in a callee-saved register across calls': `
   0: (bf) r6 = r1
   1: (85) call bpf_ktime_get_ns#5
   2: (79) r7 = *(u64 *)(r6 +0)
   3: (85) call bpf_ktime_get_ns#5
   4: (79) r0 = *(u64 *)(r6 +8)
   5: (0f) r7 += r0
   6: (bf) r0 = r7
   7: (95) exit
`,
  'if/else: the then branch falls through, the join follows it': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (d5) if r0 s<= 0xa goto pc+2
   2: (b7) r0 = 1
   3: (95) exit
   4: (b7) r0 = 2
   5: (05) goto pc-3
`,
  'jset has no inverse: the else branch falls through': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (45) if r0 & 0x4 goto pc+2
   2: (b7) r0 = 2
   3: (95) exit
   4: (b7) r0 = 1
   5: (95) exit
`,
  'loop: sum of 1..100': `
   0: (b7) r0 = 0
   1: (b7) r1 = 1
   2: (25) if r1 > 0x64 goto pc+3
   3: (0f) r0 += r1
   4: (07) r1 += 1
   5: (05) goto pc-4
   6: (95) exit
`,
  'map lookup, null check (the found path falls through), atomic add': `
   0: (18) r1 = map[fd:0]
   2: (62) *(u32 *)(r10 -8) = 0
   3: (bf) r2 = r10
   4: (07) r2 += -8
   5: (85) call bpf_map_lookup_elem#1
   6: (15) if r0 == 0x0 goto pc+2
   7: (b7) r1 = 1
   8: (db) lock *(u64 *)(r0 +0) += r1
   9: (b7) r0 = 0
  10: (95) exit
`,
  'zero and copy: widest aligned accesses': `
   0: (79) r0 = *(u64 *)(r1 +0)
   1: (7a) *(u64 *)(r10 -32) = 0
   2: (7a) *(u64 *)(r10 -24) = 0
   3: (7a) *(u64 *)(r10 -16) = 0
   4: (62) *(u32 *)(r10 -8) = 0
   5: (6a) *(u16 *)(r10 -4) = 0
   6: (72) *(u8 *)(r10 -2) = 0
   7: (71) r1 = *(u8 *)(r10 -8)
   8: (73) *(u8 *)(r10 -31) = r1
   9: (71) r1 = *(u8 *)(r10 -7)
  10: (73) *(u8 *)(r10 -30) = r1
  11: (71) r1 = *(u8 *)(r10 -6)
  12: (73) *(u8 *)(r10 -29) = r1
  13: (71) r1 = *(u8 *)(r10 -5)
  14: (73) *(u8 *)(r10 -28) = r1
  15: (71) r1 = *(u8 *)(r10 -4)
  16: (73) *(u8 *)(r10 -27) = r1
  17: (71) r1 = *(u8 *)(r10 -3)
  18: (73) *(u8 *)(r10 -26) = r1
  19: (71) r1 = *(u8 *)(r10 -2)
  20: (73) *(u8 *)(r10 -25) = r1
  21: (69) r1 = *(u16 *)(r0 +2)
  22: (6b) *(u16 *)(r10 -8) = r1
  23: (69) r1 = *(u16 *)(r0 +4)
  24: (6b) *(u16 *)(r10 -6) = r1
  25: (69) r1 = *(u16 *)(r0 +6)
  26: (6b) *(u16 *)(r10 -4) = r1
  27: (71) r1 = *(u8 *)(r0 +8)
  28: (73) *(u8 *)(r10 -2) = r1
  29: (79) r0 = *(u64 *)(r10 -32)
  30: (71) r1 = *(u8 *)(r10 -8)
  31: (0f) r0 += r1
  32: (95) exit
`,
  'bpf-to-bpf call of a subprogram with 3 arguments': `
   0: (79) r3 = *(u64 *)(r1 +0)
   1: (bf) r1 = r3
   2: (b7) r2 = 2
   3: (85) call pc+1
   4: (95) exit
   5: (0f) r1 += r2
   6: (bf) r0 = r1
   7: (0f) r0 += r3
   8: (95) exit
`,
  'a callback address for bpf_loop': `
   0: (18) r2 = subprog[+7]
   2: (b7) r1 = 10
   3: (b7) r3 = 0
   4: (b7) r4 = 0
   5: (85) call bpf_loop#181
   6: (b7) r0 = 0
   7: (95) exit
   8: (b7) r0 = 0
   9: (95) exit
`,
};

for (const c of CASES) {
  test(`golden: ${c.name}`, () => {
    const want = GOLDEN[c.name];
    assert.ok(want !== undefined, 'a golden exists for every case');
    assert.equal(disassemble(assemble(generate(c.ir(), c.opts)).bytes), want.slice(1));
  });
}

test('every golden belongs to a case', () => {
  assert.deepEqual(Object.keys(GOLDEN).sort(), CASES.map((c) => c.name).sort());
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  AluOp, AtomicOp, Class, Endianness, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source,
  classOf, modeOf, opOf, sizeBytes, sizeOf, sourceOf, insnSlots, R0, R10, RFP, Exit, LdImm64,
} from '../../src/asm/index.js';

const HEADERS = ['/usr/include/linux/bpf_common.h', '/usr/include/linux/bpf.h'];

/** `#define BPF_NAME value` lines with plain numeric values. */
function headerDefines(): Map<string, number> {
  const defs = new Map<string, number>();
  for (const path of HEADERS) {
    for (const m of readFileSync(path, 'utf8').matchAll(/^#define\s+BPF_(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
      defs.set(m[1]!, Number(m[2]));
    }
  }
  return defs;
}

test('constants match the installed kernel UAPI headers', (t) => {
  if (!HEADERS.every(existsSync)) {
    t.skip('kernel UAPI headers not installed');
    return;
  }
  const defs = headerDefines();
  const tables: [Record<string, number>, (k: string) => string][] = [
    [Class, (k) => k],
    [Size, (k) => k],
    [Mode, (k) => k],
    [Source, (k) => k],
    [Endianness, (k) => k],
    [AluOp, (k) => k],
    [JmpOp, (k) => k],
    [{ FETCH: AtomicOp.FETCH }, (k) => k],
    [PseudoLd, (k) => `PSEUDO_${k}`],
    [{ CALL: PseudoCall.CALL, KFUNC_CALL: PseudoCall.KFUNC_CALL }, (k) => `PSEUDO_${k}`],
  ];
  let compared = 0;
  for (const [table, nameOf] of tables) {
    for (const [k, v] of Object.entries(table)) {
      const want = defs.get(nameOf(k));
      if (want === undefined) continue; // newer than the installed header (MEMSX, JCOND, ...)
      assert.equal(v, want, `BPF_${nameOf(k)}`);
      compared++;
    }
  }
  assert.ok(compared >= 45, `only ${compared} constants found in the headers`);
});

test('cpu v4 and later constants (from the ISA document)', () => {
  assert.equal(Mode.MEMSX, 0x80);
  assert.equal(JmpOp.JCOND, 0xe0);
  assert.equal(AtomicOp.XCHG, 0xe1);
  assert.equal(AtomicOp.CMPXCHG, 0xf1);
  assert.equal(AtomicOp.LOAD_ACQ, 0x100);
  assert.equal(AtomicOp.STORE_REL, 0x110);
  assert.equal(LD_IMM64, 0x18);
});

test('field extractors', () => {
  const code = Class.STX | Mode.ATOMIC | Size.DW; // 0xdb
  assert.equal(code, 0xdb);
  assert.equal(classOf(code), Class.STX);
  assert.equal(modeOf(code), Mode.ATOMIC);
  assert.equal(sizeOf(code), Size.DW);
  assert.equal(opOf(0xdc), AluOp.END);
  assert.equal(sourceOf(0xdc), Endianness.TO_BE);
  assert.equal(sourceOf(0x0f), Source.X);
  assert.deepEqual([Size.B, Size.H, Size.W, Size.DW].map(sizeBytes), [1, 2, 4, 8]);
});

test('registers and slots', () => {
  assert.equal(R0, 0);
  assert.equal(R10, 10);
  assert.equal(RFP, R10);
  assert.equal(insnSlots(Exit()), 1);
  assert.equal(insnSlots(LdImm64(R0, 1n)), 2);
});

// Stack layout: objects share bytes when never live together, alignment, the 512-byte budget and
// the error that names what is live where the frame is fullest. Programs are also executed, so
// two live objects sharing bytes would show up as a wrong result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateWithReport, StackOverflowError, type FunctionReport } from '../../../src/lang/codegen/index.js';
import type { ObjId, VReg } from '../../../src/lang/ir.js';
import { Fn, imm, program, ref, span } from './build.js';
import { agree } from './check.js';

/** h = hash of the object's bytes (helper 9010). */
const hash = (f: Fn, o: ObjId, size: number): VReg => f.call(9010, [ref(o), imm(size)]);

function overlaps(r: FunctionReport, a: ObjId, sa: number, b: ObjId, sb: number): boolean {
  const x = r.offsets.get(a)!;
  const y = r.offsets.get(b)!;
  return x < y + sb && y < x + sa;
}

test('two 256-byte objects with disjoint lifetimes share the same bytes', () => {
  const f = new Fn();
  const a = f.obj(256, '$a');
  const b = f.obj(256, '$b');
  f.zero(a, 0, 256);
  f.store({ obj: a }, 0, 8, f.const(1));
  const h1 = hash(f, a, 256);
  f.zero(b, 0, 256);
  f.store({ obj: b }, 8, 8, f.const(2));
  const h2 = hash(f, b, 256);
  f.ret(f.alu('xor', h1, h2));
  const { gen } = agree(program(f));
  const r = gen.functions[0]!;
  assert.equal(r.frameSize, 256);
  assert.equal(r.offsets.get(a), -256);
  assert.equal(r.offsets.get(b), -256);
});

test('overlapping lifetimes over 512 bytes: StackOverflowError names the live objects, largest first', () => {
  const f = new Fn();
  const args = f.obj(256, 'printf arguments');
  const s = f.obj(256, '$s');
  const key = f.obj(8, 'key of @m');
  f.at(span(1, 1)).zero(s, 0, 256);
  f.at(span(2, 3)).zero(args, 0, 256);
  f.at(span(3, 5)).store({ obj: key }, 0, 8, 7n);
  f.at(span(4, 1));
  hash(f, key, 8);
  hash(f, args, 256);
  f.ret(hash(f, s, 256));
  let err: unknown;
  try {
    generateWithReport(program(f));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StackOverflowError, String(err));
  assert.equal(err.message, 'stack limit exceeded: 520 of 512 bytes in use at 3:5 (printf arguments 256 B, $s 256 B, key of @m 8 B)');
  assert.equal(err.used, 520);
  assert.equal(err.limit, 512);
  assert.deepEqual(err.objects, [
    { name: 'printf arguments', size: 256 },
    { name: '$s', size: 256 },
    { name: 'key of @m', size: 8 },
  ]);
  assert.equal(err.span?.line, 3);
  assert.equal(err.span?.col, 5);
});

test('the same program fits once the key is dead before the buffers are live', () => {
  const f = new Fn();
  const args = f.obj(256, 'printf arguments');
  const s = f.obj(256, '$s');
  const key = f.obj(8, 'key of @m');
  f.store({ obj: key }, 0, 8, 7n);
  const h = hash(f, key, 8);
  f.zero(s, 0, 256);
  f.zero(args, 0, 256);
  hash(f, args, 256);
  f.ret(f.alu('add', h, hash(f, s, 256)));
  const { gen } = agree(program(f));
  assert.equal(gen.functions[0]!.frameSize, 512);
});

test('an object whose address sits in a register stays live until the register is last read', () => {
  const f = new Fn();
  const a = f.obj(128, 'a');
  const b = f.obj(128, 'b');
  const p = f.addr(a, 0); // the only direct reference to a
  f.store({ reg: p }, 0, 8, 0x1234n);
  const q = f.alu('add', p, 8n); // derived pointers count too
  f.store({ reg: q }, 0, 8, 0x5678n);
  f.zero(b, 0, 128);
  const hb = hash(f, b, 128);
  const x = f.load({ reg: p }, 0, 8);
  const y = f.load({ reg: q }, 0, 8);
  f.ret(f.alu('add', f.alu('add', x, y), hb));
  const { gen } = agree(program(f));
  const r = gen.functions[0]!;
  assert.equal(overlaps(r, a, 128, b, 128), false);
  assert.equal(r.frameSize, 256);
});

/** A loop whose body uses two 128-byte buffers in turn; `whole` zeroes each entirely first. */
function loopBuffers(whole: boolean): Fn {
  const f = new Fn();
  const b1 = f.obj(128, 'first buffer');
  const b2 = f.obj(128, 'second buffer');
  const i = f.const(0);
  const acc = f.const(0);
  const head = f.newBlock();
  const body = f.newBlock();
  const exit = f.newBlock();
  f.jmp(head);
  f.in(head).br('lt', i, 3n, body, exit);
  f.in(body);
  for (const b of [b1, b2]) {
    if (whole) f.zero(b, 0, 128);
    else f.store({ obj: b }, 0, 8, 0n);
    f.store({ obj: b }, 0, 8, i);
    f.alu('add', acc, f.load({ obj: b }, 0, 8), false, acc);
  }
  f.alu('add', i, 1n, false, i);
  f.jmp(head);
  f.in(exit).ret(acc);
  return f;
}

test('in a loop, buffers overwritten whole at each use share bytes; partly written ones cannot', () => {
  const shared = agree(program(loopBuffers(true))).gen.functions[0]!;
  assert.equal(shared.frameSize, 128);
  // Partly written: bytes 8.. of each buffer may carry over between iterations.
  const apart = generateWithReport(program(loopBuffers(false))).functions[0]!;
  assert.equal(apart.frameSize, 256);
});

test('objects are aligned as they ask, and never overlap while live together', () => {
  const f = new Fn();
  const specs: [number, number][] = [[3, 1], [6, 2], [12, 4], [24, 8], [1, 1], [10, 2], [8, 4]];
  const ids = specs.map(([size, align], k) => f.obj(size, `o${k}`, align));
  ids.forEach((o, k) => f.zero(o, 0, specs[k]![0]));
  let acc = f.const(0);
  ids.forEach((o, k) => {
    acc = f.alu('add', acc, hash(f, o, specs[k]![0]));
  });
  f.ret(acc);
  const r = agree(program(f)).gen.functions[0]!;
  const total = specs.reduce((a, [s]) => a + s, 0);
  assert.ok(r.frameSize >= total && r.frameSize <= 80, `frame ${r.frameSize}`);
  ids.forEach((o, k) => {
    const [size, align] = specs[k]!;
    assert.equal(((r.offsets.get(o)! % align) + align) % align, 0, `o${k} aligned to ${align}`);
    ids.forEach((o2, k2) => {
      if (k2 > k) assert.equal(overlaps(r, o, size, o2, specs[k2]![0]), false, `o${k} and o${k2}`);
    });
  });
});

test('spill slots share bytes with objects that are dead by then', () => {
  const f = new Fn();
  const big = f.obj(256, 'big');
  f.zero(big, 0, 256);
  const h = hash(f, big, 256);
  const vs: VReg[] = [h];
  for (let k = 0; k < 12; k++) vs.push(f.call(9001, [imm(k)]));
  let acc = f.const(0);
  for (const v of vs) acc = f.alu('add', acc, v);
  f.ret(acc);
  const r = agree(program(f)).gen.functions[0]!;
  assert.ok(r.spilled >= 8, `${r.spilled} spilled`);
  assert.equal(r.frameSize, 256, 'the spill slots fit where big was');
});

test('spilled registers are named in the overflow message', () => {
  const f = new Fn();
  const big = f.obj(480, '$big');
  f.zero(big, 0, 480);
  const vs: VReg[] = [];
  for (let k = 0; k < 20; k++) vs.push(f.call(9001, [imm(k)]));
  // All 20 results are live across the final hash call: r6–r9 hold 4, 16 are spilled.
  let acc = hash(f, big, 480);
  for (const v of vs) acc = f.alu('add', acc, v);
  f.ret(acc);
  assert.throws(() => generateWithReport(program(f)), {
    name: 'StackOverflowError',
    message: 'stack limit exceeded: 608 of 512 bytes in use ($big 480 B, spilled registers 128 B)',
  });
});

test('the stackLimit option', () => {
  const f = new Fn();
  const o = f.obj(64, '$x');
  f.zero(o, 0, 64);
  f.ret(hash(f, o, 64));
  assert.equal(generateWithReport(program(f), { stackLimit: 64 }).functions[0]!.frameSize, 64);
  assert.throws(() => generateWithReport(program(f), { stackLimit: 32 }), { message: 'stack limit exceeded: 64 of 32 bytes in use ($x 64 B)' });
});

test('a call chain is limited as a whole, each frame rounded to 16 bytes', () => {
  const sub = new Fn('sub', 1);
  const so = sub.obj(200, 'sub buffer');
  sub.zero(so, 0, 200);
  sub.ret(hash(sub, so, 200));
  const f = new Fn();
  const mo = f.obj(384, 'main buffer');
  f.zero(mo, 0, 384);
  const r = f.calllocal('sub', [imm(1)]);
  f.ret(f.alu('add', r, hash(f, mo, 384)));
  let err: unknown;
  try {
    generateWithReport(program(f, sub));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof StackOverflowError);
  assert.equal(err.message, 'stack limit exceeded: 592 of 512 bytes in use across calls main → sub (frame of main 384 B, frame of sub 208 B)');
  assert.deepEqual(err.chain, ['main', 'sub']);
});

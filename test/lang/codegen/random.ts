// Random IR programs for differential testing of the back end against the IR interpreter:
// mutable (non-SSA) variables, ALU of every kind, stack objects through names and through
// long-lived pointers, scoped buffers that must share the frame, helper calls with up to 5
// arguments, diamonds, bounded loops and subprogram calls.
import type { AluOp, CmpOp, ObjId, VReg, IrProgram } from '../../../src/lang/ir.js';
import { Fn, program, imm, ref } from './build.js';
import type { Helper } from './vm.js';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const M64 = (1n << 64n) - 1n;

/** Fake helpers: 9001–9005 mix n scalars; 9010 hashes memory; 9011 fills memory. */
export const HELPERS: Record<number, Helper> = {
  9010: { arity: 2, fn: ([p, len], mem) => hashBytes(mem.read(p!, Number(len))) },
  9011: {
    arity: 3,
    fn: ([p, len, seed], mem) => {
      const b = new Uint8Array(Number(len));
      for (let i = 0; i < b.length; i++) b[i] = Number(((seed! >> BigInt((i % 8) * 8)) + BigInt(i * 37)) & 0xffn);
      mem.write(p!, b);
      return 0n;
    },
  },
};
for (let n = 1; n <= 5; n++) {
  HELPERS[9000 + n] = {
    arity: n,
    fn: (args) => {
      let h = BigInt(n) * 0x9e3779b97f4a7c15n;
      for (const a of args) h = ((h ^ a) * 0x100000001b3n + 0x7f4a7c15n) & M64;
      return h;
    },
  };
}

function hashBytes(b: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const x of b) h = ((h ^ BigInt(x)) * 0x100000001b3n) & M64;
  return h;
}

const ALU: AluOp[] = ['add', 'sub', 'mul', 'div', 'sdiv', 'mod', 'smod', 'and', 'or', 'xor', 'lsh', 'rsh', 'arsh'];
const CMP: CmpOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'sgt', 'sge', 'slt', 'sle', 'set'];

/**
 * Helpers that exist in the kernel for raw_tracepoint programs and behave deterministically
 * when run with BPF_PROG_TEST_RUN from this process: get_current_pid_tgid (14; the main
 * thread's tid is the pid) and probe_read_kernel (113) between stack objects.
 */
export const KERNEL_HELPERS: Record<number, Helper> = {
  14: { arity: 0, fn: () => (BigInt(process.pid) << 32n) | BigInt(process.pid) },
  113: {
    arity: 3,
    fn: ([dst, len, src], mem) => {
      mem.write(dst!, mem.read(src!, Number(len)));
      return 0n;
    },
  },
};

export interface GenOptions {
  vars?: number;
  stmts?: number;
  /** Allow a subprogram and calls to it. */
  subprogram?: boolean;
  /** Only use KERNEL_HELPERS, and return a 32-bit fold of the result (test_run's retval). */
  kernel?: boolean;
}

export function generateProgram(seed: number, o: GenOptions = {}): IrProgram {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const bigConst = (): bigint => {
    switch (int(0, 5)) {
      case 0: return BigInt(int(-5, 5));
      case 1: return BigInt(int(0, 1 << 30)) * (r() < 0.5 ? 1n : -1n);
      case 2: return BigInt(int(0, 0xffffffff));
      case 3: return (BigInt(int(0, 0xffffffff)) << 32n) | BigInt(int(0, 0xffffffff));
      case 4: return BigInt(int(1, 64));
      default: return -(1n << 63n) + BigInt(int(0, 3));
    }
  };

  let sub: Fn | undefined;
  if (o.subprogram) {
    // sub(a, b): a little work with its own object and a helper call.
    sub = new Fn('sub', 2);
    const [a, b] = sub.params as [VReg, VReg];
    const buf = sub.obj(16, 'sub buffer');
    sub.store({ obj: buf }, 0, 8, a);
    sub.store({ obj: buf }, 8, 8, b);
    if (o.kernel) {
      const pid = sub.call(14, []);
      const x = sub.alu('add', sub.load({ obj: buf }, 0, 8), sub.load({ obj: buf }, 8, 4, true));
      sub.ret(sub.alu('xor', sub.alu('mul', x, pid), b));
    } else {
      const h = sub.call(9010, [ref(buf), imm(16)]);
      const m = sub.call(9002, [h, a]);
      sub.ret(sub.alu('xor', m, b));
    }
  }

  const f = new Fn('main');
  const nv = o.vars ?? int(3, 24);
  const vars: VReg[] = [];
  for (let i = 0; i < nv; i++) vars.push(f.const(bigConst()));
  // Long-lived objects, zeroed at the start and reachable through pointer variables.
  const objs: { id: ObjId; size: number }[] = [];
  const nobj = int(0, 3);
  for (let i = 0; i < nobj; i++) {
    const size = pick([8, 16, 24, 32, 48]);
    const id = f.obj(size, `long ${i}`);
    f.zero(id, 0, size);
    objs.push({ id, size });
  }
  const ptrs = objs.map((ob) => ({ reg: f.addr(ob.id, 0), ...ob }));
  const v = (): VReg => pick(vars);
  const operand = (): VReg | bigint => (r() < 0.3 ? bigConst() : v());

  const stmt = (depth: number): void => {
    const k = int(0, depth >= 2 ? 13 : 16);
    switch (k) {
      case 0:
      case 1:
      case 2: {
        const op = pick(ALU);
        const w32 = r() < 0.3;
        let b = operand();
        if ((op === 'lsh' || op === 'rsh' || op === 'arsh') && typeof b !== 'bigint') {
          // Register shift counts are masked by the machine; the IR says the same, keep both.
        }
        f.alu(op, v(), b, w32, r() < 0.2 ? f.reg() : v());
        b = 0n;
        return;
      }
      case 3: {
        const d = v();
        const kind = int(0, 3);
        const bits = pick([8, 16, 32] as const);
        const x = kind === 0 ? f.un('neg', v()) : kind === 1 ? f.un('sext', v(), bits) : kind === 2 ? f.un('zext', v(), bits) : f.un('bswap', v(), pick([16, 32, 64] as const));
        f.mov(x, d);
        return;
      }
      case 4:
        f.emit({ op: 'const', dst: v(), value: bigConst() });
        return;
      case 5:
        f.mov(v(), v());
        return;
      case 6: {
        if (!objs.length) return;
        const ob = pick(objs);
        const size = pick([1, 2, 4, 8] as const);
        const off = int(0, ob.size / size - 1) * size;
        const viaPtr = r() < 0.5 ? { reg: ptrs[objs.indexOf(ob)]!.reg } : { obj: ob.id };
        if (r() < 0.5) f.store(viaPtr, off, size, r() < 0.3 ? bigConst() : v());
        else f.mov(f.load(viaPtr, off, size, r() < 0.3), v());
        return;
      }
      case 7: {
        if (o.kernel) {
          f.alu(pick(['add', 'xor', 'sub'] as const), v(), f.call(14, []), false, v());
          return;
        }
        const n = int(0, 5);
        const args = Array.from({ length: n }, () => (r() < 0.2 ? imm(bigConst()) : { reg: v() }));
        if (n === 0) {
          f.mov(f.call(9001, [imm(int(0, 99))]), v());
          return;
        }
        f.mov(f.call(9000 + n, args), v());
        return;
      }
      case 8: {
        // A scoped buffer: filled, hashed, dead afterwards (frames share these).
        const size = pick([32, 64, 96, 128]);
        const id = f.obj(size, `scoped ${size}`);
        f.zero(id, 0, size);
        f.store({ obj: id }, 8 * int(0, size / 8 - 1), 8, v());
        if (o.kernel) {
          if (objs.length && r() < 0.7) {
            const src = pick(objs);
            const len = int(1, Math.min(src.size, size));
            f.call(113, [ref(id, 0), imm(len), { reg: ptrs[objs.indexOf(src)]!.reg }], false);
          }
          const at = 8 * int(0, size / 8 - 1);
          f.alu('xor', v(), f.load({ obj: id }, at, 8), false, v());
          return;
        }
        if (r() < 0.5) f.call(9011, [ref(id, 8), imm(size - 8), v()], false);
        f.mov(f.call(9010, [ref(id), imm(size)]), v());
        return;
      }
      case 9: {
        if (objs.length < 2) return;
        const a = pick(objs);
        const b = pick(objs.filter((x) => x !== a));
        const len = int(1, Math.min(a.size, b.size));
        const src = r() < 0.5 ? { obj: b.id } : { reg: ptrs[objs.indexOf(b)]!.reg };
        const srcOff = r() < 0.5 ? 0 : int(0, b.size - len);
        f.copy(a.id, int(0, a.size - len), src, srcOff, len);
        return;
      }
      case 10: {
        if (!objs.length) return;
        const ob = pick(objs);
        const size = pick([4, 8] as const);
        const off = int(0, ob.size / size - 1) * size;
        f.atomicAdd(r() < 0.5 ? { obj: ob.id } : { reg: ptrs[objs.indexOf(ob)]!.reg }, off, size, v());
        return;
      }
      case 11: {
        if (!objs.length || o.kernel) return;
        const ob = pick(objs);
        const p = ptrs[objs.indexOf(ob)]!;
        f.mov(f.call(9010, [{ reg: p.reg }, imm(ob.size)]), v());
        return;
      }
      case 12:
      case 13: {
        if (!sub) return;
        f.mov(f.calllocal('sub', [{ reg: v() }, r() < 0.3 ? imm(bigConst()) : { reg: v() }]), v());
        return;
      }
      case 14:
      case 15: {
        const then = f.newBlock();
        const els = f.newBlock();
        const join = f.newBlock();
        f.br(pick(CMP), v(), r() < 0.4 ? bigConst() : v(), then, els, r() < 0.3);
        f.in(then);
        for (let n = int(0, 4); n > 0; n--) stmt(depth + 1);
        f.jmp(join);
        f.in(els);
        for (let n = int(0, 3); n > 0; n--) stmt(depth + 1);
        f.jmp(join);
        f.in(join);
        return;
      }
      default: {
        const i = f.const(0);
        const head = f.newBlock();
        const body = f.newBlock();
        const exit = f.newBlock();
        f.jmp(head);
        f.in(head);
        f.br('lt', i, BigInt(int(1, 4)), body, exit);
        f.in(body);
        for (let n = int(1, 4); n > 0; n--) stmt(depth + 1);
        f.alu('add', i, 1n, false, i);
        f.jmp(head);
        f.in(exit);
      }
    }
  };
  const n = o.stmts ?? int(5, 40);
  for (let i = 0; i < n; i++) stmt(0);
  let acc = f.const(0);
  for (const x of vars) acc = f.alu('xor', f.alu('mul', acc, 31n), x);
  for (const ob of objs) {
    if (o.kernel) {
      for (let at = 0; at < ob.size; at += 8) acc = f.alu('add', f.alu('mul', acc, 7n), f.load({ obj: ob.id }, at, 8));
    } else acc = f.alu('add', acc, f.call(9010, [ref(ob.id), imm(ob.size)]));
  }
  if (o.kernel) acc = f.alu('xor', acc, f.alu('rsh', acc, 32n), true);
  f.ret(acc);
  return sub ? program(f, sub) : program(f);
}

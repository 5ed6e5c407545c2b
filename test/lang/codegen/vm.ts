// Test-only executors: an eBPF interpreter for what the back end emits, and an IR interpreter
// giving the reference semantics. Both run against the same fake helpers, so a compiled
// program and its IR can be compared value for value without a kernel. The eBPF side checks
// what the verifier would: reads of unset registers (r1–r5 are unset after a call) and of
// stack bytes never written.
import { assemble, Class, AluOp, JmpOp, Mode, PseudoLd, PseudoCall, LD_IMM64, classOf, modeOf, opOf, sourceOf, sizeBytes, Endianness, type AsmItem } from '../../../src/asm/index.js';
import type { IrFunction, IrProgram, Value, Addr, AluOp as IrAlu, CmpOp } from '../../../src/lang/ir.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & M64;
const u32 = (v: bigint): bigint => v & 0xffffffffn;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

export class VmError extends Error {}

interface Region {
  base: number;
  bytes: Uint8Array;
  init?: Uint8Array;
  name: string;
  /** Accesses must be naturally aligned (the verifier's rule for the stack). */
  strict?: boolean;
}

/** Flat little-endian memory made of named regions; reads of never-written tracked bytes fail. */
export class Memory {
  private regions: Region[] = [];
  add(base: number, size: number, name: string, track = false, strict = false): Region {
    const r: Region = { base, bytes: new Uint8Array(size), name, ...(track ? { init: new Uint8Array(size) } : {}), strict };
    this.regions.push(r);
    return r;
  }
  private find(addr: number, len: number, insn = false): [Region, number] {
    for (const r of this.regions) {
      if (addr >= r.base && addr + len <= r.base + r.bytes.length) {
        if (insn && r.strict && addr % len !== 0) throw new VmError(`misaligned ${len}-byte access at offset ${addr - r.base} of ${r.name}`);
        return [r, addr - r.base];
      }
    }
    throw new VmError(`access to ${len} bytes at 0x${addr.toString(16)} is outside any region`);
  }
  read(addr: bigint, len: number, insn = false): Uint8Array {
    const [r, o] = this.find(Number(addr), len, insn);
    if (r.init) for (let i = 0; i < len; i++) if (!r.init[o + i]) throw new VmError(`read of unwritten byte ${o + i} of ${r.name}`);
    return r.bytes.slice(o, o + len);
  }
  write(addr: bigint, data: Uint8Array, insn = false): void {
    const [r, o] = this.find(Number(addr), data.length, insn);
    r.bytes.set(data, o);
    r.init?.fill(1, o, o + data.length);
  }
  /** An instruction's load: naturally aligned where the region demands it. */
  load(addr: bigint, size: number): bigint {
    const b = this.read(addr, size, true);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }
  store(addr: bigint, size: number, v: bigint): void {
    const b = new Uint8Array(size);
    for (let i = 0; i < size; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    this.write(addr, b, true);
  }
}

export interface Helper {
  arity: number;
  fn: (args: bigint[], mem: Memory) => bigint;
}

export interface Env {
  helpers: Record<number, Helper>;
  /** Value a map reference loads (a handle the helpers understand). */
  maps?: Record<string, bigint>;
  ctx?: Uint8Array;
  /** Step limit (default 1e6). */
  steps?: number;
}

export const CTX = 0x2000_0000;
const STACK = 0x1000_0000;
const FUNC_TAG = 0x5000_0000;

export interface RunResult {
  r0: bigint;
  /** Helper calls made: id, argument values (pointer arguments included as is), result. */
  calls: { id: number; args: bigint[]; ret: bigint }[];
  steps: number;
  /** Deepest stack byte touched below r10 of the main frame. */
  maxDepth: number;
  /** The memory at the end (what helpers wrote into map values, for instance). */
  mem: Memory;
}

function aluOp(op: number, dst: bigint, src: bigint, w32: boolean, signed: boolean): bigint {
  const m = w32 ? u32 : u64;
  const sx = w32 ? s32 : s64;
  const bits = w32 ? 32n : 64n;
  dst = m(dst);
  src = m(src);
  switch (op) {
    case AluOp.ADD: return m(dst + src);
    case AluOp.SUB: return m(dst - src);
    case AluOp.MUL: return m(dst * src);
    case AluOp.DIV:
      if (src === 0n) return 0n;
      return signed ? m(sx(dst) === sx(-(1n << (bits - 1n))) && sx(src) === -1n ? dst : sx(dst) / sx(src)) : dst / src;
    case AluOp.MOD:
      if (src === 0n) return dst;
      return signed ? m(sx(src) === -1n ? 0n : sx(dst) % sx(src)) : dst % src;
    case AluOp.OR: return dst | src;
    case AluOp.AND: return dst & src;
    case AluOp.XOR: return dst ^ src;
    case AluOp.LSH: return m(dst << (src & (bits - 1n)));
    case AluOp.RSH: return dst >> (src & (bits - 1n));
    case AluOp.ARSH: return m(sx(dst) >> (src & (bits - 1n)));
    case AluOp.MOV: return src;
    default: throw new VmError(`alu op 0x${op.toString(16)}`);
  }
}

function bswap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function cmp(op: number, a: bigint, b: bigint, w32: boolean): boolean {
  const m = w32 ? u32 : u64;
  const sx = w32 ? s32 : s64;
  a = m(a);
  b = m(b);
  switch (op) {
    case JmpOp.JEQ: return a === b;
    case JmpOp.JNE: return a !== b;
    case JmpOp.JGT: return a > b;
    case JmpOp.JGE: return a >= b;
    case JmpOp.JLT: return a < b;
    case JmpOp.JLE: return a <= b;
    case JmpOp.JSET: return (a & b) !== 0n;
    case JmpOp.JSGT: return sx(a) > sx(b);
    case JmpOp.JSGE: return sx(a) >= sx(b);
    case JmpOp.JSLT: return sx(a) < sx(b);
    case JmpOp.JSLE: return sx(a) <= sx(b);
    default: throw new VmError(`jmp op 0x${op.toString(16)}`);
  }
}

/** Runs emitted instructions (labels resolved by assemble) from the first one. */
export function runBpf(items: readonly AsmItem[], env: Env): RunResult {
  const asm = assemble(items);
  const bySlot = new Map<number, number>();
  asm.slots.forEach((s, i) => bySlot.set(s, i));
  const insns = asm.insns;
  const mem = new Memory();
  if (env.ctx) mem.add(CTX, env.ctx.length, 'ctx').bytes.set(env.ctx);
  const frames: Region[] = [];
  const frame = (k: number): Region => (frames[k] ??= mem.add(STACK + k * 0x1000, 512, `stack frame ${k}`, true, true));
  const regs: bigint[] = new Array(11).fill(0n);
  const init: boolean[] = new Array(11).fill(false);
  const get = (r: number): bigint => {
    if (!init[r]) throw new VmError(`read of unset register r${r} at instruction ${pc}`);
    return regs[r]!;
  };
  const set = (r: number, v: bigint): void => {
    if (r === 10) throw new VmError('write to r10');
    regs[r] = u64(v);
    init[r] = true;
  };
  const top = (k: number): bigint => BigInt(frame(k).base + 512);
  regs[1] = BigInt(CTX);
  init[1] = true;
  regs[10] = top(0);
  init[10] = true;
  const callStack: { pc: number; saved: bigint[]; savedInit: boolean[]; depth: number }[] = [];
  const calls: RunResult['calls'] = [];
  let depth = 0;
  let pc = 0;
  let steps = 0;
  let maxDepth = 0;
  const limit = env.steps ?? 1_000_000;
  const touch = (addr: bigint, size: number): void => {
    const t = top(0);
    if (depth === 0 && addr < t && addr >= t - 512n) maxDepth = Math.max(maxDepth, Number(t - addr));
    void size;
  };
  for (;;) {
    if (++steps > limit) throw new VmError('step limit reached');
    const i = insns[pc];
    if (!i) throw new VmError(`fell off the end at ${pc}`);
    const slot = asm.slots[pc]!;
    const jumpTo = (off: number): void => {
      const idx = bySlot.get(slot + 1 + off);
      if (idx === undefined) throw new VmError(`jump into the middle of an instruction at ${pc}`);
      pc = idx;
    };
    const cls = classOf(i.code);
    const x = sourceOf(i.code) === 0x08;
    switch (cls) {
      case Class.ALU:
      case Class.ALU64: {
        const w32 = cls === Class.ALU;
        const op = opOf(i.code);
        if (op === AluOp.NEG) set(i.dst, aluOp(AluOp.SUB, 0n, get(i.dst), w32, false));
        else if (op === AluOp.END) {
          const v = get(i.dst);
          if (cls === Class.ALU64 || sourceOf(i.code) === Endianness.TO_BE) set(i.dst, bswap(v, i.imm));
          else set(i.dst, v & ((1n << BigInt(i.imm)) - 1n));
        } else if (op === AluOp.MOV && x && i.off !== 0) {
          const v = get(i.src) & ((1n << BigInt(i.off)) - 1n);
          const sv = BigInt.asIntN(i.off, v);
          set(i.dst, w32 ? u32(sv) : u64(sv));
        } else {
          const src = x ? get(i.src) : w32 ? u32(BigInt(i.imm)) : u64(BigInt(i.imm));
          const dst = op === AluOp.MOV ? 0n : get(i.dst);
          set(i.dst, aluOp(op, dst, src, w32, i.off === 1));
        }
        pc++;
        break;
      }
      case Class.JMP:
      case Class.JMP32: {
        const op = opOf(i.code);
        if (op === JmpOp.EXIT) {
          const r0 = get(0);
          const c = callStack.pop();
          if (!c) return { r0, calls, steps, maxDepth, mem };
          for (let r = 6; r <= 9; r++) {
            regs[r] = c.saved[r]!;
            init[r] = c.savedInit[r]!;
          }
          for (let r = 1; r <= 5; r++) init[r] = false;
          depth = c.depth;
          regs[10] = top(depth);
          pc = c.pc;
          break;
        }
        if (op === JmpOp.CALL) {
          if (i.src === PseudoCall.CALL) {
            callStack.push({ pc: pc + 1, saved: regs.slice(), savedInit: init.slice(), depth });
            depth = callStack.length;
            regs[10] = top(depth);
            for (let r = 6; r <= 9; r++) init[r] = false;
            jumpTo(i.imm);
            break;
          }
          const h = env.helpers[i.imm];
          if (!h) throw new VmError(`unknown helper ${i.imm}`);
          const args: bigint[] = [];
          for (let r = 1; r <= h.arity; r++) args.push(get(r));
          const ret = u64(h.fn(args, mem));
          calls.push({ id: i.imm, args, ret });
          for (let r = 1; r <= 5; r++) init[r] = false;
          set(0, ret);
          pc++;
          break;
        }
        if (op === JmpOp.JA) {
          jumpTo(cls === Class.JMP32 ? i.imm : i.off);
          break;
        }
        const b = x ? get(i.src) : cls === Class.JMP32 ? u32(BigInt(i.imm)) : u64(BigInt(i.imm));
        if (cmp(op, get(i.dst), b, cls === Class.JMP32)) jumpTo(i.off);
        else pc++;
        break;
      }
      case Class.LDX: {
        const size = sizeBytes(i.code);
        const addr = u64(get(i.src) + BigInt(i.off));
        touch(addr, size);
        let v = mem.load(addr, size);
        if (modeOf(i.code) === Mode.MEMSX) v = u64(BigInt.asIntN(size * 8, v));
        set(i.dst, v);
        pc++;
        break;
      }
      case Class.ST:
      case Class.STX: {
        const size = sizeBytes(i.code);
        const addr = u64(get(i.dst) + BigInt(i.off));
        touch(addr, size);
        if (cls === Class.STX && modeOf(i.code) === Mode.ATOMIC) {
          if (i.imm !== 0) throw new VmError(`atomic op ${i.imm}`);
          mem.store(addr, size, mem.load(addr, size) + get(i.src));
        } else {
          mem.store(addr, size, cls === Class.ST ? u64(BigInt(i.imm)) : get(i.src));
        }
        pc++;
        break;
      }
      case Class.LD: {
        if (i.code !== LD_IMM64) throw new VmError(`ld 0x${i.code.toString(16)}`);
        if (i.src === PseudoLd.MAP_FD) {
          const v = env.maps?.[i.mapRef!.name];
          if (v === undefined) throw new VmError(`unknown map ${i.mapRef!.name}`);
          set(i.dst, v);
        } else if (i.src === PseudoLd.FUNC) {
          set(i.dst, BigInt(FUNC_TAG + slot + 1 + i.imm));
        } else set(i.dst, i.imm64 ?? 0n);
        pc++;
        break;
      }
      default:
        throw new VmError(`opcode 0x${i.code.toString(16)}`);
    }
  }
}

// ------------------------------------------------------------------------------------------
// IR reference interpreter

const OBJ = 0x3000_0000;

const ALU_CODE: Record<IrAlu, [number, boolean]> = {
  add: [AluOp.ADD, false], sub: [AluOp.SUB, false], mul: [AluOp.MUL, false], div: [AluOp.DIV, false],
  sdiv: [AluOp.DIV, true], mod: [AluOp.MOD, false], smod: [AluOp.MOD, true], and: [AluOp.AND, false],
  or: [AluOp.OR, false], xor: [AluOp.XOR, false], lsh: [AluOp.LSH, false], rsh: [AluOp.RSH, false],
  arsh: [AluOp.ARSH, false],
};
const CMP_CODE: Record<CmpOp, number> = {
  eq: JmpOp.JEQ, ne: JmpOp.JNE, gt: JmpOp.JGT, ge: JmpOp.JGE, lt: JmpOp.JLT, le: JmpOp.JLE,
  sgt: JmpOp.JSGT, sge: JmpOp.JSGE, slt: JmpOp.JSLT, sle: JmpOp.JSLE, set: JmpOp.JSET,
};

/** Executes IR directly; every stack object has storage of its own (so sharing bugs show). */
export function runIr(p: IrProgram, env: Env): RunResult {
  const mem = new Memory();
  if (env.ctx) mem.add(CTX, env.ctx.length, 'ctx').bytes.set(env.ctx);
  const calls: RunResult['calls'] = [];
  let steps = 0;
  const limit = env.steps ?? 1_000_000;
  let nextObj = OBJ;
  const funcs = new Map([p.main, ...p.subprograms].map((f) => [f.name, f]));
  const funcAddr = new Map<string, bigint>();
  let k = 0;
  for (const name of funcs.keys()) funcAddr.set(name, BigInt(FUNC_TAG + 0x100000 + k++));

  const call = (f: IrFunction, args: bigint[]): bigint => {
    const regs: (bigint | undefined)[] = new Array(f.vregCount).fill(undefined);
    const objBase = new Map<number, bigint>();
    for (const o of f.objects) {
      const base = nextObj;
      nextObj += Math.max(0x1000, o.size + 0x100);
      mem.add(base, o.size, `object ${o.name}`, true);
      objBase.set(o.id, BigInt(base));
    }
    const get = (v: number): bigint => {
      const x = regs[v];
      if (x === undefined) throw new VmError(`IR reads %${v} before assignment in ${f.name}`);
      return x;
    };
    const set = (v: number, x: bigint): void => {
      regs[v] = u64(x);
    };
    f.params.forEach((pv, i) => set(pv, args[i] ?? 0n));
    const addr = (a: Addr, off: number): bigint => u64(('reg' in a ? get(a.reg) : objBase.get(a.obj)!) + BigInt(off));
    const value = (v: Value): bigint => ('reg' in v ? get(v.reg) : 'imm' in v ? u64(v.imm) : objBase.get(v.obj)! + BigInt(v.off));
    const blocks = new Map(f.blocks.map((b) => [b.id, b]));
    let b = blocks.get(f.entry)!;
    for (;;) {
      for (const i of b.insns) {
        if (++steps > limit) throw new VmError('step limit reached');
        switch (i.op) {
          case 'const': set(i.dst, i.value); break;
          case 'mov': set(i.dst, get(i.src)); break;
          case 'alu': {
            const [op, signed] = ALU_CODE[i.alu];
            const w = i.w32 === true;
            const bv = typeof i.b === 'bigint' ? (w ? u32(i.b) : u64(i.b)) : get(i.b);
            set(i.dst, aluOp(op, get(i.a), bv, w, signed));
            break;
          }
          case 'neg': set(i.dst, -get(i.a)); break;
          case 'sext': set(i.dst, BigInt.asIntN(i.bits, get(i.a))); break;
          case 'zext': set(i.dst, BigInt.asUintN(i.bits, get(i.a))); break;
          case 'bswap': set(i.dst, bswap(get(i.a), i.bits)); break;
          case 'load': {
            const v = mem.load(addr(i.addr, i.off), i.size);
            set(i.dst, i.signed ? BigInt.asIntN(i.size * 8, v) : v);
            break;
          }
          case 'store': mem.store(addr(i.addr, i.off), i.size, typeof i.value === 'bigint' ? u64(i.value) : get(i.value)); break;
          case 'addr': set(i.dst, objBase.get(i.obj)! + BigInt(i.off)); break;
          case 'mapfd': {
            const v = env.maps?.[i.map];
            if (v === undefined) throw new VmError(`unknown map ${i.map}`);
            set(i.dst, v);
            break;
          }
          case 'ctx': set(i.dst, BigInt(CTX)); break;
          case 'funcaddr': set(i.dst, funcAddr.get(i.func)!); break;
          case 'call': {
            const h = env.helpers[i.helper];
            if (!h) throw new VmError(`unknown helper ${i.helper}`);
            const args = i.args.slice(0, h.arity).map(value);
            const ret = u64(h.fn(args, mem));
            calls.push({ id: i.helper, args, ret });
            if (i.dst !== undefined) set(i.dst, ret);
            break;
          }
          case 'calllocal': {
            const r = call(funcs.get(i.func)!, i.args.map(value));
            if (i.dst !== undefined) set(i.dst, r);
            break;
          }
          case 'atomic_add': {
            const a = addr(i.addr, i.off);
            mem.store(a, i.size, mem.load(a, i.size) + get(i.value));
            break;
          }
          case 'zero': mem.write(objBase.get(i.obj)! + BigInt(i.off), new Uint8Array(i.len)); break;
          case 'copy': mem.write(objBase.get(i.obj)! + BigInt(i.off), mem.read(addr(i.src, i.srcOff), i.len)); break;
        }
      }
      const t = b.term;
      if (t.op === 'ret') return typeof t.value === 'bigint' ? u64(t.value) : get(t.value);
      if (t.op === 'jmp') b = blocks.get(t.to)!;
      else {
        const w = t.w32 === true;
        const bv = typeof t.b === 'bigint' ? (w ? u32(t.b) : u64(t.b)) : get(t.b);
        b = blocks.get(cmp(CMP_CODE[t.cmp], get(t.a), bv, w) ? t.then : t.else)!;
      }
    }
  };
  const r0 = call(p.main, [BigInt(CTX)]);
  return { r0, calls, steps, maxDepth: 0, mem };
}

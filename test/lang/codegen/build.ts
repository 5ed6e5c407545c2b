// A tiny IR builder for the back-end tests: blocks, vregs and objects by hand, no front end.
import type {
  AluOp, BlockId, CmpOp, IrBlock, IrFunction, IrInsn, IrProgram, MemSize, ObjId, StackObject, Terminator, Value, VReg, Addr,
} from '../../../src/lang/ir.js';
import type { Span } from '../../../src/lang/source.js';

export const span = (line: number, col: number): Span => ({ line, col, endLine: line, endCol: col + 1, offset: 0, length: 1 });

export class Fn {
  readonly params: VReg[] = [];
  private readonly blocks: IrBlock[] = [];
  private readonly objects: StackObject[] = [];
  private nextReg = 0;
  private cur: IrBlock;
  private curSpan: Span | undefined;

  constructor(readonly name = 'main', nparams = 0) {
    for (let i = 0; i < nparams; i++) this.params.push(this.reg());
    this.cur = this.blocks[this.newBlock()]!;
  }

  reg(): VReg {
    return this.nextReg++;
  }

  obj(size: number, name = `obj${this.objects.length}`, align = 8, sp?: Span): ObjId {
    const id = this.objects.length;
    this.objects.push({ id, size, align, name, ...(sp ? { span: sp } : {}) });
    return id;
  }

  /** Subsequent instructions carry this span. */
  at(sp: Span | undefined): this {
    this.curSpan = sp;
    return this;
  }

  newBlock(): BlockId {
    const b: IrBlock = { id: this.blocks.length, insns: [], term: { op: 'ret', value: 0n } };
    this.blocks.push(b);
    return b.id;
  }

  /** Makes `id` the block instructions are appended to. */
  in(id: BlockId): this {
    this.cur = this.blocks[id]!;
    return this;
  }

  get block(): BlockId {
    return this.cur.id;
  }

  emit(i: IrInsn): this {
    this.cur.insns.push(this.curSpan && !i.span ? { ...i, span: this.curSpan } : i);
    return this;
  }

  const(value: bigint | number): VReg {
    const dst = this.reg();
    this.emit({ op: 'const', dst, value: BigInt(value) });
    return dst;
  }

  mov(src: VReg, dst = this.reg()): VReg {
    this.emit({ op: 'mov', dst, src });
    return dst;
  }

  /** Numbers are vregs, bigints immediates (as everywhere in this builder). */
  alu(alu: AluOp, a: VReg, b: VReg | bigint, w32 = false, dst = this.reg()): VReg {
    this.emit({ op: 'alu', alu, dst, a, b, ...(w32 ? { w32 } : {}) });
    return dst;
  }

  un(op: 'neg', a: VReg): VReg;
  un(op: 'sext' | 'zext', a: VReg, bits: 8 | 16 | 32): VReg;
  un(op: 'bswap', a: VReg, bits: 16 | 32 | 64): VReg;
  un(op: 'neg' | 'sext' | 'zext' | 'bswap', a: VReg, bits?: number): VReg {
    const dst = this.reg();
    this.emit({ op, dst, a, bits } as IrInsn);
    return dst;
  }

  load(addr: Addr, off: number, size: MemSize, signed = false): VReg {
    const dst = this.reg();
    this.emit({ op: 'load', dst, addr, off, size, ...(signed ? { signed } : {}) });
    return dst;
  }

  store(addr: Addr, off: number, size: MemSize, value: VReg | bigint): this {
    return this.emit({ op: 'store', addr, off, size, value });
  }

  addr(obj: ObjId, off = 0): VReg {
    const dst = this.reg();
    this.emit({ op: 'addr', dst, obj, off });
    return dst;
  }

  mapfd(map: string): VReg {
    const dst = this.reg();
    this.emit({ op: 'mapfd', dst, map });
    return dst;
  }

  ctx(): VReg {
    const dst = this.reg();
    this.emit({ op: 'ctx', dst });
    return dst;
  }

  funcaddr(func: string): VReg {
    const dst = this.reg();
    this.emit({ op: 'funcaddr', dst, func });
    return dst;
  }

  call(helper: number, args: (Value | VReg | number)[], withResult = true): VReg {
    const dst = withResult ? this.reg() : undefined;
    this.emit({ op: 'call', helper, args: args.map(val), ...(dst !== undefined ? { dst } : {}) });
    return dst ?? -1;
  }

  calllocal(func: string, args: (Value | VReg | number)[], withResult = true): VReg {
    const dst = withResult ? this.reg() : undefined;
    this.emit({ op: 'calllocal', func, args: args.map(val), ...(dst !== undefined ? { dst } : {}) });
    return dst ?? -1;
  }

  atomicAdd(addr: Addr, off: number, size: 4 | 8, value: VReg): this {
    return this.emit({ op: 'atomic_add', addr, off, size, value });
  }

  zero(obj: ObjId, off: number, len: number): this {
    return this.emit({ op: 'zero', obj, off, len });
  }

  copy(obj: ObjId, off: number, src: Addr, srcOff: number, len: number): this {
    return this.emit({ op: 'copy', obj, off, src, srcOff, len });
  }

  private end(t: Terminator): void {
    this.cur.term = this.curSpan && !t.span ? { ...t, span: this.curSpan } : t;
  }

  br(cmp: CmpOp, a: VReg, b: VReg | bigint, then: BlockId, els: BlockId, w32 = false): void {
    this.end({ op: 'br', cmp, a, b, then, else: els, ...(w32 ? { w32 } : {}) });
  }

  jmp(to: BlockId): void {
    this.end({ op: 'jmp', to });
  }

  ret(value: VReg | bigint): void {
    this.end({ op: 'ret', value });
  }

  build(): IrFunction {
    return { name: this.name, params: this.params, blocks: this.blocks, entry: 0, objects: this.objects, vregCount: this.nextReg };
  }
}

function val(v: Value | VReg | number): Value {
  return typeof v === 'number' ? { reg: v } : v;
}

export const imm = (v: bigint | number): Value => ({ imm: BigInt(v) });
export const ref = (obj: ObjId, off = 0): Value => ({ obj, off });

export function program(main: Fn | IrFunction, ...subs: (Fn | IrFunction)[]): IrProgram {
  const f = (x: Fn | IrFunction): IrFunction => (x instanceof Fn ? x.build() : x);
  return { name: 'test', main: f(main), subprograms: subs.map(f) };
}

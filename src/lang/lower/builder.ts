/**
 * Building one IR function: blocks, virtual registers and stack objects, with a "current block"
 * cursor. Emitting after a terminator (code after `return` or `exit()`) goes to a fresh block
 * that nothing jumps to; `finish()` drops unreachable blocks.
 */
import type { BlockId, IrBlock, IrFunction, IrInsn, ObjId, StackObject, Terminator, VReg } from '../ir.js';
import type { Span } from '../source.js';

export class FnBuilder {
  private readonly blocks: IrBlock[] = [];
  private readonly objects: StackObject[] = [];
  private readonly terminated = new Set<BlockId>();
  private nextReg = 0;
  private current: IrBlock;
  readonly entry: BlockId;
  /** Span stamped on emitted instructions (the statement or expression being lowered). */
  span: Span | undefined;

  constructor(readonly name: string) {
    this.current = this.newBlock();
    this.entry = this.current.id;
  }

  reg(): VReg {
    return this.nextReg++;
  }

  newBlock(): IrBlock {
    const b: IrBlock = { id: this.blocks.length, insns: [], term: { op: 'ret', value: 0n } };
    this.blocks.push(b);
    return b;
  }

  get block(): IrBlock {
    return this.current;
  }

  setBlock(b: IrBlock): void {
    this.current = b;
  }

  isTerminated(): boolean {
    return this.terminated.has(this.current.id);
  }

  emit(i: IrInsn): void {
    if (this.terminated.has(this.current.id)) this.current = this.newBlock();
    if (this.span && !i.span) i.span = this.span;
    this.current.insns.push(i);
  }

  terminate(t: Terminator): void {
    if (this.terminated.has(this.current.id)) this.current = this.newBlock();
    if (this.span && !t.span) t.span = this.span;
    this.current.term = t;
    this.terminated.add(this.current.id);
  }

  jmp(to: IrBlock): void {
    this.terminate({ op: 'jmp', to: to.id });
  }

  obj(size: number, align: number, name: string, span?: Span): ObjId {
    const id = this.objects.length;
    const o: StackObject = { id, size, align, name };
    if (span) o.span = span;
    this.objects.push(o);
    return id;
  }

  objectSize(id: ObjId): number {
    return this.objects[id]!.size;
  }

  /** The function, with unreachable blocks removed (block ids are kept). */
  finish(params: VReg[] = []): IrFunction {
    const byId = new Map(this.blocks.map((b) => [b.id, b]));
    const seen = new Set<BlockId>();
    const stack = [this.entry];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const t = byId.get(id)!.term;
      if (t.op === 'jmp') stack.push(t.to);
      else if (t.op === 'br') stack.push(t.then, t.else);
    }
    const blocks = this.blocks.filter((b) => seen.has(b.id));
    return { name: this.name, params, blocks, entry: this.entry, objects: this.objects, vregCount: this.nextReg };
  }
}

// Loading programs: first without a log (fast path), then, only if the kernel refused, again with a
// verifier log that grows on ENOSPC, so the error can say what the verifier said.
import {
  Mem, progLoad, progTestRun, objGetInfoByFd, close, SysError, Errno, ProgType, AttachType, btfLoad,
} from '../sys/index.js';
import type { SourceSpan } from '../asm/insn.js';
import { VerifierError } from './verifier.js';

export type ProgKind = 'kprobe' | 'tracepoint' | 'raw_tracepoint' | 'perf_event' | 'tracing' | 'socket_filter' | 'syscall';

const KIND_TYPE: Record<ProgKind, number> = {
  kprobe: ProgType.KPROBE, tracepoint: ProgType.TRACEPOINT, raw_tracepoint: ProgType.RAW_TRACEPOINT,
  perf_event: ProgType.PERF_EVENT, tracing: ProgType.TRACING, socket_filter: ProgType.SOCKET_FILTER,
  syscall: ProgType.SYSCALL,
};

export interface ProgramSpec {
  name: string;
  kind: ProgKind;
  /** Encoded instructions (8-byte slots), map fds already patched in. */
  bytes: Uint8Array;
  /** Source span per slot, for mapping verifier complaints back to the script. */
  spans?: readonly (SourceSpan | undefined)[];
  license?: string;
  expectedAttachType?: number;
  attachBtfId?: number;
  attachBtfObjFd?: number;
}

export interface LoadOptions {
  /** 0: log only on failure; 1 or 2: always log (the log is then kept on the Program). */
  logLevel?: number;
  /** Initial log size in bytes (grown on ENOSPC up to 1 GiB - 1). */
  logSize?: number;
}

export interface ProgramInfo {
  id: number;
  name: string;
  tag: string;
  xlatedLen: number;
  jitedLen: number;
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
}

const MAX_LOG = 0x3fffffff;

export class Program {
  readonly spec: ProgramSpec;
  readonly log: string;
  private _fd: number;

  private constructor(spec: ProgramSpec, fd: number, log: string) {
    this.spec = spec;
    this._fd = fd;
    this.log = log;
  }

  static load(spec: ProgramSpec, opts: LoadOptions = {}): Program {
    if (spec.bytes.length % 8 !== 0 || spec.bytes.length === 0) {
      throw new Error(`program ${spec.name}: instruction bytes must be a non-empty multiple of 8 (got ${spec.bytes.length})`);
    }
    const insns = Mem.from(spec.bytes);
    const funcs = funcInfo(spec.name, spec.bytes);
    try {
      return Program.loadWith(spec, opts, insns, funcs);
    } finally {
      if (funcs) close(funcs.btfFd);
    }
  }

  private static loadWith(spec: ProgramSpec, opts: LoadOptions, insns: Mem, funcs: FuncInfo | undefined): Program {
    const base = {
      ...(funcs ? { progBtfFd: funcs.btfFd, funcInfo: { mem: funcs.records, recSize: 8, count: funcs.count } } : {}),
      type: KIND_TYPE[spec.kind], insns, insnCount: spec.bytes.length / 8, license: spec.license ?? 'GPL',
      name: spec.name,
      ...(spec.expectedAttachType !== undefined ? { expectedAttachType: spec.expectedAttachType } : {}),
      ...(spec.attachBtfId !== undefined ? { attachBtfId: spec.attachBtfId } : {}),
      ...(spec.attachBtfObjFd !== undefined ? { attachBtfObjFd: spec.attachBtfObjFd } : {}),
    };
    const level = opts.logLevel ?? 0;
    // The verifier gives up with EAGAIN when a signal is pending (e.g. a profiler's timer); like
    // libbpf, try again a few times before treating it as an answer.
    const load = (a: Parameters<typeof progLoad>[0]) => {
      let r = progLoad(a);
      for (let i = 0; i < 5 && r.fd < 0 && r.errno === Errno.EAGAIN; i++) r = progLoad(a);
      return r;
    };
    if (level === 0) {
      const r = load(base);
      if (r.fd >= 0) return new Program(spec, r.fd, '');
      // EPERM is about privileges, never the program: no point asking the verifier why.
      if (r.errno === Errno.EPERM) throw new SysError(`BPF_PROG_LOAD(${spec.name})`, r.errno);
    }
    let size = opts.logSize ?? 64 * 1024;
    for (;;) {
      const log = new Mem(size);
      const r = load({ ...base, log, logLevel: Math.max(level, 1) });
      const text = cstr(log.bytes);
      if (r.fd >= 0) return new Program(spec, r.fd, text);
      if (r.errno === Errno.ENOSPC && size < MAX_LOG) {
        size = Math.min(Math.max(size * 4, r.logTrueSize + 1), MAX_LOG);
        continue;
      }
      if (r.errno === Errno.EPERM) throw new SysError(`BPF_PROG_LOAD(${spec.name})`, r.errno);
      if (text.length === 0) throw new SysError(`BPF_PROG_LOAD(${spec.name})`, r.errno);
      throw new VerifierError(spec.name, r.errno, text, spec.spans);
    }
  }

  get fd(): number {
    if (this._fd < 0) throw new Error(`program ${this.spec.name} used after close`);
    return this._fd;
  }

  get name(): string {
    return this.spec.name;
  }

  info(): ProgramInfo {
    const m = new Mem(232);
    objGetInfoByFd(this.fd, m);
    const v = m.view;
    const nameBytes = m.bytes.subarray(64, 80);
    const end = nameBytes.indexOf(0);
    return {
      id: v.getUint32(4, true),
      tag: Buffer.from(m.bytes.subarray(8, 16)).toString('hex'),
      jitedLen: v.getUint32(16, true),
      xlatedLen: v.getUint32(20, true),
      name: Buffer.from(nameBytes.subarray(0, end < 0 ? 16 : end)).toString(),
      runTimeNs: v.getBigUint64(192, true),
      runCnt: v.getBigUint64(200, true),
      recursionMisses: v.getBigUint64(208, true),
      verifiedInsns: v.getUint32(216, true),
    };
  }

  /**
   * BPF_PROG_TEST_RUN. For raw_tracepoint programs `ctx` is the u64 argument array; this is how
   * BEGIN/END run exactly once, on the calling CPU, with no attach at all.
   */
  testRun(opts: { ctx?: Uint8Array; data?: Uint8Array; dataOut?: number; repeat?: number; cpu?: number } = {}): { retval: number; duration: number; dataOut?: Uint8Array } {
    const ctxIn = opts.ctx ? Mem.from(opts.ctx) : undefined;
    const dataIn = opts.data ? Mem.from(opts.data) : undefined;
    const dataOut = opts.dataOut ? new Mem(opts.dataOut) : undefined;
    const BPF_F_TEST_RUN_ON_CPU = 1;
    const r = progTestRun(this.fd, {
      ...(ctxIn ? { ctxIn } : {}), ...(dataIn ? { dataIn } : {}), ...(dataOut ? { dataOut } : {}),
      repeat: opts.repeat ?? 0,
      ...(opts.cpu !== undefined ? { flags: BPF_F_TEST_RUN_ON_CPU, cpu: opts.cpu } : {}),
    });
    return { retval: r.retval, duration: r.duration, ...(dataOut ? { dataOut: dataOut.bytes.slice(0, r.dataSizeOut) } : {}) };
  }

  close(): void {
    if (this._fd >= 0) close(this._fd);
    this._fd = -1;
  }
}

function cstr(b: Uint8Array): string {
  const end = b.indexOf(0);
  return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('utf8');
}

export { AttachType, ProgType };

interface FuncInfo {
  btfFd: number;
  /** bpf_func_info records: u32 insn_off, u32 type_id. */
  records: Mem;
  count: number;
}

/**
 * Callbacks (bpf_loop, bpf_for_each_map_elem: an ld_imm64 of a function's address) need BTF
 * func_info: the kernel wants every function's start and a BTF FUNC for it ("missing btf
 * func_info" otherwise). Functions are found from the code itself — the targets of bpf-to-bpf
 * calls and of function addresses — and described minimally: `static int name(void)` (the
 * kernel checks argument types only for global functions). Programs without callbacks load
 * without BTF, as before.
 */
function funcInfo(name: string, bytes: Uint8Array): FuncInfo | undefined {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / 8;
  const starts = new Set<number>([0]);
  let callbacks = false;
  for (let i = 0; i < n; i++) {
    const code = v.getUint8(i * 8);
    const src = v.getUint8(i * 8 + 1) >> 4;
    const imm = v.getInt32(i * 8 + 4, true);
    if (code === 0x18 && src === 4) {
      // BPF_PSEUDO_FUNC: imm is relative to the next instruction.
      starts.add(i + imm + 1);
      callbacks = true;
    }
    if (code === 0x85 && src === 1) starts.add(i + imm + 1);
    if (code === 0x18) i++;
  }
  if (!callbacks) return undefined;
  const offs = [...starts].sort((a, b) => a - b);
  const ident = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_') || 'prog';
  const names = offs.map((o) => (o === 0 ? ident(name) : `${ident(name)}_f${o}`));
  // Strings: "\0int\0name…".
  const enc = new TextEncoder();
  const strs: number[] = [0];
  const addStr = (t: string): number => {
    const off = strs.length;
    strs.push(...enc.encode(t), 0);
    return off;
  };
  const intName = addStr('int');
  const nameOffs = names.map(addStr);
  const types: number[] = [];
  // [1] INT int: size 4, signed, 32 bits.
  types.push(intName, (1 << 24) >>> 0, 4, ((1 << 24) | 32) >>> 0);
  // [2] FUNC_PROTO int (void).
  types.push(0, (13 << 24) >>> 0, 1);
  // [3…] FUNC name, static, of type [2].
  for (const off of nameOffs) types.push(off, (12 << 24) >>> 0, 2);
  const typeLen = types.length * 4;
  const blob = new Uint8Array(24 + typeLen + strs.length);
  const b = new DataView(blob.buffer);
  b.setUint16(0, 0xeb9f, true);
  b.setUint8(2, 1);
  b.setUint8(3, 0);
  b.setUint32(4, 24, true);
  b.setUint32(8, 0, true);
  b.setUint32(12, typeLen, true);
  b.setUint32(16, typeLen, true);
  b.setUint32(20, strs.length, true);
  types.forEach((x, i) => b.setUint32(24 + i * 4, x, true));
  blob.set(strs, 24 + typeLen);
  const btfFd = btfLoad(Mem.from(blob));
  const records = new Mem(offs.length * 8);
  offs.forEach((o, i) => {
    records.view.setUint32(i * 8, o, true);
    records.view.setUint32(i * 8 + 4, 3 + i, true);
  });
  return { btfFd, records, count: offs.length };
}

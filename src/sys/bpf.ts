// bpf(2) commands, one function per command, each building only the union bpf_attr fields it
// needs (offsets from include/uapi/linux/bpf.h). The attr is always passed with the full size we
// know; older kernels accept it as long as the fields they do not know are zero.
import { lib, errno, Mem } from './libc.js';
import { SysError } from './errors.js';

export const BpfCmd = {
  MAP_CREATE: 0, MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5, OBJ_PIN: 6, OBJ_GET: 7, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11, MAP_GET_NEXT_ID: 12, PROG_GET_FD_BY_ID: 13, MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15, PROG_QUERY: 16, RAW_TRACEPOINT_OPEN: 17, BTF_LOAD: 18, BTF_GET_FD_BY_ID: 19,
  TASK_FD_QUERY: 20, MAP_LOOKUP_AND_DELETE_ELEM: 21, MAP_FREEZE: 22, BTF_GET_NEXT_ID: 23,
  MAP_LOOKUP_BATCH: 24, MAP_LOOKUP_AND_DELETE_BATCH: 25, MAP_UPDATE_BATCH: 26, MAP_DELETE_BATCH: 27,
  LINK_CREATE: 28, LINK_UPDATE: 29, LINK_GET_FD_BY_ID: 30, LINK_GET_NEXT_ID: 31, ENABLE_STATS: 32,
  ITER_CREATE: 33, LINK_DETACH: 34, PROG_BIND_MAP: 35,
} as const;
export type BpfCmdName = keyof typeof BpfCmd;
const CMD_NAMES = Object.fromEntries(Object.entries(BpfCmd).map(([k, v]) => [v, `BPF_${k}`])) as Record<number, string>;

export const ATTR_SIZE = 144;

let firstCall = true;
/** SONDE_STARTUP_TIMING=1 reports when the first bpf() call happens (ms since process start). */
function noteFirstCall(cmd: number): void {
  firstCall = false;
  if (process.env['SONDE_STARTUP_TIMING']) {
    process.stderr.write(`sonde: first bpf() (${CMD_NAMES[cmd]}) at ${performance.now().toFixed(1)} ms after process start\n`);
  }
}

/** Raw bpf() call. Returns the (non-negative) result or throws SysError naming the command. */
export function bpf(cmd: number, attr: Mem, size = ATTR_SIZE): number {
  if (firstCall) noteFirstCall(cmd);
  const l = lib();
  const r = Number(l.sysBpf(l.nr.bpf, cmd, attr.bytes, size) as number | bigint);
  if (r < 0) throw new SysError(CMD_NAMES[cmd] ?? `bpf cmd ${cmd}`, errno());
  return r;
}

/** Like bpf() but returns -errno instead of throwing (for probing and expected misses). */
export function bpfTry(cmd: number, attr: Mem, size = ATTR_SIZE): number {
  if (firstCall) noteFirstCall(cmd);
  const l = lib();
  const r = Number(l.sysBpf(l.nr.bpf, cmd, attr.bytes, size) as number | bigint);
  return r < 0 ? -errno() : r;
}

export const MapType = {
  UNSPEC: 0, HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24,
  DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30,
  USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;

export const MapFlag = {
  NO_PREALLOC: 1 << 0, NO_COMMON_LRU: 1 << 1, NUMA_NODE: 1 << 2, RDONLY: 1 << 3, WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5, ZERO_SEED: 1 << 6, RDONLY_PROG: 1 << 7, WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9, MMAPABLE: 1 << 10,
} as const;

export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, F_LOCK: 4 } as const;

export interface MapCreateAttr {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  innerMapFd?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  mapExtra?: bigint;
}

/** Kernel object names: at most 15 chars of [A-Za-z0-9_.]. */
export function objName(name: string | undefined): string {
  return (name ?? '').replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

export function mapCreate(a: MapCreateAttr): number {
  const m = new Mem(ATTR_SIZE);
  const v = m.view;
  v.setUint32(0, a.type, true);
  v.setUint32(4, a.keySize, true);
  v.setUint32(8, a.valueSize, true);
  v.setUint32(12, a.maxEntries, true);
  v.setUint32(16, a.flags ?? 0, true);
  v.setUint32(20, a.innerMapFd ?? 0, true);
  m.bytes.set(Buffer.from(objName(a.name)), 28);
  v.setUint32(48, a.btfFd ?? 0, true);
  v.setUint32(52, a.btfKeyTypeId ?? 0, true);
  v.setUint32(56, a.btfValueTypeId ?? 0, true);
  v.setBigUint64(64, a.mapExtra ?? 0n, true);
  return bpf(BpfCmd.MAP_CREATE, m, 72);
}

/** Attr for element commands; reusable so hot loops allocate nothing. */
export class ElemAttr {
  readonly mem = new Mem(32);
  constructor(mapFd: number) {
    this.mem.view.setUint32(0, mapFd, true);
  }
  set(key: bigint, value: bigint, flags = 0): this {
    const v = this.mem.view;
    v.setBigUint64(8, key, true);
    v.setBigUint64(16, value, true);
    v.setBigUint64(24, BigInt(flags), true);
    return this;
  }
}

export function mapElemCall(cmd: number, attr: ElemAttr): number {
  return bpfTry(cmd, attr.mem, 32);
}

export class BatchAttr {
  readonly mem = new Mem(56);
  constructor(mapFd: number) {
    this.mem.view.setUint32(36, mapFd, true);
  }
  set(inBatch: bigint, outBatch: bigint, keys: bigint, values: bigint, count: number): this {
    const v = this.mem.view;
    v.setBigUint64(0, inBatch, true);
    v.setBigUint64(8, outBatch, true);
    v.setBigUint64(16, keys, true);
    v.setBigUint64(24, values, true);
    v.setUint32(32, count, true);
    return this;
  }
  get count(): number {
    return this.mem.view.getUint32(32, true);
  }
}

export const ProgType = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6,
  PERF_EVENT: 7, CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13,
  SK_SKB: 14, CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19, LIRC_MODE2: 20, SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29,
  SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;

export const AttachType = {
  TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25, MODIFY_RETURN: 26, TRACE_ITER: 28,
  PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42, TRACE_UPROBE_MULTI: 48,
} as const;

export interface ProgLoadAttr {
  type: number;
  insns: Mem;
  insnCount: number;
  license: string;
  logLevel?: number;
  log?: Mem;
  name?: string;
  expectedAttachType?: number;
  attachBtfId?: number;
  attachBtfObjFd?: number;
  progBtfFd?: number;
  kernVersion?: number;
  flags?: number;
  lineInfo?: { mem: Mem; recSize: number; count: number };
  funcInfo?: { mem: Mem; recSize: number; count: number };
}

/** BPF_PROG_LOAD; returns the fd or -errno (the caller decides how to report with the log). */
export function progLoad(a: ProgLoadAttr): { fd: number; errno: number; logTrueSize: number } {
  const m = new Mem(ATTR_SIZE);
  const v = m.view;
  const license = Mem.cstring(a.license);
  v.setUint32(0, a.type, true);
  v.setUint32(4, a.insnCount, true);
  v.setBigUint64(8, a.insns.addr, true);
  v.setBigUint64(16, license.addr, true);
  if (a.log) {
    v.setUint32(24, a.logLevel ?? 1, true);
    v.setUint32(28, a.log.bytes.length, true);
    v.setBigUint64(32, a.log.addr, true);
  }
  v.setUint32(40, a.kernVersion ?? 0, true);
  v.setUint32(44, a.flags ?? 0, true);
  m.bytes.set(Buffer.from(objName(a.name)), 48);
  v.setUint32(68, a.expectedAttachType ?? 0, true);
  v.setUint32(72, a.progBtfFd ?? 0, true);
  if (a.funcInfo) {
    v.setUint32(76, a.funcInfo.recSize, true);
    v.setBigUint64(80, a.funcInfo.mem.addr, true);
    v.setUint32(88, a.funcInfo.count, true);
  }
  if (a.lineInfo) {
    v.setUint32(92, a.lineInfo.recSize, true);
    v.setBigUint64(96, a.lineInfo.mem.addr, true);
    v.setUint32(104, a.lineInfo.count, true);
  }
  v.setUint32(108, a.attachBtfId ?? 0, true);
  v.setUint32(112, a.attachBtfObjFd ?? 0, true);
  const r = bpfTry(BpfCmd.PROG_LOAD, m);
  // Keep license alive across the call (its address is inside the attr).
  void license;
  return r >= 0 ? { fd: r, errno: 0, logTrueSize: 0 } : { fd: -1, errno: -r, logTrueSize: v.getUint32(140, true) };
}

export interface TestRunResult {
  retval: number;
  duration: number;
  dataSizeOut: number;
  ctxSizeOut: number;
}

export function progTestRun(
  progFd: number,
  opts: { ctxIn?: Mem; dataIn?: Mem; dataOut?: Mem; ctxOut?: Mem; repeat?: number; flags?: number; cpu?: number } = {},
): TestRunResult {
  const m = new Mem(80);
  const v = m.view;
  v.setUint32(0, progFd, true);
  if (opts.dataIn) {
    v.setUint32(8, opts.dataIn.bytes.length, true);
    v.setBigUint64(16, opts.dataIn.addr, true);
  }
  if (opts.dataOut) {
    v.setUint32(12, opts.dataOut.bytes.length, true);
    v.setBigUint64(24, opts.dataOut.addr, true);
  }
  v.setUint32(32, opts.repeat ?? 0, true);
  if (opts.ctxIn) {
    v.setUint32(40, opts.ctxIn.bytes.length, true);
    v.setBigUint64(48, opts.ctxIn.addr, true);
  }
  if (opts.ctxOut) {
    v.setUint32(44, opts.ctxOut.bytes.length, true);
    v.setBigUint64(56, opts.ctxOut.addr, true);
  }
  v.setUint32(64, opts.flags ?? 0, true);
  v.setUint32(68, opts.cpu ?? 0, true);
  bpf(BpfCmd.PROG_TEST_RUN, m, 80);
  return {
    retval: v.getUint32(4, true),
    duration: v.getUint32(36, true),
    dataSizeOut: v.getUint32(12, true),
    ctxSizeOut: v.getUint32(44, true),
  };
}

export function objGetInfoByFd(fd: number, info: Mem): number {
  const m = new Mem(16);
  m.view.setUint32(0, fd, true);
  m.view.setUint32(4, info.bytes.length, true);
  m.view.setBigUint64(8, info.addr, true);
  bpf(BpfCmd.OBJ_GET_INFO_BY_FD, m, 16);
  return m.view.getUint32(4, true);
}

export function rawTracepointOpen(name: string | null, progFd: number): number {
  const m = new Mem(16);
  const n = name === null ? null : Mem.cstring(name);
  m.view.setBigUint64(0, n ? n.addr : 0n, true);
  m.view.setUint32(8, progFd, true);
  return bpf(BpfCmd.RAW_TRACEPOINT_OPEN, m, 16);
}

export interface LinkCreateAttr {
  progFd: number;
  targetFd: number;
  attachType: number;
  flags?: number;
  /** Writes the attach-type-specific tail (offset 16 onwards). */
  tail?: (v: DataView) => void;
}

export function linkCreate(a: LinkCreateAttr): number {
  const m = new Mem(64);
  const v = m.view;
  v.setUint32(0, a.progFd, true);
  v.setUint32(4, a.targetFd, true);
  v.setUint32(8, a.attachType, true);
  v.setUint32(12, a.flags ?? 0, true);
  a.tail?.(v);
  return bpf(BpfCmd.LINK_CREATE, m, 64);
}

export function btfLoad(data: Mem, log?: Mem): number {
  const m = new Mem(32);
  const v = m.view;
  v.setBigUint64(0, data.addr, true);
  v.setUint32(16, data.bytes.length, true);
  if (log) {
    v.setBigUint64(8, log.addr, true);
    v.setUint32(20, log.bytes.length, true);
    v.setUint32(24, 1, true);
  }
  return bpf(BpfCmd.BTF_LOAD, m, 32);
}

/** BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): run-time stats stay on while the returned fd is open. */
export function enableStats(): number {
  const m = new Mem(8);
  m.view.setUint32(0, 0, true);
  return bpf(BpfCmd.ENABLE_STATS, m, 4);
}

export function getNextId(cmd: number, startId: number): number {
  const m = new Mem(16);
  m.view.setUint32(0, startId, true);
  const r = bpfTry(cmd, m, 16);
  return r < 0 ? -1 : m.view.getUint32(4, true);
}

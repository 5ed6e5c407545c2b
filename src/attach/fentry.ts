// fentry / fexit: BPF trampolines on a kernel function, named by its BTF id. The program itself is
// loaded against the target (type TRACING, expected attach type, attach_btf_id), then linked.
import {
  Mem, bpf, bpfTry, BpfCmd, objGetInfoByFd, close, linkCreate, rawTracepointOpen, AttachType, SysError, Errno,
  UnsupportedError,
} from '../sys/index.js';
import { loadKernelBtf, loadModuleBtf, moduleBtfNames, BtfError } from '../btf/index.js';
import type { Link } from './link.js';

export interface FentryTarget {
  func: string;
  module?: string;
  btfId: number;
  /** fd of the module's BTF object in the kernel (0 for vmlinux); the caller closes it. */
  btfObjFd: number;
  expectedAttachType: number;
}

export class FentryTargetError extends Error {
  override readonly name = 'FentryTargetError';
}

/** Finds the BTF id of `func` (in vmlinux, or in `module`) for an fentry/fexit program. */
export function fentryTarget(func: string, retprobe: boolean, module?: string): FentryTarget {
  const expectedAttachType = retprobe ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY;
  const tryBtf = (mod: string | undefined) => {
    const btf = mod ? loadModuleBtf(mod) : loadKernelBtf();
    const ids = btf.find(func, 'func');
    return ids.find((id) => id >= btf.firstId);
  };
  if (module === undefined || module === 'vmlinux') {
    const id = tryBtf(undefined);
    if (id !== undefined) return { func, btfId: id, btfObjFd: 0, expectedAttachType };
    if (module === 'vmlinux') throw new FentryTargetError(`kernel function ${func} has no BTF entry in vmlinux`);
    for (const mod of moduleBtfNames()) {
      const mid = tryBtf(mod);
      if (mid !== undefined) return { func, module: mod, btfId: mid, btfObjFd: moduleBtfFd(mod), expectedAttachType };
    }
    throw new FentryTargetError(`kernel function ${func} not found in BTF (vmlinux or modules): it may be inlined or static`);
  }
  let id: number | undefined;
  try {
    id = tryBtf(module);
  } catch (e) {
    if (e instanceof BtfError) throw new FentryTargetError(`module ${module}: ${e.message}`);
    throw e;
  }
  if (id === undefined) throw new FentryTargetError(`function ${func} not found in module ${module}'s BTF`);
  return { func, module, btfId: id, btfObjFd: moduleBtfFd(module), expectedAttachType };
}

/** The kernel BTF object of a module, by walking loaded BTF objects and comparing names. */
export function moduleBtfFd(module: string): number {
  let id = 0;
  for (;;) {
    const m = new Mem(16);
    m.view.setUint32(0, id, true);
    if (bpfTry(BpfCmd.BTF_GET_NEXT_ID, m, 16) < 0) break;
    id = m.view.getUint32(4, true);
    const g = new Mem(16);
    g.view.setUint32(0, id, true);
    let fd: number;
    try {
      fd = bpf(BpfCmd.BTF_GET_FD_BY_ID, g, 16);
    } catch {
      continue;
    }
    const name = new Mem(64);
    const info = new Mem(40);
    info.view.setBigUint64(16, name.addr, true);
    info.view.setUint32(24, 64, true);
    objGetInfoByFd(fd, info);
    const end = name.bytes.indexOf(0);
    if (Buffer.from(name.bytes.subarray(0, end < 0 ? 64 : end)).toString() === module) return fd;
    close(fd);
  }
  throw new FentryTargetError(`no BTF object loaded for module ${module}`);
}

/** Links a loaded fentry/fexit program; prefers BPF_LINK_CREATE, falls back to raw_tp open. */
export function attachFentry(progFd: number, t: FentryTarget): Link {
  const kind = t.expectedAttachType === AttachType.TRACE_FEXIT ? 'fexit' : 'fentry';
  const target = `${kind}:${t.module ? `${t.module}:` : ''}${t.func}`;
  let fd: number;
  try {
    fd = linkCreate({ progFd, targetFd: 0, attachType: t.expectedAttachType });
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== Errno.EINVAL) throw e;
    fd = rawTracepointOpen(null, progFd);
  }
  return { kind, target, fds: t.btfObjFd ? [fd, t.btfObjFd] : [fd] };
}

/** Turns a program-load failure of an fentry/fexit program into the plain reason, when it is the kernel's. */
export function fentryLoadError(e: unknown): Error {
  if (e instanceof SysError && (e.errno === Errno.EPERM || e.errno === Errno.ENOTSUPP || e.errno === Errno.EOPNOTSUPP || e.errno === Errno.EINVAL)) {
    return new UnsupportedError('fentry/fexit', `the kernel refused to load a tracing program (${e.code}): BPF trampolines are unavailable (needs CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, and no lockdown)`, { cause: e });
  }
  return e as Error;
}

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { Btf } from './btf.js';
import { BtfError } from './error.js';

/** Where the running kernel publishes its BTF (CONFIG_DEBUG_INFO_BTF), one file per module too. */
export const SYSFS_BTF_DIR = '/sys/kernel/btf';

const kernels = new Map<string, { btf: Btf; identity: string }>();
const modules = new Map<string, Btf>();

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

function read(path: string, missing: () => BtfError): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') throw missing();
    throw new BtfError('unreadable', `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * The running kernel's BTF, read once from /sys/kernel/btf/vmlinux and then cached. `path` reads
 * a saved vmlinux BTF blob instead (e.g. one shipped for a kernel built without BTF).
 */
export function loadKernelBtf(path = `${SYSFS_BTF_DIR}/vmlinux`): Btf {
  // A saved blob may be replaced while we run (tests, BPFTRACE_BTF): the same file, or read again.
  const identity = fileIdentity(path);
  const known = kernels.get(path);
  if (known && known.identity === identity) return known.btf;
  const bytes = read(
    path,
    () => new BtfError('no-kernel-btf', `this kernel has no BTF (CONFIG_DEBUG_INFO_BTF): ${path} does not exist`),
  );
  const btf = Btf.parse(bytes, undefined, { name: 'vmlinux' });
  kernels.set(path, { btf, identity });
  return btf;
}

function fileIdentity(path: string): string {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

/** A loaded module's BTF, split on top of the kernel's, cached per module. */
export function loadModuleBtf(name: string): Btf {
  if (name === 'vmlinux') return loadKernelBtf();
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new BtfError('no-module-btf', `'${name}' is not a module name`);
  let btf = modules.get(name);
  if (!btf) {
    const base = loadKernelBtf();
    const bytes = read(
      `${SYSFS_BTF_DIR}/${name}`,
      () => new BtfError('no-module-btf', `module '${name}' has no BTF: it is not loaded, is built in, or was built without CONFIG_DEBUG_INFO_BTF_MODULES`),
    );
    btf = Btf.parse(bytes, base, { name });
    modules.set(name, btf);
  }
  return btf;
}

/** Names of loaded modules that publish BTF (empty when the directory is missing). */
export function moduleBtfNames(): string[] {
  try {
    return readdirSync(SYSFS_BTF_DIR).filter((n) => n !== 'vmlinux').sort();
  } catch {
    return [];
  }
}

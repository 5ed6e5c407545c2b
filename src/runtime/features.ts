// What this kernel can do, found by trying (create a map, load a tiny program, open an event) and
// cached for the life of the process. Each feature carries the reason when it is missing.
import { existsSync, readFileSync } from 'node:fs';
import { release, version as osVersion, machine } from 'node:os';
import {
  MapType, mapCreate, close, SysError, Errno, UnsupportedError, perfEventOpen, PerfType, PerfSwConfig,
  PerfHwConfig, PerfFlag, enableStats, AttachType, linkCreate,
} from '../sys/index.js';
import { Program, type ProgKind } from '../bpf/program.js';
import { VerifierError } from '../bpf/verifier.js';
import { assemble } from '../asm/encode.js';
import { Mov, Exit, Call, SDiv } from '../asm/builders.js';
import { Helper } from '../asm/helpers.js';
import { tracefsRoot } from '../kernel/tracefs.js';
import { dynamicPmu } from '../attach/pmu.js';
import { kprobeMechanism } from '../attach/kprobe.js';
import { fentryTarget } from '../attach/fentry.js';
import { runOnce } from '../attach/once.js';
import type { ProbeMechanismFacts } from '../lang/kernel-view.js';

export interface Feature {
  ok: boolean;
  /** Why not (when !ok), or how (e.g. "via kprobe PMU"). */
  detail: string;
}

export interface Features {
  kernel: string;
  arch: string;
  bpf: Feature;
  btf: Feature;
  jit: Feature;
  stats: Feature;
  probes: Record<ProbeKind, Feature>;
  maps: Record<string, Feature>;
  helpers: Record<string, Feature>;
  other: Record<string, Feature>;
}

export type ProbeKind =
  | 'tracepoint' | 'rawtracepoint' | 'kprobe' | 'kretprobe' | 'kprobe_multi' | 'uprobe' | 'uretprobe'
  | 'uprobe_multi' | 'usdt' | 'fentry' | 'fexit' | 'profile' | 'interval' | 'software' | 'hardware'
  | 'BEGIN/END';

const yes = (detail = ''): Feature => ({ ok: true, detail });
const no = (detail: string): Feature => ({ ok: false, detail });

function why(e: unknown): string {
  if (e instanceof UnsupportedError) return e.reason;
  if (e instanceof SysError) return `${e.op} failed with ${e.code}`;
  return e instanceof Error ? e.message : String(e);
}

function tryLoad(kind: ProgKind, body: ReturnType<typeof Mov.imm>[], extra: Partial<Parameters<typeof Program.load>[0]> = {}): Program {
  const a = assemble([...body, Mov.imm(0, 0), Exit()]);
  return Program.load({ name: 'sonde_probe', kind, bytes: a.bytes, ...extra }, { logLevel: 0 });
}

function progTypeFeature(kind: ProgKind): Feature {
  try {
    tryLoad(kind, []).close();
    return yes();
  } catch (e) {
    return no(why(e));
  }
}

function mapFeature(type: number, keySize: number, valueSize: number, maxEntries: number): Feature {
  try {
    close(mapCreate({ type, keySize, valueSize, maxEntries, name: 'sonde_probe' }));
    return yes();
  } catch (e) {
    return no(e instanceof SysError && e.errno === Errno.EINVAL ? 'map type unknown to this kernel' : why(e));
  }
}

/** A helper exists when the verifier does not call it unknown (it may still reject the args). */
function helperFeature(id: number): Feature {
  try {
    tryLoad('kprobe', [Call.helper(id)]).close();
    return yes();
  } catch (e) {
    if (e instanceof VerifierError) {
      if (/invalid func|unknown func/.test(e.log)) return no(`not available to tracing programs on this kernel`);
      return yes();
    }
    return no(why(e));
  }
}

function perfFeature(type: number, config: number, what: string): Feature {
  try {
    close(perfEventOpen({ type, config, sample: 1_000_000, flags: PerfFlag.disabled }, -1, 0, what));
    return yes();
  } catch (e) {
    if (type === PerfType.HARDWARE && e instanceof SysError) return no(`no hardware PMU (${e.code}; a virtual machine without PMU passthrough?)`);
    return no(why(e));
  }
}

function fentryFeature(): Feature {
  if (!existsSync('/sys/kernel/btf/vmlinux')) return no('needs kernel BTF (CONFIG_DEBUG_INFO_BTF)');
  let target;
  try {
    target = fentryTarget('do_sys_openat2', false);
  } catch (e) {
    try {
      target = fentryTarget('vfs_read', false);
    } catch {
      return no(why(e));
    }
  }
  let prog: Program;
  try {
    prog = tryLoad('tracing', [], { expectedAttachType: AttachType.TRACE_FENTRY, attachBtfId: target.btfId });
  } catch (e) {
    return no(`the kernel refuses tracing programs (${e instanceof SysError ? e.code : why(e)}): BPF trampolines unavailable`);
  }
  prog.close();
  return yes('BPF trampolines');
}

/** bpf_get_func_ip() in an fentry program (Linux 5.15+): what `func` compiles to under fentry. */
function fentryFuncIpFeature(): boolean {
  let target;
  try {
    target = fentryTarget('do_sys_openat2', false);
  } catch {
    try {
      target = fentryTarget('vfs_read', false);
    } catch {
      return false;
    }
  }
  try {
    tryLoad('tracing', [Mov.reg(1, 1), Call.helper(Helper.get_func_ip)], { expectedAttachType: AttachType.TRACE_FENTRY, attachBtfId: target.btfId }).close();
    return true;
  } catch {
    return false;
  }
}

let mechanisms: ProbeMechanismFacts | undefined;

/**
 * What the compiler needs to choose between kprobes and fentry (src/lang/kernel-view.ts): found
 * by trying, cached, and cheaper than probeFeatures() (a script start-up pays for it only when
 * the script has kprobe probes).
 */
export function probeMechanismFacts(): ProbeMechanismFacts {
  if (mechanisms) return mechanisms;
  if (cached) {
    const f = cached.probes;
    return (mechanisms = { kprobe: f.kprobe.ok, fentry: f.fentry.ok, fentryFuncIp: f.fentry.ok && fentryFuncIpFeature(), attachCookie: f.kprobe.ok && attachCookieFeature() });
  }
  const fentry = fentryFeature().ok;
  const kprobe = typeof kprobeMechanism() === 'string';
  return (mechanisms = { kprobe, fentry, fentryFuncIp: fentry && fentryFuncIpFeature(), attachCookie: kprobe && attachCookieFeature() });
}

/** A kprobe program may call bpf_get_attach_cookie() (Linux 5.15+, with BPF perf links). */
function attachCookieFeature(): boolean {
  try {
    tryLoad('kprobe', [Mov.reg(1, 1), Call.helper(Helper.get_attach_cookie)]).close();
    return true;
  } catch {
    return false;
  }
}

let multiCached: Feature | undefined;

/** kprobe_multi links work here (cached; what probeFeatures() reports, without the rest). */
export function kprobeMultiWorks(): boolean {
  multiCached ??= cached?.probes.kprobe_multi ?? kprobeMultiFeature(typeof kprobeMechanism() === 'string' ? yes() : no('no kprobes'));
  return multiCached.ok;
}

function kprobeMultiFeature(kprobe: Feature): Feature {
  if (!kprobe.ok) return no('needs kprobes');
  let prog: Program;
  try {
    prog = tryLoad('kprobe', [], { expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
  } catch (e) {
    return no(`kernel too old (Linux 5.18+): ${why(e)}`);
  }
  try {
    // Attaching to no symbols at all: EINVAL means the command exists; EOPNOTSUPP means no fprobe.
    close(linkCreate({ progFd: prog.fd, targetFd: 0, attachType: AttachType.TRACE_KPROBE_MULTI }));
    return yes();
  } catch (e) {
    if (e instanceof SysError && e.errno === Errno.EINVAL) return yes();
    return no(`kernel built without CONFIG_FPROBE (${why(e)})`);
  } finally {
    prog.close();
  }
}

function beginEndFeature(): Feature {
  try {
    const p = tryLoad('raw_tracepoint', []);
    try {
      runOnce(p);
    } finally {
      p.close();
    }
    return yes('BPF_PROG_TEST_RUN');
  } catch (e) {
    return no(why(e));
  }
}

let v4: boolean | undefined;

/**
 * Whether the verifier accepts the v4 instruction set (signed division, movsx, sign-extending
 * loads; Linux 6.6+). Older kernels answer "uses reserved fields". Cached.
 */
export function cpuV4Supported(): boolean {
  if (v4 === undefined) {
    try {
      tryLoad('raw_tracepoint', [Mov.imm(0, 7), SDiv.imm(0, -2)]).close();
      v4 = true;
    } catch {
      v4 = false;
    }
  }
  return v4;
}

let cached: Features | undefined;

export function probeFeatures(): Features {
  if (cached) return cached;
  const kernel = `${release()} ${osVersion()}`;
  const arch = machine();
  const bpfOk = bpfFeature();
  const btf = existsSync('/sys/kernel/btf/vmlinux') ? yes('/sys/kernel/btf/vmlinux') : no('kernel built without CONFIG_DEBUG_INFO_BTF');
  const jitText = readOr('/proc/sys/net/core/bpf_jit_enable', '');
  const jit = jitText === '' ? no('unknown (no /proc/sys/net/core/bpf_jit_enable)') : jitText === '0' ? no('disabled (net.core.bpf_jit_enable = 0)') : yes(jitText === '2' ? 'with debug' : '');
  let stats: Feature;
  try {
    close(enableStats());
    stats = yes('BPF_ENABLE_STATS');
  } catch (e) {
    stats = no(why(e));
  }
  if (!bpfOk.ok) {
    const off = no(`bpf() unavailable: ${bpfOk.detail}`);
    const all = Object.fromEntries(PROBE_KINDS.map((k) => [k, off])) as Record<ProbeKind, Feature>;
    return (cached = { kernel, arch, bpf: bpfOk, btf, jit, stats, probes: all, maps: {}, helpers: {}, other: {} });
  }

  const probes = Object.fromEntries(PROBE_KINDS.map((k) => [k, probeKindFeature(k)])) as Record<ProbeKind, Feature>;
  const maps: Record<string, Feature> = {
    hash: mapFeature(MapType.HASH, 4, 4, 1),
    array: mapFeature(MapType.ARRAY, 4, 4, 1),
    percpu_hash: mapFeature(MapType.PERCPU_HASH, 4, 4, 1),
    percpu_array: mapFeature(MapType.PERCPU_ARRAY, 4, 4, 1),
    lru_hash: mapFeature(MapType.LRU_HASH, 4, 4, 1),
    lru_percpu_hash: mapFeature(MapType.LRU_PERCPU_HASH, 4, 4, 1),
    stack_trace: mapFeature(MapType.STACK_TRACE, 4, 8, 1),
    perf_event_array: mapFeature(MapType.PERF_EVENT_ARRAY, 4, 4, 1),
    ringbuf: mapFeature(MapType.RINGBUF, 0, 0, 4096),
  };
  const helpers: Record<string, Feature> = {};
  for (const name of HELPERS) helpers[name] = helperFeature(Helper[name]);
  const other: Record<string, Feature> = {
    tracefs: tracefsFeature(),
    'bpf_link for perf events': linkForPerfEvents(),
    'bpf_prog_test_run (raw_tp)': probes['BEGIN/END'],
    'ISA v4 (sdiv, movsx, sign-extending loads)': cpuV4Supported() ? yes() : no('kernel older than 6.6: the verifier refuses v4 instructions'),
    'BTF for kernel types': btf,
  };
  return (cached = { kernel, arch, bpf: bpfOk, btf, jit, stats, probes, maps, helpers, other });
}

let bpfOkValue: Feature | undefined;

/** Whether bpf() works at all (an array map can be created). Cached. */
function bpfFeature(): Feature {
  if (bpfOkValue === undefined) {
    try {
      close(mapCreate({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
      bpfOkValue = yes();
    } catch (e) {
      bpfOkValue = no(why(e));
    }
  }
  return bpfOkValue;
}

function tracefsFeature(): Feature {
  try {
    return yes(tracefsRoot());
  } catch (e) {
    return no(why(e));
  }
}

const kindFeatures = new Map<ProbeKind, Feature>();

/**
 * One kind of probe's feature, as probeFeatures() reports it, found by trying only what that
 * kind needs: a tool choosing among uprobes does not pay for the fentry probe (the kernel's BTF)
 * nor for the maps and helpers of the full report. Cached.
 */
export function probeKindFeature(kind: ProbeKind): Feature {
  if (cached) return cached.probes[kind];
  const known = kindFeatures.get(kind);
  if (known) return known;
  const bpfOk = bpfFeature();
  const f = bpfOk.ok ? findKindFeature(kind) : no(`bpf() unavailable: ${bpfOk.detail}`);
  kindFeatures.set(kind, f);
  return f;
}

function findKindFeature(kind: ProbeKind): Feature {
  switch (kind) {
    case 'tracepoint': {
      const tracefs = tracefsFeature();
      const tpProg = progTypeFeature('tracepoint');
      return !tracefs.ok ? no(`tracefs: ${tracefs.detail}`) : tpProg.ok ? yes() : tpProg;
    }
    case 'rawtracepoint': return progTypeFeature('raw_tracepoint');
    case 'kprobe': case 'kretprobe': {
      const kmech = kprobeMechanism();
      return kmech instanceof UnsupportedError ? no(kmech.reason) : yes(kmech === 'pmu' ? 'kprobe PMU' : 'tracefs kprobe_events');
    }
    case 'kprobe_multi': return kprobeMultiFeature(probeKindFeature('kprobe'));
    case 'uprobe': case 'uretprobe':
      return dynamicPmu('uprobe') ? yes('uprobe PMU') : no('kernel built without CONFIG_UPROBE_EVENTS (no uprobe PMU)');
    case 'uprobe_multi':
      try {
        tryLoad('kprobe', [], { expectedAttachType: AttachType.TRACE_UPROBE_MULTI }).close();
        return yes();
      } catch (e) {
        return no(`kernel too old (Linux 6.6+): ${why(e)}`);
      }
    case 'usdt': {
      const uprobe = probeKindFeature('uprobe');
      return uprobe.ok ? yes('uprobes + .note.stapsdt') : no(`needs uprobes: ${uprobe.detail}`);
    }
    case 'fentry': case 'fexit': return fentryFeature();
    case 'profile': case 'interval': case 'software': return perfFeature(PerfType.SOFTWARE, PerfSwConfig['cpu-clock'], 'software:cpu-clock');
    case 'hardware': return perfFeature(PerfType.HARDWARE, PerfHwConfig['cpu-cycles'], 'hardware:cycles');
    case 'BEGIN/END': return beginEndFeature();
  }
}

const PROBE_KINDS: ProbeKind[] = [
  'tracepoint', 'rawtracepoint', 'kprobe', 'kretprobe', 'kprobe_multi', 'uprobe', 'uretprobe', 'uprobe_multi',
  'usdt', 'fentry', 'fexit', 'profile', 'interval', 'software', 'hardware', 'BEGIN/END',
];

/** Helpers whose presence changes what sonde can compile. */
const HELPERS = [
  'probe_read', 'probe_read_str', 'probe_read_kernel', 'probe_read_user', 'probe_read_kernel_str',
  'probe_read_user_str', 'get_current_task', 'get_current_task_btf', 'get_stackid', 'get_stack',
  'ringbuf_output', 'perf_event_output', 'send_signal', 'send_signal_thread', 'override_return',
  'get_func_ip', 'get_current_cgroup_id', 'ktime_get_boot_ns', 'loop', 'snprintf', 'd_path',
  'get_attach_cookie', 'jiffies64', 'get_ns_current_pid_tgid', 'find_vma', 'probe_write_user',
] as const satisfies readonly (keyof typeof Helper)[];

function linkForPerfEvents(): Feature {
  let prog: Program | undefined;
  let pfd = -1;
  try {
    prog = tryLoad('perf_event', []);
    pfd = perfEventOpen({ type: PerfType.SOFTWARE, config: PerfSwConfig['cpu-clock'], sample: 1_000_000, flags: PerfFlag.disabled }, -1, 0, 'probe');
    close(linkCreate({ progFd: prog.fd, targetFd: pfd, attachType: AttachType.PERF_EVENT }));
    return yes();
  } catch (e) {
    return no(`kernel older than 5.15: ${why(e)} (falls back to PERF_EVENT_IOC_SET_BPF)`);
  } finally {
    prog?.close();
    if (pfd >= 0) close(pfd);
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

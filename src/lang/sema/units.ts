/**
 * Grouping probe instances into units: one unit becomes one BPF program. Instances share a
 * program unless the body needs something that differs between them (the layout of `args`, the
 * value of `probe`). Many `syscalls:sys_enter_*` tracepoints whose body does not read `args`
 * become a single raw tracepoint program on `sys_enter` that filters on the syscall id.
 */
import type { ProviderName } from '../ast.js';
import type { KernelView, TracepointFieldInfo } from '../kernel-view.js';
import type { ProgKindName } from '../spec.js';
import type { ProbeInstance } from './probes.js';

/**
 * Below this many matching syscall tracepoints, separate tracepoint programs are kept: the raw
 * tracepoint runs (and filters) on every syscall of the system, a price worth paying only when
 * it replaces many perf-event attachments (~45 ms each to detach on the reference kernel).
 */
export const RAW_SYSCALL_THRESHOLD = 8;

/** Syscalls whose tracepoint is named after the kernel function rather than the __NR_ name. */
const SYSCALL_ALIASES: Record<string, string> = {
  newstat: 'stat', newfstat: 'fstat', newlstat: 'lstat', newuname: 'uname', sendfile64: 'sendfile',
  umount: 'umount2',
};

export interface SyscallDispatch {
  dir: 'enter' | 'exit';
  /** Syscall number → instance, sorted by number. */
  entries: { nr: number; instance: ProbeInstance }[];
}

export interface UnitPlan {
  provider: ProviderName;
  progKind: ProgKindName;
  instances: ProbeInstance[];
  /** Set for a raw `sys_enter`/`sys_exit` program standing for many syscall tracepoints. */
  syscalls?: SyscallDispatch;
  /** Tracepoint fields `args` points to (all instances of the unit share this layout). */
  fields?: TracepointFieldInfo[];
  /** `probe` is read from each link's cookie (kprobes): the instances share one program. */
  probeCookie?: true;
}

/**
 * `shared(event)`: another probe block of the script attaches to this syscall tracepoint too; then
 * no raw dispatch is planned for this block, which would run before or after the other block's
 * tracepoint program regardless of their order in the source.
 */
export function planUnits(instances: ProbeInstance[], used: Set<string>, kernel: KernelView, shared: (event: string) => boolean = () => false): UnitPlan[] {
  const plans: UnitPlan[] = [];
  let rest = instances;
  if (!used.has('args') && kernel.syscallNumber) {
    for (const dir of ['enter', 'exit'] as const) {
      const prefix = `sys_${dir}_`;
      const cands = rest.filter((i) => i.tracepoint?.category === 'syscalls' && i.tracepoint.event.startsWith(prefix));
      if (cands.length < RAW_SYSCALL_THRESHOLD || cands.some((i) => shared(i.tracepoint!.event))) continue;
      const entries: { nr: number; instance: ProbeInstance }[] = [];
      const seen = new Set<number>();
      for (const inst of cands) {
        const name = inst.tracepoint!.event.slice(prefix.length);
        let nr = kernel.syscallNumber(name);
        if (nr === undefined && SYSCALL_ALIASES[name]) nr = kernel.syscallNumber(SYSCALL_ALIASES[name]!);
        if (nr === undefined || seen.has(nr)) continue;
        seen.add(nr);
        entries.push({ nr, instance: inst });
      }
      if (entries.length < RAW_SYSCALL_THRESHOLD) continue;
      entries.sort((a, b) => a.nr - b.nr);
      const taken = new Set(entries.map((e) => e.instance));
      rest = rest.filter((i) => !taken.has(i));
      plans.push({ provider: 'tracepoint', progKind: 'raw_tracepoint', instances: entries.map((e) => e.instance), syscalls: { dir, entries } });
    }
  }
  const groups = new Map<string, UnitPlan>();
  // kprobes tell their functions apart by the link's cookie where the kernel has cookies.
  const cookies = used.has('probe') && kernel.probeMechanisms?.().attachCookie === true;
  const byCookie = (inst: ProbeInstance) => cookies && inst.progKind === 'kprobe' && (inst.attach.kind === 'kprobe' || inst.attach.kind === 'kretprobe');
  for (const inst of rest) {
    let key = `${inst.provider}|${inst.progKind}`;
    // fexit's return value sits after the arguments: programs reading it differ by argument count.
    if (inst.fentry && used.has('retval')) key += `|n${inst.fentry.nargs}`;
    if (used.has('probe')) key += byCookie(inst) ? '|cookie' : `|${inst.name}`;
    if (inst.groupKey !== undefined && [...used].some((b) => /^arg[0-9]+$/.test(b))) key += `|${inst.groupKey}`;
    if (used.has('args') && inst.fentry?.fields) key += `|${JSON.stringify(inst.fentry.fields)}`;
    // uprobe args: each function's parameters (from DWARF) are its own record.
    if (used.has('args') && inst.attach.kind === 'uprobe') key += `|${inst.attach.path}|${inst.attach.func}`;
    if (used.has('args') && inst.tracepoint) {
      key += `|${inst.tracepoint.category === 'syscalls' ? 'u' : 'k'}|${JSON.stringify(inst.tracepoint.fields)}`;
    }
    let g = groups.get(key);
    if (!g) {
      g = { provider: inst.provider, progKind: inst.progKind, instances: [] };
      if (inst.tracepoint) g.fields = inst.tracepoint.fields;
      if (inst.fentry?.fields) g.fields = inst.fentry.fields;
      if (used.has('probe') && byCookie(inst)) g.probeCookie = true;
      groups.set(key, g);
      plans.push(g);
    }
    g.instances.push(inst);
  }
  // Source order of the first instance, so programs come out in the order the script lists them.
  const order = new Map(instances.map((inst, i) => [inst, i]));
  const first = (p: UnitPlan) => Math.min(...p.instances.map((i) => order.get(i)!));
  plans.sort((a, b) => first(a) - first(b));
  return plans;
}

/**
 * The `usdt` probe kind, in one place: which probe sites a `usdt:` attach point means (expanded
 * from the files the KernelView describes), what `argN` may be at those sites, and the
 * instructions that read `argN` from the operand the probe's note gives for it.
 *
 * A USDT probe is a NOP in the traced program plus a note saying, for each argument, an
 * assembler operand that holds it at that instruction (`-4@%edi`, `8@16(%rbx)`, `-1@$-5`,
 * `4@counter(%rip)`). Each site (one probe may be compiled in at several places) has its own
 * operands, so sites whose operands differ get different programs; each site is one uprobe.
 */
import type { AttachPoint } from './ast.js';
import type { Span } from './source.js';
import type { AttachDef } from './spec.js';
import { KernelViewError, type UsdtArgSpec, type UsdtFileInfo, type UsdtSite } from './kernel-view.js';
import type { ExpandOptions, ProbeInstance } from './sema/probes.js';
import type { FnBuilder } from './lower/builder.js';
import type { Value, VReg } from './ir.js';
import { Helper } from '../asm/helpers.js';
import { globToRegExp as glob, hasWildcard as wild } from './probe-spec.js';

/** What a usdt attach point names: `usdt:path:provider:name`, `usdt:path:name`, `usdt:name` (-p). */
export interface UsdtTargetSpec {
  path: string | null;
  namespace: string | null;
  name: string;
}

/** A probe site a unit's program serves: the data lowering and the runtime need. */
export interface UsdtInstanceInfo {
  path: string;
  provider: string;
  name: string;
  site: UsdtSite;
}

/** Thrown by expandUsdt; `part` is the index of the attach point's field at fault (null: all). */
export class UsdtProbeError extends Error {
  /** `missing`: the file or the probe is not there (what `missing_probes` lets a script skip). */
  constructor(message: string, readonly part: number | null, readonly hint?: string, readonly missing = false) {
    super(message);
  }
}

/**
 * The probe instances of a usdt attach point: one per site of every matching probe, named as
 * bpftrace names them (`usdt:<path as written>:<provider>:<name>`).
 */
export function expandUsdt(ap: AttachPoint, t: UsdtTargetSpec, o: ExpandOptions): ProbeInstance[] {
  const pathPart = t.path === null ? null : 0;
  const namePart = ap.parts.length - 1;
  if (t.path === null && o.pid === undefined) {
    throw new UsdtProbeError('usdt probe needs a binary path (or -p PID)', null, 'write it as usdt:/path/to/binary:provider:name');
  }
  if (!o.kernel.usdtFiles) throw new UsdtProbeError('usdt probes cannot be resolved here (no view of user-space files)', null);
  let files: UsdtFileInfo[];
  try {
    files = o.kernel.usdtFiles(t.path, o.pid);
  } catch (e) {
    if (e instanceof KernelViewError) throw new UsdtProbeError(e.message, pathPart, undefined, true);
    throw e;
  }
  const nsRe = glob(t.namespace ?? '*');
  const nameRe = glob(t.name);
  const out: ProbeInstance[] = [];
  for (const file of files) {
    // In bpftrace's order, a sorted set of provider:name (so `usdt:bin:*` attaches, in reverse, the
    // same probe first, and a busy program's first event is the one bpftrace reports).
    const matches = file.probes.filter((p) => nsRe.test(p.provider) && nameRe.test(p.name))
      .sort((a, b) => byteOrder(`${a.provider}:${a.name}`, `${b.provider}:${b.name}`));
    if (t.namespace === null && !wild(t.name)) {
      const providers = [...new Set(matches.map((p) => p.provider))];
      if (providers.length > 1) {
        throw new UsdtProbeError(
          `USDT probe name '${t.name}' is in several providers of ${file.path}: ${providers.join(', ')}`,
          namePart,
          `name the provider, e.g. usdt:${t.path ?? file.path}:${providers[0]}:${t.name}`,
        );
      }
    }
    // bpftrace's probe names: a path as written; for a wildcard file name on disk, the directory
    // as written and the name found; else (a name looked up, a process's files) the file found.
    const shown = t.path === null || !t.path.includes('/') ? file.path
      : !wild(t.path) ? t.path
        : o.pid === undefined && t.path.includes('/') ? sameDir(t.path, file.path) : file.path;
    for (const p of matches) {
      const name = `usdt:${shown}:${p.provider}:${p.name}`;
      for (const site of p.sites) {
        const attach: AttachDef = {
          kind: 'usdt', path: file.path, provider: p.provider, name: p.name,
          sites: [{ offset: site.offset, ...(site.semaphore !== undefined ? { semaphore: site.semaphore } : {}) }],
        };
        out.push({
          provider: 'usdt', name, attach, progKind: 'kprobe', ap,
          usdt: { path: file.path, provider: p.provider, name: p.name, site },
          groupKey: siteKey(site),
        });
      }
    }
  }
  if (out.length === 0) {
    const what = `${t.namespace ?? '*'}:${t.name}`;
    const where = files.length === 1 ? files[0]!.path : t.path ?? `the files process ${o.pid} maps`;
    const known = files.flatMap((f) => f.probes.map((p) => `${p.provider}:${p.name}`));
    const hint = known.length === 0 ? `${where} has no USDT probes (no .note.stapsdt section)` : `probes there: ${[...new Set(known)].slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}`;
    throw new UsdtProbeError(`no USDT probe matches ${what} in ${where}`, namePart, hint, true);
  }
  return out;
}

/** `dir/pattern*` and `/abs/dir/name` → `dir/name`. */
function sameDir(pattern: string, found: string): string {
  return pattern.slice(0, pattern.lastIndexOf('/') + 1) + found.slice(found.lastIndexOf('/') + 1);
}

/**
 * Sites whose argument operands are the same can share one program; a RIP-relative operand also
 * depends on the site's address.
 */
function siteKey(site: UsdtSite): string {
  const rip = site.args.some((a) => a.kind === 'mem' && (a.register === 'rip' || a.index === 'rip'));
  return JSON.stringify(site.args.map((a) => a.text)) + (rip ? `@${site.pc}` : '');
}

/** Why `argN` cannot be read at these sites, or undefined when it can. */
export function usdtArgProblem(infos: readonly UsdtInstanceInfo[], n: number): { message: string; hint?: string } | undefined {
  for (const u of infos) {
    const args = u.site.args;
    const probe = `usdt probe ${u.provider}:${u.name} in ${u.path}`;
    if (n >= args.length) {
      return {
        message: `${probe} has ${args.length === 0 ? 'no arguments' : args.length === 1 ? '1 argument (arg0)' : `${args.length} arguments (arg0 to arg${args.length - 1})`}: arg${n} is not one of them`,
      };
    }
    const a = args[n]!;
    if (![1, 2, 4, 8].includes(a.size)) return { message: `${probe}: argument ${n} has size ${a.size} (operand '${a.text}'); USDT sizes are 1, 2, 4 or 8` };
    if (a.kind === 'unknown') {
      return { message: `${probe}: cannot decode the operand of arg${n}, '${a.text}'`, hint: 'sonde reads x86-64 register, memory and constant operands' };
    }
    if (a.kind === 'mem' && a.symbol !== undefined && a.symbolAddress === undefined) {
      return { message: `${probe}: arg${n} is at symbol ${a.symbol} ('${a.text}'), which ${u.path} does not define` };
    }
    if (a.kind === 'mem' && a.symbol === undefined && (a.register === 'rip' || a.index === 'rip')) {
      return { message: `${probe}: arg${n} is relative to the next instruction ('${a.text}'), which sonde cannot locate` };
    }
  }
  return undefined;
}

/** x86-64 struct pt_regs: byte offset of each register, by the canonical names the notes use. */
export const PT_REGS_X86_64: Readonly<Record<string, number>> = {
  r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72, rax: 80, rcx: 88,
  rdx: 96, rsi: 104, rdi: 112, rip: 128, rsp: 152,
};

/**
 * Emits the reading of one argument at a site into a 64-bit register: the operand's value,
 * truncated to its size and then sign- or zero-extended as the note's size says (`-4@` is a
 * signed 32-bit value), as bpftrace does. `pc` is the site's link-time address: at a uprobe the
 * pt_regs ip is the probe's address, so ip - pc is the load bias a `sym(%rip)` operand needs.
 * `read`, when given, emits the bpf_probe_read_user of a memory operand (lowering's, which -kk
 * checks); by default a plain call.
 */
export function lowerUsdtArg(b: FnBuilder, ctx: () => VReg, a: UsdtArgSpec, pc: number, span?: Span, read?: (args: Value[]) => void): VReg {
  const emitSpan = span !== undefined ? { span } : {};
  const size = a.size as 1 | 2 | 4 | 8;
  const extend = (r: VReg): VReg => {
    if (size === 8) return r;
    const d = b.reg();
    const bits = (size * 8) as 8 | 16 | 32;
    b.emit({ op: a.signed ? 'sext' : 'zext', dst: d, a: r, bits, ...emitSpan });
    return d;
  };
  const reg = (name: string): VReg => {
    const off = PT_REGS_X86_64[name];
    if (off === undefined) throw new Error(`usdt: no pt_regs slot for %${name}`);
    const r = b.reg();
    b.emit({ op: 'load', dst: r, addr: { reg: ctx() }, off, size: 8, ...emitSpan });
    return r;
  };
  switch (a.kind) {
    case 'const': {
      const bits = BigInt(size * 8);
      const v = a.signed ? BigInt.asIntN(Number(bits), a.value) : BigInt.asUintN(Number(bits), a.value);
      const r = b.reg();
      b.emit({ op: 'const', dst: r, value: BigInt.asIntN(64, v), ...emitSpan });
      return r;
    }
    case 'reg':
      return extend(reg(a.register));
    case 'mem': {
      let addr = reg(a.register);
      let disp = BigInt(a.offset);
      if (a.symbol !== undefined) {
        // The symbol's run-time address is its link-time one plus the load bias, ip - pc.
        disp += BigInt(a.symbolAddress! - pc);
        if (a.register !== 'rip') {
          const d = b.reg();
          b.emit({ op: 'alu', alu: 'add', dst: d, a: addr, b: reg('rip'), ...emitSpan });
          addr = d;
        }
      }
      if (disp !== 0n) {
        const d = b.reg();
        b.emit({ op: 'alu', alu: 'add', dst: d, a: addr, b: disp, ...emitSpan });
        addr = d;
      }
      if (a.index !== undefined) {
        let idx = reg(a.index);
        if ((a.scale ?? 1) !== 1) {
          const s = b.reg();
          b.emit({ op: 'alu', alu: 'mul', dst: s, a: idx, b: BigInt(a.scale!), ...emitSpan });
          idx = s;
        }
        const d = b.reg();
        b.emit({ op: 'alu', alu: 'add', dst: d, a: addr, b: idx, ...emitSpan });
        addr = d;
      }
      const tmp = b.obj(8, 8, `usdt argument '${a.text}'`, span);
      b.emit({ op: 'zero', obj: tmp, off: 0, len: 8, ...emitSpan });
      const args: Value[] = [{ obj: tmp, off: 0 }, { imm: BigInt(size) }, { reg: addr }];
      if (read) read(args);
      else b.emit({ op: 'call', helper: Helper.probe_read_user, args, ...emitSpan });
      const r = b.reg();
      b.emit({ op: 'load', dst: r, addr: { obj: tmp }, off: 0, size, ...(a.signed && size < 8 ? { signed: true } : {}), ...emitSpan });
      return r;
    }
    case 'unknown':
      throw new Error(`usdt: operand '${a.text}' reached lowering`);
  }
}

/** std::string's order (bytes; the same as UTF-16 code units for the ASCII of probe names). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

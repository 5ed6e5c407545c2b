// USDT in the compiler, without root: the sites an attach point expands to (from a KernelView),
// how they group into programs, the errors for arguments a site does not have, and the decoding
// of every operand kind — run both as IR and as emitted eBPF against a fake pt_regs and a fake
// user address space, so the values are checked bit for bit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/lang/compile.js';
import { LangError } from '../../src/lang/diagnostic.js';
import { KernelViewError, type KernelView, type UsdtFileInfo, type UsdtSite } from '../../src/lang/kernel-view.js';
import { lowerUsdtArg, PT_REGS_X86_64 } from '../../src/lang/usdt.js';
import { FnBuilder } from '../../src/lang/lower/builder.js';
import { parseUsdtArgument } from '../../src/elf/index.js';
import { Helper } from '../../src/asm/helpers.js';
import { disassemble } from '../../src/asm/disasm.js';
import { fixtureKernel } from './sema/fixture.js';
import { agree } from './codegen/check.js';
import type { Helper as VmHelper } from './codegen/vm.js';

const site = (offset: number, args: string, extra: Partial<UsdtSite> = {}): UsdtSite => ({
  offset, pc: offset + 0x1000, args: args.split(' ').filter((a) => a).map(parseUsdtArgument), ...extra,
});

/** /opt/app: provider app with probes start (semaphore-guarded, 2 sites), done, other:done. */
const FILES: Record<string, UsdtFileInfo> = {
  '/opt/app': {
    path: '/opt/app',
    probes: [
      { provider: 'app', name: 'start', sites: [site(0x100, '-4@%edi 8@%rsi', { semaphore: 0x3000 }), site(0x200, '-8@%rax 8@16(%rbx)', { semaphore: 0x3000 })] },
      { provider: 'app', name: 'done', sites: [site(0x300, '-4@$0')] },
      { provider: 'other', name: 'done', sites: [site(0x400, '')] },
      { provider: 'app', name: 'odd', sites: [site(0x500, '4@%xmm0 -4@8(%rip)')] },
    ],
  },
  '/usr/lib/libx.so.1': {
    path: '/usr/lib/libx.so.1',
    probes: [{ provider: 'libx', name: 'call', sites: [site(0x600, '-4@%edi')] }],
  },
};

function kernel(): KernelView {
  return {
    ...fixtureKernel(),
    usdtFiles(target, pid) {
      if (target !== null && /[*?]/.test(target) && pid === undefined) {
        // Files on disk matching the pattern.
        const re = new RegExp(`^${target.replaceAll('*', '.*')}$`);
        return Object.values(FILES).filter((f) => re.test(f.path));
      }
      if (target === null || /[*?]/.test(target)) {
        if (pid !== 42) throw new KernelViewError(`no such process: ${pid}`);
        return Object.values(FILES);
      }
      const f = FILES[target] ?? Object.values(FILES).find((x) => x.path.includes(`/${target}.so`));
      if (!f) throw new KernelViewError(`cannot find ${target}`);
      return [f];
    },
  };
}

function errorOf(src: string, pid?: number): string {
  try {
    compile(src, { kernel: kernel(), ...(pid !== undefined ? { pid } : {}) });
  } catch (e) {
    if (e instanceof LangError) return e.message;
    throw e;
  }
  assert.fail(`no error for ${src}`);
}

describe('usdt probes: expansion and programs', () => {
  it("a wildcard expands in bpftrace's order: sorted by provider:name, not the notes' order", () => {
    const c = compile('usdt:/opt/app:* { @[probe] = count(); }', { kernel: kernel() });
    assert.deepEqual(c.probeNames, ['usdt:/opt/app:app:done', 'usdt:/opt/app:app:odd', 'usdt:/opt/app:app:start', 'usdt:/opt/app:other:done']);
  });

  it('one uprobe per site; sites with different operands get different programs', () => {
    const c = compile('usdt:/opt/app:app:start { @[probe] = sum(arg0 + arg1); }', { kernel: kernel() });
    assert.equal(c.probeCount, 2, 'bpftrace counts each location');
    assert.deepEqual(c.probeNames, ['usdt:/opt/app:app:start'], 'the sites share one name');
    assert.deepEqual(c.programs.map((p) => p.attach), [
      [{ kind: 'usdt', path: '/opt/app', provider: 'app', name: 'start', sites: [{ offset: 0x100, semaphore: 0x3000 }] }],
      [{ kind: 'usdt', path: '/opt/app', provider: 'app', name: 'start', sites: [{ offset: 0x200, semaphore: 0x3000 }] }],
    ]);
    assert.ok(c.programs.every((p) => p.progKind === 'kprobe'));
  });

  it('sites share a program when the body reads no argument', () => {
    const c = compile('usdt:/opt/app:app:start { @ = count(); }', { kernel: kernel() });
    assert.equal(c.programs.length, 1);
    assert.equal(c.programs[0]!.attach.length, 2);
  });

  it('provider omitted when unique; wildcards over providers and names', () => {
    assert.deepEqual(compile('usdt:/opt/app:start { @ = count(); }', { kernel: kernel() }).probeNames, ['usdt:/opt/app:app:start']);
    assert.deepEqual(compile('usdt:/opt/app:app:* { @[probe] = count(); }', { kernel: kernel() }).probeNames,
      ['usdt:/opt/app:app:done', 'usdt:/opt/app:app:odd', 'usdt:/opt/app:app:start']);
    assert.deepEqual(compile('usdt:/opt/app:*:done { @[probe] = count(); }', { kernel: kernel() }).probeNames,
      ['usdt:/opt/app:app:done', 'usdt:/opt/app:other:done']);
    assert.deepEqual(compile('usdt:/opt/app::done { @[probe] = count(); }', { kernel: kernel() }).probeNames,
      ['usdt:/opt/app:app:done', 'usdt:/opt/app:other:done'], 'an empty provider is any provider');
    assert.deepEqual(compile('usdt:/opt/a*:app:start { @[probe] = count(); }', { kernel: kernel() }).probeNames,
      ['usdt:/opt/app:app:start'], 'a wildcard file name: the files on disk it matches');
  });

  it('-p: no path means every file the process maps; a library by name', () => {
    assert.deepEqual(compile('usdt:call { @ = count(); }', { kernel: kernel(), pid: 42 }).probeNames, ['usdt:/usr/lib/libx.so.1:libx:call']);
    assert.deepEqual(compile('usdt::libx:call { @ = count(); }', { kernel: kernel(), pid: 42 }).probeNames, ['usdt:/usr/lib/libx.so.1:libx:call'], 'an empty path, as bpftrace allows with -p');
    assert.deepEqual(compile('usdt:::call { @ = count(); }', { kernel: kernel(), pid: 42 }).probeNames, ['usdt:/usr/lib/libx.so.1:libx:call'], 'and an empty provider');
    assert.deepEqual(compile('usdt:libx:libx:call { @ = count(); }', { kernel: kernel(), pid: 42 }).probeNames, ['usdt:/usr/lib/libx.so.1:libx:call'], 'a name shows as the file found');
  });

  it('says which argument a probe lacks, and why an operand cannot be read', () => {
    assert.equal(errorOf('usdt:/opt/app:app:done { @ = arg1; }'), 'usdt probe app:done in /opt/app has 1 argument (arg0): arg1 is not one of them');
    assert.equal(errorOf('usdt:/opt/app:other:done { @ = arg0; }'), 'usdt probe other:done in /opt/app has no arguments: arg0 is not one of them');
    assert.equal(errorOf('usdt:/opt/app:app:start { @ = arg2; }'), 'usdt probe app:start in /opt/app has 2 arguments (arg0 to arg1): arg2 is not one of them');
    assert.equal(errorOf('usdt:/opt/app:app:odd { @ = arg0; }'), "usdt probe app:odd in /opt/app: cannot decode the operand of arg0, '4@%xmm0'");
    assert.equal(errorOf('usdt:/opt/app:app:odd { @ = arg1; }'), "usdt probe app:odd in /opt/app: arg1 is relative to the next instruction ('-4@8(%rip)'), which sonde cannot locate");
  });

  it('says what is missing: the probe, the provider, the path', () => {
    assert.equal(errorOf('usdt:/opt/app:nope { @ = count(); }'), 'no USDT probe matches *:nope in /opt/app');
    assert.equal(errorOf('usdt:/opt/app:done { @ = count(); }'), "USDT probe name 'done' is in several providers of /opt/app: app, other");
    assert.equal(errorOf('usdt:/nowhere:p:n { @ = count(); }'), 'cannot find /nowhere');
    assert.equal(errorOf('usdt:start { @ = count(); }'), 'usdt probe needs a binary path (or -p PID)');
    assert.equal(errorOf('usdt::app:start { @ = count(); }'), 'usdt probe needs a binary path (or -p PID)');
  });

  it('str(argN) reads user memory', () => {
    const c = compile('usdt:/opt/app:app:start { printf("%s\\n", str(arg1)); }', { kernel: kernel() });
    const calls = c.programs.flatMap((p) => [...disassemble(p.insns).matchAll(/call (bpf_\w+)/g)].map((m) => m[1]));
    assert.ok(calls.includes('bpf_probe_read_user_str'), calls.join(' '));
    assert.ok(!calls.includes('bpf_probe_read_kernel_str'));
  });

  it('-kk: a memory operand\'s read is checked (site 2; site 1 has arg1 in a register, no read); without -kk the same program as ever', () => {
    const src = 'usdt:/opt/app:app:start { @[arg1] = 1; }';
    const kk = compile(src, { kernel: kernel(), helperChecks: 2 });
    assert.deepEqual(kk.events.map((e) => e.kind === 'helper_error' && `${e.helper}@${e.span!.col}`), ['map_update_elem@27', 'probe_read_user@29']);
    assert.deepEqual(compile(src, { kernel: kernel(), helperChecks: 0 }).programs.map((p) => p.insns), compile(src, { kernel: kernel() }).programs.map((p) => p.insns));
  });
});

// ─── operand decoding, run on the test VM ───────────────────────────────────────────────────────

const USER_BASE = 0x7f00_0000_0000n;

/** pt_regs with every register set, and user memory at USER_BASE. */
function machine(regs: Record<string, bigint>, user: Uint8Array): { ctx: Uint8Array; helpers: Record<number, VmHelper> } {
  const ctx = new Uint8Array(168);
  const dv = new DataView(ctx.buffer);
  for (const [name, off] of Object.entries(PT_REGS_X86_64)) dv.setBigUint64(off, BigInt.asUintN(64, regs[name] ?? 0n), true);
  const readUser: VmHelper = {
    arity: 3,
    fn: ([dst, size, src], mem) => {
      const o = Number(src! - USER_BASE);
      if (o < 0 || o + Number(size) > user.length) return -14n;
      mem.write(dst!, user.slice(o, o + Number(size)));
      return 0n;
    },
  };
  return { ctx, helpers: { [Helper.probe_read_user]: readUser } };
}

/** The 64-bit value lowerUsdtArg produces for `operand` at a site at link-time address `pc`. */
function decode(operand: string, regs: Record<string, bigint>, user = new Uint8Array(64), pc = 0x1000, symbolAddress?: number): bigint {
  const b = new FnBuilder('usdt_arg');
  const arg = { ...parseUsdtArgument(operand), ...(symbolAddress !== undefined ? { symbolAddress } : {}) };
  const v = lowerUsdtArg(b, () => {
    const r = b.reg();
    b.emit({ op: 'ctx', dst: r });
    return r;
  }, arg, pc);
  b.terminate({ op: 'ret', value: v });
  const m = machine(regs, user);
  const { run } = agree({ name: 'usdt_arg', main: b.finish(), subprograms: [] }, {}, { ctx: m.ctx, helpers: m.helpers });
  return BigInt.asIntN(64, run.r0);
}

describe('usdt argument operands → values (IR and eBPF agree)', () => {
  it('registers: truncated to the size, sign- or zero-extended', () => {
    const regs = { rdi: 0x1234_5678_ffff_fffbn, rsi: 0xffff_ffff_ffff_ff9cn, rax: 0x1_0000_fde8n, r12: -2n, rbx: 0xabn };
    assert.equal(decode('-4@%edi', regs), -5n);
    assert.equal(decode('4@%edi', regs), 0xffff_fffbn);
    assert.equal(decode('-1@%sil', regs), -100n);
    assert.equal(decode('1@%sil', regs), 156n);
    assert.equal(decode('2@%ax', regs), 65000n);
    assert.equal(decode('-2@%ax', regs), -536n);
    assert.equal(decode('8@%r12', regs), -2n);
    assert.equal(decode('-8@%rbx', regs), 0xabn);
  });

  it('constants: as wide as their size says ($-536 at 2@ is 65000)', () => {
    assert.equal(decode('2@$-536', {}), 65000n);
    assert.equal(decode('-1@$-5', {}), -5n);
    assert.equal(decode('8@$-1', {}), -1n, 'all ones (printed as 18446744073709551615 with %lu)');
    assert.equal(decode('-4@$42', {}), 42n);
    assert.equal(decode('1@$300', {}), 44n);
    assert.equal(decode('-8@$-1234567890123', {}), -1234567890123n);
  });

  it('memory: off(%reg), (%base,%index,scale), read from user memory with the operand size', () => {
    const user = new Uint8Array(64);
    const dv = new DataView(user.buffer);
    dv.setInt32(8, -100000, true);
    dv.setBigInt64(24, -7n, true);
    dv.setUint16(40, 0xfffe, true);
    assert.equal(decode('-4@8(%rdi)', { rdi: USER_BASE }, user), -100000n);
    assert.equal(decode('4@8(%rdi)', { rdi: USER_BASE }, user), 4294867296n);
    assert.equal(decode('-4@-8(%rbp)', { rbp: USER_BASE + 16n }, user), -100000n);
    assert.equal(decode('-8@(%rax,%rdi,8)', { rax: USER_BASE, rdi: 3n }, user), -7n);
    assert.equal(decode('2@0x20(%rax,%rcx,4)', { rax: USER_BASE, rcx: 2n }, user), 0xfffen);
    assert.equal(decode('-2@0x20(%rax,%rcx,4)', { rax: USER_BASE, rcx: 2n }, user), -2n);
  });

  it('sym(%rip): the symbol at its run-time address, ip - pc being the load bias', () => {
    const user = new Uint8Array(64);
    new DataView(user.buffer).setInt32(0x30, 5050, true);
    // Linked at pc 0x1280 with the symbol at 0x4010; loaded so that the symbol is at USER_BASE + 0x30.
    const bias = USER_BASE + 0x30n - 0x4010n;
    assert.equal(decode('-4@sum(%rip)', { rip: bias + 0x1280n }, user, 0x1280, 0x4010), 5050n);
    assert.equal(decode('-4@sum+0x10(%rip)', { rip: bias + 0x1280n }, user, 0x1280, 0x4000), 5050n);
  });
});

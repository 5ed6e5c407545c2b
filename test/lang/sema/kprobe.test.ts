// kprobe/kretprobe and uprobe wildcards expanded through the KernelView, bpftrace's "optional"
// attach points (wildcard expansions, blocks of several), and the kprobe → fentry mechanism
// policy decided from the view's feature facts. Pure: fixture kernels, the machine's BTF file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compile } from '../../../src/lang/compile.js';
import { LangError } from '../../../src/lang/diagnostic.js';
import type { KernelView, ProbeMechanismFacts } from '../../../src/lang/kernel-view.js';
import type { AttachDef, CompiledScript } from '../../../src/lang/spec.js';
import { disassemble } from '../../../src/asm/disasm.js';
import { loadKernelBtf, Btf } from '../../../src/btf/index.js';
import { paramSpace } from '../../../src/lang/sema/probes.js';
import { BtfBuilder } from '../../btf/builder.js';
import { fixtureKernel, HAVE_BTF } from './fixture.js';

const needsBtf = HAVE_BTF ? {} : { skip: 'no /sys/kernel/btf/vmlinux' };

const FUNCS = ['vfs_read', 'vfs_readlink', 'vfs_readv', 'vfs_write', 'vfs_writev', 'tcp_connect', 'do_sys_openat2', 'cap_capable'];
const BASH = ['readline', 'readline_internal_char', 'readline_internal_setup', 'main'];

function kernel(opts: { facts?: ProbeMechanismFacts; btf?: boolean; functions?: string[] | null } = {}): KernelView {
  const k = fixtureKernel({ btf: opts.btf ?? false });
  const fns = opts.functions === undefined ? FUNCS : opts.functions;
  const re = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  if (fns !== null) {
    k.kernelFunctions = (glob, module) => (module !== undefined && module !== 'vmlinux' ? [] : fns.filter((f) => re(glob).test(f)).sort().map((name) => ({ name })));
  }
  k.userFunctions = (path, glob) => {
    if (path !== '/bin/bash') throw new Error(`${path}: no such file`);
    return BASH.filter((f) => re(glob).test(f)).sort();
  };
  if (opts.facts) k.probeMechanisms = () => opts.facts!;
  return k;
}

const FENTRY: ProbeMechanismFacts = { kprobe: true, fentry: true, fentryFuncIp: true };

function attachOf(s: CompiledScript): AttachDef[] {
  return s.programs.flatMap((p) => p.attach);
}

function langError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof LangError && re.test(e.message), String(re));
}

describe('kprobe and uprobe wildcards', () => {
  it('kprobe:vfs_read* expands to every matching function, each optional, in name order', () => {
    const s = compile('kprobe:vfs_read* { @[func] = count(); }', { kernel: kernel() });
    assert.equal(s.probeCount, 3);
    assert.deepEqual(attachOf(s), [
      { kind: 'kprobe', func: 'vfs_read', optional: true },
      { kind: 'kprobe', func: 'vfs_readlink', optional: true },
      { kind: 'kprobe', func: 'vfs_readv', optional: true },
    ]);
    assert.deepEqual(s.probeNames, ['kprobe:vfs_read', 'kprobe:vfs_readlink', 'kprobe:vfs_readv']);
  });

  it('kretprobe wildcards too; a block of several plain kprobes makes each optional, a lone one is not', () => {
    const s = compile('kretprobe:vfs_write* { @ = count(); } kprobe:tcp_connect, kprobe:nonexistent_fn { @c = count(); } kprobe:cap_capable { @k = count(); }', { kernel: kernel() });
    assert.deepEqual(attachOf(s), [
      { kind: 'kretprobe', func: 'vfs_write', optional: true },
      { kind: 'kretprobe', func: 'vfs_writev', optional: true },
      { kind: 'kprobe', func: 'tcp_connect', optional: true },
      { kind: 'kprobe', func: 'nonexistent_fn', optional: true },
      { kind: 'kprobe', func: 'cap_capable' },
    ]);
  });

  it('a wildcard matching nothing is an error; so is one where the kernel lists no functions', () => {
    langError(() => compile('kprobe:nosuch_* { @ = count(); }', { kernel: kernel() }), /^no kernel function matches kprobe:nosuch_\*$/);
    langError(() => compile('kprobe:vfs_* { @ = count(); }', { kernel: kernel({ functions: null }) }), /this kernel lists no functions/);
  });

  it('uprobe:/bin/bash:readline* expands through the binary\'s function symbols', () => {
    const s = compile('uprobe:/bin/bash:readline* { @[probe] = count(); }', { kernel: kernel() });
    assert.deepEqual(attachOf(s), ['readline', 'readline_internal_char', 'readline_internal_setup'].map((func) => ({ kind: 'uprobe', path: '/bin/bash', func, optional: true })));
    assert.deepEqual(s.probeNames, ['uprobe:/bin/bash:readline', 'uprobe:/bin/bash:readline_internal_char', 'uprobe:/bin/bash:readline_internal_setup']);
  });

  it('uprobe wildcards: no match and an unreadable file are errors naming them', () => {
    langError(() => compile('uretprobe:/bin/bash:zzz* { @ = count(); }', { kernel: kernel() }), /^no function in \/bin\/bash matches zzz\*$/);
    langError(() => compile('uprobe:/no/file:read* { @ = count(); }', { kernel: kernel() }), /^\/no\/file: no such file$/);
  });
});

describe('kprobe mechanism policy: fentry where the kernel and the script allow', () => {
  it('without facts (or without fentry) a kprobe stays a kprobe, saying why when asked', () => {
    const plain = compile('kprobe:vfs_read { @ = count(); }', { kernel: kernel() });
    assert.deepEqual(plain.programs.map((p) => [p.progKind, p.fallback]), [['kprobe', undefined]]);
    const noFentry = compile('kprobe:vfs_read { @ = count(); }', { kernel: kernel({ facts: { kprobe: true, fentry: false, fentryFuncIp: false }, btf: true }) });
    assert.equal(noFentry.programs[0]!.progKind, 'kprobe');
    assert.deepEqual(noFentry.programs[0]!.attach, [{ kind: 'kprobe', func: 'vfs_read', kprobeReason: 'this kernel does not run fentry programs' }]);
  });

  it('`probe` in a block on several kprobes: one program reading the link cookie where the kernel has cookies, else one program per function', () => {
    const src = 'kprobe:vfs_read, kretprobe:vfs_write, kprobe:vfs_open { @[probe] = count(); }';
    const facts = { kprobe: true, fentry: false, fentryFuncIp: false };
    const cookie = compile(src, { kernel: kernel({ facts: { ...facts, attachCookie: true } }) });
    const ids = (s: typeof cookie) => s.programs.map((p) => p.attach.map((a) => [a.kind, (a as { func: string }).func, (a as { cookie?: number }).cookie]));
    // The same code for kprobe and kretprobe: one program (the runtime makes a link per kind).
    assert.deepEqual(ids(cookie), [[['kprobe', 'vfs_read', 0], ['kprobe', 'vfs_open', 2], ['kretprobe', 'vfs_write', 1]]]);
    assert.deepEqual(cookie.probeNames, ['kprobe:vfs_read', 'kretprobe:vfs_write', 'kprobe:vfs_open']);
    assert.match(disassemble(cookie.programs[0]!.insns), /call bpf_get_attach_cookie#174/);
    const plain = compile(src, { kernel: kernel({ facts }) });
    assert.deepEqual(ids(plain), [[['kprobe', 'vfs_read', undefined]], [['kretprobe', 'vfs_write', undefined]], [['kprobe', 'vfs_open', undefined]]]);
    assert.doesNotMatch(plain.programs.map((p) => disassemble(p.insns)).join('\n'), /get_attach_cookie/);
  });

  it('kprobe:f with a BTF FUNC compiles to fentry: arguments from the context, a kprobe twin as fallback', needsBtf, () => {
    const btf = loadKernelBtf();
    const id = btf.find('vfs_read', 'func')[0]!;
    const s = compile('kprobe:vfs_read { @[func] = sum(arg2); }', { kernel: kernel({ facts: FENTRY, btf: true }) });
    assert.equal(s.programs.length, 1);
    const p = s.programs[0]!;
    assert.equal(p.progKind, 'tracing');
    assert.equal(p.name, 'f_vfs_read');
    assert.deepEqual(p.attach, [{ kind: 'kprobe', func: 'vfs_read', fentryBtfId: id }]);
    const text = disassemble(p.insns);
    assert.match(text, /= \*\(u64 \*\)\(r1 \+16\)/, 'arg2 is the third u64 of the context');
    assert.match(text, /call bpf_get_func_ip#173/, 'func is bpf_get_func_ip()');
    assert.ok(p.fallback);
    assert.equal(p.fallback.progKind, 'kprobe');
    assert.equal(p.fallback.name, 'k_vfs_read');
    assert.deepEqual(p.fallback.attach, [{ kind: 'kprobe', func: 'vfs_read' }]);
    assert.match(disassemble(p.fallback.insns), /= \*\(u64 \*\)\(r1 \+96\)/, 'the kprobe reads arg2 from pt_regs->dx');
    assert.equal(s.probeCount, 1);
  });

  it('kretprobe:f compiles to fexit: retval follows the function\'s arguments', needsBtf, () => {
    const btf = loadKernelBtf();
    const nargs = btf.funcProto('vfs_read').params.length;
    const s = compile('kretprobe:vfs_read { @ = hist(retval); }', { kernel: kernel({ facts: FENTRY, btf: true }) });
    const p = s.programs[0]!;
    assert.equal(p.progKind, 'tracing');
    assert.equal(p.name, 'fr_vfs_read');
    assert.match(disassemble(p.insns), new RegExp(`= \\*\\(u64 \\*\\)\\(r1 \\+${8 * nargs}\\)`));
    assert.match(disassemble(p.fallback!.insns), /= \*\(u64 \*\)\(r1 \+80\)/, 'kretprobe: pt_regs->ax');
  });

  it('what only a kprobe can do keeps the kprobe, and the reason is recorded', needsBtf, () => {
    const k = kernel({ facts: FENTRY, btf: true });
    const reason = (src: string) => {
      const s = compile(src, { kernel: k, unsafe: true });
      assert.equal(s.programs.filter((p) => p.progKind === 'tracing').length, 0, src);
      const a = s.programs.flatMap((p) => p.attach).find((x) => x.kind === 'kprobe' || x.kind === 'kretprobe')!;
      return 'kprobeReason' in a ? a.kprobeReason : undefined;
    };
    assert.equal(reason('kprobe:vfs_read { @ = reg("ip"); }'), 'reg() reads pt_regs');
    assert.equal(reason('kprobe:vfs_read { @ = sarg0; }'), 'sargN reads the stack pointer from pt_regs');
    assert.equal(reason('kprobe:vfs_read { @[kstack] = count(); }'), 'kstack is taken as a kprobe sees it (under fentry it would start in the trampoline)');
    assert.equal(reason('kprobe:vfs_read+4 { @ = count(); }'), 'an offset (+N) needs a kprobe');
    assert.equal(reason('kprobe:vfs_read { @ = arg5; }'), `the script reads arg5 and vfs_read has ${loadKernelBtf().funcProto('vfs_read').params.length} arguments`);
    assert.equal(reason('kprobe:not_a_kernel_function_at_all { @ = count(); }'), 'not_a_kernel_function_at_all has no BTF FUNC');
    assert.equal(reason('kprobe:vfs_read { override(1); }'), 'override() needs a kprobe');
  });

  it('func without bpf_get_func_ip in fentry programs keeps the kprobe; a function missing from the traceable list too', needsBtf, () => {
    const old = compile('kprobe:vfs_read { @[func] = count(); }', { kernel: kernel({ facts: { ...FENTRY, fentryFuncIp: false }, btf: true }) });
    assert.equal(old.programs[0]!.progKind, 'kprobe');
    const untraceable = compile('kprobe:vfs_read { @ = count(); }', { kernel: kernel({ facts: FENTRY, btf: true, functions: ['tcp_connect'] }) });
    assert.deepEqual(untraceable.programs[0]!.attach, [{ kind: 'kprobe', func: 'vfs_read', kprobeReason: "vfs_read is not in the kernel's traceable functions" }]);
  });

  it('a wildcard becomes one fentry program per function group, each attach point with its own BTF id', needsBtf, () => {
    const btf = loadKernelBtf();
    const s = compile('kprobe:vfs_read, kprobe:vfs_write { @[probe] = count(); }', { kernel: kernel({ facts: FENTRY, btf: true }) });
    assert.deepEqual(s.programs.flatMap((p) => p.attach), [
      { kind: 'kprobe', func: 'vfs_read', optional: true, fentryBtfId: btf.find('vfs_read', 'func')[0] },
      { kind: 'kprobe', func: 'vfs_write', optional: true, fentryBtfId: btf.find('vfs_write', 'func')[0] },
    ]);
    assert.ok(s.programs.every((p) => p.progKind === 'tracing' && p.fallback?.progKind === 'kprobe'));
  });
});

describe('fentry:/fexit: probes', () => {
  it('fentry:f reads its parameters as args fields, typed and sized from BTF', needsBtf, () => {
    const btf = loadKernelBtf();
    const s = compile('fentry:do_sys_openat2 /args->dfd == -100/ { @[str(args.filename)] = count(); }', { kernel: kernel({ btf: true }) });
    const p = s.programs[0]!;
    assert.equal(p.progKind, 'tracing');
    assert.equal(p.name, 'f_do_sys_openat', 'kernel program names stop at 15 characters');
    assert.equal(p.fallback, undefined, 'an explicit fentry has no kprobe fallback');
    assert.deepEqual(p.attach, [{ kind: 'fentry', func: 'do_sys_openat2', btfId: btf.find('do_sys_openat2', 'func')[0] }]);
    const text = disassemble(p.insns);
    assert.match(text, /= \*\(u32 \*\)\(r\d \+0\)/, 'dfd is an int: 4 bytes of the first slot');
    assert.match(text, /= \*\(u64 \*\)\(r\d \+8\)/, 'filename is the second slot');
  });

  it('fexit:f reads retval after the parameters; wildcards keep the functions that have BTF', needsBtf, () => {
    const nargs = loadKernelBtf().funcProto('vfs_write').params.length;
    const s = compile('fexit:vfs_write* { @[probe] = hist(retval); }', { kernel: kernel({ btf: true }) });
    assert.deepEqual(s.probeNames, ['fexit:vfs_write', 'fexit:vfs_writev']);
    assert.ok(s.programs.every((p) => p.progKind === 'tracing' && p.attach.every((a) => a.kind === 'fexit' && a.optional === true)));
    assert.match(disassemble(s.programs[0]!.insns), new RegExp(`= \\*\\(u64 \\*\\)\\(r\\d \\+${8 * nargs}\\)`));
  });

  it('a pointer parameter\'s memory: user when BTF tags it __user, kernel when untagged in tagged BTF, any in BTF without tags', () => {
    const build = (tagged: boolean) => {
      const b = new BtfBuilder();
      const ch = b.int('char', 1, { signed: true, char: true });
      const cch = b.const(ch);
      const plain = b.ptr(cch); // const char *
      const user = tagged ? b.ptr(b.typeTag('user', cch)) : plain; // const char __user *
      const file = b.ptr(b.struct('file', 0, []));
      return { btf: Btf.parse(b.encode()), ptrs: [plain, user, file] };
    };
    const pointee = (btf: Btf, id: number) => (btf.typeById(id) as { type: number }).type;
    const t = build(true);
    assert.deepEqual(t.ptrs.map((id) => paramSpace(t.btf, pointee(t.btf, id))), ['kernel', 'user', 'kernel']);
    const g = build(false);
    assert.deepEqual(g.ptrs.map((id) => paramSpace(g.btf, pointee(g.btf, id))), ['any', 'any', 'any']);
  });

  it('str() of a parameter in BTF without __user tags reads with bpf_probe_read_str (user or kernel by the address)', needsBtf, (t) => {
    if (loadKernelBtf().find('user', 'type_tag').length > 0) {
      t.skip('this kernel\'s BTF tags __user pointers');
      return;
    }
    const s = compile('fentry:do_sys_openat2 { @[str(args->filename)] = count(); }', { kernel: kernel({ btf: true }) });
    const text = disassemble(s.programs[0]!.insns);
    assert.match(text, /call bpf_probe_read_str#45/);
    assert.doesNotMatch(text, /probe_read_(kernel|user)_str/);
  });

  it('fentry errors name the function and the parameter', needsBtf, () => {
    langError(() => compile('fentry:not_a_kernel_function_at_all { @ = count(); }', { kernel: kernel({ btf: true }) }), /^kernel function not_a_kernel_function_at_all has no BTF entry/);
    langError(() => compile('fentry:vfs_read { @ = args->nosuch; }', { kernel: kernel({ btf: true }) }), /^fentry:vfs_read has no parameter 'nosuch'$/);
    langError(() => compile('fentry:vfs_read { @ = count(); }', { kernel: kernel({ btf: false }) }), /^fentry needs the kernel's BTF/);
  });
});

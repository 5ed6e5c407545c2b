// kprobe_multi (BPF_LINK_CREATE with BPF_TRACE_KPROBE_MULTI, fprobe underneath): where feature
// probing says yes, a link on do_sys_openat2 by symbol name counts a child's opens exactly; where it
// says no, the kernel refuses the same link (made here with the raw command: what is under test is
// the feature verdict). Then sonde's own use of it: a kprobe program serving several functions is
// attached through one kprobe_multi link, with exact counts per function; a link the kernel
// refuses (a function it cannot probe) falls back to one kprobe per function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/bpf/map.js';
import { TypedMap, u32, u64 } from '../../src/bpf/codec.js';
import { Program } from '../../src/bpf/program.js';
import { assemble } from '../../src/asm/encode.js';
import { Mov, Rsh, JNe, St, Add, LdMapFd, Call, Exit, JEq, AtomicAdd } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R10 } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import { AttachType, Mem, SysError, Errno, close, linkCreate } from '../../src/sys/index.js';
import { probeFeatures } from '../../src/runtime/features.js';
import { compile } from '../../src/lang/compile.js';
import type { KernelView } from '../../src/lang/kernel-view.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { ScriptRun, type ScriptEvent } from '../../src/runtime/script.js';
import { ScriptError } from '../../src/runtime/script-error.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';

const N = 300;

/** link_create.kprobe_multi: flags u32 @16, cnt u32 @20, syms u64 @24 (addrs @32, cookies @40 unused). */
function kprobeMultiLink(progFd: number, funcs: string[]): number {
  const names = funcs.map((f) => Mem.cstring(f));
  const syms = new Mem(8 * names.length);
  names.forEach((m, i) => syms.view.setBigUint64(8 * i, m.addr, true));
  const fd = linkCreate({
    progFd, targetFd: 0, attachType: AttachType.TRACE_KPROBE_MULTI,
    tail: (v) => {
      v.setUint32(16, 0, true);
      v.setUint32(20, names.length, true);
      v.setBigUint64(24, syms.addr, true);
    },
  });
  void names; // kept alive until the kernel has copied the strings
  return fd;
}

test('kprobe_multi: counts exactly where feature probing says yes, refused where it says no', needsRoot, async () => {
  const base = openFdCount();
  const feature = probeFeatures().probes.kprobe_multi;
  const map = BpfMap.create({ name: 'multi', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
  const { bytes } = assemble([
    Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), JNe.imm(R0, child.pid, 'out'),
    St(4, R10, -4, 0), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, 'multi'),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), AtomicAdd(8, R0, 0, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  ], { mapFd: () => map.fd });
  let prog: Program | undefined;
  try {
    prog = Program.load({ name: 'multi', kind: 'kprobe', bytes, expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
  } catch (e) {
    // Kernels before 5.18 reject the attach type at load time.
    assert.equal(feature.ok, false, `load failed though feature probing said yes: ${String(e)}`);
  }
  if (prog) {
    let link: number | undefined;
    try {
      link = kprobeMultiLink(prog.fd, ['do_sys_openat2']);
    } catch (e) {
      assert.equal(feature.ok, false, `link refused though feature probing said yes: ${String(e)}`);
      assert.ok(e instanceof SysError && (e.errno === Errno.EOPNOTSUPP || e.errno === Errno.ENOTSUPP), String(e));
    }
    if (link !== undefined) {
      assert.equal(feature.ok, true, `the link works though feature probing said: ${feature.detail}`);
      assert.equal(await child.go(), 0);
      assert.equal(new TypedMap(map, u32, u64).get(0), BigInt(N));
      close(link);
    }
    prog.close();
  }
  if (!feature.ok) await child.go();
  map.close();
  assert.equal(openFdCount(), base);
});

/** The live view, told the kernel has no fentry: kprobes stay kprobes (fentry would be chosen). */
function kprobesOnly(): KernelView {
  const live = liveKernelView();
  const view = Object.create(live) as KernelView;
  view.probeMechanisms = () => ({ ...live.probeMechanisms!(), fentry: false, fentryFuncIp: false });
  return view;
}

interface MultiRun { map: string; messages: string; error?: string; programs: number }

async function aroundOpens(source: (pid: number) => string): Promise<MultiRun> {
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
  const script = compile(source(child.pid), { kernel: kprobesOnly() });
  const programs = script.programs.length;
  let messages = '';
  let map = '';
  let r: ScriptRun<unknown, unknown>;
  try {
    r = await ScriptRun.start(script, {
      silent: true, verbose: true, notifyAttached: false, err: (t) => void (messages += t),
      onEvent: (e) => void ((e as ScriptEvent).type === 'map' && (e as { when: string }).when === 'exit' && (map += (e as { text: string }).text)),
    });
  } catch (e) {
    await child.go();
    if (!(e instanceof ScriptError)) throw e;
    return { map, messages, error: e.message, programs };
  }
  assert.equal(await child.go(), 0);
  r.stop();
  assert.equal(await r.done, 0, messages);
  return { map, messages, programs };
}

const hasKprobes = () => probeFeatures().probes.kprobe.ok;

test('a kprobe program on several functions: one kprobe_multi link where the kernel has them, exact counts per function', needsRoot, async () => {
  const base = openFdCount();
  const r = await aroundOpens((pid) => `kprobe:do_sys_openat2, kprobe:security_file_open /pid == ${pid}/ { @[func] = count(); }`);
  if (!hasKprobes()) {
    assert.match(r.error ?? '', /kprobes not supported by this kernel/);
    return;
  }
  assert.equal(r.error, undefined, r.messages);
  // Equal counts: the map's order among them is the hash's.
  assert.deepEqual(r.map.split('\n').filter(Boolean).sort(), [`@[do_sys_openat2]: ${N}`, `@[security_file_open]: ${N}`]);
  if (probeFeatures().probes.kprobe_multi.ok) assert.match(r.messages, /^kprobe:do_sys_openat2,kprobe:security_file_open: 2 functions through one kprobe_multi link$/m);
  else assert.doesNotMatch(r.messages, /kprobe_multi/);
  assert.equal(openFdCount(), base, 'everything detached');
});

test('kretprobes through one kprobe_multi link (return probes): exact count', needsRoot, async () => {
  const r = await aroundOpens((pid) => `kretprobe:do_sys_openat2, kretprobe:security_file_open /pid == ${pid}/ { @ = count(); }`);
  if (!hasKprobes()) return;
  assert.equal(r.error, undefined, r.messages);
  assert.equal(r.map, `@: ${2 * N}\n`);
  if (probeFeatures().probes.kprobe_multi.ok) assert.match(r.messages, /: 2 function returns through one kprobe_multi link$/m);
});

test('a kprobe_multi link the kernel refuses (a function it cannot probe) falls back to one kprobe per function', needsRoot, async () => {
  const r = await aroundOpens((pid) => `kprobe:do_sys_openat2, kprobe:sonde_no_such_function /pid == ${pid}/ { @ = count(); }`);
  if (!hasKprobes()) return;
  assert.equal(r.error, undefined, r.messages);
  assert.equal(r.map, `@: ${N}\n`);
  if (probeFeatures().probes.kprobe_multi.ok) assert.match(r.messages, /kprobe_multi link refused \(.+\); one kprobe per function$/m);
  assert.match(r.messages, /^WARNING: could not attach probe kprobe:sonde_no_such_function, skipping\.$/m);
});

test('`probe` in a block on several kprobes: one program, each link\'s cookie names its probe; exact counts per probe', needsRoot, async () => {
  const r = await aroundOpens((pid) => `kprobe:do_sys_openat2, kprobe:security_file_open, kretprobe:do_sys_openat2 /pid == ${pid}/ { @[probe] = count(); }`);
  if (!hasKprobes()) {
    assert.match(r.error ?? '', /kprobes not supported by this kernel/);
    return;
  }
  assert.equal(r.error, undefined, r.messages);
  // bpf_get_attach_cookie in kprobe programs: Linux 5.15+ (both guests); else one program per probe.
  assert.equal(r.programs, liveKernelView().probeMechanisms().attachCookie ? 1 : 3);
  assert.deepEqual(r.map.split('\n').filter(Boolean).sort(), [`@[kprobe:do_sys_openat2]: ${N}`, `@[kprobe:security_file_open]: ${N}`, `@[kretprobe:do_sys_openat2]: ${N}`]);
  if (probeFeatures().probes.kprobe_multi.ok) {
    assert.match(r.messages, /: 2 functions through one kprobe_multi link$/m);
    assert.match(r.messages, /: 1 function returns through one kprobe_multi link$/m);
  }
});

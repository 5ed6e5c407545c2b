// fentry/fexit: exact counts where the kernel has BPF trampolines, else the clear unsupported error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/bpf/map.js';
import { TypedMap, u32, u64 } from '../../src/bpf/codec.js';
import { Program } from '../../src/bpf/program.js';
import { fentryTarget, attachFentry, fentryLoadError } from '../../src/attach/fentry.js';
import { detach } from '../../src/attach/link.js';
import { probeFeatures } from '../../src/runtime/features.js';
import { UnsupportedError } from '../../src/sys/errors.js';
import { assemble } from '../../src/asm/encode.js';
import { Mov, Rsh, JNe, St, Add, LdMapFd, Call, Exit, JEq, AtomicAdd } from '../../src/asm/builders.js';
import { Label, R0, R1, R2, R10 } from '../../src/asm/insn.js';
import { Helper } from '../../src/asm/helpers.js';
import { spawnPaused } from '../support/workload.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const N = 500;

for (const retprobe of [false, true]) {
  const kind = retprobe ? 'fexit' : 'fentry';
  test(`${kind}: do_sys_openat2 counts a child's ${N} opens, or says the kernel cannot`, needsRoot, async () => {
    const base = openFdCount();
    const target = fentryTarget('do_sys_openat2', retprobe);
    const map = BpfMap.create({ name: kind, kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
    const a = assemble([
      Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), JNe.imm(R0, child.pid, 'out'),
      St(4, R10, -4, 0), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, kind),
      Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), AtomicAdd(8, R0, 0, R1),
      Label('out'), Mov.imm(R0, 0), Exit(),
    ], { mapFd: () => map.fd });
    const features = probeFeatures();
    let prog: Program | undefined;
    try {
      prog = Program.load({ name: kind, kind: 'tracing', bytes: a.bytes, expectedAttachType: target.expectedAttachType, attachBtfId: target.btfId });
    } catch (e) {
      const err = fentryLoadError(e);
      assert.equal(features.probes.fentry.ok, false, `load failed though feature probing said fentry works: ${err.message}`);
      assert.ok(err instanceof UnsupportedError);
      assert.match(err.message, /fentry\/fexit not supported by this kernel/);
      await child.go();
      map.close();
      assert.equal(openFdCount(), base);
      return;
    }
    assert.equal(features.probes.fentry.ok, true, 'loaded, so feature probing must agree');
    const link = attachFentry(prog.fd, target);
    assert.equal(await child.go(), 0);
    assert.equal(new TypedMap(map, u32, u64).get(0), BigInt(N));
    detach(link);
    prog.close();
    map.close();
    assert.equal(openFdCount(), base);
  });
}

// The library API as a user imports it (`from 'sonde'`): count a child's openat calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BpfMap, TypedMap, codec, Program, assemble, Call, Helper, Rsh, JNe, St, Mov, Add, LdMapFd, JEq, AtomicAdd,
  Label, Exit, R0, R1, R2, R10, attachTracepoint, detach,
} from 'sonde';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';

test('public API: count a child\'s openat calls through a tracepoint', needsRoot, async () => {
  const child = await spawnPaused(await buildFixture('open_loop'), ['250', '/etc/hostname']);
  const counts = BpfMap.create({ name: 'counts', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const { bytes } = assemble([
    Call.helper(Helper.get_current_pid_tgid), Rsh.imm(R0, 32), JNe.imm(R0, child.pid, 'out'),
    St(4, R10, -4, 0), Mov.reg(R2, R10), Add.imm(R2, -4), LdMapFd(R1, 'counts'),
    Call.helper(Helper.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.imm(R1, 1), AtomicAdd(8, R0, 0, R1),
    Label('out'), Mov.imm(R0, 0), Exit(),
  ], { mapFd: () => counts.fd });
  const prog = Program.load({ name: 'openat', kind: 'tracepoint', bytes });
  const link = attachTracepoint(prog.fd, 'syscalls', 'sys_enter_openat');
  assert.equal(await child.go(), 0);
  assert.equal(new TypedMap(counts, codec.u32, codec.u64).get(0), 250n);
  detach(link);
  prog.close();
  counts.close();
});

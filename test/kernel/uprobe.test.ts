// uprobe/uretprobe on a test program's function called a known number of times; libc by name;
// per-pid filtering by the kernel (pid option) rather than by the program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/bpf/map.js';
import { TypedMap, u32, u64 } from '../../src/bpf/codec.js';
import { attachUprobe } from '../../src/attach/uprobe.js';
import { detach } from '../../src/attach/link.js';
import { ElfFile, symbolFileOffset, resolveLibrary } from '../../src/elf/index.js';
import { countProgram } from '../support/progs.js';
import { spawnPaused } from '../support/workload.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

// Uprobes cost ~25 µs a hit on this VM: keep the workload in the hundreds.
const N = 300;

for (const variant of ['uprobe_target', 'uprobe_target-nopie']) {
  for (const retprobe of [false, true]) {
    const kind = retprobe ? 'uretprobe' : 'uprobe';
    test(`${kind} on ${variant}:sonde_target_add counts ${N} calls exactly`, needsRoot, async () => {
      const base = openFdCount();
      const bin = await buildFixture(variant);
      const offset = symbolFileOffset(ElfFile.open(bin), 'sonde_target_add');
      const map = BpfMap.create({ name: 'hits', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
      const child = await spawnPaused(bin, ['--wait', String(N)]);
      const prog = countProgram('kprobe', map, undefined, kind);
      // The kernel filters by pid: only the paused child's calls count.
      const link = attachUprobe(prog.fd, { path: bin, offset, retprobe, pid: child.pid });
      assert.equal(await child.go(), 0);
      assert.equal(new TypedMap(map, u32, u64).get(0), BigInt(N));
      detach(link);
      prog.close();
      map.close();
      assert.equal(openFdCount(), base);
    });
  }
}

test('uprobe on a libc function found by library name counts a child\'s calls exactly', needsRoot, async () => {
  const base = openFdCount();
  const libc = resolveLibrary('libc');
  const offset = symbolFileOffset(ElfFile.open(libc), 'close');
  const map = BpfMap.create({ name: 'libc_close', kind: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  // open_loop calls libc's close() once per open, and nowhere else once it is past its read().
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
  const prog = countProgram('kprobe', map, child.pid, 'libc_close');
  const link = attachUprobe(prog.fd, { path: libc, offset });
  assert.equal(await child.go(), 0);
  assert.equal(new TypedMap(map, u32, u64).get(0), BigInt(N));
  detach(link);
  prog.close();
  map.close();
  assert.equal(openFdCount(), base);
});

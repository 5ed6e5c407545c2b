// Address spaces (types.ts AddrSpace, sema unitSpace): which probe_read helper each read through a
// pointer gets, per probe type, as bpftrace 0.17 chooses them (find_addrspace, selectProbeReadHelper).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { disassemble } from '../../../src/asm/disasm.js';
import { compile } from '../../../src/lang/compile.js';
import type { KernelView } from '../../../src/lang/kernel-view.js';
import { unitSpace } from '../../../src/lang/sema/analyze.js';
import type { ProbeInstance } from '../../../src/lang/sema/probes.js';
import { fixtureKernel } from '../sema/fixture.js';

function kernel(): KernelView {
  return {
    ...fixtureKernel(),
    kernelAddress: (name: string) => (name === 'jiffies' ? { found: true, address: 0xffffffff83a05000n } : { found: false, reason: 'absent' }),
  };
}

/** The probe_read* helpers each program calls, in order. */
function reads(src: string): string[][] {
  const c = compile(src, { kernel: kernel(), file: 'test.bt' });
  return c.programs.map((p) => [...disassemble(p.insns).matchAll(/call (?:bpf_)?(probe_read\w*)#\d+/g)].map((m) => m[1]!));
}

const READS = '$a = *(uint64 *)4096; $s = str(8192); $f = ((struct foo *)0)->a;';

describe('address spaces: the helper of a read through a pointer', () => {
  it('an integer made a pointer where nobody knows its space (BEGIN, END, interval, profile, software, hardware, watchpoint): bpf_probe_read(_str)', () => {
    for (const probe of ['BEGIN', 'END', 'interval:s:1', 'profile:hz:99', 'software:cpu-clock:1000000', 'hardware:cycles:100000', 'watchpoint:0x10000000:8:w']) {
      assert.deepEqual(reads(`struct foo { int a; } ${probe} { ${READS} }`), [['probe_read', 'probe_read_str', 'probe_read']], probe);
    }
  });

  it('kernel probes read kernel memory, uprobes user memory', () => {
    assert.deepEqual(reads(`struct foo { int a; } tracepoint:sched:sched_switch { ${READS} }`), [['probe_read_kernel', 'probe_read_kernel_str', 'probe_read_kernel']]);
    assert.deepEqual(reads(`struct foo { int a; } kprobe:vfs_read { ${READS} }`), [['probe_read_kernel', 'probe_read_kernel_str', 'probe_read_kernel']]);
    assert.deepEqual(reads(`struct foo { int a; } rawtracepoint:sched_switch { ${READS} }`), [['probe_read_kernel', 'probe_read_kernel_str', 'probe_read_kernel']]);
    assert.deepEqual(reads(`struct foo { int a; } uprobe:/bin/sh:main { ${READS} }`), [['probe_read_user', 'probe_read_user_str', 'probe_read_user']]);
    // Syscall arguments are user pointers (sonde's choice; bpftrace 0.17 reads an integer cast there as kernel memory).
    assert.deepEqual(reads('tracepoint:syscalls:sys_enter_openat { $s = str(args->filename); $c = *(uint8 *)args->filename; }'), [['probe_read_user_str', 'probe_read_user']]);
  });

  it('kernel pointers stay kernel pointers in any probe: curtask, kaddr(), casts and arithmetic on them', () => {
    for (const probe of ['BEGIN', 'profile:hz:99', 'uprobe:/bin/sh:main']) {
      assert.deepEqual(reads(`${probe} { $a = *(uint64 *)curtask; $b = *kaddr("jiffies"); $c = *(uint32 *)(kaddr("jiffies") + 4); $d = str(kaddr("jiffies")); $e = *(uint64 *)((uint64)curtask + 8); }`),
        [['probe_read_kernel', 'probe_read_kernel', 'probe_read_kernel', 'probe_read_kernel_str', 'probe_read_kernel']], probe);
    }
  });

  it('through a variable the address keeps its space', () => {
    assert.deepEqual(reads('uprobe:/bin/sh:main { $k = kaddr("jiffies"); $u = arg0; $a = *$k; $b = *$u; $c = *($k + 8); }'), [['probe_read_kernel', 'probe_read_user', 'probe_read_kernel']]);
    // Through a conditional of two kernel addresses too; a kernel address mixed with a user one is either.
    assert.deepEqual(reads('uprobe:/bin/sh:main { $a = *(pid > 1 ? kaddr("jiffies") : kaddr("jiffies") + 8); $b = *(pid > 1 ? kaddr("jiffies") : arg0); $c = *(kaddr("jiffies") + (uint64)uptr(arg0)); }'),
      [['probe_read_kernel', 'probe_read_user', 'probe_read']]);
  });

  it('a field read through an unknown-space pointer is read the same way; its pointer fields too', () => {
    assert.deepEqual(reads('struct foo { int a; struct foo *next; } interval:s:1 { $p = (struct foo *)4096; $n = $p->next->a; }'), [['probe_read', 'probe_read']]);
    assert.deepEqual(reads('struct foo { int a; struct foo *next; } uprobe:/bin/sh:main { $p = (struct foo *)arg0; $n = $p->next->a; }'), [['probe_read_user', 'probe_read_user']]);
  });

  it('unitSpace: one space per kind; a unit mixing kinds gets "any" (bpftrace: AddrSpace::none)', () => {
    const inst = (provider: string, extra: Partial<ProbeInstance> = {}) => ({ provider, attach: { kind: provider }, ...extra }) as unknown as ProbeInstance;
    assert.equal(unitSpace({ instances: [inst('usdt')] }), 'user');
    assert.equal(unitSpace({ instances: [inst('uprobe'), inst('uretprobe')] }), 'user');
    assert.equal(unitSpace({ instances: [inst('fentry'), inst('kretprobe')] }), 'kernel');
    assert.equal(unitSpace({ instances: [inst('iter')] }), 'kernel');
    assert.equal(unitSpace({ instances: [inst('watchpoint', { attach: { kind: 'funcwatchpoint' } as ProbeInstance['attach'] })] }), 'user');
    assert.equal(unitSpace({ instances: [inst('uprobe'), inst('kprobe')] }), 'any');
    assert.equal(unitSpace({ instances: [inst('BEGIN')] }), 'any');
    assert.equal(unitSpace({ instances: [inst('self')] }), 'any');
  });
});

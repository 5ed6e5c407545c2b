// The live KernelView the compiler gets, checked against tracefs and sysfs directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { needsRoot } from '../support/root.js';
import { LiveKernelView, readSyscallTable } from '../../src/runtime/kernel-view.js';
import { nrPossibleCpus } from '../../src/kernel/cpus.js';

test('tracepoints and their fields, as tracefs has them', needsRoot, () => {
  const k = new LiveKernelView();
  assert.deepEqual(k.listTracepoints('syscalls', 'sys_enter_openat*'), [['syscalls', 'sys_enter_openat'], ['syscalls', 'sys_enter_openat2']]);
  const f = k.tracepointFields('syscalls', 'sys_enter_openat');
  assert.deepEqual(f?.map((x) => [x.name, x.decl, x.size]), [
    ['__syscall_nr', 'int __syscall_nr', 4], ['dfd', 'int dfd', 8], ['filename', 'const char * filename', 8],
    ['flags', 'int flags', 8], ['mode', 'umode_t mode', 8],
  ]);
  const exec = k.tracepointFields('sched', 'sched_process_exec');
  assert.equal(exec?.find((x) => x.name === 'filename')?.dataLoc, true);
  assert.equal(k.tracepointFields('syscalls', 'no_such_event'), undefined);
});

test('CPUs, BTF and syscall numbers', () => {
  const k = new LiveKernelView();
  assert.equal(k.possibleCpus, nrPossibleCpus());
  assert.equal(k.btf() !== undefined, existsSync('/sys/kernel/btf/vmlinux'));
  if (k.btf()) assert.ok(k.btf()!.find('task_struct').length > 0);
  const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  if (process.arch === 'x64' && existsSync(header)) {
    assert.equal(k.syscallNumber('openat'), 257);
    assert.equal(k.syscallNumber('read'), 0);
    assert.equal(k.syscallNumber('no_such_call'), undefined);
    const n = [...readFileSync(header, 'utf8').matchAll(/^#define __NR_\w+ \d+$/gm)].length;
    assert.equal(readSyscallTable([header]).size, n);
  }
  assert.equal(readSyscallTable(['/nonexistent']).size, 0);
});

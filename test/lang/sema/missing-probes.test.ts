// `config = { missing_probes = error|warn|ignore }` (newer bpftrace) in sema — no root needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileToIr } from '../../../src/lang/compile.js';
import { langError } from '../lang-error.js';
import type { KernelView } from '../../../src/lang/kernel-view.js';
import { fixtureKernel } from './fixture.js';

/** The fixture kernel, listing two kernel functions, and one binary /bin/app with main and work. */
function kernel(): KernelView {
  const re = (g: string): RegExp => new RegExp(`^${g.replace(/\*/g, '.*')}$`);
  return {
    ...fixtureKernel(),
    kernelFunctions: (g) => ['vfs_read', 'vfs_write'].filter((n) => re(g).test(n)).map((name) => ({ name })),
    userFunctions: (path, g) => {
      if (path !== '/bin/app') throw new Error(`${path}: No such file or directory`);
      return ['main', 'work'].filter((n) => re(g).test(n));
    },
  };
}

function compile(src: string, missingProbes?: 'error' | 'warn' | 'ignore') {
  return compileToIr(src, { kernel: kernel(), file: 'test.bt', ...(missingProbes ? { missingProbes } : {}) });
}

function error(src: string, missingProbes?: 'error' | 'warn' | 'ignore'): string {
  return langError(() => compile(src, missingProbes));
}

describe('sema: missing_probes', () => {
  it('takes error, warn or ignore, as an identifier or a string; the environment (option) wins', () => {
    assert.equal(compile('config = { missing_probes = warn } BEGIN { }').missingProbes, 'warn');
    assert.equal(compile('config = { missing_probes = "ignore" } BEGIN { }').missingProbes, 'ignore');
    assert.equal(compile('config = { BPFTRACE_MISSING_PROBES = error } BEGIN { }').missingProbes, undefined);
    assert.equal(compile('BEGIN { }').missingProbes, undefined);
    assert.equal(compile('config = { missing_probes = warn } BEGIN { }', 'error').missingProbes, undefined);
    assert.equal(compile('config = { missing_probes = error } BEGIN { }', 'ignore').missingProbes, 'ignore');
  });

  it('any other value is an error at the value, in bpftrace\'s words', () => {
    assert.equal(error('config = { missing_probes = maybe } BEGIN { }'),
      'test.bt:1:29: ERROR: missing_probes: Invalid value for missing_probes: valid values are ignore, warn, and error.\n' +
      'config = { missing_probes = maybe } BEGIN { }\n                            ^~~~~');
    assert.match(error('config = { missing_probes = 1 } BEGIN { }'), /^test\.bt:1:29: ERROR: missing_probes: Invalid value/);
  });

  it('error (the default): a missing tracepoint is today\'s error', () => {
    assert.match(error('tracepoint:syscalls:nonsense { } BEGIN { }'), /^test\.bt:1:1: ERROR: tracepoint not found: syscalls:nonsense\n/);
    assert.match(error('config = { missing_probes = warn } t:syscalls:nonsense { } BEGIN { }', 'error'), /ERROR: tracepoint not found: syscalls:nonsense/);
    // A kprobe's function is not looked up under error: the attach decides, as before.
    assert.equal(compile('kprobe:nonsense { }').programs.length, 1);
  });

  it('warn: each missing attach point is skipped with bpftrace\'s warning; the others stay', () => {
    const c = compile('config = { missing_probes = warn }\n' +
      'tracepoint:syscalls:sys_enter_read,tracepoint:nonsense:nonsense { @r = count(); }\n' +
      'kprobe:vfs_read,kprobe:zzzzz { @k = count(); }\n' +
      'uprobe:/bin/app:main,uprobe:/bin/app:nothere,uprobe:/bin/gone:main { @u = count(); }');
    assert.deepEqual(c.warnings!.map((w) => w.split('\n')[0]), [
      'test.bt:2:36: WARNING: No matches for tracepoint nonsense:nonsense. Skipping.',
      'test.bt:3:17: WARNING: No matches for kprobe zzzzz. Skipping.',
      'test.bt:4:22: WARNING: No matches for uprobe /bin/app:nothere. Skipping.',
      'test.bt:4:46: WARNING: No matches for uprobe /bin/gone:main. Skipping.',
    ]);
    assert.equal(c.warnings![0], 'test.bt:2:36: WARNING: No matches for tracepoint nonsense:nonsense. Skipping.\n' +
      'tracepoint:syscalls:sys_enter_read,tracepoint:nonsense:nonsense { @r = count(); }\n' +
      '                                   ^~~~~~~~~~~~~~~~~~~~~~~~~~~~');
    assert.deepEqual(c.programs.flatMap((p) => p.attach.map((a) => a.kind === 'tracepoint' ? `${a.category}:${a.event}` : 'func' in a ? `${a.kind}:${a.func}` : a.kind)).sort(),
      ['kprobe:vfs_read', 'syscalls:sys_enter_read', 'uprobe:main']);
    assert.equal(c.probeCount, 3);
  });

  it('warn: a probe left with no attach point is removed, with bpftrace\'s second warning', () => {
    const c = compile('config = { missing_probes = warn } kprobe:zzzzz { probe; printf("asdf\\n") } begin { printf("_%s_\\n", "success"); exit() }');
    assert.deepEqual(c.warnings!.map((w) => w.split('\n')[0]), [
      'test.bt:1:36: WARNING: No matches for kprobe zzzzz. Skipping.',
      'test.bt:1:36: WARNING: Probe has no valid attach points. It is being removed which may cause issues with program behavior.',
    ]);
    assert.deepEqual(c.programs.map((p) => p.probeName), ['BEGIN']);
  });

  it('ignore: the same, silently; with every probe skipped there are no programs', () => {
    const c = compile('config = { missing_probes = ignore } kprobe:zzzzz { } t:syscalls:nonsense { } uprobe:/bin/app:nothere { }');
    assert.equal(c.warnings, undefined);
    assert.equal(c.programs.length, 0);
    assert.equal(c.probeCount, 0);
  });

  it('a wrong attach point (not a missing one) stays an error under warn and ignore', () => {
    assert.match(error('config = { missing_probes = ignore } software:nonsense { } BEGIN { }'), /ERROR: nonsense is not a known software event/);
    assert.match(error('config = { missing_probes = warn } watchpoint:0x1000:3:w { } BEGIN { }'), /ERROR: watchpoint length must be one of/);
  });
});

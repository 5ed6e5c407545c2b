import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeTarget, LangError, matchProviders, parse, printAst, TargetError, type AttachPoint } from '../../src/lang/index.js';

function ap(spec: string): AttachPoint {
  const prog = parse(`${spec} { }`);
  assert.equal(prog.probes.length, 1);
  assert.equal(prog.probes[0]!.attachPoints.length, 1);
  return prog.probes[0]!.attachPoints[0]!;
}

/** provider, parts and decoded target of a spec, as plain data. */
function decode(spec: string): Pick<AttachPoint, 'provider' | 'parts' | 'target'> {
  const a = ap(spec);
  assert.equal(a.raw, spec);
  return { provider: a.provider, parts: a.parts, target: a.target };
}

function specError(spec: string): LangError {
  try {
    parse(`${spec} { }`, { file: 'p.bt' });
  } catch (e) {
    if (e instanceof LangError) return e;
    throw e;
  }
  assert.fail(`expected ${spec} to be rejected`);
}

describe('probe specifications', () => {
  it('parses BEGIN and END in both cases', () => {
    for (const [w, p] of [['BEGIN', 'BEGIN'], ['begin', 'BEGIN'], ['END', 'END'], ['end', 'END']]) {
      assert.deepEqual(decode(w!), { provider: p, parts: [], target: { kind: 'special' } });
      assert.equal(ap(w!).providerWritten, w);
    }
  });

  it('parses kprobes and kretprobes with modules, offsets and wildcards', () => {
    assert.deepEqual(decode('kprobe:do_nanosleep'), {
      provider: 'kprobe', parts: ['do_nanosleep'], target: { kind: 'kprobe', module: null, func: 'do_nanosleep', offset: null },
    });
    assert.deepEqual(decode('kprobe:nf_tables:nft_do_chain').target, { kind: 'kprobe', module: 'nf_tables', func: 'nft_do_chain', offset: null });
    assert.deepEqual(decode('k:vfs_read+0x10').target, { kind: 'kprobe', module: null, func: 'vfs_read', offset: 16n });
    assert.deepEqual(decode('kretprobe:vfs_*').target, { kind: 'kprobe', module: null, func: 'vfs_*', offset: null });
    assert.equal(ap('kr:f').provider, 'kretprobe');
    assert.deepEqual(decode('kprobe:lookup_fast.constprop.*').parts, ['lookup_fast.constprop.*']);
    assert.deepEqual(decode('kprobe:f?o').parts, ['f?o']);
  });

  it('parses uprobes: paths, libraries, addresses, offsets and quoted C++ names', () => {
    assert.deepEqual(decode('uprobe:/bin/bash:readline').target, {
      kind: 'uprobe', path: '/bin/bash', lang: null, func: 'readline', address: null, offset: null,
    });
    assert.deepEqual(decode('uprobe:libc:malloc').target, {
      kind: 'uprobe', path: 'libc', lang: null, func: 'malloc', address: null, offset: null,
    });
    assert.deepEqual(decode('uprobe:/bin/x:0x1234').target, {
      kind: 'uprobe', path: '/bin/x', lang: null, func: null, address: 0x1234n, offset: null,
    });
    assert.deepEqual(decode('u:./a.out:main+8').target, {
      kind: 'uprobe', path: './a.out', lang: null, func: 'main', address: null, offset: 8n,
    });
    const cpp = ap('uprobe:bin:cpp:"ns::Klass::method(int) const"');
    assert.deepEqual(cpp.parts, ['bin', 'cpp', 'ns::Klass::method(int) const']);
    assert.deepEqual(cpp.quoted, [false, false, true]);
    assert.deepEqual(cpp.target, {
      kind: 'uprobe', path: 'bin', lang: 'cpp', func: 'ns::Klass::method(int) const', address: null, offset: null,
    });
    assert.equal(ap('uretprobe:/lib/x.so:f').provider, 'uretprobe');
    assert.equal(ap('ur:/lib/x.so:f').provider, 'uretprobe');
    assert.deepEqual(decode('uprobe:/my/program:1234abc').target, {
      kind: 'uprobe', path: '/my/program', lang: null, func: '1234abc', address: null, offset: null,
    });
    assert.deepEqual(decode('uprobe:"/path with space/x":"f"').parts, ['/path with space/x', 'f']);
  });

  it('parses usdt probes with and without a provider', () => {
    assert.deepEqual(decode('usdt:/path/bin:prov:name').target, { kind: 'usdt', path: '/path/bin', namespace: 'prov', name: 'name' });
    assert.deepEqual(decode('usdt:bin:name').target, { kind: 'usdt', path: 'bin', namespace: null, name: 'name' });
    assert.deepEqual(decode('U:/my/*program:namespace:probe').target, {
      kind: 'usdt', path: '/my/*program', namespace: 'namespace', name: 'probe',
    });
  });

  it('parses tracepoints and raw tracepoints', () => {
    assert.deepEqual(decode('tracepoint:syscalls:sys_enter_open*').target, {
      kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_open*',
    });
    assert.deepEqual(decode('t:sched:sched_switch').target, { kind: 'tracepoint', category: 'sched', event: 'sched_switch' });
    assert.deepEqual(decode('tracepoint:*:*').target, { kind: 'tracepoint', category: '*', event: '*' });
    assert.deepEqual(decode('rawtracepoint:sched_switch').target, { kind: 'rawtracepoint', module: null, event: 'sched_switch' });
    assert.deepEqual(decode('rt:vmlinux:sched_switch').target, { kind: 'rawtracepoint', module: 'vmlinux', event: 'sched_switch' });
  });

  it('parses profile and interval timers', () => {
    assert.deepEqual(decode('profile:hz:99').target, { kind: 'timer', unit: 'hz', value: 99n });
    assert.deepEqual(decode('profile:s:1').target, { kind: 'timer', unit: 's', value: 1n });
    assert.deepEqual(decode('p:ms:10').target, { kind: 'timer', unit: 'ms', value: 10n });
    assert.deepEqual(decode('interval:s:1').target, { kind: 'timer', unit: 's', value: 1n });
    assert.deepEqual(decode('interval:ms:100').target, { kind: 'timer', unit: 'ms', value: 100n });
    assert.deepEqual(decode('i:us:500').target, { kind: 'timer', unit: 'us', value: 500n });
    // The one-field form is nanoseconds (duration suffixes allowed), counted in µs as newer bpftrace does.
    assert.deepEqual(decode('interval:1s').target, { kind: 'timer', unit: 'us', value: 1_000_000n });
    assert.deepEqual(decode('interval:100ms').target, { kind: 'timer', unit: 'us', value: 100_000n });
    assert.deepEqual(decode('profile:1000').target, { kind: 'timer', unit: 'us', value: 1n });
    assert.deepEqual(decode('profile:2500').target, { kind: 'timer', unit: 'us', value: 2n });
    assert.equal(ap('i:s:1').provider, 'interval');
    assert.equal(ap('p:hz:1').provider, 'profile');
  });

  it('parses software, hardware and watchpoint probes', () => {
    assert.deepEqual(decode('software:cpu-clock:1000').target, { kind: 'perf', event: 'cpu-clock', count: 1000n });
    assert.deepEqual(decode('s:faults:1').target, { kind: 'perf', event: 'faults', count: 1n });
    assert.deepEqual(decode('software:page-faults').target, { kind: 'perf', event: 'page-faults', count: null });
    assert.deepEqual(decode('hardware:cycles:1e6').target, { kind: 'perf', event: 'cycles', count: 1_000_000n });
    assert.deepEqual(decode('h:cache-misses:100').target, { kind: 'perf', event: 'cache-misses', count: 100n });
    assert.deepEqual(decode('watchpoint:0x10000000:8:rw').target, {
      kind: 'watchpoint', address: 0x10000000n, func: null, arg: null, length: 8n, mode: 'rw',
    });
    assert.deepEqual(decode('watchpoint:increment+arg1:4:w').target, {
      kind: 'watchpoint', address: null, func: 'increment', arg: 1, length: 4n, mode: 'w',
    });
    assert.equal(ap('asyncwatchpoint:0x1:8:r').provider, 'asyncwatchpoint');
  });

  it('parses fentry/fexit and their old names, and iterators', () => {
    assert.deepEqual(decode('fentry:vfs_read').target, { kind: 'fentry', module: null, func: 'vfs_read' });
    assert.deepEqual(decode('fexit:vfs_read').provider, 'fexit');
    assert.deepEqual(decode('kfunc:vmlinux:vfs_read'), {
      provider: 'fentry', parts: ['vmlinux', 'vfs_read'], target: { kind: 'fentry', module: 'vmlinux', func: 'vfs_read' },
    });
    assert.equal(ap('kretfunc:f').provider, 'fexit');
    assert.equal(ap('f:f').provider, 'fentry');
    assert.equal(ap('fr:f').provider, 'fexit');
    assert.deepEqual(decode('iter:task').target, { kind: 'iter', object: 'task', pin: null });
    assert.deepEqual(decode('iter:task_file:/sys/fs/bpf/files').target, { kind: 'iter', object: 'task_file', pin: '/sys/fs/bpf/files' });
    assert.deepEqual(decode('it:task_vma:list').target, { kind: 'iter', object: 'task_vma', pin: 'list' });
  });

  it('leaves positional parameters and wildcard providers for later expansion', () => {
    const a = ap('uprobe:$1:main');
    assert.deepEqual(a.parts, ['$1', 'main']);
    assert.equal(a.target, null);
    const w = ap('t*point:sched:sched_switch');
    assert.equal(w.provider, null);
    assert.equal(w.target, null);
    assert.equal(printAst(w), 'attach t*point:sched:sched_switch => t*point (not expanded) [sched | sched_switch]\n');
    assert.equal(printAst(a), 'attach uprobe:$1:main => uprobe (not expanded) [$1 | main]\n');
    // In the probe type: decoded once substituted (BEG$1 with IN is BEGIN).
    const b = ap('BEG$1');
    assert.deepEqual([b.provider, b.providerWritten, b.target], [null, 'BEG$1', null]);
    assert.equal(ap('*ware:*').providerWritten, '*ware');
    assert.equal(ap('*:/bin/sh:*').raw, '*:/bin/sh:*');
    assert.deepEqual(matchProviders('t*point', false), ['tracepoint']);
    assert.deepEqual(matchProviders('*tracepoint', false), ['tracepoint', 'rawtracepoint']);
    assert.deepEqual(matchProviders('*ware', false), ['software', 'hardware']);
    assert.deepEqual(matchProviders('*', true), ['uprobe', 'uretprobe', 'usdt']);
  });

  it('decodes a spec again once its positional parameters are substituted', () => {
    assert.deepEqual(decodeTarget('uprobe', ['/bin/bash', 'main'], [false, false]), {
      kind: 'uprobe', path: '/bin/bash', lang: null, func: 'main', address: null, offset: null,
    });
    assert.throws(() => decodeTarget('tracepoint', ['x'], [false]), (e: unknown) => e instanceof TargetError && e.part === null);
  });

  it('records the span of each part', () => {
    const a = ap('uprobe:/bin/bash:readline');
    assert.deepEqual(
      a.partSpans.map((s) => [s.col, s.endCol]),
      [
        [8, 17],
        [18, 26],
      ],
    );
  });

  it('rejects malformed specifications at the offending field', () => {
    const cases: Array<[string, string, number]> = [
      ['kprobz:f', "unknown probe type 'kprobz'", 1],
      ['BEGIN:f', 'BEGIN probe takes no fields', 7],
      ['kprobe', 'kprobe probe takes 1 to 2 fields, found 0', 1],
      ['k:vfs_open:', 'missing function name in kprobe probe', 11],
      ['kretprobe:f+1', 'kretprobe probes cannot take an offset', 11],
      ['kprobe:f+x', "invalid offset 'x' in kprobe probe", 8],
      ['tracepoint:syscalls', 'tracepoint probe takes 2 fields, found 1', 1],
      ['profile:ms:nan', "invalid count 'nan' in profile probe", 12],
      ['profile:min:1', "invalid unit 'min' in profile probe", 9],
      ['interval:s:1b', "invalid count '1b' in interval probe", 12],
      ['profile:99', 'Invalid rate of profile probe. Minimum is 1000 or 1us. Found: 99 nanoseconds', 9],
      ['watchpoint:1:8a:w', "invalid length '8a' in watchpoint probe", 14],
      ['watchpoint:+arg0:8:rw', "invalid watchpoint target '+arg0'", 12],
      ['watchpoint:0x1:8:q', 'watchpoint mode must be combination of (r,w,x)', 18],
      ['iter:task*', 'iter probes do not support wildcards', 6],
      ['uprobe:$1a', "invalid positional parameter in probe field '$1a'", 8],
      ['BEG$1x', "invalid positional parameter in probe type 'BEG$1x'", 1],
      ['uprobe:"/bin/x:f', 'unterminated string in probe: missing closing "', 8],
    ];
    for (const [spec, message, col] of cases) {
      const e = specError(spec);
      assert.equal(e.message, message, spec);
      assert.equal(e.col, col, spec);
    }
  });

  it('rejects what cannot follow a probe', () => {
    assert.equal(specError('kprobe:f(').message, "expected '{' or '/' after probe 'kprobe:f', found '('");
    assert.equal(specError('kprobe:f!').message, "invalid character '!' in probe 'kprobe:f!'");
    assert.equal(specError('{').message, "expected a probe such as kprobe:vfs_read or BEGIN, found '{'");
    assert.equal(specError('macro m() { }').message, "macro definitions (bpftrace 0.24+) are not supported yet");
  });
});

// `config = { missing_probes = error|warn|ignore }` (newer bpftrace) through bin/sonde, with exact
// output: bpftrace master's tests/runtime cases (regression async_id_invalid_probe_expansion,
// probe *_missing_probes_*) and its words (ap_probe_expansion.cpp, probe_prune.cpp, bpftrace.cpp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture, needSdt } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function sonde(args: string[], env?: NodeJS.ProcessEnv) {
  return spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000, ...(env ? { env: { ...process.env, ...env } } : {}) });
}

const ASYNC_ID = (mode: string) => `config = { missing_probes=${mode} } kprobe:zzzzz { probe; printf("asdf\\n") } begin { printf("_%s_\\n", "success"); exit() }`;

test('missing_probes=warn: async_id_invalid_probe_expansion prints _success_; the kprobe is skipped with bpftrace\'s warnings', needsRoot, () => {
  const prog = ASYNC_ID('warn');
  const r = sonde(['-e', prog]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\n_success_\n\n\n');
  const caret = `${prog}\n${' '.repeat(33)}^${'~'.repeat(11)}\n`;
  assert.equal(r.stderr,
    `stdin:1:34: WARNING: No matches for kprobe zzzzz. Skipping.\n${caret}` +
    `stdin:1:34: WARNING: Probe has no valid attach points. It is being removed which may cause issues with program behavior.\n${caret}`);
});

test('missing_probes=ignore: the same run, no warning; BPFTRACE_MISSING_PROBES sets it and wins over the block', needsRoot, () => {
  const r = sonde(['-e', ASYNC_ID('ignore')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'Attaching 1 probe...\n_success_\n\n\n');
  const env = sonde(['-e', ASYNC_ID('error')], { BPFTRACE_MISSING_PROBES: 'ignore' });
  assert.equal(env.stderr, '');
  assert.equal(env.stdout, 'Attaching 1 probe...\n_success_\n\n\n');
  const bad = sonde(['-e', 'BEGIN { exit(); }'], { BPFTRACE_MISSING_PROBES: 'maybe' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, 'ERROR: BPFTRACE_MISSING_PROBES: Invalid value for missing_probes: valid values are ignore, warn, and error.\n');
});

test('missing_probes=error (the default): the kprobe that cannot be attached fails the run, as before', needsRoot, () => {
  for (const prog of [ASYNC_ID('error'), 'kprobe:zzzzz { probe; printf("asdf\\n") } begin { printf("_%s_\\n", "success"); exit() }']) {
    const r = sonde(['-e', prog]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^stdin: ERROR: cannot attach kprobe:zzzzz: /);
    assert.doesNotMatch(r.stdout, /_success_/);
  }
  const tp = sonde(['-e', 't:syscalls:nonsense { } BEGIN { exit(); }']);
  assert.equal(tp.status, 1);
  assert.match(tp.stderr, /^stdin:1:1: ERROR: tracepoint not found: syscalls:nonsense\n/);
});

test('missing_probes: every probe missing fails the run (none attached, or none found)', needsRoot, () => {
  // Found (an address in the file) but not attachable: bpftrace's run-time words.
  const r = sonde(['-e', 'config = { missing_probes = warn } uprobe:/bin/true:0x7fffffff { exit(); }']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'WARNING: Could not resolve address: /bin/true:0x7fffffff (not in the file\'s code)\n' +
    'WARNING: Unable to attach probe: uprobe:/bin/true:0x7fffffff. Skipping.\nstdin: ERROR: Attachment failed for all probes.\n');
  const quiet = sonde(['-e', 'config = { missing_probes = ignore } uprobe:/bin/true:0x7fffffff { exit(); }']);
  assert.equal(quiet.status, 1);
  assert.equal(quiet.stderr, 'stdin: ERROR: Attachment failed for all probes.\n');
  // None found: every probe is removed before the run (bpftrace: all_missing_probes_ignore).
  const none = sonde(['-e', 'config = { missing_probes = ignore } kprobe:nonsense { exit(); } t:syscalls:nonsense { exit(); } uprobe:/bin/true:uprobeFunction3 { exit(); }']);
  assert.equal(none.status, 1);
  assert.equal(none.stderr, '');
  assert.equal(none.stdout, 'No probes to attach\n');
});

test('missing_probes=warn: a uprobe on a function the binary lacks is skipped; the tracepoint counts the child\'s calls exactly', needsRoot, async () => {
  const bin = await buildFixture('syscalls');
  // getppid (110) seven times: the child's calls, no one else's.
  const prog = `config = { missing_probes = warn }\nuprobe:${bin}:main,uprobe:${bin}:no_such_function { @main = count(); }\n` +
    'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); }';
  const r = sonde(['-e', prog, '-c', `${bin} 110x7`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 2 probes...\n\n\n@main: 1\n@n: 7\n');
  const line = `uprobe:${bin}:main,uprobe:${bin}:no_such_function { @main = count(); }`;
  const col = line.indexOf(',') + 1;
  assert.equal(r.stderr, `stdin:2:${col + 1}: WARNING: No matches for uprobe ${bin}:no_such_function. Skipping.\n` +
    `${line}\n${' '.repeat(col)}^${'~'.repeat(`uprobe:${bin}:no_such_function`.length - 1)}\n`);
});

// This VM's kernel has no kprobes at all; elsewhere vfs_read attaches and there is nothing to skip.
const NO_KPROBES = !existsSync('/sys/bus/event_source/devices/kprobe') && !existsSync('/sys/kernel/tracing/kprobe_events');

test('missing_probes=warn: a kprobe on a kernel without kprobes is skipped at the attach (any failure to attach)', needsRoot, (t) => {
  if (!NO_KPROBES) return t.skip('this kernel has kprobes');
  const r = sonde(['-e', 'config = { missing_probes = warn } kprobe:vfs_read { printf("read\\n"); } BEGIN { printf("ok\\n"); exit(); }']);
  assert.equal(r.status, 0, r.stderr);
  // The count is of what was attached (BEGIN), printed after the attach: not the skipped kprobe.
  assert.equal(r.stdout, 'Attaching 1 probe...\nok\n\n\n');
  assert.match(r.stderr, /^WARNING: kprobes not supported by this kernel: [^\n]+\nWARNING: Unable to attach probe: kprobe:vfs_read\. Skipping\.\n$/);
  // -f json: the same count.
  const j = sonde(['-f', 'json', '-e', 'config = { missing_probes = warn } kprobe:vfs_read { printf("read\\n"); } BEGIN { printf("ok\\n"); exit(); }']);
  assert.equal(j.status, 0, j.stderr);
  assert.equal(j.stdout.split('\n')[0], '{"type": "attached_probes", "data": {"probes": 1}}');
  // ignore: skipped silently, counted the same way.
  const quiet = sonde(['-e', 'config = { missing_probes = ignore } kprobe:vfs_read,tracepoint:syscalls:sys_enter_getppid { } BEGIN { printf("ok\\n"); exit(); }']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.stdout, 'Attaching 2 probes...\nok\n\n\n');
});

test('missing_probes=warn: the attach count is printed after the attach, before the attach notification and the -c command', needsRoot, async (t) => {
  if (!NO_KPROBES) return t.skip('this kernel has kprobes');
  const bin = await buildFixture('syscalls');
  // A kprobe beside a tracepoint: the kprobe fails at the attach and is skipped, the tracepoint counts.
  const prog = 'config = { missing_probes = warn } kprobe:vfs_read,tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @n = count(); }';
  const r = sonde(['-e', prog, '-c', `${bin} 110x3`], { __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\n\n\n@n: 3\n');
  assert.match(r.stderr, /^WARNING: kprobes not supported by this kernel: [^\n]+\nWARNING: Unable to attach probe: kprobe:vfs_read\. Skipping\.\n__BPFTRACE_NOTIFY_PROBES_ATTACHED\n$/);
});

test('missing_probes=warn: a USDT probe, a USDT file and a uprobe wildcard that match nothing are skipped; the probe there counts', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_target');
  const prog = `config = { missing_probes = warn } usdt:${bin}:sonde:tick,usdt:${bin}:sonde:nothere,usdt:/no/such/file:sonde:tick,uprobe:${bin}:zz_nothing_* { @ticks = count(); }`;
  const r = sonde(['-e', prog, '-c', `${bin} 5`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\nenabled=5\n\n\n@ticks: 5\n');
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.includes('WARNING')), [
    `stdin:1:${prog.indexOf(`usdt:${bin}:sonde:nothere`) + 1}: WARNING: No matches for usdt ${bin}:sonde:nothere. Skipping.`,
    `stdin:1:${prog.indexOf('usdt:/no/such') + 1}: WARNING: No matches for usdt /no/such/file:sonde:tick. Skipping.`,
    `stdin:1:${prog.indexOf('uprobe:') + 1}: WARNING: No matches for uprobe ${bin}:zz_nothing_*. Skipping.`,
  ]);
});

test('missing_probes=warn: fentry:nonsense is skipped at compile time; fentry:vfs_read attaches, or is skipped where the kernel refuses fentry', needsRoot, (t) => {
  if (!existsSync('/sys/kernel/btf/vmlinux')) return t.skip('no kernel BTF');
  const prog = 'config = { missing_probes = "warn" } fentry:vfs_read,fentry:nonsense { } BEGIN { printf("b\\n"); exit(); }';
  const r = sonde(['-e', prog]);
  assert.equal(r.status, 0, r.stderr);
  const head = `stdin:1:54: WARNING: No matches for fentry nonsense. Skipping.\n${prog}\n${' '.repeat(53)}^${'~'.repeat(14)}\n`;
  assert.equal(r.stderr.slice(0, head.length), head);
  // This VM's kernel has no BPF trampolines: the program load is refused, the attach point skipped.
  assert.match(r.stderr.slice(head.length), /^(|WARNING: cannot attach fentry:vfs_read: fentry\/fexit not supported by this kernel: [^\n]+\nWARNING: Unable to attach probe: fentry:vfs_read\. Skipping\.\n)$/);
  if (r.stderr.length > head.length) assert.equal(sonde(['-e', 'fentry:vfs_read { }']).status, 1, 'skipped only where it cannot attach');
  // The count leaves out what was skipped at compile time and at the attach.
  assert.equal(r.stdout, `Attaching ${r.stderr.length > head.length ? '1 probe' : '2 probes'}...\nb\n\n\n`);
});

// USDT end to end through bin/sonde (acceptance 2 of the language-breadth issue): the usdt_args
// fixture traced with -c and -p, exact argument values and exact counts, semaphore-guarded
// probes (which fire only while the kernel holds their semaphore up), a probe in a shared
// library, a probe with two sites, and -l.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture, buildSharedFixture, needSdt } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));

function sonde(args: string[]) {
  return spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000 });
}

test('usdt with -c: 100 rounds give exact counts and sums; semaphores raised by the kernel', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const lib = await buildSharedFixture('usdt_lib');
  const r = sonde(['-e', `
usdt:${bin}:sonde_args:guarded { @guarded = count(); @guarded_min = min((int64)arg2); @guarded_max = max((int64)arg2); @guarded_sum = sum((int64)arg2); }
usdt:${bin}:plain { @plain = count(); @plain_sum = sum(arg0); @plain_const = max(arg1); }
usdt:${bin}:sonde_args:global { @global_max = max(arg0); @indexed_sum = sum(arg1); }
usdt:${bin}:sonde_args:twice { @twice[probe] = count(); @twice_sum = sum(arg0); }
usdt:${lib}:sonde_lib:call { @lib = count(); @lib_sum = sum(arg0); }`, '-c', `${bin} 100`]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Attaching 6 probes\.\.\.\n/, 'twice has two sites: one probe each, as bpftrace counts');
  // The guarded probes fire only when their semaphore is up: the kernel raised both, in a process
  // (and a library) that did not exist when the probes were attached.
  assert.match(r.stdout, /^enabled=100 lib_enabled=100$/m);
  const maps = r.stdout.slice(r.stdout.indexOf('\n\n'));
  assert.equal(maps.trim(), [
    '@global_max: 5050', // 1 + 2 + … + 100 through a RIP-relative global
    '@guarded: 100',
    '@guarded_max: 49',
    '@guarded_min: -50', // -4@%eXX sign-extended
    '@guarded_sum: -50', // Σ (i - 50), i < 100
    '@indexed_sum: 14850', // Σ 3i through (%base,%index,8)
    '@lib: 100',
    '@lib_sum: 4950',
    '@plain: 100',
    '@plain_const: 7',
    '@plain_sum: 9900', // Σ 2i through 8(%rdi)
    `@twice[usdt:${bin}:sonde_args:twice]: 200`,
    '@twice_sum: 19800', // Σ i + Σ 3i: each site its own operand (-4@%edi, -8@%rax)
  ].join('\n'));
});

test('usdt with -c: printf of every argument kind, exact values and strings', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const lib = await buildSharedFixture('usdt_lib');
  const r = sonde(['-e', `
usdt:${bin}:sonde_args:guarded { printf("guarded %d %d %d %ld %ld %lu\\n", arg0, arg1, arg2, arg3, arg4, arg4); }
usdt:${bin}:sonde_args:plain { printf("plain %d %d %s\\n", arg0, arg1, str(arg2)); }
usdt:${bin}:sonde_args:global { printf("global %d %d\\n", arg0, arg1); }
usdt:${lib}:sonde_lib:call { printf("lib %d %s %s\\n", arg0, str(arg1), probe); }`, '-c', `${bin} 2`]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => /^(guarded|plain|global|lib) /.test(l));
  assert.deepEqual(lines, [
    'guarded -5 65000 -50 -1234567890123 -1 18446744073709551615',
    'plain 0 7 round-0',
    'global 1 0',
    `lib 0 lib-0 usdt:${lib}:sonde_lib:call`,
    'guarded -5 65000 -49 -1234567890123 -1 18446744073709551615',
    'plain 2 7 round-1',
    'global 3 3',
    `lib 1 lib-1 usdt:${lib}:sonde_lib:call`,
  ]);
});

test('usdt with -p: a running process, probes found through its maps, semaphores raised in it; the run ends with it', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const lib = await buildSharedFixture('usdt_lib');
  const child = spawn(bin, ['--wait', '50'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let childOut = '';
  child.stdout!.on('data', (d) => (childOut += d));
  const childExit = new Promise((r) => child.on('exit', r));
  const tracer = spawn(SONDE, ['-p', String(child.pid), '-e', 'usdt:guarded { @guarded = count(); } usdt:libusdt_lib:sonde_lib:call { @lib[probe] = sum(arg0); }'], {
    env: { ...process.env, __BPFTRACE_NOTIFY_PROBES_ATTACHED: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  tracer.stdout!.on('data', (d) => (out += d));
  const tracerExit = new Promise<number | null>((r) => tracer.on('exit', (c) => r(c)));
  try {
    await new Promise<void>((resolve, reject) => {
      tracer.stderr!.on('data', (d) => {
        err += d;
        if (err.includes('__BPFTRACE_NOTIFY_PROBES_ATTACHED\n')) resolve();
      });
      void tracerExit.then((c) => reject(new Error(`sonde exited (${c}) before attaching: ${err}`)));
    });
    child.stdin!.end('x');
    await childExit;
    assert.equal(childOut, 'enabled=50 lib_enabled=50\n');
    // The run ends by itself once the -p process has exited, as bpftrace's does.
    const ended = await Promise.race([tracerExit, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    assert.equal(ended, 0, err);
  } finally {
    child.kill();
    tracer.kill('SIGINT');
  }
  assert.match(out, /^Attaching 2 probes\.\.\.\n/);
  assert.ok(out.includes('@guarded: 50\n'), out);
  assert.ok(out.includes(`@lib[usdt:${lib}:sonde_lib:call]: 1225\n`), out);
});

test('-l lists USDT probes as bpftrace does: usdt:PATH:provider:name, sorted', needsRoot, async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const lib = await buildSharedFixture('usdt_lib');
  assert.equal(sonde(['-l', `usdt:${bin}:*`]).stdout, ['global', 'guarded', 'plain', 'twice'].map((n) => `usdt:${bin}:sonde_args:${n}\n`).join(''));
  assert.equal(sonde(['-l', `usdt:${bin}:sonde_args:g*`]).stdout, ['global', 'guarded'].map((n) => `usdt:${bin}:sonde_args:${n}\n`).join(''));
  assert.equal(sonde(['-l', `usdt:${lib}:*`]).stdout, `usdt:${lib}:sonde_lib:call\n`);
  // A wildcard file name: the directory as written, the names found (bpftrace's listing).
  const rel = './test/fixtures/bin';
  const r = spawnSync(SONDE, ['-l', `usdt:${rel}/usdt_ar?s:sonde_args:g*`], { encoding: 'utf8', cwd: bin.slice(0, bin.lastIndexOf('/test/fixtures/bin')) });
  assert.equal(r.stdout, ['global', 'guarded'].map((n) => `usdt:${rel}/usdt_args:sonde_args:${n}\n`).join(''));
  const child = spawn(bin, ['--wait', '1'], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const all = [...['global', 'guarded', 'plain', 'twice'].map((n) => `usdt:${bin}:sonde_args:${n}\n`), `usdt:${lib}:sonde_lib:call\n`].sort().join('');
    assert.equal(sonde(['-l', 'usdt:*', '-p', String(child.pid)]).stdout, all);
    assert.equal(sonde(['-l', 'usdt:*:sonde_lib:*', '-p', String(child.pid)]).stdout, `usdt:${lib}:sonde_lib:call\n`);
    // -l -p without a pattern: everything, the process's USDT probes among it.
    assert.equal(sonde(['-l', '-p', String(child.pid)]).stdout.split('\n').filter((l) => l.startsWith('usdt:')).map((l) => `${l}\n`).join(''), all);
  } finally {
    child.stdin!.end('x');
  }
});

// ctx (the program's context as a pointer) and sargN (stack arguments, x86-64), as bpftrace has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';

const SONDE = fileURLToPath(new URL('../../../bin/sonde', import.meta.url));
const run = (args: string[]) => spawnSync(SONDE, args, { encoding: 'utf8', timeout: 60_000, input: 'go\n' });

test('sarg0, sarg1: the 7th and 8th arguments of a function, read from the stack', needsRoot, async () => {
  if (process.arch !== 'x64') return;
  const bin = await buildFixture('stack_args');
  const prog = `uprobe:${bin}:too_many_args { printf("SUCCESS %d %d\\n", sarg0, sarg1); exit(); }`;
  const r = run(['-e', prog, '-c', bin]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^SUCCESS 64 128$/m);
  if (existsSync('/usr/bin/bpftrace')) {
    const b = spawnSync('/usr/bin/bpftrace', ['-e', prog, '-c', bin], { encoding: 'utf8', timeout: 60_000, input: 'go\n' });
    if (b.status === 0) assert.match(b.stdout, /^SUCCESS 64 128$/m, 'bpftrace 0.17 reads the same');
  }
});

test('ctx: the tracepoint record through a struct of the script\'s own', needsRoot, async () => {
  if (process.arch !== 'x64') return;
  const bin = await buildFixture('syscalls');
  // A syscall tracepoint's record: 8 bytes of common fields, then __syscall_nr (getppid is 110).
  const r = run(['-e', 'struct rec { unsigned long common; int nr; } tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("nr %d\\n", ((struct rec *)ctx)->nr); }', '-c', `${bin} 110x2`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Attaching 1 probe...\nnr 110\nnr 110\n\n\n');
});

test('sarg outside kprobes and uprobes is refused with bpftrace\'s words', () => {
  const r = spawnSync(SONDE, ['-d', '-e', 'tracepoint:syscalls:sys_enter_read { @ = sarg0; }'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /The sarg0 builtin can only be used with 'kprobes' and 'uprobes' probes/);
});

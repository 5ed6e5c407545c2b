// bpftrace's command-line grammar, and -c's command splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli, UsageError } from '../../src/cli/options.js';
import { splitCommand, resolveExecutable, ChildCommandError } from '../../src/runtime/child.js';

test('program, file and positional parameters', () => {
  assert.deepEqual(parseCli(['-e', 'BEGIN {}', 'a', 'b']).params, ['a', 'b']);
  assert.equal(parseCli(['-eBEGIN {}']).program, 'BEGIN {}');
  const f = parseCli(['-v', 'x.bt', '1', '-q', '--', '-5']);
  assert.equal(f.file, 'x.bt');
  assert.deepEqual(f.params, ['1', '-5']);
  assert.equal(f.verbose, true);
  assert.equal(f.quiet, true);
});

test('clustered flags, values attached or separate, long options', () => {
  const o = parseCli(['-lv', 'tracepoint:*']);
  assert.equal(o.list, true);
  assert.equal(o.verbose, true);
  assert.equal(o.listPattern, 'tracepoint:*');
  assert.equal(parseCli(['-dd', '-e', 'x']).debug, 2);
  const c = parseCli(['-c', 'ls -l /', '-o', 'out.txt', '-Bnone', '-p', '42', '--unsafe', '-e', 'x']);
  assert.deepEqual([c.command, c.output, c.buffering, c.pid, c.unsafe], ['ls -l /', 'out.txt', 'none', 42, true]);
  assert.equal(parseCli(['-f', 'json', '-e', 'x']).format, 'json');
  assert.equal(parseCli(['--trace-pipe', '-e', 'x']).tracePipe, true);
  assert.equal(parseCli(['-e', 'x']).tracePipe, false);
  assert.equal(parseCli(['--info', '--json']).json, true);
  const inc = parseCli(['--include', 'errno.h', '-I', '/a', '-I/b', '--include=x/y.h', '-e', 'x']);
  assert.deepEqual([inc.includes, inc.includeDirs], [['errno.h', 'x/y.h'], ['/a', '/b']]);
  assert.deepEqual([parseCli(['-e', 'x']).includes, parseCli(['-e', 'x']).includeDirs], [[], []]);
  assert.equal(parseCli(['-h']).help, true);
  assert.equal(parseCli(['-V']).version, true);
});

test('usage errors', () => {
  assert.throws(() => parseCli(['-e']), (e: unknown) => e instanceof UsageError && e.message === 'option -e needs a value');
  assert.throws(() => parseCli(['-p', 'abc', '-e', 'x']), /pid 'abc' is not a valid decimal number$/);
  assert.throws(() => parseCli(['-p', '0', '-e', 'x']), /pid '0' out of valid pid range \[1,4194304\]$/);
  assert.throws(() => parseCli(['-B', 'maybe']), /invalid buffering mode/);
  assert.throws(() => parseCli(['--frob']), /unknown option '--frob'/);
  assert.throws(() => parseCli(['-e', 'a', '-e', 'b']), /one program/);
});

test('-c splits like a shell without expansions', () => {
  assert.deepEqual(splitCommand('/bin/echo  "a b"   c'), ['/bin/echo', 'a b', 'c']);
  assert.deepEqual(splitCommand(`sh -c 'echo $HOME; exit 3'`), ['sh', '-c', 'echo $HOME; exit 3']);
  assert.deepEqual(splitCommand('a\\ b "x\\"y" \'\''), ['a b', 'x"y', '']);
  assert.throws(() => splitCommand('echo "oops'), ChildCommandError);
  assert.equal(resolveExecutable('sh', '/nonexistent:/bin'), '/bin/sh');
  assert.throws(() => resolveExecutable('no-such-cmd-x', '/bin'), /cannot run 'no-such-cmd-x': no such executable file in PATH/);
});

test('-k counts: -k is 1, -kk (or -k -k) 2, a third is a usage error', () => {
  assert.equal(parseCli(['-e', 'x']).helperChecks, 0);
  assert.equal(parseCli(['-k', '-e', 'x']).helperChecks, 1);
  assert.equal(parseCli(['-kk', '-e', 'x']).helperChecks, 2);
  assert.equal(parseCli(['-k', '-qk', '-e', 'x']).helperChecks, 2);
  assert.throws(() => parseCli(['-kkk', '-e', 'x']), (e: unknown) => e instanceof UsageError && /-k is given at most twice/.test(e.message));
});

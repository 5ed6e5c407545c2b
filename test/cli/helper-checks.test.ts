// -k / -kk on the real kernel: failed helper calls reported as bpftrace 0.17 reports them, in text
// and in JSON, at the right place in the output; nothing reported without the option. Every
// expected text below is what bpftrace 0.17 prints for the same command on this kernel, except
// where a comment says otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { trace, type TraceEvent } from '../../src/api.js';

import { runSonde } from '../support/sonde.js';

const sonde = (args: string[], env: Record<string, string> = {}) => runSonde(args, { env, timeout: 30_000 });

const DELETE = 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }';
const LOOKUP = 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }';
const READ = 'BEGIN { printf("%s|\\n", str(uptr(16))); $x = *uptr((int32 *) 16); exit(); }';
const UPDATE = 'BEGIN { @[1] = 1; @[2] = 2; @c[1] = count(); @c[2] = count(); exit(); }';

test('delete of a missing key (-k): the WARNING with the line and ~ under the call, on stdout; JSON', needsRoot, () => {
  const t = sonde(['-k', '-e', DELETE]);
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out, 'Attaching 1 probe...\n'
    + 'stdin:1:22-34: WARNING: Failed to map_delete_elem: No such file or directory (-2)\n'
    + 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }\n'
    + '                     ~~~~~~~~~~~~\n'
    + '\n\n@[1]: 1\n');
  const j = sonde(['-k', '-f', 'json', '-e', DELETE]);
  assert.equal(j.code, 0, j.err);
  assert.equal(j.out, '{"type": "attached_probes", "data": {"probes": 1}}\n'
    + '{"type": "helper_error", "helper": "map_delete_elem", "retcode": -2, "line": 1, "col": 22}\n'
    + '\n\n{"type": "map", "data": {"@": {"1": 1}}}\n');
});

test('a lookup that finds nothing is reported by -kk only, before the printf that read 0', needsRoot, () => {
  const t = sonde(['-kk', '-e', LOOKUP]);
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out, 'Attaching 1 probe...\n'
    + 'stdin:1:37-41: WARNING: Failed to map_lookup_elem: 0\n'
    + 'i:ms:100 { @[1] = 1; printf("%d\\n", @[2]); exit(); }\n'
    + '                                    ~~~~\n'
    + '0\n\n\n@[1]: 1\n');
  const j = sonde(['-kk', '-q', '-f', 'json', '-e', LOOKUP]);
  assert.equal(j.out, '{"type": "helper_error", "helper": "map_lookup_elem", "retcode": 0, "line": 1, "col": 37}\n'
    + '{"type": "printf", "data": "0\\n"}\n\n\n{"type": "map", "data": {"@": {"1": 1}}}\n');
  const k = sonde(['-k', '-e', LOOKUP]);
  assert.equal(k.out, 'Attaching 1 probe...\n0\n\n\n@[1]: 1\n');
});

test('failed probe reads (-kk): str() before its printf, a dereference', needsRoot, () => {
  const t = sonde(['-kk', '-e', READ]);
  assert.equal(t.code, 0, t.err);
  // bpftrace 0.17 underlines only the '*' of a dereference (1:14-15); sonde the whole expression.
  assert.equal(t.out, 'Attaching 1 probe...\n'
    + 'stdin:1:25-38: WARNING: Failed to probe_read_user_str: Bad address (-14)\n'
    + 'BEGIN { printf("%s|\\n", str(uptr(16))); $x = *uptr((int32 *) 16); exit(); }\n'
    + '                        ~~~~~~~~~~~~~\n'
    + '|\n'
    + 'stdin:1:46-65: WARNING: Failed to probe_read_user: Bad address (-14)\n'
    + 'BEGIN { printf("%s|\\n", str(uptr(16))); $x = *uptr((int32 *) 16); exit(); }\n'
    + '                                             ~~~~~~~~~~~~~~~~~~~\n'
    + '\n\n');
  const j = sonde(['-kk', '-q', '-f', 'json', '-e', READ]);
  assert.equal(j.out, '{"type": "helper_error", "helper": "probe_read_user_str", "retcode": -14, "line": 1, "col": 25}\n'
    + '{"type": "printf", "data": "|\\n"}\n'
    + '{"type": "helper_error", "helper": "probe_read_user", "retcode": -14, "line": 1, "col": 46}\n\n\n');
});

test('a full map (-k): the failed insert, of a value and of an aggregation (at its call)', needsRoot, () => {
  const env = { BPFTRACE_MAP_KEYS_MAX: '1' };
  const t = sonde(['-k', '-e', UPDATE], env);
  assert.equal(t.code, 0, t.err);
  // bpftrace 0.17 points at the '=' of the first one (1:24-25); sonde at the whole assignment.
  assert.equal(t.out, 'Attaching 1 probe...\n'
    + 'stdin:1:19-27: WARNING: Failed to map_update_elem: Argument list too long (-7)\n'
    + 'BEGIN { @[1] = 1; @[2] = 2; @c[1] = count(); @c[2] = count(); exit(); }\n'
    + '                  ~~~~~~~~\n'
    + 'stdin:1:54-61: WARNING: Failed to map_update_elem: Argument list too long (-7)\n'
    + 'BEGIN { @[1] = 1; @[2] = 2; @c[1] = count(); @c[2] = count(); exit(); }\n'
    + '                                                     ~~~~~~~\n'
    + '\n\n@[1]: 1\n@c[1]: 1\n');
  const j = sonde(['-k', '-q', '-f', 'json', '-e', UPDATE], env);
  assert.equal(j.out, '{"type": "helper_error", "helper": "map_update_elem", "retcode": -7, "line": 1, "col": 19}\n'
    + '{"type": "helper_error", "helper": "map_update_elem", "retcode": -7, "line": 1, "col": 54}\n'
    + '\n\n{"type": "map", "data": {"@": {"1": 1}}}\n{"type": "map", "data": {"@c": {"1": 1}}}\n');
});

test('without -k nothing is checked: the same scripts print no warning', needsRoot, () => {
  assert.equal(sonde(['-e', DELETE]).out, 'Attaching 1 probe...\n\n\n@[1]: 1\n');
  assert.equal(sonde(['-e', LOOKUP]).out, 'Attaching 1 probe...\n0\n\n\n@[1]: 1\n');
  assert.equal(sonde(['-e', READ]).out, 'Attaching 1 probe...\n|\n\n\n');
  assert.equal(sonde(['-e', UPDATE], { BPFTRACE_MAP_KEYS_MAX: '1' }).out, 'Attaching 1 probe...\n\n\n@[1]: 1\n@c[1]: 1\n');
});

test('a dereference of 0 in BEGIN: bpf_probe_read (no address space), reported at the expression\'s \'(\' as bpftrace does', needsRoot, () => {
  // BEGIN cannot know whose memory an integer cast points into: the old bpf_probe_read, which
  // reads address 0 as a user address: -EFAULT (probe_read_kernel would say -ERANGE).
  const src = 'struct foo {int a;}; BEGIN { $tmp = ((struct foo*) 0)->a; exit(); }';
  const j = sonde(['-kk', '-q', '-f', 'json', '-e', src]);
  assert.equal(j.code, 0, j.err);
  assert.equal(j.out, '{"type": "helper_error", "helper": "probe_read", "retcode": -14, "line": 1, "col": 37}\n\n\n');
  const t = sonde(['-kk', '-q', '-e', src]);
  assert.equal(t.code, 0, t.err);
  // bpftrace 0.17 ends the range one column later (1:37-58, the ';' underlined too).
  assert.equal(t.out, 'stdin:1:37-57: WARNING: Failed to probe_read: Bad address (-14)\n'
    + src + '\n'
    + ' '.repeat(36) + '~'.repeat(20) + '\n\n\n');
});

test('-kkk is a usage error', () => {
  const r = sonde(['-kkk', '-e', 'BEGIN { exit(); }']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^ERROR: -k is given at most twice/);
});

test('the library API: helperChecks gives helper_error events with the helper, the value and the place', needsRoot, async () => {
  const t = await trace('BEGIN { @[1] = 1; delete(@[2]); exit(); }', { helperChecks: 1 });
  const events: TraceEvent[] = [];
  for await (const e of t) events.push(e);
  const failures = events.filter((e) => e.type === 'helper_error');
  assert.deepEqual(failures.map((e) => e.type === 'helper_error' && [e.helper, e.retcode, e.line, e.col]), [['map_delete_elem', -2, 1, 19]]);
});

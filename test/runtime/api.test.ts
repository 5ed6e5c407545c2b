// The scripting API (compile, trace) as a library user sees it, imported as 'sonde'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compile, trace, LangError, type TraceEvent } from 'sonde';
import { needsRoot, openFdCount } from '../support/root.js';

test('compile(): pure data, every probe and map described; errors are LangError', () => {
  const s = compile('BEGIN { printf("%d\\n", 1); @n = count(); exit(); }', { file: 'x.bt' });
  assert.equal(s.file, 'x.bt');
  assert.equal(s.probeCount, 1);
  assert.deepEqual(s.programs.map((p) => p.attach), [[{ kind: 'begin' }]]);
  assert.ok(s.maps.some((m) => m.name === '@n' && m.user));
  assert.deepEqual(s.events.map((e) => e.kind), ['printf', 'exit']);
  assert.throws(() => compile('BEGIN { @x = ; }'), (e: unknown) => e instanceof LangError && /^stdin:1:14: ERROR: /.test(e.format()));
});

test('trace(): typed events in order, then the maps at exit; iteration ends', needsRoot, async () => {
  const fds = openFdCount();
  const t = await trace('BEGIN { printf("%s=%d\\n", "answer", 42); @h[1] = count(); @h[2] = count(); @h[2] = count(); @s = sum(-3); exit(); }');
  const events: TraceEvent[] = [];
  for await (const e of t) events.push(e);
  assert.equal(await t.done, 0);
  assert.equal(t.reason, 'exit');
  assert.deepEqual(events[0], { type: 'printf', text: 'answer=42\n', values: ['answer', 42n] });
  assert.deepEqual(events[1], { type: 'exit', reason: 'exit' });
  const maps = events.slice(2);
  assert.deepEqual(maps.map((e) => e.type === 'map' && [e.name, e.text, e.when]), [
    ['@h', '@h[1]: 1\n@h[2]: 2\n', 'exit'],
    ['@s', '@s: -3\n', 'exit'],
  ]);
  const h = maps[0]!.type === 'map' ? maps[0]!.entries : [];
  assert.deepEqual(h.map((e) => e.key).sort(), [1n, 2n]);
  assert.deepEqual(t.maps()['@s'], [{ key: undefined, value: { fn: 'sum', sum: -3n } }]);
  assert.equal(openFdCount(), fds, 'every fd closed');
});

test('trace(): maps() while running, stop() ends it like Ctrl-C (END runs)', needsRoot, async () => {
  const t = await trace('interval:ms:10 { @ticks = count(); } END { printf("bye\\n"); }');
  await new Promise((r) => setTimeout(r, 300));
  const now = t.maps()['@ticks'];
  assert.equal(now?.length, 1);
  const v = now![0]!.value;
  assert.ok(typeof v === 'object' && 'count' in v && v.count >= 15n && v.count <= 35n, JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? String(x) : x));
  assert.equal(await t.stop(), 0);
  assert.equal(t.reason, 'stop');
  const rest: TraceEvent[] = [];
  for await (const e of t) rest.push(e);
  assert.deepEqual(rest.filter((e) => e.type === 'printf').map((e) => e.type === 'printf' && e.text), ['bye\n']);
  assert.deepEqual(rest.at(-1)?.type, 'map');
});

test('trace(): leaving the loop early stops the trace and releases everything', needsRoot, async () => {
  const fds = openFdCount();
  const t = await trace('interval:ms:5 { printf("tick %d\\n", 1); }');
  let n = 0;
  for await (const e of t) {
    if (e.type === 'printf' && ++n === 3) break;
  }
  assert.equal(await t.done, 0);
  assert.equal(openFdCount(), fds);
});

test('trace() with a command: cpid, the run ends with the command', needsRoot, async () => {
  const t = await trace('tracepoint:syscalls:sys_enter_openat /pid == cpid/ { @[str(args->filename)] = count(); }', { command: ['cat', '/etc/hostname'] });
  assert.ok(t.cpid! > 0);
  assert.equal(await t.done, 0);
  assert.equal(t.reason, 'command');
  const opens = t.maps()['@']!;
  assert.deepEqual(opens.find((e) => e.key === '/etc/hostname')?.value, { fn: 'count', count: 1n });
});

test('the README example runs as written', needsRoot, () => {
  const file = fileURLToPath(new URL('./readme-example.js', import.meta.url));
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\/etc\/hostname \{ fn: 'count', count: 1n \}$/m);
});

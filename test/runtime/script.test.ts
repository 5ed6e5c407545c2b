// The script runtime with hand-built compiled scripts: event order, exit(), END, map printing,
// clear/zero, -c children, verifier errors, and that nothing is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot, openFdCount } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { ScriptRun, runScript, type ScriptEvent } from '../../src/runtime/script.js';
import { StringTextOut } from '../../src/runtime/text-out.js';
import { PausedCommand } from '../../src/runtime/child.js';
import { Ldx } from '../../src/asm/builders.js';
import { R1, R2 } from '../../src/asm/insn.js';
import {
  arrayAdd, countMap, cpidMap, emit, eventsMap, hashMap, hashSet, onlyCpid, printf, program, script, testRenderer,
} from './scripts.js';

type Ev = ScriptEvent<bigint, [bigint | undefined, bigint]>;

async function run(s: Parameters<typeof runScript>[0], extra: Partial<Parameters<typeof runScript<bigint, [bigint | undefined, bigint]>>[1]> = {}) {
  const out = new StringTextOut();
  const err = new StringTextOut();
  const events: Ev[] = [];
  const code = await runScript(s, {
    renderer: testRenderer, out, err: (t) => err.write(t), onEvent: (e) => events.push(e), notifyAttached: false, ...extra,
  });
  return { code, out: out.text, err: err.text, events };
}

test('BEGIN output, exit() stops event processing, END runs after, then every user map', needsRoot, async () => {
  const fds = openFdCount();
  const s = script({
    maps: [eventsMap, countMap('@c'), countMap('@a')],
    events: [printf('v=%d\n', 1), { kind: 'exit' }, printf('after exit\n'), printf('end\n')],
    programs: [
      program('BEGIN_0', [{ kind: 'begin' }], [...arrayAdd('@c', 0, 1), ...emit(0, [{ imm: 42 }]), ...emit(1), ...emit(2)]),
      program('END_1', [{ kind: 'end' }], [...arrayAdd('@c', 0, 10), ...emit(3)], 1),
    ],
  });
  const r = await run(s);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Attaching 2 probes...\nv=42\nend\n\n\n@a: 0\n@c: 11\n');
  assert.deepEqual(r.events.map((e) => e.type), ['printf', 'exit', 'printf', 'map', 'map']);
  assert.deepEqual(r.events[0], { type: 'printf', text: 'v=42\n', values: [42n] });
  assert.deepEqual(r.events[4], { type: 'map', name: '@c', entries: [[undefined, 11n]], text: '@c: 11\n', when: 'exit' });
  assert.equal(openFdCount(), fds, 'every fd closed');
});

test('print(), clear() and zero() act on the kernel map when their event arrives', needsRoot, async () => {
  // Events are handled in user space after the probe has run: print() shows the map as it is then.
  const s = script({
    maps: [eventsMap, hashMap('@h')],
    events: [{ kind: 'print_map', map: '@h', top: 0, div: 0 }, { kind: 'clear_map', map: '@h' }, { kind: 'zero_map', map: '@h' }, { kind: 'exit' }],
    programs: [
      program('BEGIN_0', [{ kind: 'begin' }], [...hashSet('@h', 2, 7), ...hashSet('@h', 1, 5), ...emit(0), ...emit(2), ...emit(3)]),
      program('END_1', [{ kind: 'end' }], [...hashSet('@h', 3, 9), ...emit(0), ...emit(1)], 1),
    ],
  });
  const r = await run(s);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Attaching 2 probes...\n@h[1]: 5\n@h[2]: 7\n@h[1]: 0\n@h[2]: 0\n@h[3]: 9\n\n\n\n');
  assert.deepEqual(r.events.map((e) => e.type), ['map', 'zero', 'exit', 'map', 'clear', 'map']);
});

test('quiet and silent runs print nothing of their own', needsRoot, async () => {
  const s = script({
    maps: [eventsMap, countMap('@c')],
    events: [printf('x\n'), { kind: 'exit' }],
    programs: [program('BEGIN_0', [{ kind: 'begin' }], [...emit(0), ...emit(1)])],
  });
  assert.equal((await run(s, { quiet: true })).out, 'x\n\n\n@c: 0\n');
  const silent = await run(s, { silent: true });
  assert.equal(silent.out, '');
  assert.deepEqual(silent.events.map((e) => e.type), ['printf', 'exit', 'map']);
});

test('-c: the command starts after attach, its pid is in .cpid, its exit ends the run', needsRoot, async () => {
  const bin = await buildFixture('open_now');
  const counts: bigint[] = [];
  for (const n of [0, 300]) {
    const fds = openFdCount();
    const command = await PausedCommand.start([bin, String(n), '/etc/hostname']);
    const s = script({
      maps: [eventsMap, cpidMap, countMap('@opens')],
      events: [],
      programs: [program('openat', [{ kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat' }], [
        ...onlyCpid(), ...arrayAdd('@opens', 0, 1),
      ])],
    });
    const r = await run(s, { command });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((await command.exited), { code: 0, signal: undefined });
    const m = /@opens: (\d+)\n$/.exec(r.out);
    assert.ok(m, r.out);
    counts.push(BigInt(m[1]!));
    assert.equal(openFdCount(), fds);
  }
  // The dynamic loader's own opens are the same in both runs; the difference is the work.
  assert.equal(counts[1]! - counts[0]!, 300n, `counts ${counts.join(", ")}`);
  assert.ok(counts[0]! <= 5n, `loader opens: ${counts[0]}`);
});

test('stop() ends a run like Ctrl-C: END, maps, status 0; a snapshot reads maps while running', needsRoot, async () => {
  const s = script({
    maps: [eventsMap, countMap('@ticks'), countMap('@end')],
    events: [printf('end\n')],
    programs: [
      program('tick', [{ kind: 'interval', periodNs: 10_000_000 }], arrayAdd('@ticks', 0, 1)),
      program('END_1', [{ kind: 'end' }], [...arrayAdd('@end', 0, 1), ...emit(0)], 1),
    ],
  });
  const out = new StringTextOut();
  const r = await ScriptRun.start(s, { renderer: testRenderer, out, err: () => {}, notifyAttached: false });
  await new Promise((res) => setTimeout(res, 500));
  const snap = r.snapshot('@ticks');
  assert.equal(snap.length, 1);
  const ticks = snap[0]!.entries[0]![1];
  // 10 ms ticks for half a second: about 50 (a loaded machine may lose a few).
  assert.ok(ticks >= 30n && ticks <= 60n, `ticks after 500 ms: ${ticks}`);
  r.stop();
  assert.equal(await r.done, 0);
  assert.match(out.text, /^Attaching 2 probes\.\.\.\nend\n\n\n@end: 1\n@ticks: \d+\n$/);
});

test('a program the verifier refuses is reported at its script line, nothing stays loaded', needsRoot, async () => {
  const fds = openFdCount();
  const source = 'BEGIN {\n  @x = $y;\n}\n';
  const bad = program('BEGIN_0', [{ kind: 'begin' }], [
    // Dereferences a register nothing wrote: the verifier refuses.
    { ...Ldx(8, R1, R2, 0), span: { line: 2, col: 8, endLine: 2, endCol: 10 } },
  ]);
  const s = script({ maps: [eventsMap, countMap('@x')], events: [], programs: [bad], source });
  const r = await run(s);
  assert.equal(r.code, 1);
  // The attach count comes once the attach is done (as bpftrace master's): never, here.
  assert.equal(r.out, '');
  assert.match(r.err, /^test\.bt:2:8: ERROR: the BPF verifier rejected BEGIN: R2 !read_ok.*\n {2}@x = \$y;\n {7}\^~\nhint: run with -v to see the verifier log\n$/);
  const v = await run(s, { verbose: true });
  assert.match(v.err, /\n\nverifier log for BEGIN_0 \(BEGIN\):\n(.*\n)*.*R2 !read_ok/);
  assert.equal(openFdCount(), fds);
});

test('a script that needs --unsafe is refused without it', needsRoot, async () => {
  const s = script({ maps: [], events: [], programs: [program('BEGIN_0', [{ kind: 'begin' }], [])], unsafe: true });
  const r = await run(s);
  assert.equal(r.code, 1);
  assert.match(r.err, /run it with --unsafe/);
});

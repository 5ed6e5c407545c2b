// watchpoint:FUNC*+argN: a function of the wildcard whose setup uprobe cannot be attached is
// skipped with a warning, as the functions of a uprobe wildcard are; the others are watched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot } from '../support/root.js';
import { buildFixture } from '../fixtures/build.js';
import { runSonde } from '../support/sonde.js';

test('watchpoint:increment_*+arg0: increment_twin (two statics, one name) is skipped with a warning; increment_one is watched', needsRoot, async () => {
  const bin = await buildFixture('watch_twins');
  // The uprobe wildcard first: its way with a function that cannot be attached.
  const up = runSonde(['-e', `uprobe:${bin}:increment_* { @[probe] = count(); }`, '-c', `${bin} 3`]);
  assert.equal(up.code, 0, up.err);
  assert.equal(up.err, `WARNING: could not attach probe uprobe:${bin}:increment_twin, skipping.\n`);
  assert.equal(up.out, `Attaching 1 probe...\ni=3 twins=306\n\n\n@[uprobe:${bin}:increment_one]: 3\n`);
  // The watchpoint wildcard: the same warning for its setup uprobe; the run goes on. increment_one
  // writes its int three times; the breakpoint is set at the first call (the process waits).
  const w = runSonde(['-e', 'watchpoint:increment_*+arg0:4:w { @[probe] = count(); }', '-c', `${bin} 3`]);
  assert.equal(w.code, 0, w.err);
  assert.equal(w.err, `WARNING: could not attach probe uprobe:${bin}:increment_twin, skipping.\n`);
  assert.equal(w.out, `Attaching 1 probe...\ni=3 twins=306\n\n\n@[watchpoint:${bin}:increment_one:4:w]: 3\n`);
  // Named without a wildcard, the function that cannot be attached stays an error, as for uprobes.
  for (const prog of [`uprobe:${bin}:increment_twin { }`, 'watchpoint:increment_twin+arg0:4:w { }']) {
    const bad = runSonde(['-e', prog, '-c', `${bin} 3`]);
    assert.equal(bad.code, 1, prog);
    assert.match(bad.err, /ERROR: cannot attach uprobe:[^\n]*increment_twin: "increment_twin" is ambiguous/, prog);
    assert.equal(bad.out, '', prog);
  }
});

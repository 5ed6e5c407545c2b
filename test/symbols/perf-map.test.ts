// JIT symbol files (/tmp/perf-PID.map) and JIT frames in a process's stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerfMap, PerfMapFile, UserSymbols, userSymbolText } from '../../src/symbols/index.js';

const FIXTURE = fileURLToPath(new URL('../../../test/symbols/fixtures/perf-4242.map', import.meta.url));

test('perf map: hex with or without 0x, names with spaces, later lines win, bad lines skipped', () => {
  const m = PerfMap.parse(readFileSync(FIXTURE, 'utf8'));
  assert.equal(m.size, 4);
  assert.deepEqual(m.lookup(0x7f0000001000n), { name: 'LazyCompile:~main /app/server.js:1', offset: 0 });
  assert.deepEqual(m.lookup(0x7f000000103fn), { name: 'LazyCompile:~main /app/server.js:1', offset: 0x3f });
  // 7f0000001040 appears twice: the re-compiled function replaced the trampoline.
  assert.deepEqual(m.lookup(0x7f0000001050n), { name: 'LazyCompile:*hot /app/server.js:20', offset: 0x10 });
  assert.equal(m.lookup(0x7f0000001070n), undefined);
  assert.deepEqual(m.lookup(0x7f00000020ffn), { name: 'Function:~handle request /app/server.js:10', offset: 0xff });
  assert.equal(m.lookup(0x7f0000002100n), undefined);
  // Size 0: only its first byte.
  assert.deepEqual(m.lookup(0x7f0000003000n), { name: 'Stub:CEntry', offset: 0 });
  assert.equal(m.lookup(0x7f0000003001n), undefined);
  assert.equal(m.lookup(0x1000n), undefined);
});

test('JIT frames: anonymous executable memory resolves through the perf map, named after it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-perfmap-'));
  try {
    mkdirSync(join(dir, '4242'));
    writeFileSync(join(dir, '4242', 'maps'), '7f0000000000-7f0000010000 rwxp 00000000 00:00 0 \n');
    const perf = join(dir, 'perf-4242.map');
    writeFileSync(perf, readFileSync(FIXTURE));
    const u = new UserSymbols({ procRoot: dir, perfMapPath: () => perf });
    assert.equal(userSymbolText(u, 0x7f0000001004n, 4242, true, true), `LazyCompile:~main /app/server.js:1+4 (${perf})`);
    assert.equal(userSymbolText(u, 0x7f0000001004n, 4242, false, false), 'LazyCompile:~main /app/server.js:1');
    // Not covered by the JIT's map: bpftrace's unknown-symbol form.
    assert.equal(userSymbolText(u, 0x7f0000009000n, 4242, true, true), '0x7f0000009000 ([unknown])');
    assert.equal(userSymbolText(u, 0x7f0000009000n, 4242, true, false), '0x7f0000009000');
    // The JIT appends: a grown file is read again.
    writeFileSync(perf, readFileSync(FIXTURE, 'utf8') + '7f0000009000 10 LazyCompile:~late /app/x.js:1\n');
    assert.equal(userSymbolText(u, 0x7f0000009002n, 4242, true, false), 'LazyCompile:~late /app/x.js:1+2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PerfMapFile: a map removed after its process exited keeps its last copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-perfmap-'));
  try {
    const p = join(dir, 'perf-1.map');
    assert.equal(new PerfMapFile(p).current(), undefined);
    writeFileSync(p, '1000 10 f\n');
    const f = new PerfMapFile(p);
    assert.equal(f.current()?.lookup(0x1001)?.name, 'f');
    rmSync(p);
    assert.equal(f.current()?.lookup(0x1001)?.name, 'f');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

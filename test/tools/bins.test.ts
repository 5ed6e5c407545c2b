// Every tool is reachable as sonde-<tool>: package.json's bin entries (what `npm install -g`
// links) and bin/sonde-<tool> in the checkout, both running bin/sonde, which reads its own name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TOOLS } from '../../src/tools/index.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'sonde'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no bin/sonde above the test');
    dir = up;
  }
  return dir;
}

test('package.json has a sonde-<tool> bin entry for every tool, and bin/ a link for each', () => {
  const root = repoRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  for (const t of TOOLS) assert.equal(pkg.bin[`sonde-${t.name}`], 'bin/sonde', `package.json bin lacks sonde-${t.name}: run node scripts/tool-bins.mjs`);
  assert.equal(Object.keys(pkg.bin).length, TOOLS.length + 1);
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'tool-bins.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('sonde-<tool> runs the tool: a checkout\'s bin/sonde-syscount, and a link elsewhere as npm makes', () => {
  const root = repoRoot();
  const out = execFileSync(join(root, 'bin', 'sonde-syscount'), ['-h'], { encoding: 'utf8' });
  assert.match(out, /^usage: sonde syscount /);
  const dir = mkdtempSync(join(tmpdir(), 'sonde-bin-'));
  try {
    for (const t of TOOLS) {
      symlinkSync(join(root, 'bin', 'sonde'), join(dir, `sonde-${t.name}`));
      const r = spawnSync(join(dir, `sonde-${t.name}`), ['-h'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: sonde ${t.name}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

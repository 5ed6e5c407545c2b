// Makes every tool reachable as `sonde-<tool>`: package.json's "bin" gets one entry per tool of
// the registry (src/tools/index.ts), all pointing at bin/sonde, which runs the tool its name says
// (for `npm install -g`); and bin/sonde-<tool> links to bin/sonde are made for a checkout.
//   node scripts/tool-bins.mjs          update package.json and bin/ (after `npm run build`)
//   node scripts/tool-bins.mjs --check  exit 1 when they are not up to date with the registry
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { TOOLS } = await import(join(root, 'dist/src/tools/index.js'));
const names = TOOLS.map((t) => t.name).sort();
const check = process.argv.includes('--check');

const pkgPath = join(root, 'package.json');
const pkgText = readFileSync(pkgPath, 'utf8');
const pkg = JSON.parse(pkgText);
const bin = { sonde: 'bin/sonde', ...Object.fromEntries(names.map((n) => [`sonde-${n}`, 'bin/sonde'])) };
const problems = [];
if (JSON.stringify(pkg.bin) !== JSON.stringify(bin)) {
  problems.push('package.json "bin" does not list every tool');
  if (!check) writeFileSync(pkgPath, JSON.stringify({ ...pkg, bin }, null, 2) + '\n');
}
const binDir = join(root, 'bin');
const want = new Set(names.map((n) => `sonde-${n}`));
for (const f of readdirSync(binDir)) {
  if (!f.startsWith('sonde-') || want.has(f)) continue;
  problems.push(`bin/${f}: no such tool`);
  if (!check) rmSync(join(binDir, f));
}
for (const f of want) {
  const p = join(binDir, f);
  const ok = existsSync(p) && lstatSync(p).isSymbolicLink() && readlinkSync(p) === 'sonde';
  if (ok) continue;
  problems.push(`bin/${f} is not a link to sonde`);
  if (!check) {
    rmSync(p, { force: true });
    symlinkSync('sonde', p);
  }
}
if (check && problems.length) {
  process.stderr.write(`${problems.join('\n')}\nrun: npm run build && node scripts/tool-bins.mjs\n`);
  process.exit(1);
}
if (!check) process.stdout.write(problems.length ? `${problems.join('\n')}\n(fixed)\n` : 'up to date\n');

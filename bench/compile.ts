// Compile time (script text → eBPF instructions) of every bundled script: bpftrace's own tools
// that sonde compiles, the lowering goldens and the conformance corpus. Reports the first compile
// in this process (cold: JIT warm-up included) and the best of 5 afterwards (warm).
// Usage: node dist/bench/compile.js   (reads tracefs: root)
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { compile } from '../src/lang/compile.js';
import { LangError } from '../src/lang/diagnostic.js';
import { liveKernelView } from '../src/runtime/kernel-view.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const files: string[] = [];
try {
  files.push(...execSync("dpkg -L bpftrace 2>/dev/null | grep '\\.bt$'", { encoding: 'utf8' }).trim().split('\n').filter(Boolean));
} catch { /* bpftrace not installed */ }
for (const dir of ['test/lang/lower/golden', 'test/conformance/cases']) {
  const d = join(root, dir);
  if (existsSync(d)) files.push(...readdirSync(d).filter((f) => f.endsWith('.bt')).map((f) => join(d, f)));
}
const kernel = liveKernelView();
const rows: { file: string; cold: number; warm: number }[] = [];
let refused = 0;
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  const argsFile = f.replace(/\.bt$/, '.args');
  const params = existsSync(argsFile) ? readFileSync(argsFile, 'utf8').split('\n').filter((l) => l !== '' && l !== '--') : [];
  let t0 = performance.now();
  try {
    compile(src, { kernel, file: f, params });
  } catch (e) {
    if (e instanceof LangError) { refused++; continue; }
    throw e;
  }
  const cold = performance.now() - t0;
  let warm = Infinity;
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    compile(src, { kernel, file: f, params });
    warm = Math.min(warm, performance.now() - t0);
  }
  rows.push({ file: f.replace(root, '').replace(/^\/usr\/sbin\//, ''), cold, warm });
}
rows.sort((a, b) => b.warm - a.warm);
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(`${rows.length} scripts compiled (${refused} refused: features of later issues)`);
console.log(`warm: median ${q(rows.map((r) => r.warm), 0.5).toFixed(2)} ms, p90 ${q(rows.map((r) => r.warm), 0.9).toFixed(2)} ms, max ${rows[0]!.warm.toFixed(2)} ms (${rows[0]!.file})`);
console.log(`cold (first compile of each file in this process): max ${Math.max(...rows.map((r) => r.cold)).toFixed(1)} ms`);
console.log(`over 20 ms warm: ${rows.filter((r) => r.warm >= 20).map((r) => r.file).join(', ') || 'none'}`);
for (const r of rows.slice(0, 8)) console.log(`  ${r.file.padEnd(50)} warm ${r.warm.toFixed(2).padStart(6)} ms  cold ${r.cold.toFixed(1).padStart(6)} ms`);

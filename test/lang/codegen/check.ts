// Runs an IR program both ways — the IR interpreter and the emitted eBPF — and insists they agree.
import assert from 'node:assert/strict';
import { generateWithReport, type GenerateOptions, type Generated } from '../../../src/lang/codegen/index.js';
import type { IrProgram } from '../../../src/lang/ir.js';
import { HELPERS } from './random.js';
import { runBpf, runIr, type Env, type RunResult } from './vm.js';

export function agree(p: IrProgram, opts: GenerateOptions = {}, env: Partial<Env> = {}): { gen: Generated; run: RunResult } {
  const e: Env = { helpers: HELPERS, ctx: new Uint8Array(64), ...env };
  const want = runIr(p, e);
  const gen = generateWithReport(p, opts);
  const run = runBpf(gen.items, e);
  assert.equal(run.r0, want.r0, 'return value');
  assert.deepEqual(run.calls.map((c) => [c.id, c.ret]), want.calls.map((c) => [c.id, c.ret]), 'helper calls and their results');
  return { gen, run };
}

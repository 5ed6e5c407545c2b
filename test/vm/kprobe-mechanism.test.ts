// The kprobe mechanism policy run for real: a `kprobe:`/`kretprobe:` script counts a child's
// do_sys_openat2 calls exactly with whichever mechanism the compiler picked from feature facts
// (fentry/fexit where the kernel runs them, else kprobes) and says which under -v; forced to
// kprobes it counts the same; told fentry works where it does not, the runtime falls back to a
// kprobe, and where the kernel has no kprobes either the error is the clear one. Which world we
// are in comes from feature probing (probeMechanismFacts), never from the kernel's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/lang/compile.js';
import type { KernelView, ProbeMechanismFacts } from '../../src/lang/kernel-view.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { ScriptRun, type ScriptEvent } from '../../src/runtime/script.js';
import { ScriptError } from '../../src/runtime/script-error.js';
import { probeMechanismFacts } from '../../src/runtime/features.js';
import { needsRoot } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { inTestVm } from './kconfig.js';

const N = 300;
const NO_KPROBES = /^cannot attach k(ret)?probe:do_sys_openat2: kprobes not supported by this kernel: kernel built without CONFIG_KPROBES/;

/** The live view with the mechanism facts replaced. */
function viewWith(facts: Partial<ProbeMechanismFacts>): KernelView {
  const live = liveKernelView();
  const view = Object.create(live) as KernelView;
  view.probeMechanisms = () => ({ ...live.probeMechanisms(), ...facts });
  return view;
}

interface Outcome {
  count?: bigint;
  error?: string;
  messages: string;
  progKind: string;
}

/** Runs `kind:do_sys_openat2 /pid == child/ { @ = count(); }` around N opens of the child. */
async function countOpens(kind: 'kprobe' | 'kretprobe', kernel: KernelView): Promise<Outcome> {
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
  const script = compile(`${kind}:do_sys_openat2 /pid == ${child.pid}/ { @ = count(); }`, { kernel });
  let messages = '';
  const events: ScriptEvent[] = [];
  let run: ScriptRun<unknown, unknown>;
  try {
    run = await ScriptRun.start(script, {
      silent: true, verbose: true, notifyAttached: false,
      err: (t) => void (messages += t), onEvent: (e) => void events.push(e as ScriptEvent),
    });
  } catch (e) {
    await child.go();
    if (!(e instanceof ScriptError)) throw e;
    return { error: e.message, messages, progKind: script.programs[0]!.progKind };
  }
  assert.equal(await child.go(), 0);
  run.stop();
  assert.equal(await run.done, 0, messages);
  const map = events.find((e) => e.type === 'map' && e.when === 'exit' && e.name === '@');
  const entry = map && map.type === 'map' ? (map.entries[0] as { value: { count: bigint } } | undefined) : undefined;
  return { count: entry?.value.count ?? 0n, messages, progKind: script.programs[0]!.progKind };
}

const facts = (): ProbeMechanismFacts => probeMechanismFacts();

for (const kind of ['kprobe', 'kretprobe'] as const) {
  const fentryWord = kind === 'kprobe' ? 'fentry' : 'fexit';

  test(`${kind}: the policy's mechanism counts exactly and -v says which`, needsRoot, async () => {
    const f = facts();
    if (inTestVm) assert.ok(f.kprobe && f.fentry, `the test VM's kernels have kprobes and fentry: ${JSON.stringify(f)}`);
    const r = await countOpens(kind, liveKernelView());
    if (f.fentry) {
      assert.equal(r.progKind, 'tracing');
      assert.match(r.messages, new RegExp(`^${kind}:do_sys_openat2: using ${fentryWord} \\(BTF id \\d+\\)${f.kprobe ? '; kprobe also available' : ''}$`, 'm'));
      assert.equal(r.error, undefined, r.messages);
      assert.equal(r.count, BigInt(N), `${fentryWord}: ${r.messages}`);
      return;
    }
    assert.equal(r.progKind, 'kprobe');
    assert.match(r.messages, new RegExp(`^${kind}:do_sys_openat2: using kprobe \\(this kernel does not run fentry programs\\)$`, 'm'));
    if (f.kprobe) assert.equal(r.count, BigInt(N), r.messages);
    else assert.match(r.error ?? '', NO_KPROBES);
  });

  test(`${kind}: kprobes when the facts say no fentry: exact count, or the clear error`, needsRoot, async () => {
    const r = await countOpens(kind, viewWith({ fentry: false }));
    assert.equal(r.progKind, 'kprobe');
    if (facts().kprobe) {
      assert.equal(r.error, undefined, r.messages);
      assert.equal(r.count, BigInt(N), `kprobe: ${r.messages}`);
    } else {
      assert.match(r.error ?? '', NO_KPROBES);
    }
  });

  test(`${kind}: compiled for ${fentryWord} where the kernel refuses it, the run falls back to a kprobe`, needsRoot, async () => {
    const f = facts();
    const r = await countOpens(kind, viewWith({ fentry: true, fentryFuncIp: true }));
    assert.equal(r.progKind, 'tracing', 'compiled for fentry as told');
    if (f.fentry) {
      // Nothing to fall back from: fentry works here.
      assert.equal(r.count, BigInt(N), r.messages);
      assert.doesNotMatch(r.messages, /falling back/);
      return;
    }
    assert.match(r.messages, new RegExp(`^${kind}:do_sys_openat2: fentry failed \\(.+\\); falling back to kprobe$`, 'm'));
    if (f.kprobe) assert.equal(r.count, BigInt(N), r.messages);
    else assert.match(r.error ?? '', NO_KPROBES);
  });
}

for (const kind of ['fentry', 'fexit'] as const) {
  test(`${kind}:do_sys_openat2 (the language's own provider): exact count with typed args, or the clear error`, needsRoot, async () => {
    const child = await spawnPaused(await buildFixture('open_loop'), [String(N), '/etc/hostname']);
    // dfd is an int parameter; how a struct pointer whose fields are read through BTF.
    const body = kind === 'fentry' ? '@[args->dfd, args->how->mode] = count();' : '@[args.dfd, (int64)retval >= 0 ? args->how->mode : 99] = count();';
    const script = compile(`${kind}:do_sys_openat2 /pid == ${child.pid} && args->dfd == -100/ { ${body} }`, { kernel: liveKernelView() });
    assert.equal(script.programs[0]!.progKind, 'tracing');
    let run: ScriptRun<unknown, unknown>;
    let text = '';
    try {
      run = await ScriptRun.start(script, { silent: true, notifyAttached: false, err: () => {}, onEvent: (e) => void (e.type === 'map' && e.when === 'exit' ? (text += e.text) : 0) });
    } catch (e) {
      await child.go();
      assert.ok(!facts().fentry, `fentry works here, yet: ${String(e)}`);
      assert.ok(e instanceof ScriptError);
      assert.match(e.message, new RegExp(`^cannot attach ${kind}:do_sys_openat2: fentry/fexit not supported by this kernel`));
      return;
    }
    assert.ok(facts().fentry, 'attached, so feature probing must say fentry works');
    assert.equal(await child.go(), 0);
    run.stop();
    assert.equal(await run.done, 0);
    assert.match(text, new RegExp(`^@\\[-100, 0\\]: ${N}\\n\\n?$`));
  });
}

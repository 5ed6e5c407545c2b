// Strings under fentry/fexit, run for real: path() (bpf_d_path, which the kernel allows only on the
// functions of its d_path allow-list) prints the exact path a child opened, once per open; path()
// on a function the kernel does not allow it in ends in sonde's clear error, with nothing left
// attached; str() of a syscall's user-memory filename parameter reads the user's string (Debian's
// BTF has no __user type tags: the parameter is read with bpf_probe_read_str, by the address). On a
// kernel without BPF trampolines (this project's host) each ends in the clear "not supported" error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../../src/lang/compile.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { ScriptRun, type ScriptEvent } from '../../src/runtime/script.js';
import { ScriptError } from '../../src/runtime/script-error.js';
import { probeFeatures } from '../../src/runtime/features.js';
import { needsRoot, openFdCount } from '../support/root.js';
import { spawnPaused } from '../support/workload.js';
import { buildFixture } from '../fixtures/build.js';
import { inTestVm } from './kconfig.js';

const N = 25;
const fentryWorks = (): boolean => probeFeatures().probes.fentry.ok;
const NOT_SUPPORTED = /^cannot attach f(entry|exit):\w+: fentry\/fexit not supported by this kernel/;

interface Run {
  lines: string[];
  messages: string;
  error?: ScriptError;
}

/** A file with a known name, resolved through symlinks: what d_path() gives back. */
function knownFile(): { path: string; done(): void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sonde-dpath-')));
  const path = join(dir, 'known-file.txt');
  writeFileSync(path, 'x\n');
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `source` (with PID replaced by the child's pid) around open_loop opening `path` N times. */
async function opens(source: (pid: number) => string, path: string): Promise<Run> {
  const child = await spawnPaused(await buildFixture('open_loop'), [String(N), path]);
  const script = compile(source(child.pid), { kernel: liveKernelView() });
  let messages = '';
  const lines: string[] = [];
  let r: ScriptRun<unknown, unknown>;
  try {
    r = await ScriptRun.start(script, {
      silent: true, notifyAttached: false, err: (t) => void (messages += t),
      onEvent: (e) => void ((e as ScriptEvent).type === 'printf' && lines.push((e as { text: string }).text)),
    });
  } catch (e) {
    await child.go();
    if (!(e instanceof ScriptError)) throw e;
    return { lines, messages, error: e };
  }
  assert.equal(await child.go(), 0);
  r.stop();
  assert.equal(await r.done, 0, messages);
  return { lines, messages };
}

test('path() under fentry:security_file_open prints the exact path of each open', needsRoot, async () => {
  const f = knownFile();
  try {
    const r = await opens((pid) => `fentry:security_file_open /pid == ${pid}/ { printf("%s\\n", path(args->file->f_path)); }`, f.path);
    if (!fentryWorks()) {
      assert.ok(!inTestVm, 'the test VM kernels have BPF trampolines');
      assert.match(r.error?.message ?? '', NOT_SUPPORTED);
      return;
    }
    assert.equal(r.error, undefined, `${r.error?.format()}\n${r.messages}`);
    assert.deepEqual(r.lines, Array(N).fill(`${f.path}\n`));
  } finally {
    f.done();
  }
});

test('path() under fexit, with a size', needsRoot, async () => {
  const f = knownFile();
  try {
    const r = await opens((pid) => `fexit:security_file_open /pid == ${pid}/ { printf("%d %s\\n", retval, path(args.file->f_path, 200)); }`, f.path);
    if (!fentryWorks()) {
      assert.match(r.error?.message ?? '', NOT_SUPPORTED);
      return;
    }
    assert.equal(r.error, undefined, `${r.error?.format()}\n${r.messages}`);
    assert.deepEqual(r.lines, Array(N).fill(`0 ${f.path}\n`));
  } finally {
    f.done();
  }
});

test('path() where the kernel does not allow bpf_d_path: the clear error at the call, nothing attached', needsRoot, async () => {
  const f = knownFile();
  const base = openFdCount();
  try {
    // vfs_open is not on the kernel's d_path allow-list (btf_allowlist_d_path).
    const r = await opens((pid) => `fentry:vfs_open /pid == ${pid}/ {\n  printf("%s\\n", path(args->path));\n}`, f.path);
    assert.ok(r.error, 'the run must fail');
    if (!fentryWorks()) {
      assert.match(r.error.message, NOT_SUPPORTED);
      return;
    }
    assert.equal(r.error.message, 'path() is not allowed in fentry:vfs_open: the kernel allows bpf_d_path only in fentry/fexit programs on the functions of its allow-list');
    const text = r.error.format();
    assert.match(text, /^\S+:2:18: ERROR: path\(\) is not allowed in fentry:vfs_open/m, text);
    assert.match(text, /^ {2}printf\("%s\\n", path\(args->path\)\);\n {17}\^~{15}$/m, text);
    assert.match(text, /security_file_open/, text);
    assert.doesNotMatch(text, /verifier log|R1 type=/, text);
    assert.equal(openFdCount(), base);
  } finally {
    f.done();
  }
});

for (const kind of ['fentry', 'fexit'] as const) {
  test(`str() of do_sys_openat2's user-memory filename under ${kind}: the path, once per open`, needsRoot, async () => {
    const f = knownFile();
    try {
      const r = await opens((pid) => `${kind}:do_sys_openat2 /pid == ${pid}/ { printf("%s|%s\\n", str(args->filename), str(args.filename, 5)); }`, f.path);
      if (!fentryWorks()) {
        assert.match(r.error?.message ?? '', NOT_SUPPORTED);
        return;
      }
      assert.equal(r.error, undefined, `${r.error?.format()}\n${r.messages}`);
      assert.deepEqual(r.lines, Array(N).fill(`${f.path}|${f.path.slice(0, 5)}\n`));
    } finally {
      f.done();
    }
  });
}

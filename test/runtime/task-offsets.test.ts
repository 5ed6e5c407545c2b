// The on-disk cache of task_struct's pid/tgid/comm offsets: hits, misses, invalidation by the BTF
// file's identity, damaged and untrusted files, unwritable directories; and LiveKernelView's use
// of it end to end on BTF blobs built here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { btfIdentity, cacheDir, cachedTaskOffsets } from '../../src/runtime/task-offsets.js';
import { LiveKernelView } from '../../src/runtime/kernel-view.js';
import { taskOffsetsFromBtf } from '../../src/lang/kernel-view.js';
import { Btf } from '../../src/btf/index.js';
import { BtfBuilder } from '../btf/builder.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sonde-task-'));
}

test('a stored answer is used for its key only; another key computes and replaces it', () => {
  const dir = tmp();
  try {
    let calls = 0;
    const compute = (pid: number) => () => (calls++, { pid, tgid: pid + 4, comm: 1752 });
    assert.deepEqual(cachedTaskOffsets(dir, 'k1', compute(1264)), { pid: 1264, tgid: 1268, comm: 1752 });
    assert.equal(calls, 1);
    assert.deepEqual(cachedTaskOffsets(dir, 'k1', compute(9)), { pid: 1264, tgid: 1268, comm: 1752 }, 'from the file');
    assert.equal(calls, 1);
    assert.deepEqual(cachedTaskOffsets(dir, 'k2', compute(100)), { pid: 100, tgid: 104, comm: 1752 });
    assert.equal(calls, 2);
    assert.deepEqual(cachedTaskOffsets(dir, 'k1', compute(200)), { pid: 200, tgid: 204, comm: 1752 }, 'k2 replaced k1');
    assert.equal(calls, 3);
    // "No offsets" (no BTF helper) is an answer too.
    assert.equal(cachedTaskOffsets(dir, 'k3', () => (calls++, undefined)), undefined);
    assert.equal(cachedTaskOffsets(dir, 'k3', () => (calls++, { pid: 1, tgid: 2, comm: 3 })), undefined);
    assert.equal(calls, 4);
    // No key (no BTF file to identify): computed every time, nothing read or written.
    rmSync(join(dir, 'task-offsets.json'));
    assert.deepEqual(cachedTaskOffsets(dir, undefined, () => (calls++, { pid: 5, tgid: 6, comm: 7 })), { pid: 5, tgid: 6, comm: 7 });
    assert.equal(calls, 5);
    assert.equal(existsSync(join(dir, 'task-offsets.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('damaged, foreign-shaped or writable-by-others files are not believed', () => {
  const dir = tmp();
  const file = join(dir, 'task-offsets.json');
  const good = { pid: 1264, tgid: 1268, comm: 1752 };
  try {
    for (const text of ['{not json', JSON.stringify({ format: 1, key: 'k', task: { pid: -1, tgid: 2, comm: 3 } }), JSON.stringify({ format: 2, key: 'k', task: good }), JSON.stringify({ format: 1, key: 'k', task: { ...good, extra: 1 } })]) {
      writeFileSync(file, text, { mode: 0o644 });
      chmodSync(file, 0o644);
      let calls = 0;
      assert.deepEqual(cachedTaskOffsets(dir, 'k', () => (calls++, good)), good, text);
      assert.equal(calls, 1, text);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).task.pid, 1264, 'rewritten');
    }
    // A symbolic link to a correct file: not followed.
    const real = join(dir, 'real.json');
    writeFileSync(real, JSON.stringify({ format: 1, key: 'k', task: good }), { mode: 0o644 });
    rmSync(file);
    symlinkSync(real, file);
    let linked = 0;
    assert.deepEqual(cachedTaskOffsets(dir, 'k', () => (linked++, { pid: 7, tgid: 8, comm: 9 })), { pid: 7, tgid: 8, comm: 9 });
    assert.equal(linked, 1);
    assert.equal(lstatSync(file).isSymbolicLink(), false, 'replaced by a file of our own');
    // A correct file that others may write: recomputed.
    chmodSync(file, 0o666);
    let calls = 0;
    assert.deepEqual(cachedTaskOffsets(dir, 'k', () => (calls++, { pid: 1, tgid: 2, comm: 3 })), { pid: 1, tgid: 2, comm: 3 });
    assert.equal(calls, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a link planted where the new file is written first is never written through', () => {
  const dir = tmp();
  try {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(dir, `task-offsets.json.${process.pid}.tmp`));
    assert.deepEqual(cachedTaskOffsets(dir, 'k', () => ({ pid: 1, tgid: 2, comm: 3 })), { pid: 1, tgid: 2, comm: 3 });
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
    assert.equal(existsSync(join(dir, 'task-offsets.json')), false, 'nothing stored this time');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory that cannot be made or written costs a computation, never an error', () => {
  const dir = tmp();
  try {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    let calls = 0;
    for (let i = 0; i < 2; i++) assert.deepEqual(cachedTaskOffsets(join(notADir, 'sonde'), 'k', () => (calls++, { pid: 1, tgid: 2, comm: 3 })), { pid: 1, tgid: 2, comm: 3 });
    assert.equal(calls, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cacheDir: SONDE_CACHE_DIR, then XDG_CACHE_HOME/sonde, then /var/cache/sonde for root or ~/.cache/sonde', () => {
  assert.equal(cacheDir({ SONDE_CACHE_DIR: '/x', XDG_CACHE_HOME: '/y' }), '/x');
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/y' }), '/y/sonde');
  const dflt = cacheDir({});
  assert.ok(process.geteuid?.() === 0 ? dflt === '/var/cache/sonde' : dflt.endsWith('/.cache/sonde'), dflt);
});

/** A vmlinux-like blob with task_struct's pid, tgid and comm at the given byte offsets. */
function kernelBtf(pid: number, tgid: number, comm: number, helper = true): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const pidT = b.typedef('pid_t', int);
  const char = b.int('char', 1, { char: true });
  const arr = b.array(char, 16, int);
  b.struct('task_struct', 4096, [['pid', pidT, pid * 8], ['tgid', pidT, tgid * 8], ['comm', arr, comm * 8]]);
  if (helper) b.func('bpf_get_current_task_btf', b.funcProto(0, []));
  return b.encode();
}

test('LiveKernelView.taskOffsets: from the BTF, then from the cache, and anew when the BTF file changes', () => {
  const dir = tmp();
  const saved = process.env['SONDE_CACHE_DIR'];
  process.env['SONDE_CACHE_DIR'] = join(dir, 'cache');
  try {
    const path = join(dir, 'vmlinux');
    writeFileSync(path, kernelBtf(100, 104, 200));
    const first = new LiveKernelView({ btfPath: path }).taskOffsets();
    assert.deepEqual(first, { pid: 100, tgid: 104, comm: 200 });
    assert.deepEqual(first, taskOffsetsFromBtf(Btf.parse(readFileSync(path))));
    const stored = JSON.parse(readFileSync(join(dir, 'cache', 'task-offsets.json'), 'utf8'));
    assert.equal(stored.key, btfIdentity(path));
    // The cache answers (a view that would fail to parse the BTF proves it is not read).
    const view = new LiveKernelView({ btfPath: path });
    (view as unknown as { btf(): never }).btf = () => { throw new Error('BTF read although cached'); };
    assert.deepEqual(view.taskOffsets(), first);
    // Another kernel's BTF at the same path: another identity (size, mtime or inode), another answer.
    writeFileSync(path, kernelBtf(300, 304, 400));
    utimesSync(path, new Date(), new Date(Date.now() + 10_000));
    assert.notEqual(btfIdentity(path), stored.key);
    assert.deepEqual(new LiveKernelView({ btfPath: path }).taskOffsets(), { pid: 300, tgid: 304, comm: 400 });
    // A kernel without bpf_get_current_task_btf: no offsets (the helpers are used instead).
    writeFileSync(path, kernelBtf(300, 304, 400, false));
    utimesSync(path, new Date(), new Date(Date.now() + 20_000));
    assert.equal(new LiveKernelView({ btfPath: path }).taskOffsets(), undefined);
    assert.equal(btfIdentity(join(dir, 'missing')), undefined);
  } finally {
    if (saved === undefined) delete process.env['SONDE_CACHE_DIR'];
    else process.env['SONDE_CACHE_DIR'] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

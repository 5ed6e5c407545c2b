// USDT on the live system, the parts that need no root: the sites of a real binary and library
// as the KernelView reports them (offsets, semaphores, operands, symbols of RIP-relative
// operands), target resolution, and the compile-time errors against real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { buildFixture, buildSharedFixture, needSdt } from '../fixtures/build.js';
import { ElfFile } from '../../src/elf/index.js';
import { globFiles, mappedFiles, mappedFilesOfAllProcesses, usdtFileInfo, usdtFiles } from '../../src/runtime/usdt.js';
import { liveKernelView } from '../../src/runtime/kernel-view.js';
import { compile } from '../../src/lang/compile.js';
import { LangError } from '../../src/lang/diagnostic.js';
import { KernelViewError } from '../../src/lang/kernel-view.js';
import { nmAddress, readelfStapsdt } from '../elf/binutils.js';

test('usdt sites of the fixture: one per note, operands, semaphores, RIP-relative symbols resolved', async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const info = usdtFileInfo(bin);
  assert.equal(info.path, bin);
  assert.deepEqual(info.probes.map((p) => `${p.provider}:${p.name}:${p.sites.length}`),
    ['sonde_args:guarded:1', 'sonde_args:plain:1', 'sonde_args:global:1', 'sonde_args:twice:2']);
  const notes = ElfFile.open(bin).usdtProbes();
  const byName = (n: string) => info.probes.find((p) => p.name === n)!;
  // Every site is a note's pc and file offset; readelf agrees on the operand strings.
  const want = readelfStapsdt(bin);
  assert.deepEqual(info.probes.flatMap((p) => p.sites.map((s) => s.args.map((a) => a.text).join(' '))), want.map((w) => w.args));
  assert.deepEqual(info.probes.flatMap((p) => p.sites.map((s) => [s.pc, s.offset])), notes.map((n) => [n.pc, n.pcFileOffset]));
  const guarded = byName('guarded').sites[0]!;
  assert.equal(guarded.semaphore, notes.find((n) => n.name === 'guarded')!.semaphoreFileOffset);
  assert.ok(guarded.semaphore! > 0);
  assert.equal(byName('plain').sites[0]!.semaphore, undefined);
  assert.deepEqual(guarded.args.map((a) => a.text), ['-1@$-5', '2@$-536', guarded.args[2]!.text, '-8@$-1234567890123', '8@$-1']);
  const global = byName('global').sites[0]!.args[0]!;
  assert.equal(global.kind, 'mem');
  assert.equal(global.kind === 'mem' && global.symbol, 'sonde_global_sum');
  assert.equal(global.symbolAddress, nmAddress(bin, 'sonde_global_sum'));
});

test('usdt: a shared library by path; its semaphore is a file offset in the library', async (t) => {
  if (!needSdt(t)) return;
  const lib = await buildSharedFixture('usdt_lib');
  const [f] = usdtFiles(lib);
  assert.equal(f!.path, lib);
  const call = f!.probes.find((p) => p.name === 'call')!;
  assert.equal(call.provider, 'sonde_lib');
  assert.equal(call.sites.length, 1);
  assert.equal(call.sites[0]!.semaphore, ElfFile.open(lib).usdtProbes()[0]!.semaphoreFileOffset);
  assert.deepEqual(call.sites[0]!.args.map((a) => [a.size, a.signed]), [[4, true], [8, false]]);
});

test('usdt with a pid: the library through the process maps, all mapped files, wildcard paths', async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const lib = await buildSharedFixture('usdt_lib');
  const child = spawn(bin, ['--wait', '1'], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    // Wait until the dynamic loader has mapped the library.
    for (let i = 0; i < 200 && !mappedFiles(child.pid!).includes(lib); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(mappedFiles(child.pid!).includes(bin));
    assert.deepEqual(usdtFiles('libusdt_lib', child.pid).map((f) => f.path), [lib]);
    assert.deepEqual(usdtFiles(null, child.pid).map((f) => f.path).sort(), [bin, lib].sort(), 'only files with probes');
    assert.deepEqual(usdtFiles('*usdt_lib*', child.pid).map((f) => f.path), [lib]);
    assert.throws(() => usdtFiles('*nothing*', child.pid), (e: unknown) => e instanceof KernelViewError && /no file mapped by process \d+ matches \*nothing\*/.test(e.message));
  } finally {
    child.stdin!.end('x');
    await once(child, 'exit');
  }
});

test('usdt: a wildcard file name matches ELF files on disk; a bare pattern the files of every process', async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const lib = await buildSharedFixture('usdt_lib');
  const dir = bin.slice(0, bin.lastIndexOf('/'));
  assert.deepEqual(globFiles(`${dir}/usdt_ar?s`), [bin]);
  assert.deepEqual(usdtFiles(`${dir}/*usdt_*`).map((f) => f.path).filter((p) => p === bin || p === lib), [lib, bin]);
  assert.throws(() => globFiles(`${dir}/*/x`), /wildcards are supported in the file name only/);
  assert.throws(() => usdtFiles(`${dir}/nothing*`), (e: unknown) => e instanceof KernelViewError && e.message === `no file on disk matches ${dir}/nothing* and has USDT probes`);
  const child = spawn(bin, ['--wait', '1'], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    for (let i = 0; i < 200 && !mappedFiles(child.pid!).includes(lib); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(mappedFilesOfAllProcesses().includes(bin));
    // No -p: every process is searched (other checkouts' copies may be mapped by their tests too).
    const found = usdtFiles('*usdt_lib*').map((f) => f.path);
    assert.ok(found.includes(lib), found.join(' '));
    assert.ok(found.every((p) => p.includes('usdt_lib')), found.join(' '));
  } finally {
    child.stdin!.end('x');
    await once(child, 'exit');
  }
});

test('usdt compile errors against a real binary name what is missing', async (t) => {
  if (!needSdt(t)) return;
  const bin = await buildFixture('usdt_args');
  const err = (src: string): string => {
    try {
      compile(src, { kernel: liveKernelView() });
    } catch (e) {
      if (e instanceof LangError) return `${e.message}${e.hint ? ` | ${e.hint}` : ''}`;
      throw e;
    }
    return 'no error';
  };
  assert.equal(err(`usdt:${bin}:sonde_args:guarded { @ = arg5; }`), `usdt probe sonde_args:guarded in ${bin} has 5 arguments (arg0 to arg4): arg5 is not one of them`);
  assert.equal(err(`usdt:${bin}:sonde_args:nope { @ = count(); }`),
    `no USDT probe matches sonde_args:nope in ${bin} | probes there: sonde_args:guarded, sonde_args:plain, sonde_args:global, sonde_args:twice`);
  assert.match(err('usdt:/no/such/file:p:n { @ = count(); }'), /\/no\/such\/file/);
  assert.equal(err(`usdt:${await buildFixture('uprobe_target')}:p:n { @ = count(); }`).split(' | ')[1], `${await buildFixture('uprobe_target')} has no USDT probes (no .note.stapsdt section)`);
});

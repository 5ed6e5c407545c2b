// User symbols of a real process: PIE and libc through its memory map, kept after it exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfFile, addressFileOffset } from '../../src/elf/index.js';
import { UserSymbols, userSymbolText } from '../../src/symbols/index.js';
import { buildFixture } from '../fixtures/build.js';
import { needsRoot } from '../support/root.js';

async function started(bin: string): Promise<{ pid: number; addrs: Map<string, bigint>; finish: () => Promise<void> }> {
  const proc = spawn(bin, ['--addrs', '--wait', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  while (!out.includes('main=')) await once(proc.stdout, 'data');
  const addrs = new Map([...out.matchAll(/^(\w+)=0x([0-9a-f]+)$/gm)].map((m) => [m[1]!, BigInt(`0x${m[2]}`)]));
  return {
    pid: proc.pid!,
    addrs,
    finish: async () => {
      const exited = once(proc, 'exit');
      proc.stdin.end('x');
      await exited;
    },
  };
}

test('a PIE and its libc: function+offset and module, and still after the process exited', async () => {
  const bin = await buildFixture('uprobe_target');
  const p = await started(bin);
  const seen = new UserSymbols();
  assert.equal(seen.snapshot(p.pid), true);
  const c = p.addrs.get('sonde_target_c')!;
  const malloc = p.addrs.get('malloc')!;
  await p.finish();
  // The process is gone: its map as first seen still answers.
  assert.equal(seen.snapshot(p.pid), false);
  assert.equal(userSymbolText(seen, c, p.pid, false, false), 'sonde_target_c');
  assert.equal(userSymbolText(seen, c + 3n, p.pid, true, true), `sonde_target_c+3 (${bin})`);
  assert.equal(userSymbolText(seen, p.addrs.get('main')!, p.pid, true, false), 'main+0');
  const m = userSymbolText(seen, malloc, p.pid, true, true);
  assert.match(m, /^(__libc_)?malloc\+0 \(\/.*libc[.-].*so.*\)$/);
  // Never seen alive: bpftrace's form for an unknown address.
  const late = new UserSymbols();
  assert.equal(userSymbolText(late, c, p.pid, true, true), `0x${c.toString(16)} ([unknown])`);
});

test('watch(): the map is kept up to date while the process lives', async () => {
  const bin = await buildFixture('uprobe_target-nopie');
  const p = await started(bin);
  const u = new UserSymbols();
  u.watch(p.pid);
  await new Promise((r) => setTimeout(r, 30));
  await p.finish();
  await new Promise((r) => setTimeout(r, 30));
  u.stop();
  assert.equal(userSymbolText(u, p.addrs.get('sonde_target_add')!, p.pid, true, false), 'sonde_target_add+0');
  assert.ok(u.mappings(p.pid).some((m) => m.path === bin));
});

test('[vdso] frames are named from the vDSO image (the same in every process)', () => {
  const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[vdso]'));
  assert.ok(line, 'this process has a vDSO');
  const [lo, hi] = line.split(' ')[0]!.split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint];
  const u = new UserSymbols();
  const names = new Set<string>();
  for (let a = lo; a < hi; a += 16n) {
    const t = userSymbolText(u, a, process.pid, false, true);
    if (!t.startsWith('0x')) names.add(t);
  }
  assert.ok([...names].some((n) => /clock_gettime.* \(\[vdso\]\)$/.test(n)), [...names].join(', '));
});

test('watch(pid, { awaitExec }): the launcher shell\'s map is never taken for the command\'s', async () => {
  const bin = await buildFixture('uprobe_target');
  const sh = spawn('/bin/sh', ['-c', 'read go; exec "$0" --addrs 1', bin], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  sh.stdout.on('data', (d) => (out += d));
  const exited = once(sh, 'exit');
  await new Promise((r) => setTimeout(r, 50)); // the shell is waiting in `read`
  const u = new UserSymbols();
  u.watch(sh.pid!, { awaitExec: true });
  assert.deepEqual(u.mappings(sh.pid!), [], 'nothing kept from the shell');
  // The command execs and exits with no look at its map (the watcher stopped): its addresses
  // stay unknown, never named from the shell's libc mapped at another base.
  u.stop();
  sh.stdin.end('go\n');
  await exited;
  const malloc = BigInt(`0x${/malloc=0x([0-9a-f]+)/.exec(out)![1]}`);
  assert.deepEqual(u.mappings(sh.pid!), []);
  assert.equal(userSymbolText(u, malloc, sh.pid!, true, true), `0x${malloc.toString(16)} ([unknown])`);
});

test('libc functions print without their symbol version (clock_nanosleep, not clock_nanosleep@@GLIBC_2.17)', () => {
  const u = new UserSymbols();
  const libc = u.mappings(process.pid).find((m) => m.executable && /\/libc[.-][^/]*so/.test(m.path));
  assert.ok(libc, 'this process maps libc');
  const elf = ElfFile.open(libc.path);
  const sym = elf.findSymbols('clock_nanosleep').find((s) => s.value !== 0);
  assert.ok(sym);
  const addr = BigInt(libc.start + addressFileOffset(elf, sym.value) - libc.offset);
  assert.equal(userSymbolText(u, addr + 4n, process.pid, true, true), `clock_nanosleep+4 (${libc.path})`);
  assert.equal(userSymbolText(u, addr, process.pid, false, false), 'clock_nanosleep');
});

test('a binary rebuilt after its process exited does not name that process\'s frames', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-rebuilt-'));
  try {
    const bin = join(dir, 'target');
    copyFileSync(await buildFixture('uprobe_target'), bin);
    const p = await started(bin);
    const u = new UserSymbols();
    u.snapshot(p.pid);
    await p.finish();
    // Rewritten in place (same inode, new size and mtime) before anything was looked up.
    copyFileSync(await buildFixture('uprobe_target-nopie'), bin);
    const c = p.addrs.get('sonde_target_c')!;
    assert.equal(userSymbolText(u, c, p.pid, true, false), `0x${c.toString(16)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a binary deleted while its process runs: named through /proc/PID/map_files, also after exit', needsRoot, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-deleted-'));
  try {
    const bin = join(dir, 'target');
    copyFileSync(await buildFixture('uprobe_target'), bin);
    const p = await started(bin);
    rmSync(bin);
    const u = new UserSymbols();
    u.snapshot(p.pid);
    assert.ok(u.mappings(p.pid).some((m) => m.deleted && m.path === bin));
    await p.finish();
    const c = p.addrs.get('sonde_target_c')!;
    assert.equal(userSymbolText(u, c + 1n, p.pid, true, true), `sonde_target_c+1 (${bin})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

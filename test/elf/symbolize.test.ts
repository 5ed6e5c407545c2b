// Address → function: per file (SymbolTable) against readelf's symbol sizes, and per process
// (ProcessSymbolizer) against the addresses a running fixture prints about itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  ElfCache,
  ElfFile,
  fileOffsetToVaddr,
  findMapping,
  parseProcMaps,
  ProcessMapsError,
  ProcessSymbolizer,
  resolveLibrary,
  SymbolTable,
} from '../../src/elf/index.js';
import { buildFixture } from '../fixtures/build.js';
import { nmAddress, readelfSegments, readelfSymbols, type RSymbol } from './binutils.js';

function functionsOf(path: string, table: string): RSymbol[] {
  return readelfSymbols(path).get(table)!.filter((s) => (s.type === 'FUNC' || s.type === 'IFUNC') && s.ndx !== 'UND' && s.value !== 0);
}

test('SymbolTable: every function readelf lists, at its first and last byte (fixtures, libc)', async () => {
  for (const [path, table] of [
    [await buildFixture('uprobe_target'), '.symtab'],
    [await buildFixture('uprobe_target-nopie'), '.symtab'],
    [resolveLibrary('libc'), '.dynsym'],
  ] as const) {
    const st = SymbolTable.fromElf(ElfFile.open(path));
    const funcs = functionsOf(path, table);
    assert.ok(funcs.length > 5, `${path} has functions`);
    const namesAt = new Map<number, Set<string>>();
    for (const f of funcs) {
      const set = namesAt.get(f.value) ?? new Set();
      set.add(f.name.split('@')[0]!);
      namesAt.set(f.value, set);
    }
    for (const f of funcs) {
      if (f.size === 0) continue;
      const first = st.lookup(f.value)!;
      const last = st.lookup(f.value + f.size - 1)!;
      assert.ok(namesAt.get(f.value)!.has(first.name), `${path}: 0x${f.value.toString(16)} is ${[...namesAt.get(f.value)!]}, got ${first.name}`);
      assert.equal(first.offset, 0);
      assert.equal(last.name, first.name);
      assert.equal(last.offset, f.size - 1);
    }
  }
});

test('SymbolTable: exact offsets inside fixture functions; nothing outside functions', async () => {
  const path = await buildFixture('uprobe_target');
  const st = SymbolTable.fromElf(ElfFile.open(path));
  const add = nmAddress(path, 'sonde_target_add');
  assert.deepEqual({ ...st.lookup(add + 3)!, symbol: undefined }, { name: 'sonde_target_add', offset: 3, symbol: undefined });
  assert.equal(st.lookup(BigInt(add) + 4n)!.offset, 4, 'bigint addresses (from BPF) work');
  assert.equal(st.lookup(0), undefined);
  assert.equal(st.lookup(0x7fff_0000_0000), undefined);
  // .bss variables are not functions.
  assert.equal(st.lookup(nmAddress(path, 'sonde_target_counter')), undefined);
  assert.equal(st.addressOf('sonde_target_loop'), nmAddress(path, 'sonde_target_loop'));
});

test('SymbolTable: aliases collapse to the plain public name (malloc, not __libc_malloc)', () => {
  const path = resolveLibrary('libc');
  const st = SymbolTable.fromElf(ElfFile.open(path));
  const malloc = readelfSymbols(path, true).get('.dynsym')!.find((s) => s.name === 'malloc@@GLIBC_2.2.5')!;
  assert.equal(st.lookup(malloc.value + 1)!.name, 'malloc');
});

interface Running {
  addrs: Map<string, number>;
  pid: number;
  finish(): Promise<string>;
}

/** Starts the fixture with --addrs --wait and reads the addresses it prints about itself. */
async function startFixture(path: string): Promise<Running> {
  const child = spawn(path, ['--addrs', '--wait', '2'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  while (!out.includes('main=')) {
    await once(child.stdout, 'data');
  }
  const addrs = new Map<string, number>();
  for (const m of out.matchAll(/^(\w+)=0x([0-9a-f]+)$/gm)) addrs.set(m[1]!, parseInt(m[2]!, 16));
  return {
    addrs,
    pid: child.pid!,
    finish: async () => {
      child.stdin.end('g');
      // 'close', not 'exit': the last stdout data may arrive after the exit event.
      const [code] = (await once(child, 'close')) as [number];
      assert.equal(code, 0);
      return out;
    },
  };
}

test('ProcessSymbolizer: runtime addresses in a PIE, a non-PIE, and libc', async () => {
  for (const name of ['uprobe_target', 'uprobe_target-nopie']) {
    const path = await buildFixture(name);
    const run = await startFixture(path);
    try {
      const sym = new ProcessSymbolizer(run.pid, { cache: new ElfCache() });
      for (const fn of ['sonde_target_add', 'sonde_target_loop', 'sonde_target_c', 'main']) {
        const addr = run.addrs.get(fn)!;
        const vaddr = nmAddress(path, fn);
        const seg = readelfSegments(path).find((s) => s.type === 'LOAD' && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)!;
        const r = sym.symbolize(addr + 2);
        assert.deepEqual(r, {
          address: addr + 2,
          module: realpathSync(path),
          fileOffset: vaddr + 2 - seg.vaddr + seg.offset,
          vaddr: vaddr + 2,
          symbol: fn,
          offset: 2,
        }, `${name}:${fn}`);
        if (name.endsWith('-nopie')) assert.equal(addr, vaddr, 'non-PIE: runtime address = link-time address');
        else assert.notEqual(addr, vaddr, 'PIE: loaded with a bias');
      }
      const malloc = sym.symbolize(BigInt(run.addrs.get('malloc')!));
      const mappedLibc = readFileSync(`/proc/${run.pid}/maps`, 'utf8').split('\n').map((l) => l.split(/\s+/)[5] ?? '').find((p) => p.endsWith('/libc.so.6'));
      assert.equal(malloc.module, mappedLibc);
      assert.equal(malloc.symbol, 'malloc');
      assert.equal(malloc.offset, 0);
      const libcMalloc = readelfSymbols(resolveLibrary('libc'), true).get('.dynsym')!.find((s) => s.name === 'malloc@@GLIBC_2.2.5')!;
      assert.equal(malloc.vaddr, libcMalloc.value);
      // Non-file memory and unmapped addresses: what is known, no guesses.
      const stack = sym.mappings.find((m) => m.path === '[stack]')!;
      assert.deepEqual(sym.symbolize(stack.start + 8), { address: stack.start + 8, module: '[stack]' });
      assert.deepEqual(sym.symbolize(16), { address: 16 });
    } finally {
      assert.match(await run.finish(), /loop=3 chain=14 twins=300/);
    }
  }
});

test('ProcessSymbolizer: a process that does not exist is a clear error', () => {
  assert.throws(() => new ProcessSymbolizer(2 ** 31 - 2), (e: unknown) => {
    assert.ok(e instanceof ProcessMapsError);
    assert.equal(e.message, `cannot read the memory map of process ${2 ** 31 - 2}: no such process`);
    return true;
  });
});

test('ElfCache: one parse per file identity, whatever the path; a rebuilt file is parsed again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-cache-'));
  try {
    const bin = join(dir, 'target');
    copyFileSync(await buildFixture('uprobe_target'), bin);
    symlinkSync(bin, join(dir, 'alias'));
    const cache = new ElfCache(2);
    const a = cache.open(bin);
    assert.equal(cache.open(bin), a);
    assert.equal(cache.open(join(dir, 'alias')), a, 'same dev/inode through a symlink');
    assert.equal(cache.symbolTable(bin), cache.symbolTable(join(dir, 'alias')));
    copyFileSync(await buildFixture('uprobe_target-nopie'), bin);
    utimesSync(bin, new Date(), new Date(Date.now() + 10_000));
    const b = cache.open(bin);
    assert.notEqual(b, a);
    assert.equal(b.type, 'EXEC');
    // Capacity 2: a third file evicts the least recently used.
    cache.open(resolveLibrary('libc'));
    assert.equal(cache.size, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseProcMaps: paths with spaces, deleted files, anonymous and special mappings', () => {
  const text = [
    '55d0c0a00000-55d0c0a02000 r--p 00000000 fe:00 1234                       /opt/my app/bin',
    '55d0c0a02000-55d0c0a07000 r-xp 00002000 fe:00 1234                       /opt/my app/bin',
    '7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ',
    '7f0000001000-7f0000002000 r-xp 00001000 103:02 99                        /tmp/lib.so (deleted)',
    '7ffd5f7fe000-7ffd5f800000 r-xp 00000000 00:00 0                          [vdso]',
    'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
    '',
  ].join('\n');
  const maps = parseProcMaps(text);
  assert.equal(maps.length, 6);
  assert.deepEqual(maps[1], {
    start: 0x55d0c0a02000, end: 0x55d0c0a07000, perms: 'r-xp', executable: true, offset: 0x2000,
    devMajor: 0xfe, devMinor: 0, inode: 1234, path: '/opt/my app/bin', deleted: false,
  });
  assert.equal(maps[2]!.path, '');
  assert.deepEqual([maps[3]!.path, maps[3]!.deleted, maps[3]!.devMajor, maps[3]!.devMinor], ['/tmp/lib.so', true, 0x103, 2]);
  assert.equal(maps[4]!.path, '[vdso]');
  assert.equal(maps[5]!.start, 0xffffffffff600000);
  assert.equal(findMapping(maps, 0x55d0c0a02000), maps[1]);
  assert.equal(findMapping(maps, 0x55d0c0a01fff), maps[0]);
  assert.equal(findMapping(maps, 0x55d0c0a07000), undefined, 'end is exclusive');
  assert.equal(findMapping(maps, 0x1000), undefined);
});

test('fileOffsetToVaddr: picks the segment holding the byte, preferring matching executability', async () => {
  const path = await buildFixture('uprobe_target');
  const elf = ElfFile.open(path);
  const segs = readelfSegments(path).filter((s) => s.type === 'LOAD');
  const data = segs.find((s) => (s.flags & 2) !== 0)!;
  // The data segment's file bytes sit at a different address than their offset in a PIE.
  assert.equal(fileOffsetToVaddr(elf, data.offset + 8, false), data.vaddr + 8);
  const text = segs.find((s) => (s.flags & 1) !== 0)!;
  assert.equal(fileOffsetToVaddr(elf, text.offset + 1, true), text.vaddr + 1);
  assert.equal(fileOffsetToVaddr(elf, 50_000_000), undefined);
});

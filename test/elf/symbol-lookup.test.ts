// Name lookups that decode only the entries carrying the name (readSymbolsNamed, ElfFile.findSymbols
// before its index exists) against the full decode, for every symbol of libc and of a fixture with
// a .symtab; and ElfFile.openShared's reuse and invalidation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfFile, matchFunctions, resolveLibrary, type ElfSymbol } from '../../src/elf/index.js';
import { findVersioned, indexable, nameOffsets, readSymbols, readSymbolsNamed, SymbolIndex, versionedName } from '../../src/elf/symbols.js';
import * as C from '../../src/elf/constants.js';
import { buildFixture } from '../fixtures/build.js';

/** Every plain name and every versioned spelling (name@VER, name@@VER) the file's symbols have. */
function queries(all: readonly ElfSymbol[]): string[] {
  const q = new Set<string>();
  for (const s of all) {
    if (s.name === '') continue;
    q.add(s.name);
    if (s.version !== undefined) {
      q.add(versionedName(s));
      q.add(`${s.name}@${s.version}`);
      q.add(`${s.name}@@${s.version}`);
    }
  }
  return [...q];
}

function checkEveryName(path: string): number {
  const elf = ElfFile.open(path);
  const tables = elf.sections.filter((s) => s.type === C.SHT_SYMTAB || s.type === C.SHT_DYNSYM);
  assert.ok(tables.length > 0, `${path} has symbol tables`);
  // A second, untouched file: its name lookups run before any full decode.
  const fresh = ElfFile.open(path);
  const full = tables.map((sh) => readSymbols(elf, sh));
  for (const [t, sh] of tables.entries()) {
    const byName = new Map<string, ElfSymbol[]>();
    for (const s of full[t]!) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    for (const [name, want] of byName) {
      if (name === '') continue;
      assert.deepEqual(readSymbolsNamed(fresh, sh, name), want, `${sh.name}: ${name}`);
    }
    assert.deepEqual(readSymbolsNamed(fresh, sh, 'no_such_symbol_anywhere'), []);
  }
  // The matching rules over both tables (symtab first), versioned queries included.
  const all = full.flat();
  const index = new SymbolIndex(all);
  const named = (n: string): ElfSymbol[] => tables.flatMap((sh) => readSymbolsNamed(fresh, sh, n)).filter(indexable);
  const qs = queries(all);
  for (const q of qs) assert.deepEqual(findVersioned(q, named), index.find(q), q);
  return qs.length;
}

test("name lookups equal the full decode for every symbol of libc's .dynsym", () => {
  const n = checkEveryName(resolveLibrary('libc'));
  assert.ok(n > 2000, `libc has many names (${n})`);
});

test('name lookups equal the full decode for every symbol of a binary with .symtab', async () => {
  const path = await buildFixture('uprobe_target');
  assert.ok(ElfFile.open(path).section('.symtab'), 'the fixture keeps its .symtab');
  checkEveryName(path);
});

test('findSymbols answers from the name lookups first, then from the index, with the same objects', () => {
  const elf = ElfFile.open(resolveLibrary('libc'));
  const names = ['malloc', 'getaddrinfo', 'memcpy', 'memcpy@GLIBC_2.2.5', 'memcpy@@GLIBC_2.14', 'stdout', 'nonexistent_fn'];
  const early = names.map((n) => elf.findSymbols(n));
  // Past 16 lookups the whole index is built; the symbols found before are the ones it holds.
  for (let i = 0; i < 20; i++) elf.findSymbols(`filler_${i}`);
  const late = names.map((n) => elf.findSymbols(n));
  for (const [i, n] of names.entries()) {
    assert.equal(early[i]!.length, late[i]!.length, n);
    early[i]!.forEach((s, j) => assert.equal(s, late[i]![j], `${n}: the same object`));
  }
  assert.ok(early[0]!.length > 0 && early[2]!.length >= 2);
  assert.deepEqual(early[6], []);
});

test('nameOffsets finds a name wherever a string ends with it (shared suffixes), the table end included', () => {
  const tab = new TextEncoder().encode('\0barfoo\0foo\0foobar\0xfoo');
  assert.deepEqual(nameOffsets(tab, 'foo'), [4, 8, 20]);
  assert.deepEqual(nameOffsets(tab, 'foobar'), [12]);
  assert.deepEqual(nameOffsets(tab, 'bar'), [15]);
  assert.deepEqual(nameOffsets(tab, 'oo'), [5, 9, 21]);
  assert.deepEqual(nameOffsets(tab, 'baz'), []);
  // UTF-8 names are searched as their bytes.
  const u = new TextEncoder().encode('\0caf\u00e9\0');
  assert.deepEqual(nameOffsets(u, 'caf\u00e9'), [1]);
});

test('openShared reuses a file while it is the same, and reopens it once it changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-shared-'));
  try {
    const path = join(dir, 'target');
    copyFileSync(await buildFixture('uprobe_target'), path);
    const a = ElfFile.openShared(path);
    assert.equal(ElfFile.openShared(path), a);
    assert.ok(a.findSymbols('main').length > 0);
    // Same bytes, new mtime: a new identity, so a new ElfFile (the old one refuses to read on).
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const b = ElfFile.openShared(path);
    assert.notEqual(b, a);
    assert.equal(ElfFile.openShared(path), b);
    // Replaced by another file: another inode, another ElfFile, with that file's symbols.
    copyFileSync(resolveLibrary('libc'), join(dir, 'other'));
    rmSync(path);
    copyFileSync(join(dir, 'other'), path);
    const c = ElfFile.openShared(path);
    assert.notEqual(c, b);
    assert.ok(c.findSymbols('getaddrinfo').length > 0);
    assert.deepEqual(c.findSymbols('main').filter((s) => s.sectionIndex !== 0), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('matchFunctions with a plain name (no wildcard) finds what a scan of every symbol finds, for every function of libc', () => {
  const path = resolveLibrary('libc');
  const elf = ElfFile.open(path);
  const all = elf.symbolIndex().all;
  // The scan matchFunctions made for every glob: defined code, not a hidden old version, by name.
  const byName = new Map<string, ElfSymbol[]>();
  for (const s of all) {
    if (s.sectionIndex === 0 || s.defaultVersion === false || (s.type !== 'FUNC' && s.type !== 'IFUNC')) continue;
    byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  }
  assert.ok(byName.size > 1500);
  let fresh = ElfFile.open(path);
  let n = 0;
  for (const [name, syms] of byName) {
    if (++n % 12 === 0) fresh = ElfFile.open(path); // stay on the name-lookup path
    const got = matchFunctions(fresh, name);
    const want = [...new Set(syms.map((s) => s.value))].sort((a, b) => a - b);
    assert.deepEqual(got.map((f) => f.address), want, name);
    for (const f of got) assert.equal(f.symbol.name, name);
  }
  assert.deepEqual(matchFunctions(fresh, 'no_such_function'), []);
});

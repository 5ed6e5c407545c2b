// Symbol tables and GNU symbol versions, entry by entry against readelf -sW / --dyn-syms and nm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElfFile, resolveLibrary, versionedName, type ElfSymbol } from '../../src/elf/index.js';
import { buildFixture } from '../fixtures/build.js';
import { nmAddress, nmSymbols, readelfSymbols, type RSymbol } from './binutils.js';

function ndxText(s: ElfSymbol): string {
  if (s.sectionIndex === 0) return 'UND';
  if (s.sectionIndex === 0xfff1) return 'ABS';
  if (s.sectionIndex === 0xfff2) return 'COM';
  return String(s.sectionIndex);
}

function asReadelf(s: ElfSymbol): Omit<RSymbol, 'index'> & { index: number } {
  return {
    index: s.index,
    value: s.value,
    size: s.size,
    type: s.type,
    bind: s.bind,
    vis: s.visibility,
    ndx: ndxText(s),
    name: s.table === 'dynsym' ? versionedName(s) : s.name,
  };
}

function compareTable(got: readonly ElfSymbol[], want: RSymbol[] | undefined, what: string): void {
  assert.ok(want !== undefined && want.length > 1, `readelf printed ${what}`);
  // readelf lists the null symbol 0; we leave it out.
  assert.equal(got.length, want.length - 1, `${what}: symbol count`);
  for (let i = 0; i < got.length; i++) {
    assert.deepEqual(asReadelf(got[i]!), want[i + 1], `${what}: symbol ${i + 1}`);
  }
}

test('.symtab equals readelf -sW entry by entry (PIE and non-PIE fixtures)', async () => {
  for (const name of ['uprobe_target', 'uprobe_target-nopie']) {
    const path = await buildFixture(name);
    compareTable(ElfFile.open(path).symbols(), readelfSymbols(path).get('.symtab'), `${name} .symtab`);
  }
});

test('.dynsym equals readelf --dyn-syms, versions included (fixture imports, libc definitions)', async () => {
  for (const path of [await buildFixture('uprobe_target'), resolveLibrary('libc')]) {
    compareTable(ElfFile.open(path).dynamicSymbols(), readelfSymbols(path, true).get('.dynsym'), `${path} .dynsym`);
  }
});

test('stripped libc has no .symtab, only .dynsym', () => {
  const libc = ElfFile.open(resolveLibrary('libc'));
  if (libc.section('.symtab') !== undefined) return; // a distribution that ships it unstripped
  assert.deepEqual(libc.symbols(), []);
  assert.ok(libc.dynamicSymbols().length > 1000);
});

test('fixture functions are where nm says, with FUNC type and GLOBAL/LOCAL binding', async () => {
  for (const name of ['uprobe_target', 'uprobe_target-nopie']) {
    const path = await buildFixture(name);
    const elf = ElfFile.open(path);
    const nm = nmSymbols(path);
    for (const fn of ['sonde_target_add', 'sonde_target_loop', 'sonde_target_a', 'sonde_target_b', 'sonde_target_c', 'main']) {
      const syms = elf.findSymbols(fn);
      assert.equal(syms.length, 1, `${name}: one ${fn}`);
      assert.equal(syms[0]!.value, nmAddress(path, fn));
      assert.equal(syms[0]!.type, 'FUNC');
      assert.equal(syms[0]!.bind, 'GLOBAL');
      assert.ok(syms[0]!.size > 0);
    }
    const counter = elf.findSymbols('sonde_target_counter');
    assert.equal(counter[0]!.type, 'OBJECT');
    assert.equal(counter[0]!.value, nmAddress(path, 'sonde_target_counter'));
    const twins = elf.findSymbols('sonde_twin');
    assert.deepEqual(
      twins.map((s) => [s.value, s.bind]),
      nm.filter((s) => s.name === 'sonde_twin').map((s) => [s.value, 'LOCAL']),
    );
    assert.equal(twins.length, 2);
  }
});

test('versioned lookup: malloc, malloc@@GLIBC_2.2.5 and malloc@GLIBC_2.2.5 resolve to one definition', () => {
  const path = resolveLibrary('libc');
  const elf = ElfFile.open(path);
  const dyn = readelfSymbols(path, true).get('.dynsym')!;
  const mallocLine = dyn.find((s) => s.name === 'malloc@@GLIBC_2.2.5')!;
  assert.ok(mallocLine !== undefined, 'readelf shows malloc@@GLIBC_2.2.5');
  for (const q of ['malloc', 'malloc@@GLIBC_2.2.5', 'malloc@GLIBC_2.2.5']) {
    const syms = elf.findSymbols(q);
    assert.equal(syms.length, 1, q);
    assert.equal(syms[0]!.value, mallocLine.value, q);
    assert.equal(versionedName(syms[0]!), 'malloc@@GLIBC_2.2.5');
  }
  assert.deepEqual(elf.findSymbols('malloc@@GLIBC_9.9'), []);
  assert.deepEqual(elf.findSymbols('malloc@GLIBC_9.9'), []);
});

test('versioned lookup: a hidden old version matches name@VER but never name@@VER', () => {
  const path = resolveLibrary('libc');
  const elf = ElfFile.open(path);
  const dyn = readelfSymbols(path, true).get('.dynsym')!;
  // Any function exported under both an old hidden version and a newer default one (memcpy on x86-64).
  const hidden = dyn.find((s) => s.type === 'FUNC' && /^[a-z]\w*@GLIBC_[\d.]+$/.test(s.name) && s.ndx !== 'UND'
    && dyn.some((d) => d.name.startsWith(s.name.split('@')[0] + '@@')))!;
  assert.ok(hidden !== undefined, 'libc has a function with an old hidden version');
  const [base, ver] = hidden.name.split('@') as [string, string];
  const dflt = dyn.find((d) => d.name.startsWith(`${base}@@`))!;
  assert.deepEqual(elf.findSymbols(`${base}@${ver}`).map((s) => s.value), [hidden.value]);
  assert.deepEqual(elf.findSymbols(`${base}@@${ver}`), []);
  const all = elf.findSymbols(base);
  assert.deepEqual(all.map((s) => s.value).sort(), [hidden.value, dflt.value].sort());
  assert.deepEqual(all.map((s) => s.defaultVersion).sort(), [false, true]);
});

test('imports carry the version they need (printf@GLIBC_2.2.5) and are undefined', async () => {
  const elf = ElfFile.open(await buildFixture('uprobe_target'));
  const [printf] = elf.findSymbols('printf');
  assert.ok(printf !== undefined);
  assert.equal(printf.sectionIndex, 0);
  assert.equal(printf.version, 'GLIBC_2.2.5');
  assert.equal(versionedName(printf), 'printf@GLIBC_2.2.5');
  assert.equal(elf.findSymbols('printf@GLIBC_2.2.5')[0], printf);
  assert.deepEqual(elf.findSymbols('printf@@GLIBC_2.2.5'), [], 'a reference is not a default-version definition');
  // A copy-relocated variable is defined here but its version is still libc's: readelf prints `@`.
  const [stdout] = elf.findSymbols('stdout').filter((s) => s.table === 'dynsym');
  assert.equal(versionedName(stdout!), 'stdout@GLIBC_2.2.5');
  assert.notEqual(stdout!.sectionIndex, 0);
});

// Function → file offset for the uprobe PMU, cross-checked against nm + readelf -lW, and the
// errors a user sees when the name is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  AddressNotMappedError,
  AmbiguousSymbolError,
  addressFileOffset,
  ElfFile,
  fileOffsetAddress,
  findFunction,
  matchFunctions,
  NotAFunctionError,
  resolveLibrary,
  SymbolNotFoundError,
  symbolFileOffset,
} from '../../src/elf/index.js';
import { buildFixture } from '../fixtures/build.js';
import { nmAddress, nmSymbols, readelfSections, readelfSegments, readelfSymbols } from './binutils.js';

/** The textbook translation, from binutils' numbers only. */
function expectedOffset(path: string, vaddr: number): number {
  const seg = readelfSegments(path).find((s) => s.type === 'LOAD' && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz)!;
  assert.ok(seg !== undefined, `a LOAD segment of ${path} holds 0x${vaddr.toString(16)}`);
  return vaddr - seg.vaddr + seg.offset;
}

const FUNCS = ['sonde_target_add', 'sonde_target_loop', 'sonde_target_a', 'sonde_target_b', 'sonde_target_c', 'main'];

test('fixture functions: file offset = vaddr - p_vaddr + p_offset (PIE and non-PIE)', async () => {
  for (const name of ['uprobe_target', 'uprobe_target-nopie']) {
    const path = await buildFixture(name);
    const elf = ElfFile.open(path);
    for (const fn of FUNCS) {
      const vaddr = nmAddress(path, fn);
      assert.equal(symbolFileOffset(elf, fn), expectedOffset(path, vaddr), `${name}:${fn}`);
      const r = findFunction(elf, fn);
      assert.equal(r.address, vaddr);
      assert.equal(r.ifunc, false);
    }
  }
});

test('non-PIE addresses are absolute (0x40xxxx) but offsets match the PIE build of the same code', async () => {
  const exec = await buildFixture('uprobe_target-nopie');
  const vaddr = nmAddress(exec, 'sonde_target_add');
  const off = symbolFileOffset(ElfFile.open(exec), 'sonde_target_add');
  assert.ok(vaddr >= 0x400000, 'non-PIE links at 0x400000');
  assert.equal(off, vaddr - 0x400000, 'first LOAD maps file offset 0 at 0x400000');
});

test('the bytes at the file offset are the function\'s code, as .text holds it', async () => {
  for (const name of ['uprobe_target', 'uprobe_target-nopie']) {
    const path = await buildFixture(name);
    const file = readFileSync(path);
    const text = readelfSections(path).find((s) => s.name === '.text')!;
    const elf = ElfFile.open(path);
    for (const fn of FUNCS) {
      const r = findFunction(elf, fn);
      const viaSection = text.offset + (r.address - text.addr);
      assert.equal(r.fileOffset, viaSection, `${name}:${fn} via .text`);
      assert.deepEqual(file.subarray(r.fileOffset, r.fileOffset + 8), file.subarray(viaSection, viaSection + 8));
    }
  }
});

test('libc: getaddrinfo and malloc offsets from .dynsym + segments', () => {
  const path = resolveLibrary('libc');
  const elf = ElfFile.open(path);
  const dyn = readelfSymbols(path, true).get('.dynsym')!;
  for (const fn of ['getaddrinfo', 'malloc', 'free']) {
    const line = dyn.find((s) => s.name.startsWith(`${fn}@@`))!;
    assert.ok(line !== undefined, `readelf lists ${fn}@@`);
    assert.equal(symbolFileOffset(elf, fn), expectedOffset(path, line.value), fn);
  }
});

test('IFUNC symbols resolve but are flagged (the address is the resolver)', () => {
  const path = resolveLibrary('libc');
  const dyn = readelfSymbols(path, true).get('.dynsym')!;
  const ifunc = dyn.find((s) => s.type === 'IFUNC' && s.name.includes('@@'))!;
  assert.ok(ifunc !== undefined, 'x86-64 glibc has IFUNCs (memcpy, strlen…)');
  const r = findFunction(ElfFile.open(path), ifunc.name.split('@')[0]!);
  assert.equal(r.ifunc, true);
  assert.equal(r.address, ifunc.value);
});

test('unknown name: SymbolNotFoundError naming the file, with close names', async () => {
  const path = await buildFixture('uprobe_target');
  const elf = ElfFile.open(path);
  assert.throws(() => symbolFileOffset(elf, 'sonde_target_ad'), (e: unknown) => {
    assert.ok(e instanceof SymbolNotFoundError);
    assert.equal(e.symbol, 'sonde_target_ad');
    assert.equal(e.file, path);
    assert.equal(e.suggestions[0], 'sonde_target_add', 'the name it is a prefix of comes first');
    assert.equal(e.suggestions[1], 'sonde_target_a', 'then edit distance 1');
    assert.ok(e.suggestions.length <= 5);
    assert.equal(e.message, `no function named "sonde_target_ad" in ${path}; did you mean ${e.suggestions.join(', ')}?`);
    return true;
  });
  assert.throws(() => symbolFileOffset(elf, 'zzqqxx_nothing_like_it'), (e: unknown) => {
    assert.ok(e instanceof SymbolNotFoundError);
    assert.deepEqual(e.suggestions, []);
    assert.equal(e.message, `no function named "zzqqxx_nothing_like_it" in ${path}`);
    return true;
  });
  const libc = ElfFile.open(resolveLibrary('libc'));
  assert.throws(() => symbolFileOffset(libc, 'mallocc'), (e: unknown) => e instanceof SymbolNotFoundError && e.suggestions[0] === 'malloc');
});

test('a function only imported by the binary: says it lives in a library', async () => {
  const path = await buildFixture('uprobe_target');
  assert.throws(() => symbolFileOffset(ElfFile.open(path), 'printf'), (e: unknown) => {
    assert.ok(e instanceof SymbolNotFoundError);
    assert.equal(e.imported, true);
    assert.equal(e.message, `"printf" is not defined in ${path}, only imported from a shared library; probe the library that defines it (e.g. libc)`);
    return true;
  });
});

test('a variable is not a function', async () => {
  const path = await buildFixture('uprobe_target');
  assert.throws(() => symbolFileOffset(ElfFile.open(path), 'sonde_target_counter'), (e: unknown) => {
    assert.ok(e instanceof NotAFunctionError);
    assert.equal(e.symbolType, 'OBJECT');
    assert.equal(e.message, `"sonde_target_counter" in ${path} is not a function (its symbol type is OBJECT)`);
    return true;
  });
});

test('two static functions with one name are ambiguous; the error lists both addresses', async () => {
  const path = await buildFixture('uprobe_target');
  const want = nmSymbols(path).filter((s) => s.name === 'sonde_twin').map((s) => s.value).sort((a, b) => a - b);
  assert.equal(want.length, 2);
  assert.throws(() => symbolFileOffset(ElfFile.open(path), 'sonde_twin'), (e: unknown) => {
    assert.ok(e instanceof AmbiguousSymbolError);
    assert.deepEqual(e.candidates.map((c) => c.address).sort((a, b) => a - b), want);
    assert.ok(e.candidates.every((c) => c.bind === 'LOCAL' && c.name === 'sonde_twin'));
    assert.equal(
      e.message,
      `"sonde_twin" is ambiguous in ${path}: 2 functions share the name: ` +
        e.candidates.map((c) => `sonde_twin at 0x${c.address.toString(16)} (local)`).join(', ') +
        '; probe one by address instead',
    );
    return true;
  });
});

test('addressFileOffset / fileOffsetAddress round-trip, and refuse what is not in the file', async () => {
  for (const name of ['uprobe_target', 'uprobe_target-nopie']) {
    const path = await buildFixture(name);
    const elf = ElfFile.open(path);
    const main = nmAddress(path, 'main');
    assert.equal(addressFileOffset(elf, main + 3), expectedOffset(path, main) + 3);
    assert.equal(fileOffsetAddress(elf, addressFileOffset(elf, main + 3)), main + 3);
    // .bss occupies memory but no file bytes.
    const bss = nmAddress(path, 'sonde_target_counter');
    assert.throws(() => addressFileOffset(elf, bss), (e: unknown) => {
      assert.ok(e instanceof AddressNotMappedError);
      assert.equal(e.message, `virtual address 0x${bss.toString(16)} is not inside any loadable segment of ${path}`);
      return true;
    });
    assert.throws(() => addressFileOffset(elf, 0x7fff0000_0000), AddressNotMappedError);
    assert.throws(() => fileOffsetAddress(elf, 10_000_000), /file offset 0x989680 is not inside/);
  }
});

test('matchFunctions: globs over defined functions, one per address, in address order', async () => {
  const path = await buildFixture('uprobe_target');
  const elf = ElfFile.open(path);
  const nm = nmSymbols(path).filter((s) => /^[Tt]$/.test(s.kind) && s.name.startsWith('sonde_target_')).sort((a, b) => a.value - b.value);
  const got = matchFunctions(elf, 'sonde_target_*');
  assert.deepEqual(got.map((f) => [f.symbol.name, f.address]), nm.map((s) => [s.name, s.value]));
  assert.deepEqual(got.map((f) => f.fileOffset), nm.map((s) => expectedOffset(path, s.value)));
  assert.deepEqual(matchFunctions(elf, 'sonde_target_?').map((f) => f.symbol.name).sort(), ['sonde_target_a', 'sonde_target_b', 'sonde_target_c']);
  assert.equal(matchFunctions(elf, 'sonde_twin').length, 2, 'both statics, where a single-name lookup is ambiguous');
  assert.deepEqual(matchFunctions(elf, 'sonde_target_counter'), [], 'variables are not functions');
  assert.deepEqual(matchFunctions(elf, 'sonde.target.add'), [], 'dots are literal');
  const libc = ElfFile.open(resolveLibrary('libc'));
  assert.deepEqual(matchFunctions(libc, 'mallo?').map((f) => f.symbol.name), ['malloc']);
});

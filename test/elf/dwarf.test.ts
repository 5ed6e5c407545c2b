// The DWARF reader against gcc's output for test/fixtures/src/dwarf_target.c, built as DWARF 4,
// DWARF 5, DWARF 5 in zlib-compressed sections and both with type units (-fdebug-types-section): parameters as bpftrace's -lv lists them, and
// struct layouts checked against the offsets the program itself prints (offsetof/sizeof).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DwarfError, DwarfInfo, ElfFile, type DwarfType } from '../../src/elf/index.js';
import { altFile } from '../../src/runtime/debug-info.js';
import { buildFixture, buildFixtureVariant } from '../fixtures/build.js';
import { readelfSections, tool } from './binutils.js';

const VARIANTS = [
  { variant: 'dwarf4', flags: ['-gdwarf-4'], version: 4 },
  { variant: 'dwarf5', flags: ['-gdwarf-5'], version: 5 },
  { variant: 'gz', flags: ['-gdwarf-5', '-gz'], version: 5 },
  // Types in type units, referred to by signature: DWARF 4's .debug_types, DWARF 5's DW_UT_type.
  { variant: 'types4', flags: ['-gdwarf-4', '-fdebug-types-section'], version: 4 },
  { variant: 'types5', flags: ['-gdwarf-5', '-fdebug-types-section'], version: 5 },
] as const;

const PARAMS: Record<string, string[]> = {
  take_scalars: ['int count', 'char tag', 'long long unsigned int big', 'short int small'],
  take_pointers: ['int* value', 'const char* text', 'struct record* rec'],
  take_many: ['long int a1', 'long int a2', 'double ratio', 'long int a3', 'long int a4', 'long int a5', 'long int a6', 'long int a7'],
  take_struct: ['struct point p', 'counter_t n'],
  main: ['int argc', 'char** argv'],
};

function struct(d: DwarfInfo, name: string): DwarfType & { kind: 'struct' | 'union' } {
  const ref = d.findType(name);
  assert.ok(ref !== undefined, `${name} not found`);
  const t = d.type(ref);
  assert.ok(t.kind === 'struct' || t.kind === 'union', `${name} is a ${t.kind}`);
  return t;
}

for (const v of VARIANTS) {
  describe(`DWARF reader: gcc ${v.flags.join(' ')}`, () => {
    let bin = '';
    let dwarf: DwarfInfo;
    before(async () => {
      bin = await buildFixtureVariant('dwarf_target', v.variant, v.flags);
      const d = DwarfInfo.fromElf(ElfFile.open(bin));
      assert.ok(d, 'the binary has debug info');
      dwarf = d;
    });

    it('is the DWARF version asked for (and compressed for -gz)', () => {
      const versions = new Set([...tool('readelf', ['--debug-dump=info', bin]).matchAll(/^\s+Version:\s+(\d+)/gm)].map((m) => Number(m[1])));
      assert.deepEqual([...versions], [v.version]);
      const info = readelfSections(bin).find((s) => s.name === '.debug_info')!;
      assert.equal(info.flags.includes('C'), v.variant === 'gz');
    });

    it('lists each function’s parameters with their C types, in order', () => {
      for (const [fn, want] of Object.entries(PARAMS)) {
        const got = dwarf.functionParams(fn)!.map((p) => `${dwarf.typeName(p.type)} ${p.name}`);
        assert.deepEqual(got, want, fn);
      }
      assert.equal(dwarf.functionParams('no_such_function'), undefined);
      // An alias: no DIE of its name, found by the symbol's address.
      assert.equal(dwarf.functionParams('scaled'), undefined);
      const sym = ElfFile.open(bin).findSymbols('scaled')[0]!;
      assert.deepEqual(dwarf.functionParams('scaled', sym.value)!.map((p) => `${dwarf.typeName(p.type)} ${p.name}`), ['int amount', 'int factor']);
      assert.ok(dwarf.functionNames().includes('take_many'));
    });

    it('lays out struct record as the compiler did (offsetof/sizeof printed by the program)', () => {
      const printed = execFileSync(bin, ['--layout'], { encoding: 'utf8' });
      const rec = struct(dwarf, 'struct record');
      const line = `record ${rec.size} ${rec.members.map((m) => `${m.name} ${m.bitOffset / 8}`).join(' ')}`;
      assert.equal(line, printed.split('\n')[0]);
      assert.deepEqual(rec.members.map((m) => [m.name, dwarf.typeName(m.type), dwarf.sizeof(m.type)]), [
        ['id', 'int', 4], ['label', 'char[12]', 12], ['samples', 'int[4]', 16], ['at', 'struct point', 4],
        ['fl', 'struct flags', 8], ['w', 'union word', 4], ['grid', 'int[2][3]', 24], ['note', 'const char*', 8],
        ['next', 'struct record*', 8], ['mode', 'enum mode', 4], ['hits', 'counter_t', 8],
      ]);
      const grid = dwarf.type(rec.members.find((m) => m.name === 'grid')!.type);
      assert.equal(grid.kind === 'array' && grid.counts.join(','), '2,3');
    });

    it('reads bitfields: bit offsets and widths', () => {
      const fl = struct(dwarf, 'struct flags');
      assert.equal(fl.size, 8);
      assert.deepEqual(fl.members.map((m) => [m.name, m.bitOffset, m.bitSize]), [
        ['ready', 0, 1], ['level', 1, 5], ['big', 6, 40], ['after', 48, undefined],
      ]);
      const level = dwarf.type(dwarf.resolve(fl.members[1]!.type));
      assert.equal(level.kind === 'base' && level.name, 'int');
    });

    it('reads unions, enums and typedefs', () => {
      const w = struct(dwarf, 'union word');
      assert.equal(w.kind, 'union');
      assert.deepEqual(w.members.map((m) => [m.name, m.bitOffset, dwarf.typeName(m.type)]), [['i', 0, 'int'], ['bytes', 0, 'unsigned char[4]']]);
      const mode = dwarf.type(dwarf.findType('enum mode')!);
      assert.deepEqual(mode, { kind: 'enum', name: 'mode', size: 4, signed: false });
      const counter = dwarf.findType('counter_t')!;
      assert.equal(dwarf.typeName(dwarf.resolve(counter)), 'long unsigned int');
    });
  });
}

describe('DWARF reader: malformed input', () => {
  const abbrev = new Uint8Array([1, 0x11, 0, 0, 0, 0]);
  it('refuses 64-bit DWARF with a clear error', () => {
    const info = new Uint8Array([0xff, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0, 0, 0, 0, 5, 0]);
    assert.throws(() => new DwarfInfo({ info, abbrev }, 'x.elf'), (e: unknown) => e instanceof DwarfError && /x\.elf: 64-bit DWARF is not supported/.test(e.message));
  });
  it('refuses a truncated unit and unknown versions', () => {
    assert.throws(() => new DwarfInfo({ info: new Uint8Array([40, 0, 0, 0, 4, 0]), abbrev }, 'y'), DwarfError);
    assert.throws(() => new DwarfInfo({ info: new Uint8Array([7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 8]), abbrev }, 'z'), /DWARF version 9 is not supported/);
  });
  it('a file without .debug_info (stripped /bin/true) has no DWARF', () => {
    assert.equal(DwarfInfo.fromElf(ElfFile.open('/bin/true')), undefined);
  });
});

describe('DWARF reader: dwz companion files (.gnu_debugaltlink)', () => {
  let dir = '';
  let a = '';
  let common = '';
  before(async () => {
    const bin = await buildFixture('dwarf_target');
    dir = mkdtempSync(join(tmpdir(), 'sonde-dwz-'));
    a = join(dir, 'a');
    common = join(dir, 'common.debug');
    copyFileSync(bin, a);
    copyFileSync(bin, join(dir, 'b'));
    // Two files sharing their types: dwz moves them (and names) into the companion file.
    tool('dwz', ['-m', common, '-M', common, a, join(dir, 'b')]);
  });

  it('names, parameters and struct layouts come through the companion file', () => {
    assert.deepEqual(DwarfInfo.altLink(ElfFile.open(a))?.path, common);
    const alt = altFile(ElfFile.open(a), a);
    assert.equal(alt?.path, common);
    const dwarf = DwarfInfo.fromElf(ElfFile.open(a), alt)!;
    for (const [fn, want] of Object.entries(PARAMS)) {
      assert.deepEqual(dwarf.functionParams(fn)!.map((p) => `${dwarf.typeName(p.type)} ${p.name}`), want, fn);
    }
    const rec = struct(dwarf, 'struct record');
    assert.equal(rec.size, 112);
    assert.deepEqual(rec.members.map((m) => `${m.name}@${m.bitOffset / 8}`).join(' '),
      'id@0 label@4 samples@16 at@32 fl@40 w@48 grid@52 note@80 next@88 mode@96 hits@104');
    assert.deepEqual(struct(dwarf, 'struct flags').members.map((m) => [m.name, m.bitOffset, m.bitSize]), [
      ['ready', 0, 1], ['level', 1, 5], ['big', 6, 40], ['after', 48, undefined],
    ]);
  });

  it('without the companion file, its types are unknown, never void', () => {
    const dwarf = DwarfInfo.fromElf(ElfFile.open(a))!;
    const params = dwarf.functionParams('take_pointers');
    assert.ok(params === undefined || params.every((p) => dwarf.type(p.type).kind !== 'void'));
    rmSync(dir, { recursive: true, force: true });
  });
});

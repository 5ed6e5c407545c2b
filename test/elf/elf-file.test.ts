// ElfFile against binutils: headers, sections, segments, notes, debug link, and refusal of what
// it cannot read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BufferSource, ElfFile, ElfFileChangedError, ElfFormatError, resolveLibrary, SectionNotFoundError } from '../../src/elf/index.js';
import { buildFixture, sdtHeader } from '../fixtures/build.js';
import { readelfBuildId, readelfFileType, readelfSections, readelfSegments, tool } from './binutils.js';

const SHT_NAMES: Record<string, number> = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, DYNSYM: 11,
  INIT_ARRAY: 14, FINI_ARRAY: 15, GNU_HASH: 0x6ffffff6, VERDEF: 0x6ffffffd, VERNEED: 0x6ffffffe, VERSYM: 0x6fffffff,
};
const PT_NAMES: Record<string, number> = {
  LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, PHDR: 6, TLS: 7,
  GNU_EH_FRAME: 0x6474e550, GNU_STACK: 0x6474e551, GNU_RELRO: 0x6474e552, GNU_PROPERTY: 0x6474e553,
};

async function files(): Promise<string[]> {
  return [await buildFixture('uprobe_target'), await buildFixture('uprobe_target-nopie'), resolveLibrary('libc')];
}

test('ELF type and PIE-ness: PIE fixture, -no-pie fixture, libc', async () => {
  const pie = ElfFile.open(await buildFixture('uprobe_target'));
  const exec = ElfFile.open(await buildFixture('uprobe_target-nopie'));
  const libc = ElfFile.open(resolveLibrary('libc'));
  assert.equal(readelfFileType(pie.path), 'DYN');
  assert.equal(pie.type, 'DYN');
  assert.equal(pie.isPie(), true);
  assert.equal(readelfFileType(exec.path), 'EXEC');
  assert.equal(exec.type, 'EXEC');
  assert.equal(exec.isPie(), false);
  assert.equal(libc.type, 'DYN');
  assert.equal(libc.isPie(), false, 'a shared library is not a PIE even though glibc gives it an interpreter');
  assert.equal(pie.header.machine, 62);
});

test('section headers equal readelf -SW (name, type, address, offset, size, link, info, align)', async () => {
  for (const path of await files()) {
    const elf = ElfFile.open(path);
    const want = readelfSections(path);
    assert.ok(want.length > 20, `readelf listed the sections of ${path}`);
    assert.equal(elf.sections.length, want.length, path);
    for (const w of want) {
      const s = elf.sections[w.index]!;
      assert.deepEqual(
        { name: s.name, addr: s.addr, offset: s.offset, size: s.size, link: s.link, info: s.info, align: s.addralign },
        { name: w.name, addr: w.addr, offset: w.offset, size: w.size, link: w.link, info: w.info, align: w.align },
        `${path} section ${w.index}`,
      );
      if (SHT_NAMES[w.type] !== undefined) assert.equal(s.type, SHT_NAMES[w.type], `${path} ${w.name} type`);
      if (w.name !== '' && want.filter((x) => x.name === w.name).length === 1) assert.equal(elf.section(w.name)!.index, w.index);
    }
    assert.equal(elf.section('.text')!.name, '.text');
    assert.equal(elf.section('.no_such_section'), undefined);
  }
});

test('program headers equal readelf -lW', async () => {
  for (const path of await files()) {
    const elf = ElfFile.open(path);
    const want = readelfSegments(path);
    assert.equal(elf.programHeaders.length, want.length, path);
    want.forEach((w, i) => {
      const p = elf.programHeaders[i]!;
      assert.deepEqual(
        { type: p.type, offset: p.offset, vaddr: p.vaddr, paddr: p.paddr, filesz: p.filesz, memsz: p.memsz, flags: p.flags, align: p.align },
        { type: PT_NAMES[w.type] ?? p.type, offset: w.offset, vaddr: w.vaddr, paddr: w.paddr, filesz: w.filesz, memsz: w.memsz, flags: w.flags, align: w.align },
        `${path} phdr ${i} (${w.type})`,
      );
    });
    assert.deepEqual(elf.loadSegments.map((p) => p.vaddr), want.filter((w) => w.type === 'LOAD').map((w) => w.vaddr));
  }
});

test('non-PIE loads at 0x400000, PIE at 0', async () => {
  const exec = ElfFile.open(await buildFixture('uprobe_target-nopie'));
  const pie = ElfFile.open(await buildFixture('uprobe_target'));
  assert.equal(exec.loadSegments[0]!.vaddr, 0x400000);
  assert.equal(pie.loadSegments[0]!.vaddr, 0);
});

test('build ID equals what readelf -n prints (fixtures and libc)', async () => {
  for (const path of await files()) {
    const want = readelfBuildId(path);
    assert.match(want ?? '', /^[0-9a-f]{40}$/, `${path} has a build ID`);
    assert.equal(ElfFile.open(path).buildId(), want, path);
  }
});

test('section contents are the bytes at sh_offset', async () => {
  const path = await buildFixture('uprobe_target');
  const elf = ElfFile.open(path);
  const file = readFileSync(path);
  const interp = elf.section('.interp')!;
  assert.deepEqual(Buffer.from(elf.sectionData(interp)), file.subarray(interp.offset, interp.offset + interp.size));
  assert.equal(Buffer.from(elf.sectionData('.interp')).toString('latin1'), '/lib64/ld-linux-x86-64.so.2\0');
  assert.equal(elf.sectionData('.bss').length, 0, 'NOBITS has no file bytes');
  assert.throws(() => elf.sectionData('.nope'), (e: unknown) => e instanceof SectionNotFoundError && e.message === `${path} has no section named .nope`);
});

test('notes: every note readelf -n shows, with owner and descriptor size, in order', async () => {
  for (const path of [...(await files()), ...(sdtHeader() !== undefined ? [await buildFixture('usdt_target')] : [])]) {
    const want: { section: string; owner: string; size: number }[] = [];
    let section = '';
    for (const line of tool('readelf', ['-nW', path]).split('\n')) {
      const sec = /^Displaying notes found in: (\S+)/.exec(line);
      if (sec !== null) section = sec[1]!;
      const n = /^\s+(\S+)\s+0x([0-9a-f]{8})\s/.exec(line);
      if (n !== null) want.push({ section, owner: n[1]!, size: parseInt(n[2]!, 16) });
    }
    assert.ok(want.length >= 2, `readelf found notes in ${path}`);
    const got = ElfFile.open(path).notes().map((n) => ({ section: n.section, owner: n.name, size: n.desc.length }));
    assert.deepEqual(got, want, path);
  }
  const elf = ElfFile.open(await buildFixture('uprobe_target'));
  const abi = elf.notes('.note.ABI-tag')[0]!;
  assert.equal(abi.type, 1);
  // NT_GNU_ABI_TAG: OS 0 (Linux), then the minimum kernel version readelf prints as "ABI: 3.2.0".
  const abiLine = /OS: Linux, ABI: (\d+)\.(\d+)\.(\d+)/.exec(tool('readelf', ['-n', elf.path]))!;
  const words = [0, 1, 2, 3].map((i) => Buffer.from(abi.desc).readUInt32LE(i * 4));
  assert.deepEqual(words, [0, Number(abiLine[1]), Number(abiLine[2]), Number(abiLine[3])]);
  // 8-byte aligned notes: the descriptor starts at 16, so its first word is the property type.
  const prop = elf.notes('.note.gnu.property')[0]!;
  assert.equal(prop.type, 5);
  const d = Buffer.from(prop.desc);
  assert.equal(d.readUInt32LE(0) >>> 30, 3, 'an x86 property type (0xc000_0000 range), not the owner name');
  assert.ok(8 + d.readUInt32LE(4) <= d.length, 'first property fits in the descriptor');
});

test('.gnu_debuglink: file name and the CRC-32 of the debug file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-elf-'));
  try {
    const bin = join(dir, 'target');
    copyFileSync(await buildFixture('uprobe_target'), bin);
    tool('objcopy', ['--only-keep-debug', bin, join(dir, 'target.debug')]);
    tool('objcopy', ['--strip-debug', `--add-gnu-debuglink=${join(dir, 'target.debug')}`, bin]);
    const link = ElfFile.open(bin).debugLink();
    assert.deepEqual(link, { file: 'target.debug', crc: crc32(readFileSync(join(dir, 'target.debug'))) });
    assert.equal(ElfFile.open(join(dir, 'target.debug')).debugLink(), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses what it cannot read, saying why', async () => {
  const bytes = new Uint8Array(readFileSync(await buildFixture('uprobe_target')));
  assert.throws(() => ElfFile.fromBytes(new TextEncoder().encode('#!/bin/sh\necho not elf\n'.repeat(4)), 'script'), (e: unknown) => {
    assert.ok(e instanceof ElfFormatError);
    assert.equal(e.message, 'script: not a readable ELF64 little-endian file: bad magic (not an ELF file)');
    return true;
  });
  const c32 = bytes.slice();
  c32[4] = 1;
  assert.throws(() => ElfFile.fromBytes(c32, 'x'), /ELF class 1 \(only 64-bit is supported\)/);
  const be = bytes.slice();
  be[5] = 2;
  assert.throws(() => ElfFile.fromBytes(be, 'x'), /big-endian/);
  assert.throws(() => ElfFile.fromBytes(bytes.slice(0, 40), 'x'), /only 40 bytes long/);
  // Headers fine, section table cut off.
  assert.throws(() => ElfFile.fromBytes(bytes.slice(0, 4096), 'cut'), (e: unknown) => e instanceof ElfFormatError && /truncated/.test(e.message));
  assert.throws(() => ElfFile.open('/nonexistent/sonde'), /ENOENT/);
});

test('a file rebuilt after opening is reported, not mixed with the old one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonde-elf-'));
  try {
    const bin = join(dir, 'target');
    copyFileSync(await buildFixture('uprobe_target'), bin);
    const elf = ElfFile.open(bin);
    const other = readFileSync(await buildFixture('uprobe_target-nopie'));
    writeFileSync(bin, other);
    utimesSync(bin, new Date(), new Date(Date.now() + 5000));
    assert.throws(() => elf.symbols(), (e: unknown) => e instanceof ElfFileChangedError && e.file === bin);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('opening reads headers only: section contents are fetched on first use, once', async () => {
  const bytes = new Uint8Array(readFileSync(await buildFixture('uprobe_target')));
  const reads: [number, number][] = [];
  const inner = new BufferSource(bytes, 'counted');
  const counted = { name: inner.name, size: inner.size, read: (o: number, n: number) => (reads.push([o, n]), inner.read(o, n)) };
  const elf = ElfFile.fromSource(counted);
  const total = (): number => reads.reduce((a, [, n]) => a + n, 0);
  const shstr = elf.sections[elf.header.shstrndx]!;
  // ELF header, section header table (first entry, then all), .shstrtab, program headers.
  assert.equal(total(), 64 + 64 + elf.sections.length * 64 + shstr.size + elf.programHeaders.length * 56);
  const symtab = elf.section('.symtab')!;
  const strtab = elf.sections[symtab.link]!;
  const before = reads.length;
  elf.symbols();
  elf.symbols();
  assert.deepEqual(reads.slice(before).map(([o]) => o).sort((a, b) => a - b), [symtab.offset, strtab.offset].sort((a, b) => a - b));
  // The name index also needs .dynsym, but reuses the cached .symtab bytes.
  elf.findSymbols('main');
  assert.ok(!reads.slice(before + 2).some(([o]) => o === symtab.offset || o === strtab.offset));
});

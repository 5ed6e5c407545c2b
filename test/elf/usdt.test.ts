// USDT (SystemTap SDT) notes: records equal readelf -n, offsets equal the section/segment
// arithmetic, the .stapsdt.base adjustment, and argument decoding.
//
// The fixture needs <sys/sdt.h> (Debian/Ubuntu: apt-get install systemtap-sdt-dev). Without it
// the fixture tests are skipped locally but fail under CI (CI must install the package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ElfFile, parseUsdtArgument, parseUsdtArguments } from '../../src/elf/index.js';
import { buildFixture, needSdt } from '../fixtures/build.js';
import { nmAddress, readelfSections, readelfSegments, readelfStapsdt } from './binutils.js';

test('USDT notes equal readelf -n: provider, name, location, base, semaphore, arguments', async (t) => {
  if (!needSdt(t)) return;
  for (const name of ['usdt_target', 'usdt_target-nopie']) {
    const path = await buildFixture(name);
    const probes = ElfFile.open(path).usdtProbes();
    const want = readelfStapsdt(path);
    assert.equal(want.length, 2, 'readelf sees both probes');
    assert.deepEqual(
      probes.map((p) => ({ provider: p.provider, name: p.name, location: p.notePc, base: p.noteBase, semaphore: p.semaphore, args: p.args })),
      want,
      name,
    );
  }
});

test('USDT: exact argument strings, semaphore and offsets (PIE and non-PIE)', async (t) => {
  if (!needSdt(t)) return;
  for (const name of ['usdt_target', 'usdt_target-nopie']) {
    const path = await buildFixture(name);
    const elf = ElfFile.open(path);
    const [tick, consts] = ['tick', 'consts'].map((n) => elf.usdtProbes().find((p) => p.provider === 'sonde' && p.name === n)!);
    assert.ok(tick !== undefined && consts !== undefined);

    // Constant operands are immediates; sizes are signed for int and long, unsigned for unsigned char.
    assert.equal(consts.args, '-4@$42 -8@$-7 1@$100');
    assert.deepEqual(consts.arguments, [
      { kind: 'const', size: 4, signed: true, value: 42n, text: '-4@$42' },
      { kind: 'const', size: 8, signed: true, value: -7n, text: '-8@$-7' },
      { kind: 'const', size: 1, signed: false, value: 100n, text: '1@$100' },
    ]);
    assert.equal(consts.semaphore, 0);
    assert.equal(consts.semaphoreFileOffset, undefined);

    // tick: (int i, long n); which registers the compiler picked is its business, but each
    // argument is a 4-byte then an 8-byte signed value in a register or stack slot.
    assert.deepEqual(tick.arguments.map((a) => [a.size, a.signed, a.kind === 'reg' || a.kind === 'mem']), [[4, true, true], [8, true, true]]);

    const sections = readelfSections(path);
    const base = sections.find((s) => s.name === '.stapsdt.base')!;
    const probesSec = sections.find((s) => s.name === '.probes')!;
    const text = sections.find((s) => s.name === '.text')!;
    assert.equal(tick.semaphore, nmAddress(path, 'sonde_tick_semaphore'));
    assert.equal(tick.semaphore, probesSec.addr, 'the only semaphore is at the start of .probes');
    assert.equal(tick.semaphoreFileOffset, probesSec.offset, 'ref_ctr_offset is a file offset');
    for (const p of [tick, consts]) {
      assert.equal(p.baseSectionAddr, base.addr);
      assert.equal(p.noteBase, base.addr, 'not prelinked: no adjustment');
      assert.equal(p.pc, p.notePc);
      assert.ok(p.pc >= text.addr && p.pc < text.addr + text.size, 'probe sites are in .text');
      assert.equal(p.pcFileOffset, p.pc - text.addr + text.offset);
    }
    if (name.endsWith('-nopie')) {
      assert.ok(tick.pc >= 0x400000);
      assert.notEqual(tick.pcFileOffset, tick.pc);
    }
    // The probe site is a NOP (that is what a USDT probe compiles to).
    assert.equal(readFileSync(path)[tick.pcFileOffset!], 0x90);
  }
});

test('USDT: pc follows .stapsdt.base when the section moved (prelink), as libbpf does', async (t) => {
  if (!needSdt(t)) return;
  const path = await buildFixture('usdt_target');
  const bytes = new Uint8Array(readFileSync(path));
  const orig = ElfFile.fromBytes(bytes, 'orig');
  const notes = orig.section('.note.stapsdt')!;
  // First note: 12-byte header, "stapsdt\0" (8 bytes), then pc, base, semaphore.
  const baseField = notes.offset + 12 + 8 + 8;
  const patched = bytes.slice();
  const dv = new DataView(patched.buffer);
  const noteBase = Number(dv.getBigUint64(baseField, true));
  dv.setBigUint64(baseField, BigInt(noteBase - 0x20), true);
  const moved = ElfFile.fromBytes(patched, 'moved');
  const [a, b] = [orig.usdtProbes()[0]!, moved.usdtProbes()[0]!];
  assert.equal(b.noteBase, noteBase - 0x20);
  assert.equal(b.notePc, a.notePc);
  assert.equal(b.pc, a.pc + 0x20);
  assert.equal(b.pcFileOffset, a.pcFileOffset! + 0x20);
  assert.equal(b.semaphore, a.semaphore, 'semaphore is not adjusted (libbpf does not either)');
});

test('USDT: files without notes have no probes', async () => {
  assert.deepEqual(ElfFile.open(await buildFixture('uprobe_target')).usdtProbes(), []);
});

test('USDT argument decoding (x86-64 AT&T operands)', () => {
  assert.deepEqual(parseUsdtArgument('-4@%esi'), { kind: 'reg', size: 4, signed: true, register: 'rsi', text: '-4@%esi' });
  assert.deepEqual(parseUsdtArgument('8@%r12'), { kind: 'reg', size: 8, signed: false, register: 'r12', text: '8@%r12' });
  assert.deepEqual(parseUsdtArgument('1@%r9b'), { kind: 'reg', size: 1, signed: false, register: 'r9', text: '1@%r9b' });
  assert.deepEqual(parseUsdtArgument('-2@%ax'), { kind: 'reg', size: 2, signed: true, register: 'rax', text: '-2@%ax' });
  assert.deepEqual(parseUsdtArgument('-4@-20(%rbp)'), { kind: 'mem', size: 4, signed: true, register: 'rbp', offset: -20, text: '-4@-20(%rbp)' });
  assert.deepEqual(parseUsdtArgument('8@(%rsp)'), { kind: 'mem', size: 8, signed: false, register: 'rsp', offset: 0, text: '8@(%rsp)' });
  assert.deepEqual(parseUsdtArgument('8@0x18(%rax)'), { kind: 'mem', size: 8, signed: false, register: 'rax', offset: 24, text: '8@0x18(%rax)' });
  assert.deepEqual(parseUsdtArgument('-8@8(%rax,%rdx,8)'), {
    kind: 'mem', size: 8, signed: true, register: 'rax', offset: 8, index: 'rdx', scale: 8, text: '-8@8(%rax,%rdx,8)',
  });
  assert.deepEqual(parseUsdtArgument('4@counter+4(%rip)'), {
    kind: 'mem', size: 4, signed: false, register: 'rip', offset: 4, symbol: 'counter', text: '4@counter+4(%rip)',
  });
  assert.deepEqual(parseUsdtArgument('4@$0x10'), { kind: 'const', size: 4, signed: false, value: 16n, text: '4@$0x10' });
  assert.deepEqual(parseUsdtArgument('-8@$-9223372036854775808'), {
    kind: 'const', size: 8, signed: true, value: -9223372036854775808n, text: '-8@$-9223372036854775808',
  });
  assert.deepEqual(parseUsdtArgument('-4@[sp, 96]'), { kind: 'unknown', size: 4, signed: true, text: '-4@[sp, 96]' });
  assert.deepEqual(parseUsdtArgument('4@%xmm0'), { kind: 'unknown', size: 4, signed: false, text: '4@%xmm0' });
  assert.deepEqual(parseUsdtArguments('  -4@%edx   -8@%rcx '), [
    { kind: 'reg', size: 4, signed: true, register: 'rdx', text: '-4@%edx' },
    { kind: 'reg', size: 8, signed: true, register: 'rcx', text: '-8@%rcx' },
  ]);
  assert.deepEqual(parseUsdtArguments(''), []);
});

test('USDT: readelf sees the same segments we translate through', async (t) => {
  if (!needSdt(t)) return;
  const path = await buildFixture('usdt_target-nopie');
  const elf = ElfFile.open(path);
  const tick = elf.usdtProbes().find((p) => p.name === 'tick')!;
  const seg = readelfSegments(path).find((s) => s.type === 'LOAD' && tick.semaphore >= s.vaddr && tick.semaphore < s.vaddr + s.filesz)!;
  assert.equal((seg.flags & 2) !== 0, true, 'the semaphore lives in a writable segment');
  assert.equal(tick.semaphoreFileOffset, tick.semaphore - seg.vaddr + seg.offset);
});

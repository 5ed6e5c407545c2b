// Separate debug files: build-id paths, .gnu_debuglink (CRC-checked), and a stripped binary
// whose static functions are named only by its debug file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfCache, ElfFile, parseProcMaps } from '../../src/elf/index.js';
import { buildIdDebugPath, crc32, debugLinkCandidates, findDebugFile, UserSymbols, userSymbolText } from '../../src/symbols/index.js';
import { buildFixture } from '../fixtures/build.js';

test('crc32 is zlib\'s; build-id and debuglink paths are gdb\'s', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(buildIdDebugPath('ab12cd34'), '/usr/lib/debug/.build-id/ab/12cd34.debug');
  assert.deepEqual(debugLinkCandidates('/usr/bin/prog', 'prog.debug'), [
    '/usr/bin/prog.debug', '/usr/bin/.debug/prog.debug', '/usr/lib/debug/usr/bin/prog.debug',
  ]);
});

function tools(): boolean {
  try {
    execFileSync('objcopy', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a stripped binary: its local functions come from the debug file (by build-id, then by debuglink)', { skip: tools() ? false : 'needs objcopy' }, async () => {
  const src = await buildFixture('uprobe_target');
  const dir = mkdtempSync(join(tmpdir(), 'sonde-debug-'));
  try {
    const bin = join(dir, 'bin', 'target');
    mkdirSync(join(dir, 'bin'));
    copyFileSync(src, bin);
    const dbg = join(dir, 'target.debug');
    execFileSync('objcopy', ['--only-keep-debug', bin, dbg]);
    execFileSync('objcopy', ['--strip-all', bin]);
    const stripped = ElfFile.open(bin);
    assert.equal(stripped.section('.symtab'), undefined);
    const full = ElfFile.open(src);
    const c = Number(full.symbols().find((s) => s.name === 'sonde_target_c')!.value);
    const buildId = full.buildId()!;

    // A process mapping the stripped file (offsets equal vaddrs in the first segments of a PIE).
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, '77'), { recursive: true });
    const ino = Number(execFileSync('stat', ['-c', '%i', bin]).toString());
    const base = 0x555555554000;
    const text = full.loadSegments.find((p) => (p.flags & 1) !== 0)!;
    const line = (start: number, end: number, off: number, perms: string) =>
      `${start.toString(16)}-${end.toString(16)} ${perms} ${off.toString(16).padStart(8, '0')} 08:01 ${ino} ${bin}\n`;
    writeFileSync(join(proc, '77', 'maps'), line(base + text.offset - (text.offset % 4096), base + text.offset + text.filesz + 4096, text.offset - (text.offset % 4096), 'r-xp'));
    assert.equal(parseProcMaps(line(1, 2, 0, 'r-xp')).length, 1);
    const addr = BigInt(base + (c - text.vaddr + text.offset) + 2);

    // No debug file installed: the stripped file keeps only .dynsym, which lacks sonde_target_c.
    const none = new UserSymbols({ procRoot: proc, debugRoot: join(dir, 'nodebug'), cache: new ElfCache() });
    assert.equal(userSymbolText(none, addr, 77, true, false), `0x${addr.toString(16)}`);

    // By build-id under the debug root.
    const root = join(dir, 'debugroot');
    const byId = buildIdDebugPath(buildId, root)!;
    mkdirSync(join(byId, '..'), { recursive: true });
    copyFileSync(dbg, byId);
    assert.equal(findDebugFile(stripped, bin, root), byId);
    const u = new UserSymbols({ procRoot: proc, debugRoot: root, cache: new ElfCache() });
    assert.equal(userSymbolText(u, addr, 77, true, true), `sonde_target_c+2 (${bin})`);
    rmSync(byId);

    // By .gnu_debuglink beside the file, only with a matching CRC.
    execFileSync('objcopy', [`--add-gnu-debuglink=${dbg}`, bin]);
    const linked = ElfFile.open(bin);
    assert.equal(linked.debugLink()?.file, 'target.debug');
    copyFileSync(dbg, join(dir, 'bin', 'target.debug'));
    assert.equal(findDebugFile(linked, bin, root), join(dir, 'bin', 'target.debug'));
    writeFileSync(join(dir, 'bin', 'target.debug'), 'not the debug file');
    assert.equal(findDebugFile(linked, bin, root), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

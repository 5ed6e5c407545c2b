// Kernel addresses as bpftrace prints them: ksym() names, stack frames with +offset (+0 too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Kallsyms } from '../../src/kernel/kallsyms.js';
import { kallsyms } from '../../src/kernel/kallsyms.js';
import { kernelSymbolText } from '../../src/symbols/index.js';
import { needsRoot } from '../support/root.js';

const TEXT = [
  'ffffffff81000000 T _stext',
  'ffffffff81001000 t do_one_initcall',
  'ffffffff81001200 D some_data',
  'ffffffff81002000 T vfs_read',
  'ffffffffc0a01000 t ext4_fill_super\t[ext4]',
  '',
].join('\n');

test('ksym text from a fixed kallsyms: name, name+offset (+0 included), 0x… below the first symbol', () => {
  const k = Kallsyms.parse(TEXT);
  assert.equal(kernelSymbolText(0xffffffff81002000n, false, k), 'vfs_read');
  assert.equal(kernelSymbolText(0xffffffff81002000n, true, k), 'vfs_read+0');
  assert.equal(kernelSymbolText(0xffffffff81002044n, true, k), 'vfs_read+68');
  // Data symbols are not frames: an address past do_one_initcall's data neighbour is still in it.
  assert.equal(kernelSymbolText(0xffffffff81001204n, true, k), 'do_one_initcall+516');
  // Module functions print without their module, as bcc does.
  assert.equal(kernelSymbolText(0xffffffffc0a01010n, true, k), 'ext4_fill_super+16');
  assert.equal(kernelSymbolText(0xffffffff80000000n, true, k), '0xffffffff80000000');
});

test('ksym of known addresses of the running kernel (kallsyms, parsed once)', needsRoot, () => {
  const line = readFileSync('/proc/kallsyms', 'utf8').split('\n').find((l) => / [tT] vfs_read$/.test(l));
  assert.ok(line, 'vfs_read in /proc/kallsyms');
  const addr = BigInt(`0x${line.split(' ')[0]}`);
  assert.equal(kernelSymbolText(addr, false), 'vfs_read');
  assert.equal(kernelSymbolText(addr + 5n, true), 'vfs_read+5');
  assert.equal(kallsyms().address('vfs_read'), addr);
  assert.equal(kallsyms(), kallsyms(), 'cached');
});

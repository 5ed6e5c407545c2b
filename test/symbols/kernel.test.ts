// Kernel addresses as bpftrace prints them: ksym() names, stack frames with +offset (+0 too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kallsyms } from '../../src/kernel/kallsyms.js';
import { KernelSymbols, kernelSymbols, kernelSymbolText } from '../../src/symbols/index.js';
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
  const k = KernelSymbols.parse(TEXT);
  assert.equal(kernelSymbolText(0xffffffff81002000n, false, k), 'vfs_read');
  assert.equal(kernelSymbolText(0xffffffff81002000n, true, k), 'vfs_read+0');
  assert.equal(kernelSymbolText(0xffffffff81002044n, true, k), 'vfs_read+68');
  // Data symbols (b B d D r R) are left out, as bcc leaves them out.
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
  assert.equal(kernelSymbols(), kernelSymbols(), 'read once');
});

test('names sharing an address: one chosen by a fixed rule, not by file order', () => {
  const k = KernelSymbols.parse([
    'ffffffff81000000 T srso_alias_untrain_ret', 'ffffffff81000000 T _stext', 'ffffffff81000000 T _text',
    'ffffffff81000000 T __pi__text', 'ffffffff81000100 T __ia32_sys_getpgrp', 'ffffffff81000100 T __x64_sys_getpgrp',
    'ffffffff81000200 T __pfx_a', 'ffffffff81000200 t ____bb', 'ffffffff81000200 t _b_ccc', 'ffffffff81000300 t after', 'ffffffff81000250 t middle',
  ].join('\n'));
  assert.equal(k.size, 11);
  assert.equal(kernelSymbolText(0xffffffff81000010n, false, k), '_text');
  assert.equal(kernelSymbolText(0xffffffff81000104n, true, k), '__x64_sys_getpgrp+4');
  assert.equal(kernelSymbolText(0xffffffff81000200n, true, k), '_b_ccc+0');
  assert.equal(kernelSymbolText(0xffffffff81000260n, true, k), 'middle+16');
  assert.equal(kernelSymbolText(0xffffffff81000300n, true, k), 'after+0');
  // Reversed file order, same answers.
  const r = KernelSymbols.parse(['ffffffff81000000 T _text', 'ffffffff81000000 T _stext', 'ffffffff81000000 T srso_alias_untrain_ret'].join('\n'));
  assert.equal(kernelSymbolText(0xffffffff81000000n, false, r), '_text');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kallsyms, KallsymsError } from '../../src/kernel/kallsyms.js';
import { needsRoot } from '../support/root.js';

const TEXT = [
  'ffffffff81000000 T _stext',
  'ffffffff81001000 t do_one_initcall',
  'ffffffff81002000 D some_data',
  'ffffffff81003000 T vfs_read',
  'ffffffffc0100000 t ext4_fn\t[ext4]',
  '',
].join('\n');

test('lookup by address: function and offset, data symbols ignored, modules named (pure)', () => {
  const k = Kallsyms.parse(TEXT);
  assert.equal(k.size, 4);
  assert.deepEqual(k.lookup(0xffffffff81001010n), { name: 'do_one_initcall', offset: 0x10 });
  assert.deepEqual(k.lookup(0xffffffff81002010n), { name: 'do_one_initcall', offset: 0x1010 }, 'data symbols are not functions');
  assert.deepEqual(k.lookup(0xffffffff81003000n), { name: 'vfs_read', offset: 0 });
  assert.deepEqual(k.lookup(0xffffffffc0100004n), { name: 'ext4_fn', offset: 4, module: 'ext4' });
  assert.equal(k.lookup(0xffffffff80000000n), undefined);
  assert.equal(k.address('vfs_read'), 0xffffffff81003000n);
  assert.deepEqual(k.match(/^vfs_/), ['vfs_read']);
});

test('hidden addresses are a clear error (pure)', () => {
  assert.throws(() => Kallsyms.parse('0000000000000000 T _stext\n0000000000000000 T vfs_read\n'), KallsymsError);
});

test('the running kernel: vfs_read resolves to itself', needsRoot, () => {
  const k = Kallsyms.load();
  const a = k.address('vfs_read');
  assert.ok(a !== undefined && a > 0n);
  assert.equal(k.lookup(a!)!.name, 'vfs_read');
  assert.equal(k.lookup(a! + 4n)!.offset, 4);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf, BtfError } from '../../src/btf/index.js';
import { BtfBuilder } from './builder.js';

/** A vmlinux-like base and a module-like split blob on top of it. */
function build() {
  const base = new BtfBuilder();
  const int = base.int('int', 4, { signed: true });
  const long = base.int('long int', 8, { signed: true });
  const task = base.struct('task_struct', 16, [['pid', int, 0], ['state', long, 64]]);
  const taskPtr = base.ptr(task);
  const state = base.enum('state', 4, [['S_RUN', 0], ['S_STOP', 4]]);
  const baseFwd = base.fwd('mod_dev');

  const mod = new BtfBuilder(base);
  // Reuses the base's "int" and "task_struct" strings, adds its own.
  const modInt = mod.int('int', 4, { signed: true });
  const dev = mod.struct('mod_dev', 24, [['owner', taskPtr, 0], ['id', int, 64], ['kind', mod.nextId + 1, 96]]);
  const kind = mod.enum('mod_kind', 4, [['MK_A', 1], ['S_STOP', 99]]);
  const devPtr = mod.ptr(dev);
  const proto = mod.funcProto(int, [['d', devPtr], ['t', taskPtr]]);
  const probe = mod.func('mod_probe', proto, 1);
  return { base, mod, int, long, task, taskPtr, state, baseFwd, modInt, dev, kind, devPtr, proto, probe };
}

test('split BTF continues ids and string offsets from its base', () => {
  const s = build();
  assert.equal(s.mod.firstId, s.base.nextId);
  assert.ok(s.mod.strStart > 0);
  const base = Btf.parse(s.base.encode(), undefined, { name: 'vmlinux' });
  const mod = Btf.parse(s.mod.encode(), base, { name: 'mod' });
  assert.equal(mod.base, base);
  assert.equal(mod.firstId, base.nextId);
  assert.equal(mod.ownTypeCount, s.mod.nextId - s.mod.firstId);
  assert.equal(mod.typeCount, s.mod.nextId - 1);

  // Base types are reachable through the split object (and are the base's cached records).
  assert.equal(mod.typeById(s.task), base.typeById(s.task));
  assert.equal(mod.kindOf(s.task), 'struct');
  // A split type whose name string lives in the base section.
  assert.deepEqual(mod.typeById(s.modInt), {
    kind: 'int', id: s.modInt, name: 'int', size: 4, signed: true, char: false, bool: false, bits: 32, bitOffset: 0,
  });
  assert.deepEqual(mod.typeById(s.dev), {
    kind: 'struct', id: s.dev, name: 'mod_dev', size: 24,
    members: [
      { name: 'owner', type: s.taskPtr, bitOffset: 0, bitfieldSize: 0 },
      { name: 'id', type: s.int, bitOffset: 64, bitfieldSize: 0 },
      { name: 'kind', type: s.kind, bitOffset: 96, bitfieldSize: 0 },
    ],
  });
  assert.equal(mod.typeName(mod.member(s.dev, 'owner').type), 'struct task_struct *');
  assert.equal(mod.typeName(s.probe), 'int mod_probe(struct mod_dev *d, struct task_struct *t)');
  assert.equal(mod.sizeof(s.dev), 24);
  assert.equal(mod.alignof(s.dev), 8);
  assert.equal(mod.pointerSize, 8);
});

test('split BTF lookups search the base first, then the module', () => {
  const s = build();
  const base = Btf.parse(s.base.encode(), undefined, { name: 'vmlinux' });
  const mod = Btf.parse(s.mod.encode(), base, { name: 'mod' });
  assert.deepEqual(mod.find('int'), [s.int, s.modInt]);
  assert.deepEqual(base.find('int'), [s.int]);
  assert.deepEqual(mod.find('mod_dev'), [s.baseFwd, s.dev]);
  assert.equal(mod.findOne('mod_dev', 'struct'), s.dev);
  assert.deepEqual(base.find('mod_dev', 'struct'), []);
  assert.deepEqual(mod.funcProto('mod_probe').params.map((p) => p.name), ['d', 't']);
  assert.equal(mod.enumValue('MK_A').value, 1n);
  assert.equal(mod.enumValue('MK_A').enumId, s.kind);
  // An enumerator defined in both: the base's wins, as it would for the kernel's own enums.
  assert.deepEqual(mod.enumValue('S_STOP'), { name: 'S_STOP', value: 4n, enumId: s.state, signed: false, size: 4 });
  assert.equal(base.findEnumValue('MK_A'), undefined);
  assert.throws(() => base.typeById(s.dev), (e: unknown) => e instanceof BtfError && e.code === 'bad-id');
  assert.throws(() => mod.typeById(s.mod.nextId), (e: unknown) => e instanceof BtfError && e.code === 'bad-id');
});

test('split BTF parsed without its base cannot name base strings', () => {
  const s = build();
  // Split string sections do not start with the empty string, so standalone parsing refuses.
  assert.throws(
    () => Btf.parse(s.mod.encode()),
    (e: unknown) => e instanceof BtfError && e.code === 'malformed' && /must start with an empty string/.test(e.message),
  );
});

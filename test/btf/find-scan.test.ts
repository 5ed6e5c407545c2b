// Btf.find answers its first lookups by scanning the type section for the name's string offsets
// (no name index: ~0.3 ms instead of ~10 ms for the kernel's BTF); past that it builds the index.
// Both must give the same ids, in the same order, for split BTF too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Btf } from '../../src/btf/index.js';
import { BtfBuilder } from './builder.js';

/** A Btf whose name index is built (more lookups than are answered by scanning). */
function indexed(parse: () => Btf): Btf {
  const b = parse();
  for (let i = 0; i < 10; i++) b.find(`warm_up_${i}`);
  return b;
}

function compare(parse: () => Btf, names: readonly string[]): void {
  const withIndex = indexed(parse);
  let fresh = parse();
  for (const [i, name] of names.entries()) {
    // Eight scans per Btf: a new one every few names keeps every lookup on the scanning path.
    if (i % 4 === 0) fresh = parse();
    for (const kind of [undefined, 'struct', 'int', 'func'] as const) {
      assert.deepEqual(fresh.find(name, kind), withIndex.find(name, kind), `${name} (${kind ?? 'any kind'})`);
    }
  }
}

test('scanned and indexed lookups agree on a hand-built blob: duplicates, shared suffixes, split BTF', () => {
  const base = new BtfBuilder();
  const int = base.int('int', 4, { signed: true });
  base.int('unsigned int', 4);
  base.typedef('u_int', int);
  const task = base.struct('task_struct', 8, [['pid', int, 0]]);
  base.fwd('task_struct');
  base.typedef('task_struct', task);
  base.struct('struct', 4, [['int', int, 0]]);
  const mod = new BtfBuilder(base);
  mod.int('int', 4, { signed: true });
  mod.struct('mod_task_struct', 4, [['x', int, 0]]);
  mod.typedef('task_struct', task);
  const baseBytes = base.encode();
  const modBytes = mod.encode();
  const names = ['int', 'unsigned int', 'u_int', 'task_struct', 'struct', 'mod_task_struct', 'pid', 'x', 'nothing', 'nt', 'ask_struct', 'task'];
  compare(() => Btf.parse(baseBytes, undefined, { name: 'vmlinux' }), names);
  const b = Btf.parse(baseBytes, undefined, { name: 'vmlinux' });
  compare(() => Btf.parse(modBytes, b, { name: 'mod' }), names);
  // Exact answers, not only agreement.
  const fresh = Btf.parse(baseBytes, undefined, { name: 'vmlinux' });
  assert.deepEqual(fresh.find('task_struct').map((id) => fresh.kindOf(id)), ['struct', 'fwd', 'typedef']);
  const split = Btf.parse(modBytes, Btf.parse(baseBytes), { name: 'mod' });
  assert.deepEqual(split.find('int').map((id) => split.kindOf(id)), ['int', 'int']);
  assert.deepEqual(split.find('task_struct', 'typedef').length, 2);
});

test("scanned and indexed lookups agree on the kernel's BTF", { skip: !existsSync('/sys/kernel/btf/vmlinux') && 'no kernel BTF' }, () => {
  const bytes = readFileSync('/sys/kernel/btf/vmlinux');
  const parse = (): Btf => Btf.parse(bytes, undefined, { name: 'vmlinux' });
  compare(parse, ['task_struct', 'bpf_get_current_task_btf', 'int', 'sk_buff', 'list_head', 'file', 'pid_t', 'u32', 'char', 'no_such_type_here', 'rq', 'page']);
  const btf = parse();
  const id = btf.find('task_struct', 'struct');
  assert.equal(id.length, 1);
  assert.equal(btf.nameOf(id[0]!), 'task_struct');
});

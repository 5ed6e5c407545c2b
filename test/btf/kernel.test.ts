import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Btf, BtfError, loadKernelBtf, loadModuleBtf, moduleBtfNames, type BtfType } from '../../src/btf/index.js';
import { naiveFindStruct, naiveMember, naiveParse, naiveResolve, type NaiveBtf } from './naive.js';

// Reading /sys/kernel/btf/vmlinux needs no privileges; only a kernel without BTF skips these.
const VMLINUX = '/sys/kernel/btf/vmlinux';
const skip = existsSync(VMLINUX) ? false : 'this kernel has no /sys/kernel/btf/vmlinux';

let naiveCache: NaiveBtf | undefined;
const naive = (): NaiveBtf => (naiveCache ??= naiveParse(readFileSync(VMLINUX)));

test('loadKernelBtf is cached', { skip }, () => {
  assert.equal(loadKernelBtf(), loadKernelBtf());
  assert.equal(loadKernelBtf().label, 'vmlinux');
});

test('a kernel without BTF gets the plain CONFIG_DEBUG_INFO_BTF message', () => {
  assert.throws(
    () => loadKernelBtf('/nonexistent/sonde-test/vmlinux'),
    (e: unknown) =>
      e instanceof BtfError &&
      e.code === 'no-kernel-btf' &&
      e.message === 'this kernel has no BTF (CONFIG_DEBUG_INFO_BTF): /nonexistent/sonde-test/vmlinux does not exist',
  );
});

test('a file that is not BTF is reported as malformed, not crashed on', () => {
  assert.throws(
    () => loadKernelBtf('/proc/self/cmdline'),
    (e: unknown) => e instanceof BtfError && e.code === 'malformed' && /^vmlinux BTF is malformed: /.test(e.message),
  );
});

test('task_struct: pid and tgid are pid_t, a 4-byte signed int; real_parent points back', { skip }, () => {
  const btf = loadKernelBtf();
  const n = naive();
  const ts = btf.findOne('task_struct', 'struct');
  assert.equal(ts, naiveFindStruct(n, 'task_struct'));
  for (const field of ['pid', 'tgid']) {
    const m = btf.member(ts, field);
    assert.equal(btf.typeName(m.type), 'pid_t');
    const int = btf.typeById(btf.resolve(m.type));
    assert.equal(int.kind, 'int');
    assert.ok(int.kind === 'int' && int.signed && int.size === 4 && int.bits === 32);
    assert.equal(btf.sizeof(m.type), 4);
    assert.equal(m.bitfieldSize, 0);
    const want = naiveMember(n, ts, field);
    assert.ok(want, `naive decoder found no ${field}`);
    assert.equal(m.bitOffset, want.bitOffset);
    assert.equal(m.byteOffset, want.bitOffset / 8);
  }
  const rp = btf.member(ts, 'real_parent');
  assert.equal(btf.typeName(rp.type), 'struct task_struct *');
  const ptr = btf.typeById(btf.resolve(rp.type));
  assert.ok(ptr.kind === 'ptr');
  assert.equal(btf.resolve(ptr.type), ts);
  assert.equal(rp.bitOffset, naiveMember(n, ts, 'real_parent')?.bitOffset);
  assert.equal(btf.typeName(btf.member(ts, 'comm').type), 'char[16]');
  assert.equal(btf.sizeof(ts), n.types[ts]!.sizeOrType);
  assert.equal(btf.sizeof(ts) % btf.alignof(ts), 0);
});

test('sock: __sk_common.skc_dport through the nested anonymous members, 2 bytes', { skip }, () => {
  const btf = loadKernelBtf();
  const n = naive();
  const sock = btf.findOne('sock', 'struct');
  const dport = btf.memberPath(sock, '__sk_common.skc_dport');
  assert.equal(btf.sizeof(dport.type), 2);
  assert.equal(btf.typeName(dport.type), '__be16');
  assert.ok(dport.via.length > 0, 'skc_dport sits inside an anonymous union/struct');
  const common = naiveMember(n, naiveFindStruct(n, 'sock'), '__sk_common');
  const inner = naiveMember(n, naiveResolve(n, common!.type), 'skc_dport');
  assert.equal(dport.bitOffset, common!.bitOffset + inner!.bitOffset);
  assert.throws(
    () => btf.member(sock, 'skc_foo'),
    (e: unknown) => e instanceof BtfError && e.code === 'no-member' && e.message === "struct sock has no member 'skc_foo'",
  );
});

test('struct file and struct path exist', { skip }, () => {
  const btf = loadKernelBtf();
  const file = btf.findOne('file', 'struct');
  const path = btf.findOne('path', 'struct');
  assert.equal(btf.typeName(btf.member(path, 'dentry').type), 'struct dentry *');
  assert.equal(btf.typeName(btf.member(path, 'mnt').type), 'struct vfsmount *');
  // `const struct path f_path` on recent kernels, plain before: either way it resolves to path.
  assert.equal(btf.resolve(btf.member(file, 'f_path').type), path);
});

test('FUNC vfs_read (and do_sys_openat2 when not inlined) with parameter names', { skip }, () => {
  const btf = loadKernelBtf();
  const f = btf.funcProto('vfs_read');
  assert.equal(btf.kindOf(f.funcId), 'func');
  assert.equal(btf.kindOf(f.protoId), 'func_proto');
  assert.deepEqual(f.params.map((p) => p.name), ['file', 'buf', 'count', 'pos']);
  assert.equal(btf.typeName(f.params[0]!.type), 'struct file *');
  assert.equal(btf.typeName(f.returnType), 'ssize_t');
  assert.equal(f.variadic, false);
  if (btf.find('do_sys_openat2', 'func').length > 0) {
    const o = btf.funcProto('do_sys_openat2');
    assert.deepEqual(o.params.map((p) => p.name), ['dfd', 'filename', 'how']);
    assert.equal(btf.typeName(o.params[2]!.type), 'struct open_how *');
  }
});

test('enumerators: BPF_MAP_TYPE_RINGBUF is 27; TASK_RUNNING is a macro, not in BTF', { skip }, () => {
  const btf = loadKernelBtf();
  const v = btf.enumValue('BPF_MAP_TYPE_RINGBUF');
  assert.equal(v.value, 27n);
  assert.equal(btf.typeName(v.enumId), 'enum bpf_map_type');
  assert.equal(btf.enumValue('BPF_MAP_TYPE_HASH').value, 1n);
  assert.throws(() => btf.enumValue('TASK_RUNNING'), (e: unknown) => e instanceof BtfError && e.code === 'not-found');
});

test('every type agrees with an independent eager decoder', { skip }, () => {
  const btf = loadKernelBtf();
  const n = naive();
  assert.equal(btf.typeCount, n.types.length - 1);
  for (let id = 1; id < n.types.length; id++) {
    const want = n.types[id]!;
    const got: BtfType = btf.typeById(id);
    const at = `type #${id} ${want.kind} ${want.name}`;
    assert.equal(got.kind, want.kind, at);
    assert.equal(got.name, want.name, at);
    switch (got.kind) {
      case 'struct':
      case 'union':
        assert.equal(got.size, want.sizeOrType, at);
        assert.deepEqual(got.members, want.members, at);
        assert.equal(btf.sizeof(id), want.sizeOrType, at);
        break;
      case 'enum':
      case 'enum64':
        assert.deepEqual(got.values, want.values, at);
        break;
      case 'func_proto':
        assert.equal(got.returnType, want.sizeOrType, at);
        assert.deepEqual([...got.params, ...(got.variadic ? [{ name: '', type: 0 }] : [])], want.params, at);
        break;
      case 'array':
        assert.deepEqual([got.type, got.indexType, got.nelems], want.array, at);
        break;
      case 'ptr':
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'func':
      case 'var':
      case 'decl_tag':
        assert.equal(got.type, want.sizeOrType, at);
        break;
      case 'int':
      case 'float':
      case 'datasec':
        assert.equal(got.size, want.sizeOrType, at);
        break;
    }
  }
});

test('the name index finds exactly what a linear scan finds, for every name', { skip }, () => {
  const btf = loadKernelBtf();
  const n = naive();
  const byName = new Map<string, number[]>();
  n.types.forEach((t, id) => {
    if (id === 0 || t.name === '') return;
    const ids = byName.get(t.name);
    if (ids) ids.push(id);
    else byName.set(t.name, [id]);
  });
  for (const [name, ids] of byName) assert.deepEqual(btf.find(name), ids, name);
  // Enumerators: the first declaration of each name.
  const firstEnum = new Map<string, bigint>();
  for (const t of n.types) for (const v of t.values) if (!firstEnum.has(v.name)) firstEnum.set(v.name, v.value);
  assert.ok(firstEnum.size > 1000);
  for (const [name, value] of firstEnum) assert.equal(btf.enumValue(name).value, value, name);
});

test('opening vmlinux and finding task_struct.pid takes tens of ms, not seconds', { skip }, (t) => {
  const bytes = readFileSync(VMLINUX);
  const t0 = performance.now();
  const btf = Btf.parse(bytes, undefined, { name: 'vmlinux' });
  const t1 = performance.now();
  btf.member(btf.findOne('task_struct', 'struct'), 'pid');
  const t2 = performance.now();
  t.diagnostic(`parse ${(t1 - t0).toFixed(1)} ms, first lookup ${(t2 - t1).toFixed(1)} ms`);
  // Generous bound for a loaded CI machine; the bench reports the real figures.
  assert.ok(t2 - t0 < 1000, `took ${(t2 - t0).toFixed(0)} ms`);
});

test('module BTF: a missing module is a plain error; a loaded one continues vmlinux ids', { skip }, () => {
  assert.throws(
    () => loadModuleBtf('sonde_no_such_module'),
    (e: unknown) => e instanceof BtfError && e.code === 'no-module-btf' && /module 'sonde_no_such_module' has no BTF/.test(e.message),
  );
  const names = moduleBtfNames();
  if (names.length === 0) return; // this kernel has every module built in (or none loaded)
  const vmlinux = loadKernelBtf();
  const mod = loadModuleBtf(names[0]!);
  assert.equal(mod.base, vmlinux);
  assert.equal(mod.firstId, vmlinux.nextId);
  assert.equal(loadModuleBtf(names[0]!), mod);
  for (let id = mod.firstId; id < mod.nextId; id++) mod.typeName(id);
});

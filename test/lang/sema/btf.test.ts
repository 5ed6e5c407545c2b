// Kernel structs through BTF (the machine's /sys/kernel/btf/vmlinux) and the script's own struct
// definitions: types, layouts, constants and the errors that name the field and the type.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';

import { loadKernelBtf } from '../../../src/btf/index.js';
import { compileToIr } from '../../../src/lang/compile.js';
import { langError } from '../lang-error.js';
import { formatIr } from '../../../src/lang/ir.js';
import type { KernelView } from '../../../src/lang/kernel-view.js';
import { parse } from '../../../src/lang/parser.js';
import { analyze, type Analysis } from '../../../src/lang/sema/analyze.js';
import { layoutRecord } from '../../../src/lang/sema/records.js';
import { typeName, type RecordType } from '../../../src/lang/types.js';
import { Helper } from '../../../src/asm/helpers.js';
import { fixtureKernel, HAVE_BTF, parseFields } from './fixture.js';

const needsBtf = HAVE_BTF ? {} : { skip: 'no /sys/kernel/btf/vmlinux' };

/** The fixture kernel with BTF and two tracepoints whose fields point to kernel structs. */
function kernel(btf = true): KernelView {
  const base = fixtureKernel({ btf });
  const extra: Record<string, string> = {
    'capability:cap_capable': `	field:const struct cred * cred;	offset:8;	size:8;	signed:0;
	field:struct user_namespace * target_ns;	offset:16;	size:8;	signed:0;
	field:int cap;	offset:32;	size:4;	signed:1;
`,
    'sock:inet_sock_set_state': `	field:const void * skaddr;	offset:8;	size:8;	signed:0;
	field:int oldstate;	offset:16;	size:4;	signed:1;
	field:int newstate;	offset:20;	size:4;	signed:1;
`,
  };
  return {
    ...base,
    listTracepoints: (c, e) => {
      const own = Object.keys(extra).map((k) => k.split(':') as [string, string]).filter(([cat, ev]) => cat === c && ev === e);
      return own.length ? own : base.listTracepoints(c, e);
    },
    tracepointFields: (c, e) => (extra[`${c}:${e}`] !== undefined ? parseFields(extra[`${c}:${e}`]!) : base.tracepointFields(c, e)),
  };
}

function sema(src: string, btf = true): Analysis {
  return analyze(parse(src, { file: 'test.bt' }), { kernel: kernel(btf), file: 'test.bt' });
}

function vars(src: string): Record<string, string> {
  const u = sema(src).units[0]!;
  return Object.fromEntries([...u.vars.values()].map((v) => [v.name, typeName(v.type)]));
}

function error(src: string, btf = true): string {
  return langError(() => sema(src, btf));
}

/** Constant value of `$x = <expr>` in BEGIN. */
function constant(expr: string, preamble = ''): bigint | undefined {
  const a = sema(`${preamble} BEGIN { $x = ${expr}; }`);
  const stmt = a.program.probes[0]!.body.stmts[0]!;
  assert.equal(stmt.kind, 'Assign');
  return a.constInt((stmt as { value: Parameters<Analysis['constInt']>[0] }).value);
}

describe('sema: kernel structs through BTF', needsBtf, () => {
  const btf = HAVE_BTF ? loadKernelBtf() : undefined;

  it('curtask fields: integers, pointers to structs, char[16] as a string, array elements', () => {
    assert.deepEqual(vars('BEGIN { $a = curtask->pid; $b = curtask->real_parent; $c = curtask->real_parent->tgid; $d = curtask->comm; $e = curtask->comm[0]; $f = curtask->mm; $g = curtask->flags; }'), {
      $a: 'int32', $b: 'struct task_struct *', $c: 'int32', $d: 'string[16]', $e: 'int8', $f: 'struct mm_struct *', $g: 'uint32',
    });
  });

  it('casts to struct pointers; nested and anonymous members (sock_common in an anonymous union)', () => {
    const a = sema('kprobe:tcp_sendmsg { $sk = (struct sock *)arg0; $d = $sk->__sk_common.skc_dport; $f = $sk->__sk_common.skc_family; $n = $sk->__sk_common.skc_daddr; $p = $sk->sk_protocol; }');
    const u = a.units[0]!;
    const t = Object.fromEntries([...u.vars.values()].map((v) => [v.name, typeName(v.type)]));
    assert.deepEqual(t, { $sk: 'struct sock *', $d: 'uint16', $f: 'uint16', $n: 'uint32', $p: 'uint16' });
    // skc_dport sits in an anonymous union inside an anonymous struct: offsets summed as BTF does.
    const fa = [...u.fieldLocs.entries()].find(([e]) => e.field === 'skc_dport')![1];
    assert.equal(fa.offset, btf!.memberPath(btf!.findOne('sock_common', 'struct'), 'skc_dport').byteOffset);
    assert.equal(fa.via, 'value');
  });

  it('tracepoint fields that point to kernel structs, and casts of void * fields', () => {
    assert.deepEqual(vars('tracepoint:capability:cap_capable { $u = args->cred->uid.val; $s = ((struct sock *)args->cred)->sk_protocol; }'), { $u: 'uint32', $s: 'uint16' });
    assert.deepEqual(vars('tracepoint:sock:inet_sock_set_state { $sk = (struct sock *)args->skaddr; $st = $sk->__sk_common.skc_state; }'), { $sk: 'struct sock *', $st: 'uint8' });
  });

  it('only plain char arrays are strings; unsigned char / __u8 arrays stay byte arrays (as bpftrace)', () => {
    assert.deepEqual(vars('struct M { unsigned char mac[6]; char name[4]; }; kprobe:f { $sk = (struct sock *)arg0; $a = $sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8; $m = ((struct M *)arg1)->mac; $n = ((struct M *)arg1)->name; }'), {
      $sk: 'struct sock *', $a: 'uint8[16]', $m: 'uint8[6]', $n: 'string[4]',
    });
  });

  it('*p and p[i] of struct pointers give struct values whose fields can be read', () => {
    assert.deepEqual(vars('BEGIN { $t = *curtask; $p = (*curtask).pid; $q = curtask[0].tgid; $r = (curtask + 1)->pid; }'), {
      $t: 'struct task_struct', $p: 'int32', $q: 'int32', $r: 'int32',
    });
  });

  it('pointer arithmetic steps by the struct size, also for a tracepoint field\'s opaque struct pointer', () => {
    const size = btf!.sizeof(btf!.findOne('cred', 'struct'));
    const ir = formatIr(compileToIr('tracepoint:capability:cap_capable { @p = args->cred + 2; @q = (curtask - 1)->pid; }', { kernel: kernel(), file: 't.bt' }).programs[0]!.ir);
    assert.match(ir, new RegExp(`= mul %\\d+, ${size}\\n`));
    assert.match(ir, new RegExp(`= mul %\\d+, ${btf!.sizeof(btf!.findOne('task_struct', 'struct'))}\\n`));
  });

  it('bitfields have their bit offset and width', () => {
    const a = sema('BEGIN { $x = curtask->sched_reset_on_fork; }');
    const loc = [...a.units[0]!.fieldLocs.values()][0]!;
    const m = btf!.member(btf!.findOne('task_struct', 'struct'), 'sched_reset_on_fork');
    assert.ok(m.bitfieldSize > 0, 'sched_reset_on_fork is a bitfield');
    assert.deepEqual({ off: loc.offset, bit: loc.bitOffset, width: loc.bitWidth }, { off: m.byteOffset, bit: m.bitOffset % 8, width: m.bitfieldSize });
  });

  it('sizeof and offsetof of kernel structs are BTF\'s', () => {
    const sock = btf!.findOne('sock', 'struct');
    const task = btf!.findOne('task_struct', 'struct');
    assert.equal(constant('sizeof(struct task_struct)'), BigInt(btf!.sizeof(task)));
    assert.equal(constant('offsetof(struct task_struct, pid)'), BigInt(btf!.member(task, 'pid').byteOffset));
    assert.equal(constant('offsetof(struct sock, __sk_common.skc_dport)'), BigInt(btf!.memberPath(sock, '__sk_common.skc_dport').byteOffset));
    assert.equal(constant('sizeof(*curtask)'), BigInt(btf!.sizeof(task)));
  });

  it('constants: BTF enumerators, the built-in table, #include lines (present or not)', () => {
    const pre = '#include <linux/sched.h>\n#include <net/sock.h>\n#include <linux/socket.h>\n';
    assert.equal(constant('TASK_RUNNING', pre), 0n);
    assert.equal(constant('AF_INET', pre), 2n);
    assert.equal(constant('AF_INET6', pre), 10n);
    assert.equal(constant('TCP_ESTABLISHED', pre), 1n);
    assert.equal(constant('TCP_CLOSE', pre), 7n);
    assert.equal(constant('BPF_MAP_TYPE_HASH', pre), 1n); // an enumerator only BTF knows
  });

  it('an included header present on the system contributes its numeric #defines', { skip: existsSync('/usr/include/linux/sched.h') ? false : 'no /usr/include/linux/sched.h' }, () => {
    assert.equal(constant('CLONE_VM', '#include <linux/sched.h>\n'), 0x100n);
    assert.equal(constant('CLONE_THREAD', '#include <linux/sched.h>\n'), 0x10000n);
    assert.match(error('BEGIN { $x = CLONE_VM; }').split('\n')[0]!, /Unknown identifier: 'CLONE_VM'/);
  });

  it('reads through kernel pointers use probe_read_kernel, through user pointers probe_read_user', () => {
    const reads = new Set([`call ${Helper.probe_read_kernel}`, `call ${Helper.probe_read_user}`]);
    const calls = (src: string) => formatIr(compileToIr(src, { kernel: kernel(), file: 't.bt' }).programs[0]!.ir).match(/call \d+/g)?.filter((c) => reads.has(c));
    assert.deepEqual(calls('BEGIN { @x = curtask->real_parent->tgid; }'),
      [`call ${Helper.probe_read_kernel}`, `call ${Helper.probe_read_kernel}`]);
    assert.deepEqual(calls('struct S { int a; long b; }; uprobe:/bin/sh:main { @x = ((struct S *)arg0)->b; }'),
      [`call ${Helper.probe_read_user}`]);
    // A pointer read out of user memory points into user memory too.
    assert.deepEqual(calls('struct L { struct L *next; int v; }; uprobe:/bin/sh:main { @x = ((struct L *)arg0)->next->v; }'),
      [`call ${Helper.probe_read_user}`, `call ${Helper.probe_read_user}`]);
  });

  it('a script struct takes precedence over BTF\'s struct of the same name (runqlen.bt\'s cfs_rq)', () => {
    // After an #include, BTF stands in for the header that defines struct load_weight.
    const pre = '#include <linux/sched.h>\nstruct cfs_rq { struct load_weight load; unsigned int nr_running; unsigned int h_nr_running; };';
    assert.equal(constant('sizeof(struct cfs_rq)', pre), 24n);
    assert.equal(constant('offsetof(struct cfs_rq, h_nr_running)', pre), 20n);
    assert.notEqual(constant('sizeof(struct cfs_rq)'), 24n);
    // Also where BTF refers to it: task_struct.se.cfs_rq points to the script's struct.
    const a = sema(`${pre} BEGIN { $q = curtask->se.cfs_rq; $n = $q->h_nr_running; }`);
    const loc = [...a.units[0]!.fieldLocs.entries()].find(([e]) => e.field === 'h_nr_running')![1];
    assert.equal(loc.offset, 20);
  });

  it('errors name the missing field and the type, with a caret', () => {
    assert.equal(error('BEGIN { printf("%d\\n", curtask->pidd); }'), `test.bt:1:24: ERROR: struct task_struct has no field 'pidd'
BEGIN { printf("%d\\n", curtask->pidd); }
                       ^~~~~~~~~~~~~
hint: did you mean: pid?`);
    assert.equal(error('kprobe:f { $s = (struct sock *)arg0; $x = $s->__sk_common.skc_nope; }').split('\n')[0],
      "test.bt:1:43: ERROR: struct sock_common has no field 'skc_nope'");
    assert.equal(error('BEGIN { $x = ((struct no_such_struct *)0)->a; }').split('\n')[0],
      "test.bt:1:15: ERROR: struct no_such_struct is not defined in the script and the kernel's BTF has no such type");
    assert.equal(error('BEGIN { $x = sizeof(struct no_such_struct); }').split('\n')[0],
      "test.bt:1:21: ERROR: struct no_such_struct is not defined in the script and the kernel's BTF has no such type");
    assert.equal(error('BEGIN { $x = curtask.pid; }').split('\n')[0],
      "test.bt:1:14: ERROR: Can not access field 'pid' on type 'struct task_struct *'. Try dereferencing it first, or using '->'");
    assert.equal(error('BEGIN { $x = offsetof(struct task_struct, nope); }').split('\n')[0],
      "test.bt:1:14: ERROR: struct task_struct has no field 'nope'");
  });
});

describe('sema: without BTF', () => {
  it('a kernel struct is an error saying the kernel has no BTF; script structs still work', () => {
    assert.equal(error('BEGIN { $x = curtask->pid; }', false).split('\n')[0],
      "test.bt:1:14: ERROR: struct task_struct is not defined in the script and this kernel has no BTF");
    assert.equal(constant.call(null, 'sizeof(struct S)', 'struct S { char c; int i; short s; };') !== undefined, true);
  });
});

describe('script struct layout (C, x86-64)', () => {
  const i32 = { kind: 'int', size: 4, signed: true } as const;
  const u32 = { kind: 'int', size: 4, signed: false } as const;
  const u16 = { kind: 'int', size: 2, signed: false } as const;
  const u8 = { kind: 'int', size: 1, signed: false } as const;
  const i8 = { kind: 'int', size: 1, signed: true } as const;
  const i64 = { kind: 'int', size: 8, signed: true } as const;
  const shape = (r: RecordType) => [r.size, r.align, r.fields.map((f) => [f.name, f.offset, f.bitOffset ?? null, f.bitWidth ?? null])];

  it('padding and alignment', () => {
    assert.deepEqual(shape(layoutRecord('struct a', false, [{ name: 'c', type: u8 }, { name: 'i', type: i32 }, { name: 's', type: u16 }, { name: 'l', type: i64 }])),
      [24, 8, [['c', 0, null, null], ['i', 4, null, null], ['s', 8, null, null], ['l', 16, null, null]]]);
  });

  it('bitfields (checked against gcc: sizeof 8, e moves to the next u16 unit, s to the next byte)', () => {
    // struct Bits { unsigned a:3; unsigned b:9; unsigned char c; unsigned short d:5; unsigned short e:7; signed char s:4; };
    assert.deepEqual(shape(layoutRecord('struct Bits', false, [
      { name: 'a', type: u32, bits: 3 }, { name: 'b', type: u32, bits: 9 }, { name: 'c', type: u8 },
      { name: 'd', type: u16, bits: 5 }, { name: 'e', type: u16, bits: 7 }, { name: 's', type: i8, bits: 4 },
    ])), [8, 4, [['a', 0, 0, 3], ['b', 0, 3, 9], ['c', 2, null, null], ['d', 3, 0, 5], ['e', 4, 0, 7], ['s', 5, 0, 4]]]);
  });

  it('unions: every member at 0, the size of the largest', () => {
    assert.deepEqual(shape(layoutRecord('union u', true, [{ name: 'c', type: u8 }, { name: 'l', type: i64 }, { name: 'i', type: i32 }])),
      [8, 8, [['c', 0, null, null], ['l', 0, null, null], ['i', 0, null, null]]]);
  });
});

describe('sema: struct values', needsBtf, () => {
  it('may be stored in maps, printed and used as keys (by their bytes, as bpftrace); not as printf integers', () => {
    const a = sema('BEGIN { @x = curtask->se.load; print(curtask->se.load); }');
    assert.equal(typeName(a.maps.get('@x')!.value!), 'struct load_weight');
    const k = sema('BEGIN { @x[curtask->se.load] = 1; }');
    assert.deepEqual(k.maps.get('@x')!.keys!.map(typeName), ['struct load_weight']);
    assert.match(error('BEGIN { printf("%d\\n", curtask->se.load); }').split('\n')[0]!, /%d specifier expects a value of type integer \(record supplied\)/);
  });
});

describe('sema: join()', () => {
  it('takes an array pointer and an optional string literal; it has no value', () => {
    assert.doesNotThrow(() => sema('tracepoint:syscalls:sys_enter_execve { join(args->argv); join(args->argv, ","); }', false));
    assert.equal(error('tracepoint:syscalls:sys_enter_execve { join(args->argv, comm); }', false).split('\n')[0],
      'test.bt:1:57: ERROR: join() expects a string literal as its delimiter');
    assert.match(error('tracepoint:syscalls:sys_enter_execve { $x = join(args->argv); }', false).split('\n')[0]!, /Invalid expression for assignment: none/);
  });
});

describe('sema: a struct member held by value has a complete type (C\'s rule, BTF as bpftrace uses it)', () => {
  it('redefining a kernel type the program uses (curtask: task_struct) leaves the rest to the script', needsBtf, () => {
    // bpftrace 0.17 (btf.redefine_btf_type_missing_def): definitions.h:2:41: error: field has incomplete type 'struct thread_info'
    assert.equal(error('struct task_struct { struct thread_info x; } BEGIN { printf("%d\\n", curtask->x.status); }'),
      `test.bt:1:22: ERROR: error: field has incomplete type 'struct thread_info'
struct task_struct { struct thread_info x; } BEGIN { printf("%d\\n", curtask->x.status); }
                     ^~~~~~~~~~~~~~~~~~
hint: the script redefines struct task_struct, a kernel type the program uses (or one it holds); then, as in bpftrace, BTF supplies no types and the script defines them all: define struct thread_info too, hold a pointer to it, or #include its header (BTF then stands in)`);
    // Also a type the used one holds by value (task_struct.se), a cast and sizeof.
    assert.match(error('struct sched_entity { struct load_weight load; } BEGIN { $w = curtask->se.load.weight; }'), /^test\.bt:1:23: ERROR: error: field has incomplete type 'struct load_weight'\n/);
    assert.match(error('struct cfs_rq { struct load_weight load; } BEGIN { $q = (struct cfs_rq *)curtask->se.cfs_rq; }'), /^test\.bt:1:17: ERROR: error: field has incomplete type 'struct load_weight'\n/);
    assert.match(error('struct task_struct { struct load_weight x; } BEGIN { $x = sizeof(struct task_struct); }'), /ERROR: error: field has incomplete type 'struct load_weight'\n/);
  });

  it('otherwise BTF supplies the types the script\'s structs hold (bpftrace\'s btf.user_supplied_c_def_using_btf)', needsBtf, () => {
    assert.equal(constant('sizeof(struct foo)', 'struct foo { struct task_struct t; };'), constant('sizeof(struct task_struct)'));
    assert.doesNotThrow(() => sema('struct task_struct { struct thread_info x; } BEGIN { }'));
    assert.doesNotThrow(() => sema('struct sched_entity { struct load_weight load; } BEGIN { }'));
  });

  it('with an #include (or --include), BTF stands in for the headers that would define them', needsBtf, () => {
    assert.equal(sema('#include <linux/sched.h>\nstruct task_struct { struct thread_info x; } BEGIN { $s = curtask->x.status; }').units.length, 1);
    const a = analyze(parse('struct task_struct { struct thread_info x; } BEGIN { $s = curtask->x.status; }', { file: 'test.bt' }),
      { kernel: kernel(), file: 'test.bt', includes: ['errno.h'] });
    assert.equal(a.units.length, 1);
  });

  it('a type neither the script nor BTF defines, or defined below its use, is incomplete', () => {
    assert.equal(error('struct S { union U u[2]; } BEGIN { }', false),
      `test.bt:1:12: ERROR: error: field has incomplete type 'union U'
struct S { union U u[2]; } BEGIN { }
           ^~~~~~~
hint: neither the script nor the kernel's BTF defines union U`);
    assert.match(error('struct foo { struct no_such_struct t; } BEGIN { }'), /^test\.bt:1:14: ERROR: error: field has incomplete type 'struct no_such_struct'\n/);
    assert.match(error('struct S { struct T t; } struct T { int a; } BEGIN { }', false), /^test\.bt:1:12: ERROR: error: field has incomplete type 'struct T'\n.*\n.*\nhint: the script defines struct T below; define it before it is used$/);
  });

  it('a struct defined above, an inline definition, a pointer or an enum need nothing more', () => {
    assert.equal(constant('sizeof(struct S)', 'struct T { int a; long b; }; struct S { struct T t; struct T *p; struct { int c; } in; enum E e; };'), 40n);
  });
});

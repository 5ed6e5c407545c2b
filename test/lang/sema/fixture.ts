// A KernelView for compiler tests: tracepoint formats copied from a Linux 6.18 x86-64 machine's
// tracefs, a syscall table, no BTF.
import { existsSync } from 'node:fs';
import { loadKernelBtf } from '../../../src/btf/index.js';
import type { KernelView, TracepointFieldInfo } from '../../../src/lang/kernel-view.js';

const COMMON = `	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;
`;

const NR = '\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n';
const RET = '\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n';

/** Format files (the field lines) by category:event. */
export const FORMATS: Record<string, string> = {
  'syscalls:sys_enter_openat': NR + `	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;
`,
  'syscalls:sys_exit_openat': NR + RET,
  'syscalls:sys_enter_read': NR + `	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;
`,
  'syscalls:sys_exit_read': NR + RET,
  'syscalls:sys_enter_write': NR + `	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:const char * buf;	offset:24;	size:8;	signed:0;
	field:size_t count;	offset:32;	size:8;	signed:0;
`,
  'syscalls:sys_enter_close': NR + '\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n',
  'syscalls:sys_enter_execve': NR + `	field:const char * filename;	offset:16;	size:8;	signed:0;
	field:const char *const * argv;	offset:24;	size:8;	signed:0;
	field:const char *const * envp;	offset:32;	size:8;	signed:0;
`,
  'sched:sched_switch': `	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
	field:int prev_prio;	offset:28;	size:4;	signed:1;
	field:long prev_state;	offset:32;	size:8;	signed:1;
	field:char next_comm[16];	offset:40;	size:16;	signed:0;
	field:pid_t next_pid;	offset:56;	size:4;	signed:1;
	field:int next_prio;	offset:60;	size:4;	signed:1;
`,
  'sched:sched_process_exec': `	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
	field:pid_t pid;	offset:12;	size:4;	signed:1;
	field:pid_t old_pid;	offset:16;	size:4;	signed:1;
`,
  'raw_syscalls:sys_enter': `	field:long id;	offset:8;	size:8;	signed:1;
	field:unsigned long args[6];	offset:16;	size:48;	signed:0;
`,
};

/** Syscalls with simple `fd` enter tracepoints, to make the wildcard sys_enter_* match many. */
export const SYSCALLS: Record<string, number> = {
  read: 0, write: 1, open: 2, close: 3, stat: 4, fstat: 5, lstat: 6, poll: 7, lseek: 8, mmap: 9,
  mprotect: 10, munmap: 11, brk: 12, ioctl: 16, execve: 59, openat: 257, newfstatat: 262,
};
for (const name of ['open', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap', 'mprotect', 'munmap', 'brk', 'ioctl', 'newfstat']) {
  FORMATS[`syscalls:sys_enter_${name}`] ??= NR + '\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n';
  FORMATS[`syscalls:sys_exit_${name}`] ??= NR + RET;
}
for (const name of ['write', 'close', 'execve']) FORMATS[`syscalls:sys_exit_${name}`] ??= NR + RET;

export function parseFields(text: string): TracepointFieldInfo[] {
  const out: TracepointFieldInfo[] = [];
  for (const line of (COMMON + text).split('\n')) {
    const m = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/.exec(line);
    if (!m) continue;
    const decl = m[1]!.trim();
    const name = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[\d*\])?\s*$/.exec(decl)![1]!;
    if (name.startsWith('common_')) continue;
    const arr = /\[(\d+)\]\s*$/.exec(decl);
    out.push({
      decl, name, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1', dataLoc: decl.startsWith('__data_loc'),
      ...(arr ? { arrayLen: Number(arr[1]) } : {}),
    });
  }
  return out;
}

function glob(g: string): RegExp {
  return new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** The machine's BTF, when it has one (world-readable /sys/kernel/btf/vmlinux). */
export const HAVE_BTF = existsSync('/sys/kernel/btf/vmlinux');

export function fixtureKernel(opts: { syscallNumbers?: boolean; btf?: boolean } = {}): KernelView {
  const view: KernelView = {
    listTracepoints(cg, eg) {
      const c = glob(cg);
      const e = glob(eg);
      return Object.keys(FORMATS)
        .map((k) => k.split(':') as [string, string])
        .filter(([cat, ev]) => c.test(cat) && e.test(ev))
        .sort((a, b) => (a[0] + ':' + a[1] < b[0] + ':' + b[1] ? -1 : 1));
    },
    tracepointFields(cat, ev) {
      const f = FORMATS[`${cat}:${ev}`];
      return f === undefined ? undefined : parseFields(f);
    },
    btf: () => (opts.btf && HAVE_BTF ? loadKernelBtf() : undefined),
    possibleCpus: 2,
    // A common default: tid-indexed maps get 32768 array slots (src/lang/lower/tidmaps.ts).
    pidMax: () => 32768,
  };
  if (opts.syscallNumbers !== false) view.syscallNumber = (name) => SYSCALLS[name];
  return view;
}

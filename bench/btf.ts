/**
 * How much opening the kernel's BTF costs, and the first lookups after it.
 *   npx tsc -p . && node --expose-gc dist/bench/btf.js
 * (--expose-gc makes the heap figures exact; without it they include garbage.)
 */
import { readFileSync } from 'node:fs';
import { Btf } from '../src/btf/index.js';

const path = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const gc = (globalThis as { gc?: () => void }).gc;

function heapMiB(): { heap: number; buffers: number } {
  gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, buffers: m.arrayBuffers / 2 ** 20 };
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

const before = heapMiB();
const [bytes, tRead] = time(() => readFileSync(path));
const [btf, tParse] = time(() => Btf.parse(bytes, undefined, { name: 'vmlinux' }));
const opened = heapMiB();
const [pid, tFirst] = time(() => btf.member(btf.findOne('task_struct', 'struct'), 'pid'));
const [dport, tSecond] = time(() => btf.memberPath(btf.findOne('sock', 'struct'), '__sk_common.skc_dport'));
const [ringbuf, tEnum] = time(() => btf.enumValue('BPF_MAP_TYPE_RINGBUF'));
const [fn, tFunc] = time(() => btf.funcProto('vfs_read'));
const looked = heapMiB();
const [, tAll] = time(() => {
  for (let id = 1; id < btf.nextId; id++) btf.typeById(id);
});
const all = heapMiB();

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const mib = (v: number): string => `${v.toFixed(1)} MiB`;
console.log(`${path}: ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${btf.typeCount} types`);
console.log(`read file                       ${ms(tRead)}`);
console.log(`parse (offset scan)             ${ms(tParse)}`);
console.log(`first lookup task_struct.pid    ${ms(tFirst)}  (builds the name index; pid at byte ${pid.byteOffset})`);
console.log(`next lookup sock.__sk_common.skc_dport  ${ms(tSecond)}  (byte ${dport.byteOffset})`);
console.log(`first enumValue                 ${ms(tEnum)}  (BPF_MAP_TYPE_RINGBUF = ${ringbuf.value})`);
console.log(`funcProto vfs_read              ${ms(tFunc)}  (${btf.typeName(fn.funcId)})`);
console.log(`heap after open                 ${mib(opened.heap - before.heap)} JS heap + ${mib(opened.buffers - before.buffers)} buffers`);
console.log(`heap after lookups              ${mib(looked.heap - before.heap)} JS heap + ${mib(looked.buffers - before.buffers)} buffers`);
console.log(`inflate every type (reference)  ${ms(tAll)}, heap then ${mib(all.heap - before.heap)}`);
if (!gc) console.log('(run with --expose-gc for exact heap figures)');

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Helper, helperId, helperName } from '../../src/asm/index.js';

const HEADER = '/usr/include/linux/bpf.h';

test('well-known helper ids', () => {
  assert.equal(Helper.unspec, 0);
  assert.equal(Helper.map_lookup_elem, 1);
  assert.equal(Helper.map_update_elem, 2);
  assert.equal(Helper.probe_read, 4);
  assert.equal(Helper.ktime_get_ns, 5);
  assert.equal(Helper.trace_printk, 6);
  assert.equal(Helper.get_current_pid_tgid, 14);
  assert.equal(Helper.get_current_comm, 16);
  assert.equal(Helper.perf_event_output, 25);
  assert.equal(Helper.get_stackid, 27);
  assert.equal(Helper.probe_read_str, 45);
  assert.equal(Helper.get_current_task, 35);
  assert.equal(Helper.probe_read_user, 112);
  assert.equal(Helper.probe_read_kernel_str, 115);
  assert.equal(Helper.ringbuf_output, 130);
  assert.equal(Helper.ringbuf_reserve, 131);
  assert.equal(Helper.ringbuf_submit, 132);
  assert.equal(Helper.get_func_ip, 173);
  assert.equal(Helper.loop, 181);
  assert.equal(Helper.user_ringbuf_drain, 209);
  assert.equal(Helper.cgrp_storage_get, 210);
  assert.equal(Helper.cgrp_storage_delete, 211);
});

test('ids are dense 0..211 and names unique', () => {
  const ids = Object.values(Helper);
  assert.equal(ids.length, 212);
  assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: 212 }, (_, i) => i));
});

test('helperName gives the kernel spelling; helperId is its inverse', () => {
  assert.equal(helperName(1), 'bpf_map_lookup_elem');
  assert.equal(helperName(0), 'bpf_unspec');
  assert.equal(helperName(211), 'bpf_cgrp_storage_delete');
  assert.equal(helperName(212), undefined);
  assert.equal(helperName(-1), undefined);
  assert.equal(helperName(1.5), undefined);
  assert.equal(helperId('bpf_ktime_get_ns'), 5);
  assert.equal(helperId('ktime_get_ns'), 5);
  assert.equal(helperId('bpf_nothing'), undefined);
  assert.equal(helperId('toString'), undefined);
  for (let id = 0; id < 212; id++) assert.equal(helperId(helperName(id)!), id);
});

test('table matches the installed kernel UAPI header', (t) => {
  if (!existsSync(HEADER)) {
    t.skip(`${HEADER} not installed`);
    return;
  }
  const h = readFileSync(HEADER, 'utf8');
  // Newer headers: FN(name, id, ##ctx); older ones: FN(name) with ids by position.
  const start = h.search(/#define ___?BPF_FUNC_MAPPER\(FN/);
  const body = h.slice(start, h.indexOf('/* */', start));
  const withIds = [...body.matchAll(/FN\((\w+),\s*(\d+)/g)];
  const pairs: [string, number][] = withIds.length
    ? withIds.map((m) => [m[1]!, Number(m[2])])
    : [...body.matchAll(/FN\((\w+)\)/g)].map((m, i) => [m[1]!, i]);
  assert.ok(pairs.length >= 200, `parsed only ${pairs.length} helpers`);
  for (const [name, id] of pairs) {
    assert.equal((Helper as Record<string, number>)[name], id, name);
  }
});

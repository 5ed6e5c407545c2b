import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tracefsRoot, tracepointFormat, listTracepoints, parseFormat, _resetTracefsRootForTests } from '../../src/kernel/tracefs.js';
import { needsRoot } from '../support/root.js';

const mounted = () => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[2] === 'tracefs');

test('tracefs is mounted by sonde when the system has not mounted it', needsRoot, () => {
  // Unmount (lazily, in case something holds it) to start from the state this machine boots in.
  if (mounted()) spawnSync('umount', ['-l', '/sys/kernel/tracing']);
  _resetTracefsRootForTests();
  // debugfs (mounted on systemd systems) brings tracefs up at debug/tracing on first access,
  // without it being in /proc/mounts yet.
  const viaDebugfs = existsSync('/sys/kernel/debug/tracing/events');
  if (mounted() || viaDebugfs) {
    // Still mounted elsewhere (e.g. under debugfs): sonde must find it rather than mount again.
    assert.ok(tracefsRoot().endsWith('tracing'));
    return;
  }
  assert.equal(tracefsRoot(), '/sys/kernel/tracing');
  assert.ok(mounted(), 'tracefs is now mounted');
});

test('tracepoint format: syscalls:sys_enter_openat fields', needsRoot, () => {
  const f = tracepointFormat('syscalls', 'sys_enter_openat');
  assert.deepEqual(f.fields.map((x) => [x.name, x.offset, x.size, x.signed]), [
    ['__syscall_nr', 8, 4, true], ['dfd', 16, 8, false], ['filename', 24, 8, false], ['flags', 32, 8, false], ['mode', 40, 8, false],
  ]);
  assert.ok(f.id > 0);
  assert.ok(listTracepoints('syscalls', 'sys_enter_open*').some(([, e]) => e === 'sys_enter_openat'));
});

test('parseFormat: arrays and __data_loc fields (pure)', () => {
  const f = parseFormat('sched', 'x', [
    'name: x', 'ID: 7', 'format:',
    '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;',
    '\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;',
    '\tfield:__data_loc char[] name;\toffset:24;\tsize:4;\tsigned:0;',
    '\tfield:pid_t pid;\toffset:28;\tsize:4;\tsigned:1;',
  ].join('\n'));
  assert.equal(f.id, 7);
  assert.deepEqual(f.common.map((x) => x.name), ['common_type']);
  assert.deepEqual(f.fields.map((x) => [x.name, x.arrayLen, x.dataLoc, x.signed]), [
    ['comm', 16, false, false], ['name', undefined, true, false], ['pid', undefined, false, true],
  ]);
});

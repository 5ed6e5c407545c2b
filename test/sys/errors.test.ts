import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SysError, UnsupportedError } from '../../src/sys/errors.js';
import { errnoName } from '../../src/sys/errno.js';

test('SysError: command, errno name and a plain sentence', () => {
  const e = new SysError('BPF_PROG_LOAD', 1);
  assert.equal(e.message, 'BPF_PROG_LOAD: permission denied: needs root, or CAP_BPF and CAP_PERFMON (EPERM)');
  assert.equal(e.code, 'EPERM');
  assert.equal(e.errno, 1);
  assert.equal(new SysError('BPF_MAP_CREATE', 22, 'ringbuf size').message, 'BPF_MAP_CREATE: invalid argument (the kernel rejected a parameter) (EINVAL): ringbuf size');
  assert.equal(errnoName(524), 'ENOTSUPP');
  assert.equal(errnoName(4242), 'errno 4242');
});

test('UnsupportedError says what and why', () => {
  const e = new UnsupportedError('kprobes', 'kernel built without CONFIG_KPROBES');
  assert.equal(e.message, 'kprobes not supported by this kernel: kernel built without CONFIG_KPROBES');
});

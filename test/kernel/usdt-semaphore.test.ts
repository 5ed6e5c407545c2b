// USDT semaphores through the uprobe PMU's ref_ctr_offset: the config bits sonde asks for, this
// kernel's format for them, and the error on a kernel without them (a semaphore-guarded probe
// would otherwise attach and never fire).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { uprobeConfig } from '../../src/attach/uprobe.js';
import { dynamicPmu } from '../../src/attach/pmu.js';
import { UnsupportedError } from '../../src/sys/index.js';

test('uprobe config: retprobe bit and the semaphore offset in the ref_ctr_offset bits', () => {
  const pmu = { type: 9, retprobeBit: 0, refCtrShift: 32 };
  assert.equal(uprobeConfig(pmu, {}, 'u'), 0n);
  assert.equal(uprobeConfig(pmu, { retprobe: true }, 'u'), 1n);
  assert.equal(uprobeConfig(pmu, { refCtrOffset: 0x3010 }, 'u'), 0x3010n << 32n);
  assert.equal(uprobeConfig({ ...pmu, retprobeBit: 3 }, { retprobe: true, refCtrOffset: 0x40 }, 'u'), (0x40n << 32n) | 8n);
});

test('uprobe config: a semaphore on a kernel without ref_ctr_offset is a clear error', () => {
  const old = { type: 9, retprobeBit: 0 };
  assert.equal(uprobeConfig(old, {}, 'u'), 0n, 'probes without a semaphore still attach');
  assert.throws(() => uprobeConfig(old, { refCtrOffset: 0x3010 }, 'usdt:/bin/app:app:start'), (e: unknown) =>
    e instanceof UnsupportedError && e.feature === 'USDT semaphores' &&
    e.message === "USDT semaphores not supported by this kernel: usdt:/bin/app:app:start is guarded by a semaphore, and this kernel's uprobe PMU has no ref_ctr_offset (Linux >= 4.20) to raise it: the probe would never fire");
});

test("this kernel's uprobe PMU: ref_ctr_offset read from its format directory", () => {
  const fmt = '/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset';
  const pmu = dynamicPmu('uprobe');
  if (!existsSync(fmt)) {
    assert.equal(pmu?.refCtrShift, undefined);
    return;
  }
  assert.equal(pmu?.refCtrShift, Number(/config:(\d+)/.exec(readFileSync(fmt, 'utf8'))![1]));
});

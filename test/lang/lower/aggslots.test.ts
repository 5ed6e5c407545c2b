// pid/tid-indexed aggregations (src/lang/lower/tidmaps.ts, slotAggMaps): which aggregation maps
// qualify, the MapDefs they become, the memory budget, and every use that keeps a map a plain
// per-CPU hash. (On real events: test/cli/aggslots.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileToIr, type CompileOptions } from '../../../src/lang/compile.js';
import { formatIr } from '../../../src/lang/ir.js';
import { Helper } from '../../../src/asm/helpers.js';
import type { MapDef } from '../../../src/lang/spec.js';
import { fixtureKernel } from '../sema/fixture.js';

const ENTER = 'tracepoint:syscalls:sys_enter_read';
const EXIT = 'tracepoint:syscalls:sys_exit_read';
const SUM = `${ENTER} { @m[pid] = sum(args->count); }`;

function maps(src: string, opts: Partial<CompileOptions> = {}): Map<string, MapDef> {
  const c = compileToIr(src, { kernel: fixtureKernel(), file: 'test.bt', ...opts });
  return new Map(c.maps.map((m) => [m.name, m]));
}

const eligible = (src: string, map = '@m', opts: Partial<CompileOptions> = {}) => {
  const m = maps(src, opts);
  const slotted = m.get(map)!.aggSlots !== undefined;
  assert.equal(m.has(`.slots${map}`), slotted, 'the array exists exactly when the map uses it');
  return slotted;
};

describe('pid/tid-indexed aggregations', () => {
  it('@m[pid] = sum(args->count): the per-CPU hash plus a per-CPU array of [sum, touched] slots, one per pid below pid_max', () => {
    const m = maps(SUM);
    assert.deepEqual(m.get('@m'), {
      name: '@m', kernelName: 'AT_m', kind: 'percpu_hash', keySize: 8, valueSize: 8, maxEntries: 4096,
      key: m.get('@m')!.key, value: { kind: 'agg', fn: 'sum', signed: false }, user: true,
      span: m.get('@m')!.span, aggSlots: { slots: 32768, array: '.slots@m' },
    });
    assert.equal(m.get('@m')!.key.kind, 'int');
    const a = m.get('.slots@m')!;
    assert.deepEqual({ ...a, span: undefined }, {
      name: '.slots@m', kernelName: '.slt_m', kind: 'percpu_array', keySize: 4, valueSize: 16, maxEntries: 32768,
      key: { kind: 'int', size: 4, signed: false }, value: { kind: 'array', of: { kind: 'int', size: 8, signed: false }, length: 2 },
      user: false, span: undefined,
    });
    assert.equal(m.get('@m')!.tidSlots, undefined, 'not a tid-indexed plain map');
  });

  it('every aggregation that has a presence word, keyed by pid or by tid; slot sizes', () => {
    for (const [agg, size] of [['count()', 8], ['sum(args->count)', 16], ['min(args->count)', 16], ['max(args->count)', 16],
      ['avg(args->count)', 16], ['stats(args->count)', 16]] as const) {
      for (const key of ['pid', 'tid']) {
        const m = maps(`${ENTER} { @m[${key}] = ${agg}; }`);
        assert.deepEqual(m.get('@m')!.aggSlots, { slots: 32768, array: '.slots@m' }, `${key} ${agg}`);
        assert.equal(m.get('.slots@m')!.valueSize, size, agg);
        assert.equal(m.get('@m')!.valueSize, agg.startsWith('count') || agg.startsWith('sum') ? 8 : 16, agg);
      }
    }
    // Several maps, several probes, each its own array.
    const m = maps(`${ENTER} { @a[pid] = count(); @b[tid] = sum(args->count); } ${EXIT} { @a[pid] = count(); @c[pid] = max(args->ret); }`);
    for (const n of ['@a', '@b', '@c']) assert.deepEqual(m.get(n)!.aggSlots, { slots: 32768, array: `.slots${n}` }, n);
  });

  it('the programs add to the array slot first, the hash only when the lookup misses (key beyond the array)', () => {
    const c = compileToIr(SUM, { kernel: fixtureKernel(), file: 'test.bt' });
    const ir = formatIr(c.programs[0]!.ir);
    const arrayAt = ir.indexOf('map .slots@m');
    const hashAt = ir.indexOf('map @m');
    assert.ok(arrayAt >= 0 && hashAt > arrayAt, ir);
    assert.match(ir, new RegExp(`%(\\d+) = map \\.slots@m\\n\\s+%(\\d+) = call ${Helper.map_lookup_elem}\\(%\\1, &#\\d+\\+0\\)\\n\\s+br eq %\\2, 0 `), ir);
    assert.match(ir, /store64 %(\d+)\+0, %\d+\n\s+store64 %\1\+8, 1\n/, 'sum: the sum, then touched');
    // count has no touched word: only its one word is written.
    const count = formatIr(compileToIr(`${ENTER} { @m[pid] = count(); }`, { kernel: fixtureKernel(), file: 'test.bt' }).programs[0]!.ir);
    assert.doesNotMatch(count, /store64 %\d+\+8, 1\n/, count);
  });

  it('slots = min(pid_max, 262144); the tidSlots option overrides it (0: plain hash); no pid_max: plain hash', () => {
    const slots = (opts: Partial<CompileOptions>) => maps(SUM, opts).get('@m')!.aggSlots?.slots;
    assert.equal(slots({ kernel: { ...fixtureKernel(), pidMax: () => 4194304 } }), 262144);
    assert.equal(slots({ kernel: { ...fixtureKernel(), pidMax: () => 100 } }), 100);
    assert.equal(slots({ kernel: { ...fixtureKernel(), pidMax: () => undefined } }), undefined);
    assert.equal(slots({ tidSlots: 3 }), 3);
    assert.equal(maps(SUM, { tidSlots: 3 }).get('.slots@m')!.maxEntries, 3);
    assert.equal(eligible(SUM, '@m', { tidSlots: 0 }), false);
  });

  it('memory: slots × slot × possible CPUs at most 16 MiB, else the plain per-CPU hash', () => {
    const kernel = (cpus: number) => ({ ...fixtureKernel(), pidMax: () => 4194304, possibleCpus: cpus });
    // sum: 262144 × 16 B = 4 MiB per CPU.
    assert.equal(eligible(SUM, '@m', { kernel: kernel(4) }), true, '16 MiB');
    assert.equal(eligible(SUM, '@m', { kernel: kernel(5) }), false, '20 MiB');
    // count: 262144 × 8 B = 2 MiB per CPU.
    const count = `${ENTER} { @m[pid] = count(); }`;
    assert.equal(eligible(count, '@m', { kernel: kernel(8) }), true, '16 MiB');
    assert.equal(eligible(count, '@m', { kernel: kernel(9) }), false, '18 MiB');
    // A smaller pid_max fits more CPUs: 32768 × 16 B × 32 = 16 MiB.
    assert.equal(eligible(SUM, '@m', { kernel: { ...fixtureKernel(), possibleCpus: 32 } }), true);
    assert.equal(eligible(SUM, '@m', { kernel: { ...fixtureKernel(), possibleCpus: 33 } }), false);
  });

  describe('any other use keeps the map a plain per-CPU hash', () => {
    const cases: [string, string][] = [
      ['print(@m)', `${EXIT} { print(@m); }`],
      ['print(@m, top, div)', `${EXIT} { print(@m, 10, 2); }`],
      ['clear(@m)', `${EXIT} { clear(@m); }`],
      ['zero(@m)', `${EXIT} { zero(@m); }`],
      ['delete(@m[pid])', `${EXIT} { delete(@m[pid]); }`],
      ['delete(@m, pid)', `${EXIT} { delete(@m, pid); }`],
      ['len(@m)', `${EXIT} { @l = len(@m); }`],
      ['has_key(@m, pid)', `${EXIT} { if (has_key(@m, pid)) { @h = 1; } }`],
      ['for over @m', `${EXIT} { for ($kv : @m) { @f = 1; } }`],
      ['a key other than pid', `${EXIT} { @m[cpu] = sum(1); }`],
      ['pid in an expression', `${EXIT} { @m[pid + 0] = sum(1); }`],
      ['tid as well as pid', `${EXIT} { @m[tid] = sum(1); }`],
      ['a read of the value', `${EXIT} { @r = @m[pid]; }`],
      ['a read in a predicate', `${EXIT} /@m[pid] > 0/ { @r = 1; }`],
      ['used in BEGIN', `BEGIN { @m[pid] = sum(0); }`],
      ['used in END', `END { @m[pid] = sum(0); }`],
    ];
    for (const [what, extra] of cases) {
      it(what, () => {
        assert.ok(eligible(SUM), 'the script alone is eligible');
        const m = maps(`${SUM} ${extra}`);
        assert.equal(m.get('@m')!.aggSlots, undefined, what);
        assert.equal(m.get('@m')!.kind, 'percpu_hash', what);
        assert.equal(m.has('.slots@m'), false, what);
      });
    }
    it('a declared map (its size and eviction are the user\'s)', () => {
      for (const kind of ['hash(100)', 'lruhash(100)', 'percpuhash(100)']) {
        const m = maps(`let @m = ${kind}; ${SUM}`);
        assert.equal(m.get('@m')!.aggSlots, undefined, kind);
        assert.equal(m.get('@m')!.maxEntries, 100, kind);
        assert.equal(m.has('.slots@m'), false, kind);
      }
    });
    it('hist, lhist, a multi-part key, a keyless aggregation, a plain value', () => {
      assert.equal(eligible(`${ENTER} { @m[pid] = hist(args->count); }`), false);
      assert.equal(eligible(`${ENTER} { @m[pid] = lhist(args->count, 0, 100, 10); }`), false);
      assert.equal(eligible(`${ENTER} { @m[pid, 1] = count(); }`), false);
      assert.equal(eligible(`${ENTER} { @m = count(); }`), false);
      assert.equal(eligible(`${ENTER} { @m[comm] = count(); }`), false);
      // A plain value keyed by pid is no aggregation (and no tid map either).
      const m = maps(`${ENTER} { @m[pid] = 5; }`);
      assert.equal(m.get('@m')!.aggSlots, undefined);
      assert.equal(m.get('@m')!.kind, 'hash');
    });
  });
});

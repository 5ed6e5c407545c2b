// tid-indexed maps (src/lang/lower/tidmaps.ts): which maps qualify, the MapDefs they become, and
// every use that keeps a map a plain hash. (On real events, both halves: test/cli/tidmaps.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileToIr, type CompileOptions } from '../../../src/lang/compile.js';
import { formatIr } from '../../../src/lang/ir.js';
import { Helper } from '../../../src/asm/helpers.js';
import type { MapDef } from '../../../src/lang/spec.js';
import { fixtureKernel } from '../sema/fixture.js';

const ENTER = 'tracepoint:syscalls:sys_enter_read';
const EXIT = 'tracepoint:syscalls:sys_exit_read';
const LATENCY = `${ENTER} { @s[tid] = nsecs; } ${EXIT} /@s[tid]/ { @ = hist(nsecs - @s[tid]); delete(@s[tid]); }`;

function maps(src: string, opts: Partial<CompileOptions> = {}): Map<string, MapDef> {
  const c = compileToIr(src, { kernel: fixtureKernel(), file: 'test.bt', ...opts });
  return new Map(c.maps.map((m) => [m.name, m]));
}

const eligible = (src: string, map = '@s') => maps(src).get(map)!.tidSlots !== undefined;

describe('tid-indexed maps', () => {
  it('the latency pattern: @s is a hash plus an array of { present, value } slots, one per tid below pid_max', () => {
    const m = maps(LATENCY);
    assert.deepEqual(m.get('@s'), {
      name: '@s', kernelName: 'AT_s', kind: 'hash', keySize: 8, valueSize: 8, maxEntries: 4096,
      key: { kind: 'int', size: 8, signed: false }, value: { kind: 'int', size: 8, signed: false }, user: true,
      span: m.get('@s')!.span, tidSlots: { slots: 32768, array: '.tid@s' },
    });
    const a = m.get('.tid@s')!;
    assert.deepEqual({ ...a, span: undefined }, {
      name: '.tid@s', kernelName: '.tid_s', kind: 'array', keySize: 4, valueSize: 16, maxEntries: 32768,
      key: { kind: 'int', size: 4, signed: false }, value: a.value, user: false, span: undefined,
    });
    assert.equal(a.value.kind === 'tuple' && a.value.size, 16);
    // The histogram and nothing else is untouched.
    assert.equal(m.get('@')!.tidSlots, undefined);
    assert.equal([...m.keys()].filter((n) => n.startsWith('.tid')).length, 1);
  });

  it('the programs use the array first and the hash only when the lookup misses (tid beyond the array)', () => {
    const c = compileToIr(LATENCY, { kernel: fixtureKernel(), file: 'test.bt' });
    for (const p of c.programs) {
      const ir = formatIr(p.ir);
      const arrayAt = ir.indexOf('map .tid@s');
      const hashAt = ir.indexOf('map @s');
      assert.ok(arrayAt >= 0 && hashAt > arrayAt, ir);
      // The slot is found with one lookup of the array, whose NULL result branches to the hash.
      assert.match(ir, new RegExp(`%(\\d+) = map \\.tid@s\\n\\s+%(\\d+) = call ${Helper.map_lookup_elem}\\(%\\1, &#\\d+\\+0\\)\\n\\s+br eq %\\2, 0 `), ir);
    }
    const enter = formatIr(c.programs.find((p) => p.probeName === ENTER)!.ir);
    assert.match(enter, /store64 %\d+\+8, %\d+\n\s+store64 %\d+\+0, 1\n/, 'assignment: the value, then present');
    const exit = formatIr(c.programs.find((p) => p.probeName === EXIT)!.ir);
    assert.match(exit, /store64 %\d+\+0, 0\n\s+store64 %\d+\+8, 0\n/, 'delete: not present, value 0');
    assert.match(exit, /= load64 %\d+\+8\n/, 'read: the value word');
  });

  it('slots = min(pid_max, 262144); a compile option overrides it (0: plain hashes); no pid_max: plain hashes', () => {
    const withPidMax = (n: number | undefined) => maps(LATENCY, { kernel: { ...fixtureKernel(), pidMax: () => n } }).get('@s')!.tidSlots;
    assert.deepEqual(withPidMax(4194304), { slots: 262144, array: '.tid@s' });
    assert.deepEqual(withPidMax(100), { slots: 100, array: '.tid@s' });
    assert.equal(withPidMax(undefined), undefined);
    const { pidMax: _p, ...noPidMax } = fixtureKernel();
    assert.equal(maps(LATENCY, { kernel: noPidMax }).get('@s')!.tidSlots, undefined);
    assert.deepEqual(maps(LATENCY, { tidSlots: 3 }).get('@s')!.tidSlots, { slots: 3, array: '.tid@s' });
    assert.equal(maps(LATENCY, { tidSlots: 3 }).get('.tid@s')!.maxEntries, 3);
    const plain = maps(LATENCY, { tidSlots: 0 });
    assert.equal(plain.get('@s')!.tidSlots, undefined);
    assert.equal(plain.has('.tid@s'), false);
  });

  it('eligible: reads anywhere an integer goes (predicates, printf, arithmetic, keys of other maps), several maps', () => {
    const src = `${ENTER} { @s[tid] = nsecs; @t[tid] = args->count; }
      ${EXIT} /@s[tid] && @t[tid] > 0/ { printf("%d %d\\n", @s[tid], @t[tid] * 2); @x[@t[tid]] = count(); $v = @s[tid] + 1; @y = sum($v);
        if (@t[tid] == 3) { delete(@t[tid]); } delete(@s[tid]); }`;
    const m = maps(src);
    assert.deepEqual(m.get('@s')!.tidSlots, { slots: 32768, array: '.tid@s' });
    assert.deepEqual(m.get('@t')!.tidSlots, { slots: 32768, array: '.tid@t' });
    for (const n of ['@x', '@y']) assert.equal(m.get(n)!.tidSlots, undefined, n);
    // A map never deleted is eligible too (its entries print at exit).
    assert.ok(eligible(`${ENTER} { @s[tid] = 5; }`));
  });

  describe('any other use keeps the map a plain hash', () => {
    const cases: [string, string][] = [
      ['print(@s)', `${EXIT} { print(@s); }`],
      ['clear(@s)', `${EXIT} { clear(@s); }`],
      ['zero(@s)', `${EXIT} { zero(@s); }`],
      ['len(@s)', `${EXIT} { @l = len(@s); }`],
      ['has_key(@s, tid)', `${EXIT} { if (has_key(@s, tid)) { @h = 1; } }`],
      ['for over @s', `${EXIT} { for ($kv : @s) { @f = $kv.1; } }`],
      ['delete(@s, tid)', `${EXIT} { delete(@s, tid); }`],
      ['a key other than tid (write)', `${EXIT} { @s[pid] = 1; }`],
      ['a key other than tid (read)', `${EXIT} { @r = @s[pid]; }`],
      ['a key other than tid (delete)', `${EXIT} { delete(@s[pid]); }`],
      ['tid in an expression', `${EXIT} { @r = @s[tid + 0]; }`],
      ['++', `${EXIT} { @s[tid]++; }`],
      ['--', `${EXIT} { --@s[tid]; }`],
      ['+=', `${EXIT} { @s[tid] += 1; }`],
      ['used in BEGIN', `BEGIN { @s[tid] = 0; }`],
      ['used in END', `END { @r = @s[tid]; }`],
    ];
    for (const [what, extra] of cases) {
      it(what, () => {
        assert.ok(eligible(LATENCY), 'the pattern alone is eligible');
        const m = maps(`${LATENCY} ${extra}`);
        assert.equal(m.get('@s')!.tidSlots, undefined, what);
        assert.equal(m.has('.tid@s'), false, what);
      });
    }
    it('an aggregation, a string, a tuple, a multi-part key, a bool', () => {
      assert.equal(eligible(`${ENTER} { @s[tid] = count(); }`), false);
      assert.equal(eligible(`${ENTER} { @s[tid] = sum(5); }`), false);
      assert.equal(eligible(`${ENTER} { @s[tid] = comm; }`), false);
      assert.equal(eligible(`${ENTER} { @s[tid] = (1, 2); }`), false);
      assert.equal(eligible(`${ENTER} { @s[tid, 1] = 1; }`), false);
      assert.equal(eligible(`${ENTER} { @s[tid] = true; }`), false);
      assert.equal(eligible(`${ENTER} { @s = 1; }`), false);
    });
    it('a declared map (its size and eviction are the user\'s)', () => {
      for (const kind of ['hash(100)', 'lruhash(100)']) {
        const m = maps(`let @s = ${kind}; ${LATENCY}`);
        assert.equal(m.get('@s')!.tidSlots, undefined, kind);
        assert.equal(m.get('@s')!.maxEntries, 100, kind);
      }
    });
  });
});

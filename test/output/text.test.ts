// Values as text: map keys vs values, inet/mac/errno, stacks and symbols through a resolver,
// histogram labels and bars, and the std::sort port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  barWidth, boundsText, formatMap, formatValue, hexFormatBuffer, histBucketLabel, histText, inetText, keyText, lhistIndexLabel,
  lhistText, macText, stdSort, strerror, valueText,
} from '../../src/output/index.js';
import type { StackValue, SymbolValue, Value } from '../../src/output/index.js';
import type { SType } from '../../src/lang/types.js';
import { concat, encode, I64, mapDef, PTR, S, tuple, U64, u64s, U8 } from './encode.js';

const inet = (af: bigint, addr: number[]): SymbolValue =>
  ({ kind: 'symbol', what: 'inet', addr: af, bytes: concat(u64s(af), new Uint8Array([...addr, ...new Array(16 - addr.length).fill(0)])) });
const v6 = (s: string): number[] => {
  // test helper: expand an address written in full (8 groups)
  return s.split(':').flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
};

test('ntop(): IPv4 and IPv6 as glibc inet_ntop writes them', () => {
  // BEGIN { @t = ntop(pton("::1")); @u = ntop(pton("1:0:0:2:0:0:0:3")); @v = ntop(pton("::"));
  //   @x = ntop(pton("1:2:3:4:5:6:7:8")); @y = ntop(pton("1:0:2:0:3:0:4:0")); @z = ntop(pton("1::"));
  //   @q = ntop(pton("1:0:0:2:0:0:3:4")); @m = ntop(pton("0:0:0:0:0:ffff:102:304"));
  //   @c = ntop(pton("0:0:0:0:0:0:102:304")); @r = ntop(pton("abcd:0:0:0:0:0:0:1")); exit(); }
  const cases: [string, string][] = [
    ['0:0:0:0:0:0:0:1', '::1'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['0:0:0:0:0:0:0:0', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'], ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'], ['1:0:0:0:0:0:0:0', '1::'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'], ['0:0:0:0:0:ffff:102:304', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:0:102:304', '::1.2.3.4'], ['abcd:0:0:0:0:0:0:1', 'abcd::1'],
  ];
  for (const [full, text] of cases) assert.equal(inetText(inet(10n, v6(full))), text, full);
  assert.equal(inetText(inet(2n, [10, 0, 0, 255])), '10.0.0.255');
  assert.equal(inetText(inet(1n, [1, 2, 3, 4])), '');
});

test('macaddr() and strerror() texts', () => {
  // bpftrace's resolve_mac_address: "%02X:%02X:%02X:%02X:%02X:%02X".
  const mac: SymbolValue = { kind: 'symbol', what: 'macaddr', addr: 0n, bytes: new Uint8Array([0xaa, 0x0b, 0xcc, 0xdd, 0xee, 0x01]) };
  assert.equal(macText(mac), 'AA:0B:CC:DD:EE:01');
  // glibc 2.36 strerror(): bpftrace printed "No such file or directory" and "Unknown error 200".
  assert.deepEqual([strerror(0), strerror(2), strerror(13), strerror(41), strerror(133), strerror(200), strerror(-1)],
    ['Success', 'No such file or directory', 'Permission denied', 'Unknown error 41', 'Memory page has hardware error', 'Unknown error 200', 'Unknown error -1']);
});

test('keys and values print differently', () => {
  // Pointer key in hex, value signed; a uint64 key prints as int64 (bpftrace: @k[(uint64)-2] → -2).
  assert.equal(keyText('@r', PTR, 2n ** 64n - 1n), '@r[0xffffffffffffffff]');
  assert.equal(valueText(PTR, 2n ** 64n - 1n), '-1');
  assert.equal(keyText('@k', U64, 2n ** 64n - 2n), '@k[-2]');
  assert.equal(keyText('@k', U8, 255n), '@k[255]');
  assert.equal(valueText(U64, 2n ** 64n - 2n), '18446744073709551614');
  assert.equal(keyText('@m', tuple(I64, S, I64), [1n, 'a b', -2n]), '@m[1, a b, -2]');
  assert.equal(keyText('@', { kind: 'void' }, { kind: 'none' }), '@');
  assert.equal(formatValue(tuple(S, tuple(I64)), ['', [3n]]), '(, (3))\n');
  // A backslash is printable ASCII: bpftrace leaves it as it is.
  assert.equal(hexFormatBuffer(new Uint8Array([0x41, 0x5c, 0x7f, 0x80, 0x20]), true, true), String.raw`A\\x7f\x80 `);
  assert.equal(hexFormatBuffer(new Uint8Array([0x41, 0x00]), false, false), '41 00');
});

test('stacks and symbols through the resolver; map entries of stacks, ksym and inet run together', () => {
  // profile:hz:99 { @s[1] = kstack(2); @s[2] = kstack(1); exit(); } printed (the second stack id
  // could not be looked up: "ERROR: failed to look up stack id …" on stderr):
  //   @s[1]: \n        pv_native_safe_halt+11\n        default_idle+5\n@s[2]: \n
  const KS: SType = { kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 2 };
  const st = (id: number): StackValue => ({ kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 2, id, pid: 0 });
  const syms = new Map<bigint, [string, number]>([[0x1000n, ['pv_native_safe_halt', 11]], [0x2000n, ['default_idle', 5]]]);
  const resolver = {
    stack: (v: StackValue) => (v.id === 1 ? [0x1000n, 0x2000n, 0x3000n] : undefined),
    ksym: (a: bigint, off: boolean) => { const s = syms.get(a); return s ? s[0] + (off ? `+${s[1]}` : '') : `0x${a.toString(16)}`; },
  };
  const def = mapDef('@s', I64, KS);
  const entries = [[2n, st(2)], [1n, st(1)]].map(([k, v]) => ({ key: encode(I64, k as bigint), values: [u64s(BigInt((v as StackValue).id))] }));
  assert.equal(formatMap(def, entries, { resolver }), '@s[1]: \n        pv_native_safe_halt+11\n        default_idle+5\n@s[2]: \n');
  // As a key the frames are indented by 4.
  assert.equal(keyText('@', KS, st(1), { ...resolver, usym: () => '', username: () => '', probe: () => '', timestamp: () => '', cgroupPath: () => '' }),
    '@[\n    pv_native_safe_halt+11\n    default_idle+5\n]');
  // BEGIN { @k[1] = ksym(kaddr("vfs_read")); @k[2] = ksym(kaddr("vfs_write")); exit(); } printed
  //   @k[1]: vfs_read@k[2]: vfs_write
  const K: SType = { kind: 'symbol', what: 'ksym', size: 8 };
  const kdef = mapDef('@k', I64, K);
  const names = new Map([[0x10n, 'vfs_read'], [0x20n, 'vfs_write']]);
  const kres = { ksym: (a: bigint) => names.get(a) ?? '?' };
  assert.equal(formatMap(kdef, [[2n, 0x20n], [1n, 0x10n]].map(([k, a]) => ({ key: encode(I64, k!), values: [u64s(a!)] })), { resolver: kres }),
    '@k[1]: vfs_read@k[2]: vfs_write\n');
  // perf mode: "\t<hex> <sym>", usym with its module; raw: bare hex.
  const us: StackValue = { kind: 'stack', space: 'user', mode: 'perf', limit: 4, id: 1, pid: 7 };
  const ures = { stack: () => [0x401000n], usym: (a: bigint, pid: number, off: boolean, mod: boolean) => `main+${off ? 4 : 0}${mod ? ' (/bin/x)' : ''}@${pid}` };
  assert.equal(valueText({ kind: 'stack', space: 'user', mode: 'perf', limit: 4 }, us, { ...kresFull(), ...ures }), '\n\t401000 main+4 (/bin/x)@7\n');
  assert.equal(valueText({ kind: 'stack', space: 'user', mode: 'raw', limit: 4 }, { ...us, mode: 'raw' }, { ...kresFull(), ...ures }), '\n401000\n');
  // Unresolvable: bpftrace prints the address.
  const usym: SymbolValue = { kind: 'symbol', what: 'usym', addr: 0x401000n, pid: 7n, bytes: u64s(0x401000n, 7n) };
  assert.equal(valueText({ kind: 'symbol', what: 'usym', size: 16 }, usym), '0x401000');
});

function kresFull() {
  return { ksym: () => '', usym: () => '', stack: () => undefined, username: () => '', probe: () => '', timestamp: () => '', cgroupPath: () => '' };
}

test('hist labels and bars', () => {
  assert.deepEqual([0, 1, 2, 3, 11, 12, 21, 22, 31, 32, 41, 42, 65].map((i) => histBucketLabel(i)), [
    '(..., 0)', '[0]', '[1]', '[2, 4)', '[512, 1K)', '[1K, 2K)', '[512K, 1M)', '[1M, 2M)', '[512M, 1G)', '[1G, 2G)',
    '[512G, 1T)', '[1T, 2T)', '[8388608T, 16777216T)',
  ]);
  assert.deepEqual([0, 1, 1023, 1024, 3072, 1536, 1048576, 2621440, 3 * 1048576 + 1024].map(lhistIndexLabel),
    ['0', '1', '1023', '1K', '3K', '1536', '1M', '2560K', '3073K']);
  // bpftrace computes bars in single precision: 15 of 26 gives 30 '@' (double would give 29).
  // BEGIN { unroll(15) { @h = hist(1); } unroll(26) { @h = hist(2); } unroll(15) { @g = lhist(1, 0, 10, 1); }
  //   unroll(52) { @g = lhist(5, 0, 10, 1); } exit(); } printed:
  assert.equal(histText([0n, 0n, 15n, 26n]),
    '[1]                   15 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                      |\n' +
    '[2, 4)                26 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n');
  assert.equal(lhistText([0n, 0n, 15n, 0n, 0n, 0n, 52n, 0n, 0n, 0n, 0n, 0n], { min: 0n, max: 10n, step: 1n }),
    '[1, 2)                15 |@@@@@@@@@@@@@@@                                     |\n' +
    '[2, 3)                 0 |                                                    |\n' +
    '[3, 4)                 0 |                                                    |\n' +
    '[4, 5)                 0 |                                                    |\n' +
    '[5, 6)                52 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n');
  assert.deepEqual([barWidth(15n, 26n), barWidth(15n, 52n), barWidth(1n, 3n), barWidth(0n, 0n), barWidth(7n, 7n)], [30, 15, 17, 0, 52]);
  assert.equal(histText([0n, 0n, 0n]), '');
  // Counts wider than the 8-column field push the bar right, as setw does.
  assert.equal(histText([0n, 123456789012n]), '[0]             123456789012 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n');
});

test('stdSort is libstdc++ std::sort, tie order included', () => {
  // g++ 12: std::sort of pairs (value, index) comparing values only, printing the indices.
  const check = (values: number[], expected: number[]): void => {
    const items = values.map((v, i) => ({ v, i }));
    stdSort(items, (a, b) => a.v < b.v);
    assert.deepEqual(items.map((x) => x.i), expected);
  };
  // ≤ 16 elements: insertion sort, stable.
  check([2, 1, 2, 1, 0], [4, 1, 3, 0, 2]);
  // 40 elements, values i % 3.
  check([...Array(40).keys()].map((i) => i % 3), [0, 21, 18, 24, 15, 27, 12, 30, 9, 33, 6, 36, 3, 39, 31, 34, 28, 37, 25,
    22, 1, 19, 16, 4, 13, 7, 10, 2, 20, 38, 5, 35, 8, 32, 11, 29, 14, 26, 17, 23]);
  // A median-of-3 killer sequence (McIlroy's adversary, halved to make ties): introsort's depth
  // limit is reached and it falls back to heapsort.
  check([23, 0, 26, 1, 30, 2, 25, 3, 28, 4, 24, 5, 32, 6, 23, 7, 27, 8, 22, 9, 29, 10, 12, 11, 31, 30, 29, 28, 27, 26, 25, 24,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 22, 20, 21, 19, 20, 18, 19, 17, 18, 16, 17, 15, 16, 14, 15, 13, 14, 12, 13, 21],
  [1, 32, 3, 33, 5, 34, 7, 35, 9, 36, 11, 37, 13, 38, 15, 39, 17, 40, 19, 41, 21, 42, 23, 43, 22, 61, 59, 62, 57, 60, 58, 55, 56,
    53, 51, 54, 49, 52, 47, 50, 45, 48, 63, 46, 18, 44, 14, 0, 31, 10, 6, 30, 2, 29, 16, 28, 27, 8, 20, 26, 25, 4, 24, 12]);
  const empty: Value[] = [];
  assert.deepEqual(stdSort(empty, () => false), []);
});

test('hist(v, k) labels as newer bpftrace prints them: single values up to 2^(k+1), then 2^k buckets per power of two', () => {
  // k = 2: [0]..[7], then [8, 10), [10, 12), [12, 14), [14, 16), [16, 20), …
  assert.deepEqual([0, 1, 8, 9, 10, 13, 14, 17, 28].map((i) => histBucketLabel(i, 2)), [
    '(..., 0)', '[0]', '[7]', '[8, 10)', '[10, 12)', '[16, 20)', '[20, 24)', '[32, 40)', '[224, 256)',
  ]);
  // bpftrace's own example (commit "hist: log2 histograms with finer granularity"): index 27 starts at 224.
  // k = 1 across 2^10: the suffix follows the bucket width's power of two (as bpftrace's
  // hist_index_label), so 1024 = 2^9 * 2 prints as 1024 and 2048 = 2^10 * 2 as 2K.
  const k1 = (v: number) => (v < 4 ? v + 1 : (((Math.floor(Math.log2(v)) - 1 + 1) << 1) | ((v >> (Math.floor(Math.log2(v)) - 1)) & 1)) + 1);
  assert.deepEqual([768, 1024, 1536].map((v) => histBucketLabel(k1(v), 1)), ['[768, 1024)', '[1024, 1536)', '[1536, 2K)']);
  assert.equal(histText([0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 3n, 6n], 1n, 2),
    '[8, 10)                3 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[10, 12)               6 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n');
});

test('llhist/bhist: buckets labelled by their bounds, open at both ends', () => {
  assert.equal(boundsText([1n, 0n, 2n, 0n, 4n], [0n, 10n, 100n, 500n]),
    '(..., 0)               1 |@@@@@@@@@@@@@                                       |\n' +
    '[0, 10)                0 |                                                    |\n' +
    '[10, 100)              2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n' +
    '[100, 500)             0 |                                                    |\n' +
    '[500, ...)             4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n');
  assert.equal(boundsText([0n, 0n, 0n], [1n, 2n]), '');
});

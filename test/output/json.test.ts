// bpftrace 0.17's `-f json` output. Each expected text is bpftrace 0.17's stdout, byte for byte,
// for the command quoted above it (`bpftrace -f json -e '<script>'`, stderr dropped). The tests
// rebuild the maps as the kernel would hold them (little-endian, aggregations over 2 CPUs) and
// print them; every line that is not one of the two empty lines printed at exit must JSON.parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatPrintf, jsonAttached, jsonCat, jsonEscape, jsonExitMaps, jsonJoin, jsonLost, jsonMap, jsonMaps,
  jsonMergedMap, jsonPrintf, jsonSyscall, jsonTime, jsonValue, mergeEntries, parseFormat,
} from '../../src/output/index.js';
import type { MapEntry, Resolver, Value } from '../../src/output/index.js';
import type { MapDef } from '../../src/lang/spec.js';
import type { SType } from '../../src/lang/types.js';
import { agg, AggMap, concat, I16, I32, I64, I8, mapDef, plainEntries, PTR, S, tuple, U16, U64, u64s, U8 } from './encode.js';

type Shown = { def: MapDef; entries: MapEntry[] };
const V: SType = { kind: 'void' };
const NONE: Value = { kind: 'none' };
const scalar = (name: string, value: SType, v: Value): Shown => {
  const def = mapDef(name, V, value);
  return { def, entries: plainEntries(def, [[NONE, v]]) };
};
const keyed = (name: string, key: SType, value: SType, rows: [Value, Value][]): Shown => {
  const def = mapDef(name, key, value);
  return { def, entries: plainEntries(def, rows) };
};
const aggMap = (name: string, key: SType, t: ReturnType<typeof agg>, adds: [Value, bigint?][]): AggMap => {
  const m = new AggMap(mapDef(name, key, t, 'percpu_hash'));
  for (const [k, v] of adds) m.add(k, v ?? 0n);
  return m;
};
const shown = (m: AggMap): Shown => ({ def: m.def, entries: m.entries() });
const empty = (def: MapDef): Shown => ({ def, entries: [] });
const lh = (min: bigint, max: bigint, step: bigint) => agg('lhist', true, { min, max, step });

/** Every line is JSON, except the two empty lines bpftrace prints before the maps at exit. */
function assertParses(out: string): void {
  assert.ok(out.endsWith('\n'), 'output ends with a newline');
  const lines = out.slice(0, -1).split('\n');
  const blanks = lines.flatMap((l, i) => (l === '' ? [i] : []));
  assert.ok(blanks.length === 0 || (blanks.length === 2 && blanks[1] === blanks[0]! + 1), 'no empty lines but the exit pair');
  for (const l of lines) {
    if (l === '') continue;
    const o = JSON.parse(l) as { type: unknown; data: unknown };
    assert.deepEqual(Object.keys(o), ['type', 'data'], l);
  }
}

test('the brief example: attached_probes, printf, print(@c), and every kind of map at exit', () => {
  // BEGIN { printf("hi %d\n", 5); @c = count(); @h = hist(3); @l = lhist(5, 0, 10, 2);
  //   @s = stats(4); @a = avg(3); @m[1, "x"] = 2; print(@c); exit(); }
  const expected = [
    '{"type": "attached_probes", "data": {"probes": 1}}\n',
    '{"type": "printf", "data": "hi 5\\n"}\n',
    '{"type": "map", "data": {"@c": 1}}\n',
    '\n',
    '\n',
    '{"type": "stats", "data": {"@a": 3}}\n',
    '{"type": "map", "data": {"@c": 1}}\n',
    '{"type": "hist", "data": {"@h": [{"min": 2, "max": 3, "count": 1}]}}\n',
    '{"type": "hist", "data": {"@l": [{"min": 4, "max": 5, "count": 1}]}}\n',
    '{"type": "map", "data": {"@m": {"1,x": 2}}}\n',
    '{"type": "stats", "data": {"@s": {"count": 1, "average": 4, "total": 4}}}\n',
  ].join('');
  const c = shown(aggMap('@c', V, agg('count', false), [[NONE]]));
  const maps = [
    shown(aggMap('@s', V, agg('stats'), [[NONE, 4n]])),
    c,
    keyed('@m', tuple(I64, S), I64, [[[1n, 'x'], 2n]]),
    shown(aggMap('@l', V, lh(0n, 10n, 2n), [[NONE, 5n]])),
    shown(aggMap('@h', V, agg('hist'), [[NONE, 3n]])),
    shown(aggMap('@a', V, agg('avg'), [[NONE, 3n]])),
  ];
  const printf = formatPrintf(parseFormat('hi %d\n'), [5n], [I64]);
  const out = jsonAttached(1) + jsonPrintf(printf) + jsonMap(c.def, c.entries) + jsonExitMaps(maps);
  assert.equal(out, expected);
  assertParses(out);
});

test('printf text is escaped byte by byte as bpftrace does (bytes >= 0x80 as \\uffffffXX)', () => {
  // BEGIN { printf("a\tb\"c\\d\x01\x1b\x7f é %s|\n", "x"); printf("no newline");
  //   printf("\r\x08\x0c"); printf("x%cy\n", 0); exit(); }
  const expected = [
    '{"type": "printf", "data": "a\\tb\\"c\\\\d\\u0001\\u001b\x7f \\uffffffc3\\uffffffa9 x|\\n"}\n',
    '{"type": "printf", "data": "no newline"}\n',
    '{"type": "printf", "data": "\\r\\u0008\\u000c"}\n',
    '{"type": "printf", "data": "xy\\n"}\n',
  ].join('');
  const p = (fmt: string, args: Value[], types: SType[]): string => jsonPrintf(formatPrintf(parseFormat(fmt), args, types));
  const out = p('a\tb"c\\d\x01\x1b\x7f é %s|\n', ['x'], [S]) + p('no newline', [], [])
    + p('\r\x08\x0c', [], []) + p('x%cy\n', [0n], [I64]);
  assert.equal(out, expected);
  assertParses(out);
  // The quirk parses, but not back to the text: "é" comes back as U+FFFF, "ffc3", U+FFFF, "ffa9".
  assert.equal(JSON.parse(`"${jsonEscape('é')}"`), '\uffffffc3\uffffffa9');
  assert.equal(jsonEscape('\0\x1f \x7f~'), '\\u0000\\u001f \x7f~');
  // A character outside the BMP: its four UTF-8 bytes.
  assert.equal(jsonEscape('😀'), '\\ufffffff0\\uffffff9f\\uffffff98\\uffffff80');
});

test('time, system, cat, join and lost_events messages', () => {
  // bpftrace --unsafe -f json -e 'BEGIN { system("echo hi; printf \"a\\tb\"");
  //   cat("/tmp/catme.txt"); time("%H:%M\n"); exit(); }'   (catme.txt: 'line1\nli"ne2\n', at 06:00)
  // bpftrace -f json -e 'tracepoint:syscalls:sys_enter_execve { join(args->argv);
  //   join(args->argv, ","); exit(); }' -c '/bin/echo a "b\"c" d'
  const expected = [
    '{"type": "syscall", "data": "hi\\na\\tb"}\n',
    '{"type": "cat", "data": "line1\\nli\\"ne2\\n"}\n',
    '{"type": "time", "data": "06:00\\n"}\n',
    '{"type": "join", "data": "/bin/echo a \\"b\\\\\\"c\\" d"}\n',
    '{"type": "join", "data": "/bin/echo,a,\\"b\\\\\\"c\\",d"}\n',
  ].join('');
  const out = jsonSyscall('hi\na\tb') + jsonCat('line1\nli"ne2\n') + jsonTime('06:00\n')
    + jsonJoin('/bin/echo a "b\\"c" d') + jsonJoin('/bin/echo,a,"b\\"c",d');
  assert.equal(out, expected);
  assertParses(out);
  // BPFTRACE_PERF_RB_PAGES=1 bpftrace -f json -e 'tracepoint:raw_syscalls:sys_enter {
  //   printf("%s %s %s %s\n", comm, comm, comm, comm); } interval:s:3 { exit(); }'  (under load)
  assert.equal(jsonLost(3) + jsonAttached(2n),
    '{"type": "lost_events", "data": {"events": 3}}\n{"type": "attached_probes", "data": {"probes": 2}}\n');
});

test('print(value): numbers bare, strings and buffers quoted, tuples/arrays [a,b], records { "a": 1 }', () => {
  // struct X { int a; char b[3]; unsigned long c[2]; } BEGIN { print(5); print(-3);
  //   print("a\"b\\c\td\x01e"); print((1, "two", -3)); print((uint8)255);
  //   print((1, ("n", -2), "y")); print(*(struct X*)0); print(((struct X*)0)->c);
  //   print(buf("ab\x00\xff", 4)); print(ntop(0x0100007f)); print(kaddr("vfs_read"));
  //   @p = (int8*)-1; exit(); }
  const expected = [
    '{"type": "value", "data": 5}\n',
    '{"type": "value", "data": -3}\n',
    '{"type": "value", "data": "a\\"b\\\\c\\td\\u0001e"}\n',
    '{"type": "value", "data": [1,"two",-3]}\n',
    '{"type": "value", "data": 255}\n',
    '{"type": "value", "data": [1,["n",-2],"y"]}\n',
    '{"type": "value", "data": { "a": 0, "b": "", "c": [0,0] }}\n',
    '{"type": "value", "data": [0,0]}\n',
    '{"type": "value", "data": "ab\\\\x00\\\\xff"}\n',
    '{"type": "value", "data": "127.0.0.1"}\n',
    '{"type": "value", "data": 18446744071585901424}\n',
    '\n',
    '\n',
    '{"type": "map", "data": {"@p": -1}}\n',
  ].join('');
  const arr: SType = { kind: 'array', of: U64, length: 2 };
  const X: SType = {
    kind: 'record', name: 'struct X', size: 24, align: 8, union: false,
    fields: [{ name: 'a', type: I32, offset: 0 }, { name: 'b', type: { kind: 'string', size: 3 }, offset: 4 }, { name: 'c', type: arr, offset: 8 }],
  };
  const x: Value = { kind: 'record', name: 'struct X', fields: [{ name: 'a', value: 0n }, { name: 'b', value: '' }, { name: 'c', value: [0n, 0n] }] };
  const inet: Value = { kind: 'symbol', what: 'inet', addr: 2n, bytes: concat(u64s(2n), new Uint8Array([127, 0, 0, 1, ...new Array<number>(12).fill(0)])) };
  const kaddr = 18446744071585901424n; // what kaddr("vfs_read") was on that kernel
  const out = [
    jsonValue(I64, 5n), jsonValue(I64, -3n), jsonValue(S, 'a"b\\c\td\x01e'),
    jsonValue(tuple(I64, S, I64), [1n, 'two', -3n]), jsonValue(U8, 255n),
    jsonValue(tuple(I64, tuple(S, I64), S), [1n, ['n', -2n], 'y']), jsonValue(X, x), jsonValue(arr, [0n, 0n]),
    jsonValue({ kind: 'buffer', size: 4 }, { kind: 'buffer', bytes: new Uint8Array([0x61, 0x62, 0, 0xff]) }),
    jsonValue({ kind: 'symbol', what: 'inet', size: 24 }, inet),
    jsonValue({ kind: 'symbol', what: 'kaddr', size: 8 }, { kind: 'symbol', what: 'kaddr', addr: kaddr, bytes: u64s(kaddr) }),
    jsonExitMaps([scalar('@p', PTR, 2n ** 64n - 1n)]),
  ].join('');
  assert.equal(out, expected);
  assertParses(out);
});

test('values the running system resolves: probe, username, ksym keys and values, stacks', () => {
  // BEGIN { print(probe); print(username); print(ksym(kaddr("vfs_read")));
  //   @k[ksym(kaddr("vfs_read"))] = count(); exit(); }
  // and, for stacks, bpftrace -f json -e 'tracepoint:syscalls:sys_enter_getpid { print(kstack(3));
  //   @s[kstack(2)] = count(); exit(); }' (the count is how often getpid ran before exit)
  const expected = [
    '{"type": "value", "data": "BEGIN"}\n',
    '{"type": "value", "data": "root"}\n',
    '{"type": "value", "data": "vfs_read"}\n',
    '{"type": "value", "data": "\\n        perf_syscall_enter+397\\n        syscall_trace_enter+384\\n        do_syscall_64+506\\n"}\n',
    '{"type": "map", "data": {"@k": {"vfs_read": 1}}}\n',
    '{"type": "map", "data": {"@s": {"\\n    perf_syscall_enter+397\\n    syscall_trace_enter+384\\n": 66}}}\n',
  ].join('');
  const syms = new Map([[0x1000n, 'vfs_read'], [0x2000n, 'perf_syscall_enter+397'], [0x3000n, 'syscall_trace_enter+384'], [0x4000n, 'do_syscall_64+506']]);
  const r: Partial<Resolver> = {
    probe: () => 'BEGIN',
    username: () => 'root',
    ksym: (a) => syms.get(a) ?? '?',
    stack: (s) => [0x2000n, 0x3000n, 0x4000n].slice(0, s.limit),
  };
  const sym = (what: 'probe' | 'username' | 'ksym', addr: bigint): [SType, Value] =>
    [{ kind: 'symbol', what, size: 8 }, { kind: 'symbol', what, addr, bytes: u64s(addr) }];
  const K = sym('ksym', 0x1000n);
  const kstack = (limit: number): SType => ({ kind: 'stack', space: 'kernel', mode: 'bpftrace', limit });
  const k = aggMap('@k', K[0], agg('count', false), [[K[1]]]);
  // A kstack key is the stack id (the frames come from the resolver).
  const sdef = mapDef('@s', kstack(2), agg('count', false), 'percpu_hash');
  const s: MapEntry = { key: u64s(7n), values: [u64s(30n), u64s(36n)] };
  const out = jsonValue(...sym('probe', 0n), r) + jsonValue(...sym('username', 0n), r) + jsonValue(...K, r)
    + jsonValue(kstack(3), { kind: 'stack', space: 'kernel', mode: 'bpftrace', limit: 3, id: 7, pid: 0 }, r)
    + jsonMap(k.def, k.entries(), { resolver: r }) + jsonMap(sdef, [s], { resolver: r });
  assert.equal(out, expected);
  assertParses(out);
});

test('plain maps: key kinds, multi-part keys joined by ",", escaped keys and values, scalars', () => {
  // BEGIN { @m[(uint64)-2] = 1; @m[(uint64)7] = 2; @z[(int8)-1, (uint16)65535, "q"] = -9;
  //   @ptr[(int8*)16] = 1; @b[buf("a\xff", 2)] = buf("x\"y", 3); @k["é\t"] = "ü\x1f";
  //   @sv["b"] = "x"; @sv["a"] = "y"; @ = 1; @t = (1, "s"); @u8 = (uint8)200; @neg = (int16)-3;
  //   exit(); }
  const expected = [
    '\n',
    '\n',
    '{"type": "map", "data": {"@": 1}}\n',
    '{"type": "map", "data": {"@b": {"a\\\\xff": "x\\"y"}}}\n',
    '{"type": "map", "data": {"@k": {"\\uffffffc3\\uffffffa9\\t": "\\uffffffc3\\uffffffbc\\u001f"}}}\n',
    '{"type": "map", "data": {"@m": {"-2": 1, "7": 2}}}\n',
    '{"type": "map", "data": {"@neg": -3}}\n',
    '{"type": "map", "data": {"@ptr": {"0x10": 1}}}\n',
    '{"type": "map", "data": {"@sv": {"a": "y", "b": "x"}}}\n',
    '{"type": "map", "data": {"@t": [1,"s"]}}\n',
    '{"type": "map", "data": {"@u8": 200}}\n',
    '{"type": "map", "data": {"@z": {"-1,65535,q": -9}}}\n',
  ].join('');
  const buf = (n: number, bytes: number[]): [SType, Value] =>
    [{ kind: 'buffer', size: n }, { kind: 'buffer', bytes: new Uint8Array(bytes) }];
  const [B2, bkey] = buf(2, [0x61, 0xff]);
  const [B3, bval] = buf(3, [0x78, 0x22, 0x79]);
  const maps = [
    keyed('@m', U64, I64, [[2n ** 64n - 2n, 1n], [7n, 2n]]),
    keyed('@z', tuple(I8, U16, S), I64, [[[-1n, 65535n, 'q'], -9n]]),
    keyed('@ptr', PTR, I64, [[16n, 1n]]),
    keyed('@b', B2, B3, [[bkey, bval]]),
    keyed('@k', S, S, [['é\t', 'ü\x1f']]),
    keyed('@sv', S, S, [['b', 'x'], ['a', 'y']]),
    scalar('@', I64, 1n),
    scalar('@t', tuple(I64, S), [1n, 's']),
    scalar('@u8', U8, 200n),
    scalar('@neg', I16, -3n),
  ];
  const out = jsonExitMaps(maps);
  assert.equal(out, expected);
  assertParses(out);
});

test('aggregations: count/sum/min/max are "map", avg/stats are "stats", sorted as in text', () => {
  // BEGIN { @c[1] = count(); @c[2] = count(); @c[2] = count(); @s["b"] = sum(-7); @s["a"] = sum(3);
  //   @mn = min(-4); @mx = max(9); @a[1] = avg(-7); @a[1] = avg(2); @a[2] = avg(10);
  //   @st[1] = stats(-7); @st[1] = stats(2); @st[2] = stats(10); @ss = stats(6); @ss = stats(1);
  //   exit(); }
  const expected = [
    '\n',
    '\n',
    '{"type": "stats", "data": {"@a": {"1": -2, "2": 10}}}\n',
    '{"type": "map", "data": {"@c": {"1": 1, "2": 2}}}\n',
    '{"type": "map", "data": {"@mn": -4}}\n',
    '{"type": "map", "data": {"@mx": 9}}\n',
    '{"type": "map", "data": {"@s": {"b": -7, "a": 3}}}\n',
    '{"type": "stats", "data": {"@ss": {"count": 2, "average": 3, "total": 7}}}\n',
    '{"type": "stats", "data": {"@st": {"1": {"count": 2, "average": -2, "total": -5}, "2": {"count": 1, "average": 10, "total": 10}}}}\n',
  ].join('');
  const maps = [
    aggMap('@c', I64, agg('count', false), [[2n], [1n], [2n]]),
    aggMap('@s', S, agg('sum'), [['b', -7n], ['a', 3n]]),
    aggMap('@mn', V, agg('min'), [[NONE, -4n]]),
    aggMap('@mx', V, agg('max'), [[NONE, 9n]]),
    aggMap('@a', I64, agg('avg'), [[1n, -7n], [1n, 2n], [2n, 10n]]),
    aggMap('@st', I64, agg('stats'), [[2n, 10n], [1n, -7n], [1n, 2n]]),
    aggMap('@ss', V, agg('stats'), [[NONE, 6n], [NONE, 1n]]),
  ].map(shown);
  const out = jsonExitMaps(maps);
  assert.equal(out, expected);
  assertParses(out);
});

test('hist: {"min", "max", "count"} per bucket over the non-empty range, keyed maps by total', () => {
  // BEGIN { @h[1,"a\"b"] = hist(1); @h[1,"a\"b"] = hist(1); @h[2,"c"] = hist(-5); @h[2,"c"] = hist(0);
  //   @h[2,"c"] = hist(1000000); @h[3, "d"] = hist(1073741824); @n = hist(-1); @z = hist(0);
  //   @z = hist(2); exit(); }
  const expected = [
    '\n',
    '\n',
    '{"type": "hist", "data": {"@h": {"3,d": [{"min": 1073741824, "max": 2147483647, "count": 1}], "1,a\\"b": [{"min": 1, "max": 1, "count": 2}], '
      + '"2,c": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 0}, '
      + '{"min": 4, "max": 7, "count": 0}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, '
      + '{"min": 64, "max": 127, "count": 0}, {"min": 128, "max": 255, "count": 0}, {"min": 256, "max": 511, "count": 0}, '
      + '{"min": 512, "max": 1023, "count": 0}, {"min": 1024, "max": 2047, "count": 0}, {"min": 2048, "max": 4095, "count": 0}, '
      + '{"min": 4096, "max": 8191, "count": 0}, {"min": 8192, "max": 16383, "count": 0}, {"min": 16384, "max": 32767, "count": 0}, '
      + '{"min": 32768, "max": 65535, "count": 0}, {"min": 65536, "max": 131071, "count": 0}, {"min": 131072, "max": 262143, "count": 0}, '
      + '{"min": 262144, "max": 524287, "count": 0}, {"min": 524288, "max": 1048575, "count": 1}]}}}\n',
    '{"type": "hist", "data": {"@n": [{"max": -1, "count": 1}]}}\n',
    '{"type": "hist", "data": {"@z": [{"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 1}]}}\n',
  ].join('');
  const maps = [
    aggMap('@h', tuple(I64, S), agg('hist'), [[[1n, 'a"b'], 1n], [[1n, 'a"b'], 1n], [[2n, 'c'], -5n], [[2n, 'c'], 0n], [[2n, 'c'], 1000000n], [[3n, 'd'], 1073741824n]]),
    aggMap('@n', V, agg('hist'), [[NONE, -1n]]),
    aggMap('@z', V, agg('hist'), [[NONE, 0n], [NONE, 2n]]),
  ].map(shown);
  const out = jsonExitMaps(maps);
  assert.equal(out, expected);
  assertParses(out);
  const h = JSON.parse(out.split('\n')[2]!) as { data: { '@h': Record<string, { min?: number; max: number; count: number }[]> } };
  assert.deepEqual(Object.keys(h.data['@h']), ['3,d', '1,a"b', '2,c']);
});

test('hist buckets from 2^31 up print their true bounds (bpftrace 0.17 overflows a 32-bit int)', () => {
  // BEGIN { @big = hist(2147483648); exit(); } — bpftrace 0.17 prints
  //   {"type": "hist", "data": {"@big": [{"min": -2147483648, "max": 0, "count": 1}]}}
  // (1 << 31 and (1 << 32) - 1 in int). sonde prints the bucket's bounds; it also keeps values
  // from 2^32 up out of that bucket (true 64-bit log2), so the last bucket ends at 2^64 - 1.
  const def = mapDef('@big', V, agg('hist'), 'percpu_hash');
  const entries: MapEntry[] = [33n, 65n].map((b) => ({ key: u64s(b), values: [u64s(1n), u64s(0n)] }));
  const out = jsonMap(def, entries);
  assert.equal(out, '{"type": "hist", "data": {"@big": [{"min": 2147483648, "max": 4294967295, "count": 1}, '
    + Array.from({ length: 31 }, (_, i) => `{"min": ${2n ** BigInt(32 + i)}, "max": ${2n ** BigInt(33 + i) - 1n}, "count": 0}, `).join('')
    + '{"min": 9223372036854775808, "max": 18446744073709551615, "count": 1}]}}\n');
  assertParses(out);
});

test('lhist: below min {"max": min-1}, at or above max {"min": max}, partial last step', () => {
  // BEGIN { @l[1] = lhist(-5, 0, 10, 2); @l[1] = lhist(11, 0, 10, 2); @l[1] = lhist(10, 0, 10, 2);
  //   @l[2] = lhist(3, 0, 10, 2); @n = lhist(2048, 1024, 4096, 1024); @o = lhist(5, 0, 10, 3);
  //   @o = lhist(9, 0, 10, 3); @m = lhist(5, 5, 105, 25); @m = lhist(104, 5, 105, 25);
  //   @m = lhist(105, 5, 105, 25); @m = lhist(1, 5, 105, 25); exit(); }
  const expected = [
    '\n',
    '\n',
    '{"type": "hist", "data": {"@l": {"2": [{"min": 2, "max": 3, "count": 1}], "1": [{"max": -1, "count": 1}, {"min": 0, "max": 1, "count": 0}, '
      + '{"min": 2, "max": 3, "count": 0}, {"min": 4, "max": 5, "count": 0}, {"min": 6, "max": 7, "count": 0}, {"min": 8, "max": 9, "count": 0}, '
      + '{"min": 10, "count": 2}]}}}\n',
    '{"type": "hist", "data": {"@m": [{"max": 4, "count": 1}, {"min": 5, "max": 29, "count": 1}, {"min": 30, "max": 54, "count": 0}, '
      + '{"min": 55, "max": 79, "count": 0}, {"min": 80, "max": 104, "count": 1}, {"min": 105, "count": 1}]}}\n',
    '{"type": "hist", "data": {"@n": [{"min": 2048, "max": 3071, "count": 1}]}}\n',
    '{"type": "hist", "data": {"@o": [{"min": 3, "max": 5, "count": 1}, {"min": 6, "max": 8, "count": 0}, {"min": 10, "count": 1}]}}\n',
  ].join('');
  const maps = [
    aggMap('@l', I64, lh(0n, 10n, 2n), [[1n, -5n], [1n, 11n], [1n, 10n], [2n, 3n]]),
    aggMap('@n', V, lh(1024n, 4096n, 1024n), [[NONE, 2048n]]),
    aggMap('@o', V, lh(0n, 10n, 3n), [[NONE, 5n], [NONE, 9n]]),
    aggMap('@m', V, lh(5n, 105n, 25n), [[NONE, 5n], [NONE, 104n], [NONE, 105n], [NONE, 1n]]),
  ].map(shown);
  const out = jsonExitMaps(maps);
  assert.equal(out, expected);
  assertParses(out);
});

test('empty maps print nothing; zeroed ones print their zeros, hist/lhist as []', () => {
  // BEGIN { @x[1] = 1; delete(@x[1]); @h = hist(1); clear(@h); @c = count(); zero(@c);
  //   @h2 = hist(1); zero(@h2); @hk[1] = hist(1); @hk[2] = hist(5); zero(@hk);
  //   @l = lhist(3, 0, 10, 1); zero(@l); @lk[1, "a"] = lhist(3, 0, 10, 1); zero(@lk);
  //   @s = stats(1); zero(@s); @m[1] = 1; zero(@m); @a = avg(5); clear(@a); exit(); }
  const expected = [
    '\n',
    '\n',
    '{"type": "map", "data": {"@c": 0}}\n',
    '{"type": "hist", "data": {"@h2": []}}\n',
    '{"type": "hist", "data": {"@hk": {"1": [], "2": []}}}\n',
    '{"type": "hist", "data": {"@l": []}}\n',
    '{"type": "hist", "data": {"@lk": {"1,a": []}}}\n',
    '{"type": "map", "data": {"@m": {"1": 0}}}\n',
    '{"type": "stats", "data": {"@s": {"count": 0, "average": 0, "total": 0}}}\n',
  ].join('');
  const zeroed = (m: AggMap): Shown => shown(m.zero());
  const maps = [
    empty(mapDef('@x', I64, I64)),
    empty(mapDef('@h', V, agg('hist'))),
    empty(mapDef('@a', V, agg('avg'))),
    zeroed(aggMap('@c', V, agg('count', false), [[NONE]])),
    zeroed(aggMap('@h2', V, agg('hist'), [[NONE, 1n]])),
    zeroed(aggMap('@hk', I64, agg('hist'), [[1n, 1n], [2n, 5n]])),
    zeroed(aggMap('@l', V, lh(0n, 10n, 1n), [[NONE, 3n]])),
    zeroed(aggMap('@lk', tuple(I64, S), lh(0n, 10n, 1n), [[[1n, 'a'], 3n]])),
    zeroed(aggMap('@s', V, agg('stats'), [[NONE, 1n]])),
    keyed('@m', I64, I64, [[1n, 0n]]),
  ];
  const out = jsonExitMaps(maps);
  assert.equal(out, expected);
  assertParses(out);
  assert.equal(jsonMap(mapDef('@e', I64, I64), []), '');
  // Internal maps are not printed.
  assert.equal(jsonExitMaps([{ ...scalar('.events', I64, 1n), def: { ...mapDef('.events', V, I64), user: false } }]), '\n\n');
});

test('print(@m, top, div): hist divides counts, lhist ignores div, stats ignores both', () => {
  // BEGIN { @c[1] = count(); @c[2] = count(); @c[2] = count(); @c[3] = count(); @c[3] = count();
  //   @c[3] = count(); print(@c, 2); print(@c, 0, 2); print(@c, 1, 3); @e[1] = 1; delete(@e[1]);
  //   print(@e); @a[1] = avg(10); @a[2] = avg(20); @a[3] = avg(30); print(@a, 2, 3);
  //   @s[1] = stats(10); @s[2] = stats(20); print(@s, 1, 3); @h[1] = hist(8); @h[1] = hist(8);
  //   @h[1] = hist(8); @h[2] = hist(1); print(@h, 1, 2); @l[1] = lhist(1, 0, 10, 1);
  //   @l[1] = lhist(1, 0, 10, 1); @l[2] = lhist(1, 0, 10, 1); @l[2] = lhist(1, 0, 10, 1);
  //   @l[2] = lhist(1, 0, 10, 1); print(@l, 1, 2); @i[1] = 7; @i[2] = -8; print(@i, 0, 2);
  //   clear(@a); clear(@s); clear(@h); clear(@l); clear(@c); clear(@i); exit(); }
  const expected = [
    '{"type": "map", "data": {"@c": {"2": 2, "3": 3}}}\n',
    '{"type": "map", "data": {"@c": {"1": 0, "2": 1, "3": 1}}}\n',
    '{"type": "map", "data": {"@c": {"3": 1}}}\n',
    '{"type": "stats", "data": {"@a": {"2": 6, "3": 10}}}\n',
    '{"type": "stats", "data": {"@s": {"1": {"count": 1, "average": 10, "total": 10}, "2": {"count": 1, "average": 20, "total": 20}}}}\n',
    '{"type": "hist", "data": {"@h": {"1": [{"min": 8, "max": 15, "count": 1}]}}}\n',
    '{"type": "hist", "data": {"@l": {"2": [{"min": 1, "max": 1, "count": 3}]}}}\n',
    '{"type": "map", "data": {"@i": {"2": -4, "1": 3}}}\n',
    '\n',
    '\n',
  ].join('');
  const c = aggMap('@c', I64, agg('count', false), [[1n], [2n], [2n], [3n], [3n], [3n]]);
  const a = aggMap('@a', I64, agg('avg'), [[1n, 10n], [2n, 20n], [3n, 30n]]);
  const s = aggMap('@s', I64, agg('stats'), [[1n, 10n], [2n, 20n]]);
  const h = aggMap('@h', I64, agg('hist'), [[1n, 8n], [1n, 8n], [1n, 8n], [2n, 1n]]);
  const l = aggMap('@l', I64, lh(0n, 10n, 1n), [[1n, 1n], [1n, 1n], [2n, 1n], [2n, 1n], [2n, 1n]]);
  const i = keyed('@i', I64, I64, [[1n, 7n], [2n, -8n]]);
  const out = [
    jsonMap(c.def, c.entries(), { top: 2 }), jsonMap(c.def, c.entries(), { top: 0, div: 2 }),
    jsonMap(c.def, c.entries(), { top: 1, div: 3 }), jsonMap(mapDef('@e', I64, I64), []),
    jsonMap(a.def, a.entries(), { top: 2, div: 3 }), jsonMap(s.def, s.entries(), { top: 1, div: 3 }),
    jsonMap(h.def, h.entries(), { top: 1, div: 2 }), jsonMap(l.def, l.entries(), { top: 1, div: 2 }),
    jsonMap(i.def, i.entries, { div: 2 }),
    jsonExitMaps([c, a, s, h, l].map((m) => empty(m.def)).concat([empty(i.def)])),
  ].join('');
  assert.equal(out, expected);
  assertParses(out);
});

test('merged entries (the runtime reader\'s shape) print the same as kernel entries', () => {
  const h = aggMap('@h', tuple(I64, S), agg('hist'), [[[1n, 'a'], 1n], [[2n, 'b'], 5n], [[2n, 'b'], 6n], [[1n, 'a'], 300n]]);
  const st = aggMap('@st', V, agg('stats'), [[NONE, 4n], [NONE, 9n]]);
  for (const m of [h, st]) assert.equal(jsonMergedMap(m.def, mergeEntries(m.def, m.entries())), jsonMap(m.def, m.entries()));
  // A scalar count read from its per-CPU array: the key is empty.
  const c = mapDef('@c', V, agg('count', false), 'percpu_array');
  assert.equal(jsonMergedMap(c, [{ key: new Uint8Array(0), value: { fn: 'count', count: 4n } }]), '{"type": "map", "data": {"@c": 4}}\n');
});

test('SIGUSR1: every user map by name, without the empty lines printed at exit', () => {
  // bpftrace -f json -e 'BEGIN { @b[2] = hist(3); @a = 1; @e[1] = 1; delete(@e[1]); }
  //   interval:s:2 { exit(); }' with `kill -USR1` after a second: the first two lines
  const h = aggMap('@b', I64, agg('hist'), [[2n, 3n]]);
  const out = jsonMaps([shown(h), scalar('@a', I64, 1n), empty(mapDef('@e', I64, I64))]);
  assert.equal(out, '{"type": "map", "data": {"@a": 1}}\n{"type": "hist", "data": {"@b": {"2": [{"min": 2, "max": 3, "count": 1}]}}}\n');
  assertParses(out);
});

test('strerror, strftime, cgroup_path and macaddr values are quoted (bpftrace 0.17 prints them bare)', () => {
  // BEGIN { print(strerror(2)); @e = strerror(3); exit(); } — bpftrace 0.17 prints
  //   {"type": "value", "data": No such file or directory}   and   {"type": "map", "data": {"@e": No such process}}
  // which no JSON parser accepts; sonde quotes these values as it quotes strings.
  const E: SType = { kind: 'symbol', what: 'strerror', size: 8 };
  const errno = (n: bigint): Value => ({ kind: 'symbol', what: 'strerror', addr: n, bytes: u64s(n) });
  const M: SType = { kind: 'symbol', what: 'macaddr', size: 6 };
  const mac: Value = { kind: 'symbol', what: 'macaddr', addr: 0n, bytes: new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]) };
  const T: SType = { kind: 'symbol', what: 'timestamp', size: 16 };
  const ts: Value = { kind: 'symbol', what: 'timestamp', addr: 0n, bytes: new Uint8Array(16) };
  const out = jsonValue(E, errno(2n)) + jsonMap(scalar('@e', E, errno(3n)).def, scalar('@e', E, errno(3n)).entries)
    + jsonValue(M, mac) + jsonValue(T, ts, { timestamp: () => '04' });
  assert.equal(out, [
    '{"type": "value", "data": "No such file or directory"}\n',
    '{"type": "map", "data": {"@e": "No such process"}}\n',
    '{"type": "value", "data": "AA:BB:CC:DD:EE:FF"}\n',
    '{"type": "value", "data": "04"}\n',
  ].join(''));
  assertParses(out);
});

import { BtfBuilder } from './builder.js';

/**
 * The C this fixture encodes (offsets checked against gcc on x86-64):
 *
 *   typedef unsigned int u32;
 *   typedef u32 myu32;
 *   typedef const volatile myu32 cvu32;
 *   struct inner { int a; char b; };                       // size 8, align 4
 *   struct outer {
 *     int x;                                               // 0
 *     unsigned int flags:3;                                // bit 32
 *     unsigned int mode:5;                                 // bit 35
 *     union { struct { u32 lo; u32 hi; }; unsigned long long whole; };   // 8
 *     struct inner in;                                     // 16
 *     char comm[16];                                       // 24
 *     struct outer *next;                                  // 40
 *     int (*cb)(int, char *);                              // 48
 *     long long arr2[2][3];                                // 56
 *   };                                                     // size 104, align 8
 *   struct __attribute__((packed)) pk { char c; int i; }; // size 5, align 1
 *   struct outer;  (a stray forward declaration, as BTF can hold)
 *   typedef struct outer outer_t;
 *   enum color { RED, GREEN = 5, BLUE = -1 };              // signed
 *   enum flags32 { ALL = 0xffffffff };                     // unsigned
 *   enum big : u64 { HUGE = 0xffffffffffffffff };          // enum64 unsigned
 *   enum neg64 : s64 { NEG = -2 };                         // enum64 signed
 *   int myfunc(int a, const char *s);                      // global
 *   static int logf(const char *fmt, ...);
 *   float f32; long int; _Bool; struct legacy with an old-style int bitfield;
 *   int __user *uptr; int counter SEC(".data"); __attribute__((btf_decl_tag("hot"))) on myfunc.
 */
export function buildFixture() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const uint = b.int('unsigned int', 4);
  const char = b.int('char', 1, { signed: true, char: true });
  const ll = b.int('long long', 8, { signed: true });
  const ull = b.int('unsigned long long', 8);
  const long = b.int('long int', 8, { signed: true });
  const bool = b.int('_Bool', 1, { bool: true });
  const u32 = b.typedef('u32', uint);
  const myu32 = b.typedef('myu32', u32);
  const vol = b.volatile(myu32);
  const cvol = b.const(vol);
  const cvu32 = b.typedef('cvu32', cvol);
  const inner = b.struct('inner', 8, [['a', int, 0], ['b', char, 32]]);
  const anonStruct = b.struct('', 8, [['lo', u32, 0], ['hi', u32, 32]]);
  const anonUnion = b.union('', 8, [['', anonStruct, 0], ['whole', ull, 0]]);
  const charArr = b.array(char, 16, int);
  // `struct outer *` needs outer's id before outer exists: ids are sequential, so compute it.
  const outerPtr = b.ptr(b.nextId + 6);
  const charPtr = b.ptr(char);
  const cbProto = b.funcProto(int, [['', int], ['', charPtr]]);
  const cbPtr = b.ptr(cbProto);
  const llRow = b.array(ll, 3, int);
  const llGrid = b.array(llRow, 2, int);
  const outer = b.struct('outer', 104, [
    ['x', int, 0],
    ['flags', uint, 32, 3],
    ['mode', uint, 35, 5],
    ['', anonUnion, 64],
    ['in', inner, 128],
    ['comm', charArr, 192],
    ['next', outerPtr, 320],
    ['cb', cbPtr, 384],
    ['arr2', llGrid, 448],
  ]);
  if (outer !== outerPtr + 6) throw new Error('fixture ids drifted: outerPtr does not point at outer');
  const pk = b.struct('pk', 5, [['c', char, 0], ['i', int, 8]]);
  const fwd = b.fwd('outer');
  const fwdUnion = b.fwd('maybe', true);
  const outerT = b.typedef('outer_t', outer);
  const color = b.enum('color', 4, [['RED', 0], ['GREEN', 5], ['BLUE', -1]], true);
  const flags32 = b.enum('flags32', 4, [['ALL', 0xffffffff]]);
  const big = b.enum64('big', 8, [['HUGE', 0xffffffffffffffffn]]);
  const neg64 = b.enum64('neg64', 8, [['NEG', -2n]], true);
  const constChar = b.const(char);
  const constCharPtr = b.ptr(constChar);
  const myfuncProto = b.funcProto(int, [['a', int], ['s', constCharPtr]]);
  const myfunc = b.func('myfunc', myfuncProto, 1);
  const logProto = b.funcProto(int, [['fmt', constCharPtr]], true);
  const logf = b.func('logf', logProto, 0);
  const f32 = b.float('float', 4);
  // Old-style bitfield: struct's kind_flag clear, the member's INT says 4 bits at bit offset 2.
  const int4 = b.int('int', 4, { signed: true, bits: 4, offset: 2 });
  const legacy = b.struct('legacy', 4, [['nib', int4, 8], ['whole', int, 0]], false);
  const userTag = b.typeTag('user', int);
  const uptr = b.ptr(userTag);
  const counter = b.var('counter', int, 1);
  const data = b.datasec('.data', 4, [[counter, 0, 4]]);
  const hot = b.declTag('hot', myfunc, -1);
  const argTag = b.declTag('nonnull', myfunc, 1, true);
  const restrictPtr = b.restrict(charPtr);
  const constPtr = b.const(charPtr);
  const ptrToArr = b.ptr(charArr);
  const arrOfPtr = b.array(charPtr, 4, int);
  return {
    b, int, uint, char, ll, ull, long, bool, u32, myu32, vol, cvol, cvu32, inner, anonStruct, anonUnion,
    charArr, outerPtr, charPtr, cbProto, cbPtr, llRow, llGrid, outer, pk, fwd, fwdUnion, outerT, color, flags32,
    big, neg64, constChar, constCharPtr, myfuncProto, myfunc, logProto, logf, f32, int4, legacy, userTag, uptr,
    counter, data, hot, argTag, restrictPtr, constPtr, ptrToArr, arrOfPtr,
  };
}

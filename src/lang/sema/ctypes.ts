/**
 * C type names as scripts and tracepoint formats write them, turned into script value types:
 * integer cast names (`uint32`, `unsigned long`, `u8`, `pid_t`), pointer declarations and the
 * field declarations of tracefs format files (`const char * filename`, `char prev_comm[16]`,
 * `__data_loc char[] filename`).
 */
import type { TracepointFieldInfo } from '../kernel-view.js';
import type { AddrSpace, IntType, SType, RecordType, RecordField } from '../types.js';

const int = (size: 1 | 2 | 4 | 8, signed: boolean): IntType => ({ kind: 'int', size, signed });

/** bpftrace's own integer names plus common kernel/C spellings. */
const NAMED_INTS: Record<string, IntType> = {
  int8: int(1, true), uint8: int(1, false), int16: int(2, true), uint16: int(2, false),
  int32: int(4, true), uint32: int(4, false), int64: int(8, true), uint64: int(8, false),
  u8: int(1, false), u16: int(2, false), u32: int(4, false), u64: int(8, false),
  s8: int(1, true), s16: int(2, true), s32: int(4, true), s64: int(8, true),
  __u8: int(1, false), __u16: int(2, false), __u32: int(4, false), __u64: int(8, false),
  __s8: int(1, true), __s16: int(2, true), __s32: int(4, true), __s64: int(8, true),
  int8_t: int(1, true), uint8_t: int(1, false), int16_t: int(2, true), uint16_t: int(2, false),
  int32_t: int(4, true), uint32_t: int(4, false), int64_t: int(8, true), uint64_t: int(8, false),
  bool: int(1, false), _Bool: int(1, false),
  size_t: int(8, false), ssize_t: int(8, true), pid_t: int(4, true), uid_t: int(4, false), gid_t: int(4, false),
  loff_t: int(8, true), off_t: int(8, true), umode_t: int(2, false), dev_t: int(4, false),
  __le16: int(2, false), __le32: int(4, false), __le64: int(8, false),
  __be16: int(2, false), __be32: int(4, false), __be64: int(8, false),
  gfp_t: int(4, false), sector_t: int(8, false), clockid_t: int(4, true), key_serial_t: int(4, true),
  qid_t: int(4, false), aio_context_t: int(8, false), timer_t: int(4, true), mqd_t: int(4, true),
  rwf_t: int(4, true), cap_user_header_t: int(8, false), cap_user_data_t: int(8, false),
};

/** The C base-type words (`unsigned`, `long`, …) that make an integer type. */
const C_INT_WORDS = new Set(['signed', 'unsigned', 'char', 'short', 'int', 'long']);

/**
 * An integer type from its written name: `uint32`, `u8`, `unsigned long long`, `pid_t`.
 * `undefined` when the name is not an integer type this compiler knows.
 */
export function intTypeByName(name: string): IntType | undefined {
  const words = name.trim().split(/\s+/).filter((w) => w !== 'const' && w !== 'volatile');
  if (words.length === 1 && NAMED_INTS[words[0]!]) return NAMED_INTS[words[0]!];
  if (words.length === 0 || !words.every((w) => C_INT_WORDS.has(w))) return undefined;
  const unsigned = words.includes('unsigned');
  const longs = words.filter((w) => w === 'long').length;
  let size: 1 | 2 | 4 | 8 = 4;
  if (words.includes('char')) size = 1;
  else if (words.includes('short')) size = 2;
  else if (longs > 0) size = 8;
  // Plain `char` is signed on x86-64, as the kernel builds it.
  return int(size, !unsigned);
}

export function isCIntWordName(name: string): boolean {
  return name.split(/\s+/).every((w) => C_INT_WORDS.has(w));
}

/**
 * The script type of one tracepoint field. Integers keep the C type's signedness but take the
 * size the format file gives (syscall arguments are declared `int fd` yet occupy 8 bytes, and
 * bpftrace reads them as int64); unknown typedefs take both from the format file. `char x[N]`
 * is a string; `__data_loc` fields are described by `dataLoc` on the field and typed here as a
 * `char *` into the record.
 */
export function tracepointFieldType(f: TracepointFieldInfo, space: AddrSpace): SType {
  const decl = stripName(f.decl, f.name);
  if (f.dataLoc) return { kind: 'pointer', to: int(1, true), space: 'kernel' };
  const base = decl.base.replace(/\b(const|volatile|__user|__attribute__\(\([^)]*\)\))\b/g, ' ').replace(/\s+/g, ' ').trim();
  if (decl.stars > 0) {
    let to: SType = pointeeType(base);
    for (let i = 1; i < decl.stars; i++) to = { kind: 'pointer', to, space };
    return { kind: 'pointer', to, space };
  }
  if (decl.array !== null || f.arrayLen !== undefined) {
    const len = f.arrayLen ?? decl.array ?? 0;
    const elem = intTypeByName(base);
    if (elem && elem.size === 1 && /\bchar\b/.test(base)) return { kind: 'string', size: f.size };
    const elemSize = len > 0 ? f.size / len : 1;
    const e: IntType = elem && elem.size === elemSize ? elem : intOfSize(elemSize, f.signed);
    return { kind: 'array', of: e, length: len };
  }
  const known = intTypeByName(base);
  const size = [1, 2, 4, 8].includes(f.size) ? (f.size as 1 | 2 | 4 | 8) : 8;
  if (known && isCIntWordName(base)) return int(size, known.signed);
  return int(size, f.signed);
}

function intOfSize(n: number, signed: boolean): IntType {
  return int(([1, 2, 4, 8].includes(n) ? n : 1) as 1 | 2 | 4 | 8, signed);
}

function pointeeType(base: string): SType {
  if (base === 'void') return { kind: 'void' };
  const m = /^(struct|union|enum)\s+(\w+)$/.exec(base);
  if (m) {
    if (m[1] === 'enum') return int(4, false);
    return opaqueRecord(`${m[1]} ${m[2]}`, m[1] === 'union');
  }
  return intTypeByName(base) ?? int(1, true);
}

export function opaqueRecord(name: string, union = false): RecordType {
  return { kind: 'record', name, size: 0, align: 1, union, fields: [] };
}

/** Splits `const char *const * argv` / `char comm[16]` into base text, pointer depth and array length. */
function stripName(decl: string, name: string): { base: string; stars: number; array: number | null } {
  let d = decl.trim().replace(/^__data_loc\s+/, '');
  let array: number | null = null;
  const arr = /\[(\d*)\]\s*$/.exec(d);
  if (arr) {
    array = arr[1] === '' ? 0 : Number(arr[1]);
    d = d.slice(0, arr.index).trim();
  }
  if (d.endsWith(name)) d = d.slice(0, d.length - name.length).trim();
  // `char[]` in a __data_loc declaration: the brackets sit on the type.
  const arr2 = /\[(\d*)\]\s*$/.exec(d);
  if (arr2) {
    array = arr2[1] === '' ? 0 : Number(arr2[1]);
    d = d.slice(0, arr2.index).trim();
  }
  const stars = (d.match(/\*/g) ?? []).length;
  return { base: d.replace(/\*/g, ' ').replace(/\bconst\b/g, ' ').replace(/\s+/g, ' ').trim(), stars, array };
}

/** struct trace_entry, the header of every trace record (the KernelView lists only the fields after it). */
const COMMON_FIELDS: RecordField[] = [
  { name: 'common_type', type: int(2, false), offset: 0 },
  { name: 'common_flags', type: int(1, false), offset: 2 },
  { name: 'common_preempt_count', type: int(1, false), offset: 3 },
  { name: 'common_pid', type: int(4, true), offset: 4 },
];

/** The record `args` points to in a tracepoint program, named as bpftrace names it. */
export function tracepointRecord(category: string, event: string, fields: TracepointFieldInfo[], space: 'kernel' | 'user'): RecordType {
  const rf: RecordField[] = [
    ...COMMON_FIELDS.filter((c) => !fields.some((f) => f.name === c.name)),
    ...fields.map((f) => ({ name: f.name, type: tracepointFieldType(f, space), offset: f.offset })),
  ];
  const size = fields.reduce((m, f) => Math.max(m, f.offset + f.size), 8);
  return { kind: 'record', name: `struct _tracepoint_${category}_${event}`, size, align: 8, union: false, fields: rf };
}

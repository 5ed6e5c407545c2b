/**
 * btf/ — the kernel's type information (BTF), read lazily. Pure: bytes in, records out; the only
 * I/O is reading /sys/kernel/btf/* with node:fs.
 *
 * Loading
 *   loadKernelBtf(path?: string): Btf            cached; BtfError 'no-kernel-btf' ("this kernel has
 *                                                no BTF (CONFIG_DEBUG_INFO_BTF)") when absent;
 *                                                `path` defaults to /sys/kernel/btf/vmlinux
 *   loadModuleBtf(name: string): Btf             split BTF on top of vmlinux; cached per module
 *   moduleBtfNames(): string[]                   modules that publish BTF
 *   Btf.parse(bytes: Uint8Array, base?: Btf, options?: { name?: string }): Btf
 *
 * Looking types up (ids are numbers; 0 is void)
 *   btf.typeById(id: number): BtfType            plain frozen record, discriminated by `kind`; cached
 *   btf.kindOf(id): BtfKind, btf.nameOf(id): string      without inflating the type
 *   btf.find(name: string, kind?: BtfKind | BtfKind[]): number[]   all matches, base first
 *   btf.findOne(name: string, kind: BtfKind | BtfKind[]): number   first match or 'not-found'
 *   btf.resolve(id: number): number              skips typedef/const/volatile/restrict/type_tag
 *   btf.typeName(id: number): string             'struct task_struct *', 'unsigned int', 'char[16]'
 *   btf.typeCount, btf.firstId, btf.nextId, btf.ownTypeCount, btf.base, btf.pointerSize
 *
 * Layout
 *   btf.sizeof(id: number): number               C sizeof; 'no-size' for void/func/fwd
 *   btf.alignof(id: number): number              C _Alignof; 1 for (inferred) packed structs
 *   btf.member(structId: number, name: string): MemberInfo         looks into anonymous members;
 *                                                'no-member': "struct sock has no member 'skc_foo'"
 *   btf.findMember(structId, name): MemberInfo | undefined
 *   btf.memberPath(structId: number, path: string): MemberInfo      'a.b.c', 'comm[3]'; offsets summed,
 *                                                never through pointers
 *
 * Functions and constants
 *   btf.funcProto(funcName: string): FuncInfo    FUNC id, FUNC_PROTO id, params with names, return type
 *   btf.enumValue(name: string): EnumValueInfo   enumerator constant across all enums (bigint value)
 *   btf.findEnumValue(name): EnumValueInfo | undefined
 *
 * Errors are BtfError with a `code` (see BtfErrorCode) and a plain message.
 *
 * Cost model: Btf.parse does one pass over the type section recording where each type starts
 * (a Uint32Array, no per-type objects). The first find() builds a name hash over string-section
 * bytes (no per-name strings); the first enumValue() does the same for enumerators. typeById()
 * inflates one type and caches it.
 */
export { Btf, type ParseOptions } from './btf.js';
export { BtfError, type BtfErrorCode } from './error.js';
export { loadKernelBtf, loadModuleBtf, moduleBtfNames, SYSFS_BTF_DIR } from './kernel.js';
export { KIND, KIND_NAMES } from './types.js';
export type {
  BtfArray,
  BtfDatasec,
  BtfDeclTag,
  BtfEnum,
  BtfEnumerator,
  BtfFloat,
  BtfFunc,
  BtfFuncProto,
  BtfFwd,
  BtfInt,
  BtfKind,
  BtfMember,
  BtfParam,
  BtfPtr,
  BtfRef,
  BtfStruct,
  BtfType,
  BtfTypeTag,
  BtfVar,
  BtfVarSecinfo,
  BtfVoid,
  EnumValueInfo,
  FuncInfo,
  Linkage,
  MemberInfo,
} from './types.js';

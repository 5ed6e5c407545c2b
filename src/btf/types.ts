/**
 * The BTF type model: one plain record per kind, discriminated by `kind`. Records refer to other
 * types by id (a number), never by object, so inflating one type never inflates its neighbours.
 */

/** Kind numbers as they appear in `btf_type.info` bits 24-28 (see linux/btf.h). */
export const KIND = {
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  func_proto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  decl_tag: 17,
  type_tag: 18,
  enum64: 19,
} as const;

/** A kind by name; `void` is id 0, which BTF does not store. */
export type BtfKind = 'void' | keyof typeof KIND;

/** Kind names indexed by kind number (index 0 is unused: BTF_KIND_UNKN is invalid in a blob). */
export const KIND_NAMES: readonly (BtfKind | undefined)[] = (() => {
  const names: (BtfKind | undefined)[] = [undefined];
  for (const [name, n] of Object.entries(KIND)) names[n] = name as BtfKind;
  return names;
})();

export interface BtfVoid {
  readonly kind: 'void';
  readonly id: 0;
  readonly name: '';
}

export interface BtfInt {
  readonly kind: 'int';
  readonly id: number;
  readonly name: string;
  /** Storage size in bytes. */
  readonly size: number;
  readonly signed: boolean;
  /** Marked as a character type (BTF_INT_CHAR): only affects printing. */
  readonly char: boolean;
  readonly bool: boolean;
  /** Number of value bits (usually size * 8). */
  readonly bits: number;
  /** Bit offset of the value inside its storage (legacy bitfield encoding; usually 0). */
  readonly bitOffset: number;
}

export interface BtfPtr {
  readonly kind: 'ptr';
  readonly id: number;
  readonly name: string;
  readonly type: number;
}

export interface BtfArray {
  readonly kind: 'array';
  readonly id: number;
  readonly name: string;
  /** Element type. */
  readonly type: number;
  readonly indexType: number;
  /** Element count; 0 for a flexible array member. */
  readonly nelems: number;
}

export interface BtfMember {
  /** '' for an anonymous struct/union member. */
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the enclosing struct, in bits. */
  readonly bitOffset: number;
  /**
   * Width of a bitfield in bits, 0 when the member is not a bitfield. Taken from the member
   * offset when the struct's kind_flag is set, else from a legacy INT type whose `bits` are
   * narrower than its storage (in which case the INT's own bit offset is already added in).
   */
  readonly bitfieldSize: number;
}

export interface BtfStruct {
  readonly kind: 'struct' | 'union';
  readonly id: number;
  /** '' for an anonymous struct/union. */
  readonly name: string;
  readonly size: number;
  readonly members: readonly BtfMember[];
}

export interface BtfEnumerator {
  readonly name: string;
  /** Exact value: enum64 values may not fit a double. */
  readonly value: bigint;
}

export interface BtfEnum {
  readonly kind: 'enum' | 'enum64';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  /** kind_flag: values are signed. Unsigned otherwise. */
  readonly signed: boolean;
  readonly values: readonly BtfEnumerator[];
}

export interface BtfFwd {
  readonly kind: 'fwd';
  readonly id: number;
  readonly name: string;
  /** What the forward declaration announces (kind_flag: 0 struct, 1 union). */
  readonly fwdKind: 'struct' | 'union';
}

/** typedef, the qualifiers, and type_tag: a name or qualifier wrapped around `type`. */
export interface BtfRef {
  readonly kind: 'typedef' | 'volatile' | 'const' | 'restrict';
  readonly id: number;
  readonly name: string;
  readonly type: number;
}

export interface BtfTypeTag {
  readonly kind: 'type_tag';
  readonly id: number;
  /** The tag text, e.g. 'user' for `__user`, 'rcu' for `__rcu`. */
  readonly name: string;
  readonly type: number;
  /** kind_flag: the tag is a plain attribute rather than btf_type_tag("…"). */
  readonly attribute: boolean;
}

export type Linkage = 'static' | 'global' | 'extern';

export interface BtfFunc {
  readonly kind: 'func';
  readonly id: number;
  readonly name: string;
  /** The FUNC_PROTO id. */
  readonly type: number;
  readonly linkage: Linkage;
}

export interface BtfParam {
  /** '' when the prototype does not name it. */
  readonly name: string;
  readonly type: number;
}

export interface BtfFuncProto {
  readonly kind: 'func_proto';
  readonly id: number;
  readonly name: string;
  /** 0 for void. */
  readonly returnType: number;
  /** Declared parameters, without the trailing `...` marker. */
  readonly params: readonly BtfParam[];
  readonly variadic: boolean;
}

export interface BtfVar {
  readonly kind: 'var';
  readonly id: number;
  readonly name: string;
  readonly type: number;
  /** BTF_VAR_STATIC / GLOBAL_ALLOCATED / GLOBAL_EXTERN. */
  readonly linkage: Linkage;
}

export interface BtfVarSecinfo {
  /** A VAR (or FUNC, for .ksyms) id. */
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export interface BtfDatasec {
  readonly kind: 'datasec';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

export interface BtfFloat {
  readonly kind: 'float';
  readonly id: number;
  readonly name: string;
  readonly size: number;
}

export interface BtfDeclTag {
  readonly kind: 'decl_tag';
  readonly id: number;
  /** The tag text. */
  readonly name: string;
  /** The tagged struct/union/var/func/typedef. */
  readonly type: number;
  /** -1: the tag applies to the type itself; otherwise the member or parameter index. */
  readonly componentIdx: number;
  readonly attribute: boolean;
}

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfStruct
  | BtfEnum
  | BtfFwd
  | BtfRef
  | BtfTypeTag
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** A member found by name, possibly inside nested anonymous structs/unions. */
export interface MemberInfo {
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the outer struct, in bits, summed over the anonymous levels. */
  readonly bitOffset: number;
  /** Bitfield width in bits, 0 when not a bitfield. */
  readonly bitfieldSize: number;
  /** `floor(bitOffset / 8)`: where to start reading. */
  readonly byteOffset: number;
  /** Ids of the anonymous structs/unions walked through to reach it (outermost first). */
  readonly via: readonly number[];
}

/** A FUNC and its prototype, as an fentry/kprobe argument list needs them. */
export interface FuncInfo {
  readonly funcId: number;
  readonly protoId: number;
  readonly name: string;
  readonly linkage: Linkage;
  /** 0 for void. */
  readonly returnType: number;
  readonly params: readonly BtfParam[];
  readonly variadic: boolean;
}

/** One enumerator constant and the enum that declares it. */
export interface EnumValueInfo {
  readonly name: string;
  readonly value: bigint;
  readonly enumId: number;
  readonly signed: boolean;
  /** Size of the enum type in bytes. */
  readonly size: number;
}

/**
 * What went wrong, as a short machine-checkable word, so callers (and tests) can branch on it
 * without matching message text.
 */
export type BtfErrorCode =
  | 'no-kernel-btf' // /sys/kernel/btf/vmlinux is missing
  | 'no-module-btf' // /sys/kernel/btf/<module> is missing
  | 'unreadable' // the file exists but could not be read
  | 'malformed' // the bytes are not valid BTF
  | 'bad-id' // a type id outside this BTF
  | 'not-found' // no type / function / enumerator of that name
  | 'no-member' // a struct or union has no member of that name
  | 'not-aggregate' // asked for a member of something that is not a struct or union
  | 'no-size' // sizeof/alignof of void, a function, or a forward declaration
  | 'wrong-kind'; // the type exists but is not the kind the operation needs

/** A BTF problem in plain words; the raw detail (type id, byte offset, …) rides along as properties. */
export class BtfError extends Error {
  override readonly name = 'BtfError';
  readonly code: BtfErrorCode;
  /** The type id involved, when there is one. */
  readonly typeId: number | undefined;
  /** Byte offset into the blob, for format errors. */
  readonly byteOffset: number | undefined;

  constructor(
    code: BtfErrorCode,
    message: string,
    detail: { typeId?: number; byteOffset?: number; cause?: unknown } = {},
  ) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.code = code;
    this.typeId = detail.typeId;
    this.byteOffset = detail.byteOffset;
  }
}

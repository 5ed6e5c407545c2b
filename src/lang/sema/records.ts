/**
 * Structs and unions: the script's own definitions (laid out as C lays them out on x86-64) and
 * the kernel's, read from BTF. A script definition takes precedence over BTF's type of the same
 * name (runqlat.bt defines its own `struct cfs_rq`, and means it).
 *
 * BTF records are built lazily: a record's fields are made the first time they are read, so
 * `curtask` does not drag in every type reachable from task_struct.
 */
import type { Btf } from '../../btf/index.js';
import { alignOf, sizeOf, type IntType, type RecordField, type RecordType, type SType } from '../types.js';

const int = (size: 1 | 2 | 4 | 8, signed: boolean): IntType => ({ kind: 'int', size, signed });

/** Where a field is, once anonymous members are looked through. */
export interface FieldHit {
  type: SType;
  /** Byte offset from the start of the outer record. */
  offset: number;
  bitOffset?: number;
  bitWidth?: number;
}

/** A field by name, looking into anonymous struct/union members (their offsets summed). */
export function findField(rec: RecordType, name: string): FieldHit | undefined {
  for (const f of rec.fields) {
    if (f.name === name) {
      return { type: f.type, offset: f.offset, ...(f.bitWidth !== undefined ? { bitOffset: f.bitOffset ?? 0, bitWidth: f.bitWidth } : {}) };
    }
  }
  for (const f of rec.fields) {
    if (f.name === '' && f.type.kind === 'record') {
      const hit = findField(f.type, name);
      if (hit) return { ...hit, offset: hit.offset + f.offset };
    }
  }
  return undefined;
}

/** Names a record's fields for hints (anonymous members' fields included). */
export function fieldNames(rec: RecordType): string[] {
  const out: string[] = [];
  for (const f of rec.fields) {
    if (f.name !== '') out.push(f.name);
    else if (f.type.kind === 'record') out.push(...fieldNames(f.type));
  }
  return out;
}

/** A script field before layout: its type and, for a bitfield, its width. */
export interface DeclaredField {
  name: string;
  type: SType;
  bits?: number;
}

/** C layout (x86-64 SysV) of a struct or union, bitfields included. */
export function layoutRecord(name: string, union: boolean, decl: DeclaredField[]): RecordType {
  const fields: RecordField[] = [];
  let bit = 0;
  let size = 0;
  let align = 1;
  for (const d of decl) {
    const a = Math.max(1, alignOf(d.type));
    const s = sizeOf(d.type);
    align = Math.max(align, a);
    if (d.bits !== undefined) {
      const unit = s * 8;
      let at = union ? 0 : bit;
      if (d.bits === 0) {
        bit = Math.ceil(at / unit) * unit;
        continue;
      }
      // A bitfield does not straddle a storage unit of its type.
      if (Math.floor(at / unit) !== Math.floor((at + d.bits - 1) / unit)) at = Math.ceil(at / unit) * unit;
      if (d.name !== '') fields.push({ name: d.name, type: d.type, offset: Math.floor(at / 8), bitOffset: at % 8, bitWidth: d.bits });
      if (union) size = Math.max(size, Math.ceil(d.bits / 8));
      else bit = at + d.bits;
      continue;
    }
    const off = union ? 0 : Math.ceil(Math.ceil(bit / 8) / a) * a;
    fields.push({ name: d.name, type: d.type, offset: off });
    if (union) size = Math.max(size, s);
    else bit = (off + s) * 8;
  }
  if (!union) size = Math.ceil(bit / 8);
  size = Math.ceil(size / align) * align;
  return { kind: 'record', name, size, align, union, fields };
}

/** Script types of kernel BTF types, records cached by BTF id. */
export class BtfTypes {
  private readonly records = new Map<number, RecordType>();

  /** `overrides`: the script's own structs by full name, which replace BTF's wherever BTF refers to them. */
  constructor(readonly btf: Btf, private readonly overrides: ReadonlyMap<string, RecordType> = new Map()) {}

  /** `struct task_struct` / `union x` by tag and name, or undefined when BTF has none. */
  record(tag: 'struct' | 'union', name: string): RecordType | undefined {
    const ids = this.btf.find(name, tag);
    if (ids.length === 0) return undefined;
    return this.recordOf(ids[0]!);
  }

  /** A typedef's script type (`typedef struct { … } pte_t`), or undefined. */
  typedef(name: string): SType | undefined {
    const ids = this.btf.find(name, 'typedef');
    if (ids.length === 0) return undefined;
    return this.type(ids[0]!, false);
  }

  /**
   * The script type of a BTF type. `char[N]` is a string (as bpftrace has it); pointers are
   * kernel pointers unless BTF tags the pointee `__user`.
   */
  type(id: number, inArray = false): SType {
    const btf = this.btf;
    let user = false;
    for (let depth = 0; depth < 64; depth++) {
      const t = btf.typeById(id);
      switch (t.kind) {
        case 'void': return { kind: 'void' };
        case 'int': {
          if (t.size === 1 || t.size === 2 || t.size === 4 || t.size === 8) return int(t.size, t.signed);
          return { kind: 'array', of: int(1, false), length: t.size };
        }
        case 'enum': case 'enum64': {
          const s = t.size === 1 || t.size === 2 || t.size === 4 || t.size === 8 ? t.size : 4;
          return int(s, t.signed);
        }
        case 'float':
          return t.size === 4 || t.size === 8 ? int(t.size, true) : { kind: 'array', of: int(1, false), length: t.size };
        case 'ptr': {
          const to = this.pointee(t.type);
          if (this.userTagged(t.type)) user = true;
          return { kind: 'pointer', to, space: user ? 'user' : 'kernel' };
        }
        case 'array': {
          const of = this.type(t.type, true);
          if (of.kind === 'int' && of.size === 1 && this.isChar(t.type) && !inArray) return { kind: 'string', size: t.nelems };
          return { kind: 'array', of, length: t.nelems };
        }
        case 'struct': case 'union':
          return (t.name !== '' ? this.overrides.get(`${t.kind} ${t.name}`) : undefined) ?? this.recordOf(t.id);
        case 'fwd': {
          const own = this.overrides.get(`${t.fwdKind} ${t.name}`);
          if (own) return own;
          const full = this.record(t.fwdKind, t.name);
          return full ?? { kind: 'record', name: `${t.fwdKind} ${t.name}`, size: 0, align: 1, union: t.fwdKind === 'union', fields: [] };
        }
        case 'typedef': case 'const': case 'volatile': case 'restrict': case 'type_tag': case 'var':
          id = t.type;
          continue;
        default:
          // Functions (through function pointers) have no value type.
          return { kind: 'void' };
      }
    }
    return { kind: 'void' };
  }

  private pointee(id: number): SType {
    const r = this.btf.typeById(this.btf.resolve(id));
    if (r.kind === 'func_proto' || r.kind === 'func') return { kind: 'void' };
    return this.type(id);
  }

  private isChar(id: number): boolean {
    const t = this.btf.typeById(this.btf.resolve(id));
    // Plain `char` only, as bpftrace (clang's Char_S/Char_U): `unsigned char mac[6]`, `__u8 addr[16]` stay byte arrays.
    return t.kind === 'int' && t.size === 1 && (t.char || t.name === 'char');
  }

  /** `__user` pointers carry a type_tag "user" on the pointee (kernels built with clang). */
  private userTagged(id: number): boolean {
    for (let depth = 0; depth < 64; depth++) {
      const t = this.btf.typeById(id);
      if (t.kind === 'type_tag') {
        if (t.name === 'user') return true;
        id = t.type;
        continue;
      }
      if (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict') {
        id = t.type;
        continue;
      }
      return false;
    }
    return false;
  }

  recordOf(id: number): RecordType {
    const cached = this.records.get(id);
    if (cached) return cached;
    const t = this.btf.typeById(id);
    if (t.kind !== 'struct' && t.kind !== 'union') throw new Error(`BTF type #${id} is not a struct or union`);
    let fields: RecordField[] | undefined;
    const rec = {
      kind: 'record', name: `${t.kind} ${t.name || '(anonymous)'}`, size: t.size, align: safeAlign(this.btf, id), union: t.kind === 'union',
    } as RecordType;
    Object.defineProperty(rec, 'fields', {
      enumerable: true,
      get: () => {
        fields ??= t.members.map((m) => {
          const type = this.type(m.type);
          const f: RecordField = { name: m.name, type, offset: Math.floor(m.bitOffset / 8) };
          if (m.bitfieldSize > 0) {
            f.bitOffset = m.bitOffset % 8;
            f.bitWidth = m.bitfieldSize;
          }
          return f;
        });
        return fields;
      },
    });
    this.records.set(id, rec);
    return rec;
  }
}

function safeAlign(btf: Btf, id: number): number {
  try {
    return btf.alignof(id);
  } catch {
    return 1;
  }
}

/**
 * Constants bpftrace's tools use that come from headers a machine may not have (kernel-internal
 * ones like <net/sock.h>) and that are #defines, so BTF has no enum for them. Enumerators
 * (TCP_ESTABLISHED, …) come from BTF when it is there; the table covers kernels without.
 */
export const BUILTIN_CONSTANTS: Record<string, bigint> = {
  // Task states (include/linux/sched.h).
  TASK_RUNNING: 0n, TASK_INTERRUPTIBLE: 1n, TASK_UNINTERRUPTIBLE: 2n, __TASK_STOPPED: 4n, __TASK_TRACED: 8n,
  EXIT_DEAD: 16n, EXIT_ZOMBIE: 32n, TASK_PARKED: 64n, TASK_DEAD: 128n, TASK_WAKEKILL: 256n, TASK_NOLOAD: 1024n,
  // Address families (include/linux/socket.h).
  AF_UNSPEC: 0n, AF_UNIX: 1n, AF_LOCAL: 1n, AF_INET: 2n, AF_INET6: 10n, AF_NETLINK: 16n, AF_PACKET: 17n,
  PF_INET: 2n, PF_INET6: 10n,
  // TCP states (include/net/tcp_states.h: an enum, but also needed without BTF).
  TCP_ESTABLISHED: 1n, TCP_SYN_SENT: 2n, TCP_SYN_RECV: 3n, TCP_FIN_WAIT1: 4n, TCP_FIN_WAIT2: 5n, TCP_TIME_WAIT: 6n,
  TCP_CLOSE: 7n, TCP_CLOSE_WAIT: 8n, TCP_LAST_ACK: 9n, TCP_LISTEN: 10n, TCP_CLOSING: 11n, TCP_NEW_SYN_RECV: 12n,
  // Socket types and protocols.
  SOCK_STREAM: 1n, SOCK_DGRAM: 2n, SOCK_RAW: 3n, IPPROTO_IP: 0n, IPPROTO_ICMP: 1n, IPPROTO_TCP: 6n, IPPROTO_UDP: 17n,
  IPPROTO_IPV6: 41n,
  // Block request flags (include/linux/blk_types.h) and others tools use.
  REQ_OP_BITS: 8n, REQ_OP_MASK: 255n, REQ_OP_READ: 0n, REQ_OP_WRITE: 1n, REQ_OP_FLUSH: 2n, REQ_OP_DISCARD: 3n,
  DISK_NAME_LEN: 32n, PAGE_SIZE: 4096n, PAGE_SHIFT: 12n, NSEC_PER_SEC: 1000000000n, NSEC_PER_USEC: 1000n,
  // Open flags (include/uapi/asm-generic/fcntl.h).
  O_RDONLY: 0n, O_WRONLY: 1n, O_RDWR: 2n, O_CREAT: 64n, O_EXCL: 128n, O_TRUNC: 512n, O_APPEND: 1024n,
  O_NONBLOCK: 2048n, O_DIRECTORY: 65536n, O_CLOEXEC: 524288n,
  // Signals.
  SIGKILL: 9n, SIGTERM: 15n, SIGINT: 2n, SIGHUP: 1n, SIGUSR1: 10n, SIGUSR2: 12n, SIGSTOP: 19n, SIGCONT: 18n,
};

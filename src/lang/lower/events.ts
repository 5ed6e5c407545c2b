/**
 * The event table of a script (EventDef per printf/print/clear/… call site) and the layout of
 * event records: an 8-byte header (u32 event id, u32 0), then the arguments, each at its natural
 * alignment. `EventArg.offset` counts from the start of the record, so the first argument is at 8.
 * Integers travel as 64-bit values with their signedness (as bpftrace promotes printf arguments).
 */
import type { EventArg, EventDef } from '../spec.js';
import { alignOf, sizeOf, type SType } from '../types.js';

export const EVENT_HEADER = 8;

export class EventTable {
  readonly events: EventDef[] = [];
  private readonly shared = new Map<string, number>();

  /**
   * Adds an event, or returns the id of an identical one: events without a call-site payload
   * (exit, clear @m, …) are shared by every call site, a printf by the programs compiled from
   * the same call (its span is part of it), so that those programs can come out identical.
   */
  add(e: EventDef): number {
    // Records are named, not expanded: kernel structs point to each other (task_struct.real_parent).
    const key = JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n`
      : isRecord(v) ? `${v.name}/${v.size}` : v));
    const id = this.shared.get(key);
    if (id !== undefined) return id;
    this.shared.set(key, this.events.length);
    this.events.push(e);
    return this.events.length - 1;
  }
}

function isRecord(v: unknown): v is { name: string; size: number } {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'record';
}

/** The type an argument has inside a record: integers widened to 64 bits. */
export function recordType(t: SType): SType {
  if (t.kind === 'int') return { kind: 'int', size: 8, signed: t.signed, ...(t.bool ? { bool: true as const } : {}) };
  return t;
}

export function recordLayout(types: SType[]): { args: EventArg[]; size: number } {
  let off = EVENT_HEADER;
  const args: EventArg[] = [];
  for (const t0 of types) {
    const t = recordType(t0);
    const a = alignOf(t);
    off = (off + a - 1) & ~(a - 1);
    args.push({ type: t, offset: off });
    off += sizeOf(t);
  }
  return { args, size: (off + 7) & ~7 };
}

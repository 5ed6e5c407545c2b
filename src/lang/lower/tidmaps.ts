/**
 * tid-indexed maps: a script map keyed by the builtin `tid` alone, written only as
 * `@m[tid] = <int>`, read only as an integer, deleted only as `delete(@m[tid])` (the latency
 * pattern `@s[tid] = nsecs` … `/@s[tid]/ { … delete(@s[tid]); }`), keeps the value of every tid
 * below N in an array slot of its own `{ u64 present, u64 value }`, and the others in the hash
 * map it would have been anyway. A hash insert and delete cost ~190 ns per event; an array slot
 * (a lookup the kernel inlines as a bounds check and an address) ~30 ns. A tid is one thread,
 * running on one CPU at a time, so plain loads and stores on its own slot need no lock.
 *
 * N = min(pid_max, TID_SLOTS_MAX): every tid of a kernel with the default pid_max (32768) has a
 * slot. The runtime prints such a map as it prints the hash: the present slots and the hash's
 * entries, keyed by tid (src/runtime/map-read.ts), so nothing changes for the user.
 *
 * Any other use of the map (print, clear, zero, len, has_key, for, delete without a key, another
 * key, ++, +=, aggregations, non-integer values, BEGIN/END, a `let @m = …` declaration) keeps it
 * a plain hash.
 */
import type { Expr, MapRef, Program } from '../ast.js';
import type { MapInfo } from '../sema/analyze.js';
import { forEachExpr, forEachStmt } from '../sema/walk.js';

/** Largest array (slots × 16 bytes = 4 MiB): a kernel whose pid_max is larger keeps the tids above it in the hash. */
export const TID_SLOTS_MAX = 262144;
/** Bytes of a slot: u64 present, u64 value. */
export const TID_SLOT_SIZE = 16;

/** Calls that take a map as a map (not a value read from it). */
const MAP_CALLS = new Set(['print', 'clear', 'zero', 'len', 'has_key', 'delete']);

const isTidKey = (m: MapRef): boolean => m.keys.length === 1 && m.keys[0]!.kind === 'Builtin' && m.keys[0]!.name === 'tid';

/**
 * Names of the maps that qualify as tid-indexed (see the module comment), decided once over the
 * whole program before lowering.
 */
export function tidIndexedMaps(program: Program, maps: ReadonlyMap<string, MapInfo>): Set<string> {
  const bad = new Set<string>();
  const allowed = new Set<MapRef>();
  const seen = new Set<string>();
  for (const probe of program.probes) {
    const special = probe.attachPoints.some((ap) => ap.provider === 'BEGIN' || ap.provider === 'END' || ap.provider === null);
    forEachStmt(probe.body, (s) => {
      if (s.kind === 'Assign' && s.target.kind === 'Map') {
        if (s.op === '=' && isTidKey(s.target)) allowed.add(s.target);
        else bad.add(s.target.name);
      } else if (s.kind === 'For' && s.iterable.kind === 'Map') {
        bad.add(s.iterable.name);
      }
    });
    const visit = (e: Expr): void => {
      if (e.kind === 'Call' && MAP_CALLS.has(e.name)) {
        const a0 = e.args[0];
        if (a0?.kind === 'Map') {
          if (e.name === 'delete' && e.args.length === 1 && isTidKey(a0)) allowed.add(a0);
          else bad.add(a0.name);
        }
      } else if (e.kind === 'IncDec' && e.target.kind === 'Map') {
        bad.add(e.target.name);
      }
    };
    forEachExpr(probe, visit);
    forEachExpr(probe, (e) => {
      if (e.kind !== 'Map') return;
      seen.add(e.name);
      if (special) bad.add(e.name);
      // Anything not an allowed write or delete is a read: it must be `@m[tid]`.
      if (!allowed.has(e) && !isTidKey(e)) bad.add(e.name);
    });
  }
  const out = new Set<string>();
  for (const name of seen) {
    if (bad.has(name)) continue;
    const m = maps.get(name);
    const v = m?.value;
    const k = m?.keys;
    if (!m || !v || v.kind !== 'int' || v.size !== 8 || v.bool || !k || k.length !== 1 || k[0]!.kind !== 'int') continue;
    // A declared map (`let @m = lruhash(100);`) keeps its declared size and eviction.
    if (m.decl) continue;
    out.add(name);
  }
  return out;
}

/** Array slots of a tid-indexed map on a kernel whose pid_max is `pidMax` (0: none, stay a hash). */
export function tidSlotCount(pidMax: number | undefined): number {
  if (pidMax === undefined || !Number.isSafeInteger(pidMax) || pidMax <= 0) return 0;
  return Math.min(pidMax, TID_SLOTS_MAX);
}

/**
 * pid/tid-indexed aggregations: an aggregation map (count, sum, min, max, avg, stats) whose every
 * use is `@m[pid] = agg(…)` — or every use `@m[tid] = agg(…)`, one key, always the same builtin —
 * and nothing else (printing at exit, SIGUSR1, snapshots and -f json aside) keeps each key below N
 * in a per-CPU array slot indexed by the key, the keys from N up in the per-CPU hash it would have
 * been anyway. The kernel inlines a per-CPU array lookup (a bounds check and an address) where a
 * per-CPU hash costs a jhash and a bucket walk per event.
 *
 * A slot is the aggregation's words (AGG_LAYOUT), and for sum a second word, set to 1 once the
 * slot was added to, so a key whose sum is 0 still exists. Present: count's word 0, the others'
 * word 1 (sum: touched; avg/stats: the count; min/max: their isSet word) non-zero on some CPU.
 *
 * The array costs N × slot × possible CPUs of kernel memory: above AGG_SLOTS_BYTES_MAX the map
 * stays a plain per-CPU hash. Anything else done with the map (print(@m), clear, zero, delete,
 * len, has_key, for, another key, a read of its value, hist/lhist…, `let @m = …`, a use in
 * BEGIN/END) keeps it a plain per-CPU hash.
 */
export const AGG_SLOT_FNS = new Set(['count', 'sum', 'min', 'max', 'avg', 'stats']);
/** Most kernel memory the per-CPU array of one such aggregation may take. */
export const AGG_SLOTS_BYTES_MAX = 16 << 20;

/** Bytes of an aggregation's array slot: its words, plus sum's touched word. */
export function aggSlotSize(fn: string): number {
  return fn === 'count' ? 8 : 16;
}

/** Byte offset of the word that is non-zero once a slot was touched (see slotAggMaps). */
export function aggSlotPresentOffset(fn: string): number {
  return fn === 'count' ? 0 : 8;
}

const builtinKey = (m: MapRef): 'pid' | 'tid' | undefined => {
  if (m.keys.length !== 1) return undefined;
  const k = m.keys[0]!;
  return k.kind === 'Builtin' && (k.name === 'pid' || k.name === 'tid') ? k.name : undefined;
};

/**
 * The maps that qualify as pid/tid-indexed aggregations (see above), each with its key builtin.
 * Decided once over the whole program before lowering; the memory budget is the caller's.
 */
export function slotAggMaps(program: Program, maps: ReadonlyMap<string, MapInfo>): Map<string, 'pid' | 'tid'> {
  const bad = new Set<string>();
  const allowed = new Set<MapRef>();
  const builtin = new Map<string, 'pid' | 'tid'>();
  const seen = new Set<string>();
  for (const probe of program.probes) {
    const special = probe.attachPoints.some((ap) => ap.provider === 'BEGIN' || ap.provider === 'END' || ap.provider === null);
    forEachStmt(probe.body, (s) => {
      if (s.kind === 'Assign' && s.target.kind === 'Map') {
        const k = builtinKey(s.target);
        const v = s.value;
        if (s.op === '=' && k && v.kind === 'Call' && AGG_SLOT_FNS.has(v.name) && (builtin.get(s.target.name) ?? k) === k) {
          builtin.set(s.target.name, k);
          allowed.add(s.target);
        } else {
          bad.add(s.target.name);
        }
      } else if (s.kind === 'For' && s.iterable.kind === 'Map') {
        bad.add(s.iterable.name);
      }
    });
    forEachExpr(probe, (e) => {
      if (e.kind !== 'Map') return;
      seen.add(e.name);
      // The only use allowed is the target of `@m[pid] = agg(…)`: any other is a read, a map
      // function's argument, ++/--…
      if (special || !allowed.has(e)) bad.add(e.name);
    });
  }
  const out = new Map<string, 'pid' | 'tid'>();
  for (const name of [...seen].sort()) {
    if (bad.has(name) || !builtin.has(name)) continue;
    const m = maps.get(name);
    const v = m?.value;
    const k = m?.keys;
    if (!m || !v || v.kind !== 'agg' || !AGG_SLOT_FNS.has(v.fn) || !k || k.length !== 1 || k[0]!.kind !== 'int') continue;
    if (m.decl) continue;
    out.set(name, builtin.get(name)!);
  }
  return out;
}

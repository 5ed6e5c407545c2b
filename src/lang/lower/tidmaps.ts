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

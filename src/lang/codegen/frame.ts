/**
 * Stack layout by liveness. A stack object is live from its first reference to its last along
 * every path (reachable from some reference and reaching some reference — so a loop that
 * touches it keeps it live all the way round). A reference is any instruction naming the
 * object, or reading a register that may hold its address (`addr` results, copied, offset or
 * spilled and reloaded), or a call whose argument registers hold such an address. Objects
 * never live at the same point share bytes; spill slots are objects like any other.
 */
import type { ObjId, StackObject } from '../ir.js';
import type { Span } from '../source.js';
import { BitSet } from './bitset.js';
import type { Cfg } from './cfg.js';
import { StackOverflowError, type StackUse } from './errors.js';
import { NPHYS, isCopy, scratch, usesOf, type LFunc, type LInsn, type LTerm, type Node } from './lir.js';

export interface Frame {
  /** Bytes below r10 the function uses (a multiple of 8). */
  size: number;
  /** r10-relative (negative) offset of every referenced object. */
  offsets: Map<ObjId, number>;
  /** The most bytes of objects live at one point, and what they are. */
  peak: { bytes: number; objects: StackUse[]; span?: Span };
}

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Per-node sets of objects whose address the node may hold (flow-insensitive). */
function addressAliases(f: LFunc): Map<Node, Set<ObjId>> {
  const alias = new Map<Node, Set<ObjId>>();
  const add = (n: Node, from: Iterable<ObjId> | undefined): boolean => {
    if (from === undefined) return false;
    let s = alias.get(n);
    let changed = false;
    for (const o of from) {
      if (!s) alias.set(n, (s = new Set()));
      if (!s.has(o)) {
        s.add(o);
        changed = true;
      }
    }
    return changed;
  };
  // Spill slots carry the aliases of what is stored in them; slot ids are keyed as -(id+1).
  const slotKey = (id: ObjId): Node => -(id + 1);
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of f.blocks) {
      for (const i of b.insns) {
        switch (i.k) {
          case 'addr':
            if (i.d >= NPHYS) changed = add(i.d, [i.obj]) || changed;
            break;
          case 'mov':
            if (i.d >= NPHYS && i.s >= NPHYS) changed = add(i.d, alias.get(i.s)) || changed;
            break;
          case 'st':
            if ('obj' in i.base && i.s !== null && f.spillSlots.has(i.base.obj)) {
              changed = add(slotKey(i.base.obj), alias.get(i.s)) || changed;
            }
            break;
          case 'ld':
            if ('obj' in i.base && i.d >= NPHYS && f.spillSlots.has(i.base.obj)) {
              changed = add(i.d, alias.get(slotKey(i.base.obj))) || changed;
            }
            break;
          default:
        }
      }
    }
  }
  return alias;
}

/**
 * Objects an instruction references, given the aliases and what the argument registers hold:
 * `kill` gets objects it overwrites entirely (and reads nothing of), `use` the others.
 */
function references(
  f: LFunc,
  i: LInsn | LTerm,
  alias: Map<Node, Set<ObjId>>,
  phys: (Set<ObjId> | undefined)[],
  use: Set<ObjId>,
  kill: Set<ObjId>,
  tmp: Int32Array,
): void {
  const whole = (obj: ObjId, off: number, len: number): boolean => off === 0 && len === f.objects.get(obj)!.size;
  switch (i.k) {
    case 'ld':
    case 'atomic':
      if ('obj' in i.base) use.add(i.base.obj);
      break;
    case 'st':
      if ('obj' in i.base) (whole(i.base.obj, i.off, i.size) ? kill : use).add(i.base.obj);
      break;
    case 'addr':
      use.add(i.obj);
      break;
    case 'zero':
      (whole(i.obj, i.off, i.len) ? kill : use).add(i.obj);
      break;
    case 'copy':
      if ('obj' in i.src) use.add(i.src.obj);
      (whole(i.obj, i.off, i.len) ? kill : use).add(i.obj);
      break;
    default:
  }
  const nu = usesOf(i, tmp);
  for (let k = 0; k < nu; k++) {
    const n = tmp[k]!;
    const s = n >= NPHYS ? alias.get(n) : phys[n];
    if (s) for (const o of s) use.add(o);
  }
  for (const o of use) kill.delete(o);
  // Track what r0–r5 may point to within the block (argument set-up right before a call).
  if (i.k === 'call') phys.fill(undefined, 0, 6);
  else if (i.k === 'addr' && i.d < NPHYS) phys[i.d] = new Set([i.obj]);
  else if (i.k === 'mov' && isCopy(i) && i.d < NPHYS) phys[i.d] = i.s >= NPHYS ? alias.get(i.s) : phys[i.s];
  else if (i.k === 'ld' && i.d < NPHYS) phys[i.d] = 'obj' in i.base ? alias.get(-(i.base.obj + 1)) : undefined;
  else if ('d' in i && typeof i.d === 'number' && i.d < NPHYS) phys[i.d] = undefined;
}

export function layoutFrame(f: LFunc, cfg: Cfg, limit: number): Frame {
  const alias = addressAliases(f);
  // Dense numbering of referenced objects; per block the references in order, as triples
  // (point, object, 1 if it overwrites the whole object else 0).
  const dense = new Map<ObjId, number>();
  const objs: StackObject[] = [];
  const refs: number[][] = [];
  const npoints: number[] = [];
  const use = new Set<ObjId>();
  const kill = new Set<ObjId>();
  const tmp = scratch();
  const id = (o: ObjId): number => {
    let d = dense.get(o);
    if (d === undefined) {
      d = objs.length;
      dense.set(o, d);
      objs.push(f.objects.get(o)!);
    }
    return d;
  };
  for (const b of f.blocks) {
    const phys: (Set<ObjId> | undefined)[] = new Array(NPHYS).fill(undefined);
    const ev: number[] = [];
    const n = b.insns.length + 1;
    for (let k = 0; k < n; k++) {
      use.clear();
      kill.clear();
      references(f, k < b.insns.length ? b.insns[k]! : b.term, alias, phys, use, kill, tmp);
      for (const o of use) if (f.objects.get(o)!.size > 0) ev.push(k, id(o), 0);
      for (const o of kill) if (f.objects.get(o)!.size > 0) ev.push(k, id(o), 1);
    }
    refs.push(ev);
    npoints.push(n);
  }
  const m = objs.length;
  const offsets = new Map<ObjId, number>();
  if (m === 0) return { size: 0, offsets, peak: { bytes: 0, objects: [] } };

  const nb = f.blocks.length;
  // blockRefs: referenced in b; gen: first reference in b reads; killed: overwritten in b.
  const blockRefs: BitSet[] = [];
  const gen: BitSet[] = [];
  const killed: BitSet[] = [];
  for (const ev of refs) {
    const r = new BitSet(m);
    const g = new BitSet(m);
    const k = new BitSet(m);
    for (let x = 0; x < ev.length; x += 3) {
      const d = ev[x + 1]!;
      if (!r.has(d) && ev[x + 2] === 0) g.add(d);
      r.add(d);
      if (ev[x + 2] === 1) k.add(d);
    }
    blockRefs.push(r);
    gen.push(g);
    killed.push(k);
  }
  // reached[b]: referenced on some path into b. needOut[b]: may be read after b.
  const reached = Array.from({ length: nb }, () => new BitSet(m));
  const needOut = Array.from({ length: nb }, () => new BitSet(m));
  const needIn = Array.from({ length: nb }, () => new BitSet(m));
  const t = new BitSet(m);
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of cfg.rpo) {
      for (const p of cfg.pred[b]!) {
        t.copyFrom(reached[p]!);
        t.union(blockRefs[p]!);
        if (reached[b]!.union(t)) changed = true;
      }
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = cfg.rpo.length - 1; k >= 0; k--) {
      const b = cfg.rpo[k]!;
      for (const s of cfg.succ[b]!) needOut[b]!.union(needIn[s]!);
      const w = needIn[b]!.words;
      const o = needOut[b]!.words;
      const g = gen[b]!.words;
      const kl = killed[b]!.words;
      for (let x = 0; x < w.length; x++) {
        const v = (g[x]! | (o[x]! & ~kl[x]!)) >>> 0;
        if (v !== w[x]) {
          w[x] = v;
          changed = true;
        }
      }
    }
  }

  // Per block, live intervals [lo, hi] of points for each object, then a sweep over them:
  // overlapping intervals interfere; the most bytes live at once is the peak.
  const interf = Array.from({ length: m }, () => new BitSet(m));
  const firstPoint = new Int32Array(m).fill(-1);
  let peakBytes = -1;
  let peakSet: number[] = [];
  let peakSpan: Span | undefined;
  const cand = new BitSet(m);
  const byObj: number[][] = Array.from({ length: m }, () => []);
  let base = 0;
  for (const b of cfg.rpo) {
    const ev = refs[b]!;
    const n = npoints[b]!;
    for (let x = 0; x < ev.length; x += 3) byObj[ev[x + 1]!]!.push(ev[x]!, ev[x + 2]!);
    cand.copyFrom(reached[b]!);
    cand.intersect(needOut[b]!);
    cand.union(blockRefs[b]!);
    const ivLo: number[] = [];
    const ivHi: number[] = [];
    const ivObj: number[] = [];
    cand.forEach((d) => {
      const rs = byObj[d]!;
      // Reached from the block start if referenced before it, else from its first reference here.
      const from = reached[b]!.has(d) ? 0 : rs.length ? rs[0]! : n;
      let needed = needOut[b]!.has(d);
      let end = n - 1;
      const push = (lo: number, hi: number): void => {
        lo = Math.max(lo, from);
        if (lo > hi) return;
        ivLo.push(lo);
        ivHi.push(hi);
        ivObj.push(d);
        if (firstPoint[d]! < 0 || base + lo < firstPoint[d]!) firstPoint[d] = base + lo;
      };
      for (let x = rs.length - 2; x >= 0; x -= 2) {
        const k = rs[x]!;
        if (rs[x + 1] === 1) {
          push(k, needed ? end : k);
          needed = false;
        } else if (!needed) {
          end = k;
          needed = true;
        }
      }
      if (needed) push(0, end);
      rs.length = 0;
    });
    const ni = ivLo.length;
    if (ni === 0) {
      base += n;
      continue;
    }
    // Events as numbers: (point*2, +1 for an end) * ni + interval index; starts sort first.
    const events = new Float64Array(ni * 2);
    for (let x = 0; x < ni; x++) {
      events[2 * x] = ivLo[x]! * 2 * ni + x;
      events[2 * x + 1] = (ivHi[x]! * 2 + 1) * ni + x;
    }
    events.sort();
    const active = new Set<number>();
    let bytes = 0;
    for (let k = 0; k < events.length; k++) {
      const e = events[k]!;
      const x = e % ni;
      const at = (e - x) / ni;
      const d = ivObj[x]!;
      if (at % 2 === 0) {
        for (const y of active) {
          const o = ivObj[y]!;
          if (o !== d) {
            interf[d]!.add(o);
            interf[o]!.add(d);
          }
        }
        active.add(x);
        bytes += objs[d]!.size;
        const next = events[k + 1];
        if (bytes > peakBytes && (next === undefined || Math.floor(next / ni) !== at)) {
          peakBytes = bytes;
          peakSet = [...active].map((y) => ivObj[y]!);
          peakSpan = spanNear(f.blocks[b]!, at / 2);
        }
      } else {
        active.delete(x);
        bytes -= objs[d]!.size;
      }
    }
    base += n;
  }

  // First fit, trying two orders (largest first; by first use) and keeping the smaller frame.
  const place = (order: number[]): { size: number; start: Int32Array } => {
    const start = new Int32Array(m).fill(-1);
    let top = 0;
    for (const d of order) {
      const o = objs[d]!;
      const ivs: [number, number][] = [];
      interf[d]!.forEach((e) => {
        if (start[e]! >= 0) ivs.push([start[e]!, start[e]! + objs[e]!.size]);
      });
      ivs.sort((a, b) => a[0] - b[0]);
      let s = 0;
      for (const [lo, hi] of ivs) if (lo < s + o.size && hi > s) s = alignUp(hi, o.align);
      start[d] = s;
      top = Math.max(top, s + o.size);
    }
    return { size: alignUp(top, 8), start };
  };
  const ids = Array.from({ length: m }, (_, d) => d);
  const bySize = ids.slice().sort((a, b) => objs[b]!.size - objs[a]!.size || objs[b]!.align - objs[a]!.align || a - b);
  const byFirst = ids.slice().sort((a, b) => firstPoint[a]! - firstPoint[b]! || a - b);
  let best = place(bySize);
  const other = place(byFirst);
  if (other.size < best.size) best = other;

  const peakObjects = describe(peakSet.map((d) => objs[d]!), f.spillSlots);
  if (best.size > limit) throw new StackOverflowError(best.size, limit, peakObjects, peakSpan);
  for (let d = 0; d < m; d++) offsets.set(objs[d]!.id, best.start[d]! - best.size);
  return { size: best.size, offsets, peak: { bytes: Math.max(peakBytes, 0), objects: peakObjects, ...(peakSpan ? { span: peakSpan } : {}) } };
}

/** The span of point k of a block, or of the nearest instruction before it that has one. */
function spanNear(b: LFunc['blocks'][number], k: number): Span | undefined {
  for (let j = k; j >= 0; j--) {
    const i = j < b.insns.length ? b.insns[j]! : b.term;
    if (i.span) return i.span;
  }
  return undefined;
}

/** Largest first (then in declaration order); spill slots summed into one entry. */
function describe(objects: StackObject[], spillSlots: Set<ObjId>): StackUse[] {
  const named = objects.filter((o) => !spillSlots.has(o.id)).sort((a, b) => b.size - a.size || a.id - b.id);
  const out: StackUse[] = named.map((o) => ({ name: o.name, size: o.size }));
  const spill = objects.reduce((a, o) => a + (spillSlots.has(o.id) ? o.size : 0), 0);
  if (spill) {
    const at = out.findIndex((o) => o.size < spill);
    out.splice(at < 0 ? out.length : at, 0, { name: 'spilled registers', size: spill });
  }
  return out;
}

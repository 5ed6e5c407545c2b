/**
 * Register allocation by graph colouring (Chaitin–Briggs: simplify, optimistic select, spill and
 * retry), with the physical registers r0–r9 as precoloured nodes. The BPF ABI needs no special
 * casing: a call *defines* r0–r5, so every value live across it interferes with them and can
 * only get r6–r9; arguments are moves into r1–r5, results moves out of r0, and colouring is
 * biased towards the colour of a move partner so most of those moves disappear.
 *
 * Spilling: the node with the least (uses+defs weighted 10^loop depth) / degree is chosen
 * when no node is trivially colourable; if it really gets no colour it is rewritten — values
 * defined once by a constant, a stack address, a map fd or a function address are
 * rematerialised at each use; others get an 8-byte stack slot, a reload before each use and
 * a store after each def, through fresh temporaries that live for one instruction.
 *
 * Before colouring, pure instructions whose result nobody reads are deleted (lowering
 * initialises variables it then overwrites). Copies are not coalesced ahead of colouring:
 * measured on bpftrace's tools and random programs, Briggs/George coalescing removed a
 * handful of moves beyond what biased colouring already removes, at twice the time.
 */
import type { StackObject } from '../ir.js';
import { BitSet, SparseSet } from './bitset.js';
import type { Cfg } from './cfg.js';
import { CodegenError } from './errors.js';
import { NPHYS, defsOf, isCopy, renameNodes, scratch, usesOf, type LFunc, type LInsn, type Node } from './lir.js';

const K = NPHYS;
const ALL = (1 << K) - 1;

export interface Allocation {
  /** Physical register of every node (-1 for nodes that never occur). */
  colour: Int8Array;
  /** Values given a stack slot. */
  spilled: number;
  /** Values recomputed at each use instead of being spilled. */
  rematerialised: number;
  /** Colouring rounds (1 when nothing spilled). */
  rounds: number;
}

/**
 * Block-boundary liveness, over the nodes that can be live at a block boundary at all ("global":
 * read in a block before being written there, or occurring in several blocks). Values that live
 * and die within one block — most temporaries — stay out of the data-flow sets, which keeps them
 * small: the cost grows with blocks × globals rather than blocks × all nodes.
 */
export interface Liveness {
  /** Per block, live-in / live-out as bit sets over global indices. */
  liveIn: BitSet[];
  liveOut: BitSet[];
  /** Global index → node. */
  globals: Int32Array;
}

/** Adds the nodes of a global-index set to a node set. */
function addNodes(to: SparseSet, from: BitSet, globals: Int32Array): void {
  from.forEach((g) => to.add(globals[g]!));
}

export function liveness(f: LFunc, cfg: Cfg): Liveness {
  const n = f.blocks.length;
  const N = f.nodeCount;
  // Find the global nodes: block of first occurrence, and upward-exposed uses.
  const home = new Int32Array(N).fill(-1);
  const isGlobal = new Uint8Array(N);
  const defined = new Int32Array(N).fill(-1); // block in which the node was last written
  const tmp = scratch();
  f.blocks.forEach((b, bi) => {
    const visit = (i: Parameters<typeof usesOf>[0]): void => {
      const nu = usesOf(i, tmp);
      for (let x = 0; x < nu; x++) {
        const u = tmp[x]!;
        if (home[u] === -1) home[u] = bi;
        else if (home[u] !== bi) isGlobal[u] = 1;
        if (defined[u] !== bi) isGlobal[u] = 1;
      }
      const nd = defsOf(i, tmp);
      for (let x = 0; x < nd; x++) {
        const d = tmp[x]!;
        if (home[d] === -1) home[d] = bi;
        else if (home[d] !== bi) isGlobal[d] = 1;
        defined[d] = bi;
      }
    };
    for (const i of b.insns) visit(i);
    visit(b.term);
  });
  const index = new Int32Array(N).fill(-1);
  const globalList: number[] = [];
  for (let v = 0; v < N; v++) {
    if (isGlobal[v]) {
      index[v] = globalList.length;
      globalList.push(v);
    }
  }
  const globals = Int32Array.from(globalList);
  const G = globals.length;
  const gen: BitSet[] = [];
  const kill: BitSet[] = [];
  for (const b of f.blocks) {
    const g = new BitSet(G);
    const k = new BitSet(G);
    const visit = (i: Parameters<typeof usesOf>[0]): void => {
      const nu = usesOf(i, tmp);
      for (let x = 0; x < nu; x++) {
        const gi = index[tmp[x]!]!;
        if (gi >= 0 && !k.has(gi)) g.add(gi);
      }
      const nd = defsOf(i, tmp);
      for (let x = 0; x < nd; x++) {
        const gi = index[tmp[x]!]!;
        if (gi >= 0) k.add(gi);
      }
    };
    for (const i of b.insns) visit(i);
    visit(b.term);
    gen.push(g);
    kill.push(k);
  }
  const liveIn = Array.from({ length: n }, () => new BitSet(G));
  const liveOut = Array.from({ length: n }, () => new BitSet(G));
  const order = cfg.rpo.slice().reverse();
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of order) {
      const out = liveOut[b]!;
      for (const s of cfg.succ[b]!) out.union(liveIn[s]!);
      const inn = liveIn[b]!.words;
      const o = out.words;
      const g = gen[b]!.words;
      const k = kill[b]!.words;
      for (let w = 0; w < inn.length; w++) {
        const v = (g[w]! | (o[w]! & ~k[w]!)) >>> 0;
        if (v !== inn[w]) {
          inn[w] = v;
          changed = true;
        }
      }
    }
  }
  return { liveIn, liveOut, globals };
}

interface Graph {
  nv: number;
  /** Virtual–virtual interference, bit matrix. */
  matrix: Uint32Array;
  rowWords: number;
  /** Physical registers each virtual node interferes with (bit i = ri). */
  forbid: Uint16Array;
  present: Uint8Array;
  cost: Float64Array;
  partners: Node[][];
}

function buildGraph(f: LFunc, cfg: Cfg, live: Liveness): Graph {
  const nv = f.nodeCount - NPHYS;
  const rowWords = (nv + 31) >>> 5;
  const g: Graph = {
    nv,
    matrix: new Uint32Array(nv * rowWords),
    rowWords,
    forbid: new Uint16Array(nv),
    present: new Uint8Array(nv),
    cost: new Float64Array(nv),
    partners: Array.from({ length: nv }, () => []),
  };
  const edge = (a: Node, b: Node): void => {
    if (a === b) return;
    if (a < NPHYS) {
      if (b >= NPHYS) g.forbid[b - NPHYS]! |= 1 << a;
      return;
    }
    if (b < NPHYS) {
      g.forbid[a - NPHYS]! |= 1 << b;
      return;
    }
    const x = a - NPHYS;
    const y = b - NPHYS;
    const at = x * rowWords + (y >>> 5);
    const bit = 1 << (y & 31);
    if ((g.matrix[at]! & bit) !== 0) return;
    g.matrix[at]! |= bit;
    g.matrix[y * rowWords + (x >>> 5)]! |= 1 << (x & 31);
  };
  const uses = scratch();
  const defs = scratch();
  const cur = new SparseSet(f.nodeCount);
  f.blocks.forEach((b, bi) => {
    const w = 10 ** Math.min(cfg.depth[bi]!, 6);
    const touch = (n: Node): void => {
      if (n >= NPHYS) {
        g.present[n - NPHYS] = 1;
        g.cost[n - NPHYS]! += w;
      }
    };
    addNodes(cur, live.liveOut[bi]!, live.globals);
    const nt = usesOf(b.term, uses);
    for (let x = 0; x < nt; x++) {
      touch(uses[x]!);
      cur.add(uses[x]!);
    }
    for (let k = b.insns.length - 1; k >= 0; k--) {
      const i = b.insns[k]!;
      const nu = usesOf(i, uses);
      const nd = defsOf(i, defs);
      for (let x = 0; x < nu; x++) touch(uses[x]!);
      for (let x = 0; x < nd; x++) touch(defs[x]!);
      if (isCopy(i) && i.d !== i.s) {
        cur.delete(i.s);
        if (i.d >= NPHYS) g.partners[i.d - NPHYS]!.push(i.s);
        if (i.s >= NPHYS) g.partners[i.s - NPHYS]!.push(i.d);
      }
      const live = cur.dense;
      for (let x = 0; x < nd; x++) {
        const d = defs[x]!;
        for (let j = 0; j < cur.size; j++) edge(d, live[j]!);
      }
      // The copy scratch is written while the source pointer is still being read.
      if (i.k === 'copy') for (let x = 0; x < nu; x++) edge(i.t, uses[x]!);
      for (let x = 0; x < nd; x++) cur.delete(defs[x]!);
      for (let x = 0; x < nu; x++) cur.add(uses[x]!);
    }
    cur.clear();
  });
  return g;
}

const popcount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};
const lowestBit = (x: number): number => 31 - Math.clz32(x & -x);

/** Colours the graph; returns the colours and the nodes that got none. */
function colour(f: LFunc, g: Graph, remat: Set<Node>): { colour: Int8Array; spills: Node[] } {
  const { nv, forbid, matrix, rowWords } = g;
  const deg = new Int32Array(nv);
  const removed = new Uint8Array(nv);
  const stack: number[] = [];
  const low: number[] = [];
  let remaining = 0;
  const pending: number[] = [];
  for (let v = 0; v < nv; v++) {
    if (!g.present[v]) {
      removed[v] = 1;
      continue;
    }
    remaining++;
    pending.push(v);
    let d = popcount(forbid[v]!);
    for (let w = v * rowWords, e = w + rowWords; w < e; w++) d += popcount(matrix[w]!);
    deg[v] = d;
    if (deg[v]! < K) low.push(v);
  }
  const remove = (v: number): void => {
    removed[v] = 1;
    remaining--;
    stack.push(v);
    for (let k = 0; k < rowWords; k++) {
      let w = matrix[v * rowWords + k]!;
      while (w !== 0) {
        const low1 = w & -w;
        w ^= low1;
        const m = (k << 5) + 31 - Math.clz32(low1);
        if (!removed[m] && --deg[m]! === K - 1) low.push(m);
      }
    }
  };
  // Spill weight: cost of keeping the value on the stack; rematerialisable values are cheaper.
  const weight = new Float64Array(nv);
  for (let v = 0; v < nv; v++) {
    const node = v + NPHYS;
    weight[v] = f.unspillable.has(node) ? 1e30 : remat.has(node) ? g.cost[v]! * 0.5 : g.cost[v]!;
  }
  while (remaining > 0) {
    while (low.length) {
      const v = low.pop()!;
      if (!removed[v]) remove(v);
    }
    if (remaining === 0) break;
    // Blocked: optimistically push the cheapest node to spill; it may still get a colour.
    // (`pending` is compacted as it is scanned, so later scans only see remaining nodes.)
    let best = -1;
    let bestScore = Infinity;
    let keep = 0;
    for (let j = 0; j < pending.length; j++) {
      const v = pending[j]!;
      if (removed[v]) continue;
      pending[keep++] = v;
      const score = weight[v]! / Math.max(deg[v]!, 1);
      if (score < bestScore || best < 0) {
        best = v;
        bestScore = score;
      }
    }
    pending.length = keep;
    remove(best);
  }

  const col = new Int8Array(f.nodeCount).fill(-1);
  for (let r = 0; r < NPHYS; r++) col[r] = r;
  const spills: Node[] = [];
  for (let k = stack.length - 1; k >= 0; k--) {
    const v = stack[k]!;
    let avail = ALL & ~forbid[v]!;
    for (let k = 0; k < rowWords; k++) {
      let w = matrix[v * rowWords + k]!;
      while (w !== 0) {
        const low1 = w & -w;
        w ^= low1;
        const c = col[(k << 5) + 31 - Math.clz32(low1) + NPHYS]!;
        if (c >= 0) avail &= ~(1 << c);
      }
    }
    if (avail === 0) {
      spills.push(v + NPHYS);
      continue;
    }
    col[v + NPHYS] = pick(v, avail);
  }
  return { colour: col, spills };

  function pick(v: number, avail: number): number {
    const ps = g.partners[v]!;
    for (const p of ps) {
      const c = col[p]!;
      if (c >= 0 && (avail >> c) & 1) return c;
    }
    // Look ahead one move further: a colour an uncoloured partner could take too, preferably
    // the one its own partners already have, so that later moves can vanish as well.
    let fallback = 0;
    for (const p of ps) {
      if (col[p]! >= 0) continue;
      const m = avail & ~forbid[p - NPHYS]!;
      if (!m) continue;
      for (const q of g.partners[p - NPHYS]!) {
        const c = col[q]!;
        if (c >= 0 && (m >> c) & 1) return c;
      }
      if (!fallback) fallback = m;
    }
    return lowestBit(fallback || avail);
  }
}

/** Single definitions that can be recomputed anywhere instead of being kept. */
function rematerialisable(f: LFunc): Map<Node, LInsn> {
  const count = new Int32Array(f.nodeCount);
  const def: (LInsn | undefined)[] = new Array(f.nodeCount);
  const defs = scratch();
  for (const b of f.blocks) {
    for (const i of b.insns) {
      const nd = defsOf(i, defs);
      for (let x = 0; x < nd; x++) {
        const d = defs[x]!;
        if (d < NPHYS) continue;
        count[d]!++;
        def[d] = i.k === 'li' || i.k === 'addr' || i.k === 'mapfd' || i.k === 'func' ? i : undefined;
      }
    }
  }
  const out = new Map<Node, LInsn>();
  for (let n = NPHYS; n < f.nodeCount; n++) if (count[n] === 1 && def[n] !== undefined) out.set(n, def[n]!);
  return out;
}

function rewrite(f: LFunc, spills: Node[], remat: Map<Node, LInsn>): { slots: number; remats: number } {
  const slot = new Map<Node, number>();
  const re = new Map<Node, LInsn>();
  let nextObj = 0;
  for (const id of f.objects.keys()) nextObj = Math.max(nextObj, id + 1);
  for (const n of spills) {
    const r = remat.get(n);
    if (r !== undefined) {
      re.set(n, r);
      continue;
    }
    const o: StackObject = { id: nextObj++, size: 8, align: 8, name: 'spilled register' };
    f.objects.set(o.id, o);
    f.spillSlots.add(o.id);
    slot.set(n, o.id);
  }
  const fresh = (): Node => {
    const t = f.nodeCount++;
    f.unspillable.add(t);
    return t;
  };
  const reload = (d: Node, n: Node, out: LInsn[], span: LInsn['span']): void => {
    const r = re.get(n);
    const S = span ? { span } : {};
    if (r !== undefined) out.push({ ...(r as LInsn & { d: Node }), d, ...S } as LInsn);
    else out.push({ k: 'ld', d, base: { obj: slot.get(n)! }, off: 0, size: 8, ...S });
  };
  const spilled = (n: Node): boolean => slot.has(n) || re.has(n);
  const uses = scratch();
  const defs = scratch();
  for (const b of f.blocks) {
    const out: LInsn[] = [];
    for (const i of b.insns) {
      const S = i.span ? { span: i.span } : {};
      const nd = defsOf(i, defs);
      // The single definition of a rematerialised value is no longer needed.
      if (nd === 1 && re.get(defs[0]!) === i) continue;
      if (isCopy(i) && (spilled(i.d) || spilled(i.s))) {
        if (!spilled(i.d)) {
          reload(i.d, i.s, out, i.span); // d = slot, or d = the constant
          continue;
        }
        if (slot.has(i.d) && !spilled(i.s)) {
          out.push({ k: 'st', base: { obj: slot.get(i.d)! }, off: 0, size: 8, s: i.s, imm: 0, ...S });
          continue;
        }
      }
      const nu = usesOf(i, uses);
      let map: Map<Node, Node> | undefined;
      for (let x = 0; x < nu; x++) {
        const n = uses[x]!;
        if (!spilled(n) || map?.has(n)) continue;
        const t = fresh();
        (map ??= new Map()).set(n, t);
        reload(t, n, out, i.span);
      }
      for (let x = 0; x < nd; x++) {
        const n = defs[x]!;
        if (spilled(n) && !map?.has(n)) (map ??= new Map()).set(n, fresh());
      }
      if (map === undefined) {
        out.push(i);
        continue;
      }
      const m = map;
      out.push(renameNodes(i, (n) => m.get(n) ?? n));
      for (let x = 0; x < nd; x++) {
        const n = defs[x]!;
        const s = slot.get(n);
        if (s !== undefined) out.push({ k: 'st', base: { obj: s }, off: 0, size: 8, s: m.get(n)!, imm: 0, ...S });
      }
    }
    const nt = usesOf(b.term, uses);
    const map = new Map<Node, Node>();
    for (let x = 0; x < nt; x++) {
      const n = uses[x]!;
      if (!spilled(n) || map.has(n)) continue;
      const t = fresh();
      map.set(n, t);
      reload(t, n, out, b.term.span);
    }
    if (map.size) b.term = renameNodes(b.term, (n) => map.get(n) ?? n);
    b.insns = out;
  }
  return { slots: slot.size, remats: re.size };
}

const PURE: ReadonlySet<string> = new Set(['mov', 'li', 'alu', 'neg', 'movsx', 'be', 'ld', 'addr', 'mapfd', 'func']);

/**
 * Removes instructions whose only effect is a value nobody reads (lowering zero-initialises
 * variables it then overwrites, for instance). Returns how many went.
 */
function eliminateDeadCode(f: LFunc, live: Liveness): number {
  let removed = 0;
  const uses = scratch();
  const defs = scratch();
  const cur = new SparseSet(f.nodeCount);
  f.blocks.forEach((b, bi) => {
    addNodes(cur, live.liveOut[bi]!, live.globals);
    const nt = usesOf(b.term, uses);
    for (let x = 0; x < nt; x++) cur.add(uses[x]!);
    const keep: boolean[] = new Array(b.insns.length);
    for (let k = b.insns.length - 1; k >= 0; k--) {
      const i = b.insns[k]!;
      const nd = defsOf(i, defs);
      if (PURE.has(i.k) && nd === 1 && defs[0]! >= NPHYS && !cur.has(defs[0]!)) {
        keep[k] = false;
        removed++;
        continue;
      }
      keep[k] = true;
      for (let x = 0; x < nd; x++) cur.delete(defs[x]!);
      const nu = usesOf(i, uses);
      for (let x = 0; x < nu; x++) cur.add(uses[x]!);
    }
    if (keep.includes(false)) b.insns = b.insns.filter((_, k) => keep[k]);
    cur.clear();
  });
  return removed;
}

/** Allocates registers for `f`, rewriting it with spill code as needed. */
export function allocate(f: LFunc, cfg: Cfg): Allocation {
  let spilled = 0;
  let rematerialised = 0;
  let live = liveness(f, cfg);
  while (eliminateDeadCode(f, live) > 0) live = liveness(f, cfg);
  for (let round = 1; round <= 12; round++) {
    if (round > 1) live = liveness(f, cfg);
    checkEntry(f, live);
    const g = buildGraph(f, cfg, live);
    const remat = rematerialisable(f);
    const { colour: col, spills } = colour(f, g, new Set(remat.keys()));
    if (spills.length === 0) return { colour: col, spilled, rematerialised, rounds: round };
    const bad = spills.find((n) => f.unspillable.has(n));
    if (bad !== undefined) {
      throw new CodegenError(`function ${f.name}: register pressure too high at one instruction (no register left for a temporary)`);
    }
    const r = rewrite(f, spills, remat);
    spilled += r.slots;
    rematerialised += r.remats;
  }
  throw new CodegenError(`function ${f.name}: register allocation did not converge`);
}

/** A virtual register live at the very start was read before any assignment on some path. */
function checkEntry(f: LFunc, live: Liveness): void {
  let bad = -1;
  live.liveIn[0]!.forEach((g) => {
    const n = live.globals[g]!;
    if (n >= NPHYS && bad < 0) bad = n;
  });
  if (bad < 0) return;
  const v = bad - NPHYS;
  // Find a use for the span.
  const uses = scratch();
  let span: LInsn['span'];
  outer: for (const b of f.blocks) {
    for (const i of [...b.insns, b.term]) {
      const nu = usesOf(i, uses);
      if (uses.subarray(0, nu).includes(bad)) {
        span = i.span;
        break outer;
      }
    }
  }
  const what = v < f.vregCount ? `virtual register %${v}` : `temporary t${v}`;
  throw new CodegenError(`function ${f.name}: ${what} is read before it is assigned on some path`, span);
}

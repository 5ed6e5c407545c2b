/** Control-flow facts about an LIR function: successors, predecessors, order, loop depth. */
import { successors, type LFunc } from './lir.js';

export interface Cfg {
  succ: number[][];
  pred: number[][];
  /** Reverse postorder from block 0 (every block is reachable: expansion dropped the others). */
  rpo: number[];
  /** Number of loops each block sits in (natural loops of back edges). */
  depth: number[];
}

export function buildCfg(f: LFunc): Cfg {
  const n = f.blocks.length;
  const succ = f.blocks.map((b) => successors(b.term));
  const pred: number[][] = Array.from({ length: n }, () => []);
  succ.forEach((ss, b) => {
    for (const s of ss) pred[s]!.push(b);
  });

  // Iterative DFS: postorder plus back edges (edges to a block still on the DFS stack).
  const post: number[] = [];
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const backEdges: [number, number][] = [];
  const stack: [number, number][] = [[0, 0]];
  state[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [b, k] = top;
    const ss = succ[b]!;
    if (k < ss.length) {
      top[1]++;
      const s = ss[k]!;
      if (state[s] === 0) {
        state[s] = 1;
        stack.push([s, 0]);
      } else if (state[s] === 1) backEdges.push([b, s]);
    } else {
      state[b] = 2;
      post.push(b);
      stack.pop();
    }
  }
  const rpo = post.reverse();

  // Loop depth: each back edge t→h contributes its natural loop (blocks reaching t without h).
  const depth = new Array<number>(n).fill(0);
  const headers = new Map<number, Set<number>>();
  for (const [t, h] of backEdges) {
    let body = headers.get(h);
    if (!body) headers.set(h, (body = new Set([h])));
    const work = [t];
    while (work.length) {
      const x = work.pop()!;
      if (body.has(x)) continue;
      body.add(x);
      for (const p of pred[x]!) work.push(p);
    }
  }
  for (const body of headers.values()) for (const b of body) depth[b]!++;
  return { succ, pred, rpo, depth };
}

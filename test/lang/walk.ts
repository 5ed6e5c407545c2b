/** Test helpers: visit every AST node, and check that spans are consistent. */
import assert from 'node:assert/strict';

import { SourceFile, type Node, type Program, type Span } from '../../src/lang/index.js';

export interface Visited {
  node: Node;
  parent: Node | null;
}

/** Every node (anything with a `kind` and a `span`) under `root`, with its parent. */
export function allNodes(root: Node): Visited[] {
  const out: Visited[] = [];
  const visit = (value: unknown, parent: Node | null): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v, parent);
      return;
    }
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const obj = value as { kind?: unknown; span?: Span };
    let next = parent;
    if (typeof obj.kind === 'string' && obj.span !== undefined) {
      out.push({ node: obj as Node, parent });
      next = obj as Node;
    }
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'span' || k === 'nameSpan' || k === 'partSpans' || k === 'target') continue;
      visit(v, next);
    }
  };
  visit(root, null);
  return out;
}

/** Each node's line/col agree with its offset, and each node lies inside its parent. Returns the node count. */
export function checkSpans(prog: Program): number {
  const src = new SourceFile(prog.file, prog.source);
  const nodes = allNodes(prog);
  for (const { node, parent } of nodes) {
    const s = node.span;
    const a = src.position(s.offset);
    const b = src.position(s.offset + s.length);
    assert.deepEqual([s.line, s.col, s.endLine, s.endCol], [a.line, a.col, b.line, b.col], `${node.kind} span`);
    assert.ok(s.length >= 0 && s.offset + s.length <= prog.source.length, `${node.kind} span out of the source`);
    if (parent) {
      const p = parent.span;
      assert.ok(s.offset >= p.offset && s.offset + s.length <= p.offset + p.length, `${node.kind} outside ${parent.kind}`);
    }
  }
  return nodes.length;
}

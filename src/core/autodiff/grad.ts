/**
 * Reverse-mode automatic differentiation over the graph IR: appends the backward pass to the
 * graph and returns the gradient values. Only nodes on a path from a `wrt` value to the loss are
 * differentiated; gradients of a value used more than once are summed; integer values get none.
 */
import { GraphBuildError, NoGradientError } from '../errors.js';
import type { Graph, Node, Value } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { isFloat } from '../tensor.js';
import { Recomputation, type RecomputeSegment } from './recompute.js';
import { gradientRule } from './registry.js';
import './rules/index.js';
import { filled } from './util.js';

export interface GradOptions {
  /** Gradient of the loss itself (defaults to ones: d loss / d loss). */
  seed?: Value;
  /**
   * Segments whose backward recomputes the forward values it reads from the segment's input
   * (activation recomputation, recompute.ts) instead of keeping the forward's alive. The same
   * numbers either way; less memory, one more forward of each segment.
   */
  recompute?: readonly RecomputeSegment[];
}

export function grad(graph: Graph, loss: Value, wrt: readonly Value[], options: GradOptions = {}): Value[] {
  graph.assertOwned(loss);
  if (!isFloat(loss.dtype)) throw new GraphBuildError(`grad: loss '${loss.name}' must be a float tensor, got ${loss.dtype}`);
  for (const w of wrt) {
    graph.assertOwned(w);
    if (!isFloat(w.dtype)) throw new GraphBuildError(`grad: cannot differentiate with respect to '${w.name}' of dtype ${w.dtype}`);
  }

  // Values that depend on some wrt value (forward reachability over the node list, which is topological).
  const dependsOnWrt = new Set<Value>(wrt);
  for (const n of graph.nodes) {
    if (n.inputs.some((v) => dependsOnWrt.has(v))) for (const o of n.outputs) if (isFloat(o.dtype)) dependsOnWrt.add(o);
  }
  // Values the loss depends on (backward reachability).
  const feedsLoss = new Set<Value>([loss]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (n.outputs.some((o) => feedsLoss.has(o))) for (const v of n.inputs) feedsLoss.add(v);
  }
  const onPath = (v: Value) => dependsOnWrt.has(v) && feedsLoss.has(v);

  const pending = new Map<Value, Value[]>();
  const accumulate = (v: Value, g: Value) => {
    if (g.dtype !== v.dtype || g.shape.length !== v.shape.length || g.shape.some((d, i) => d !== v.shape[i])) {
      throw new GraphBuildError(
        `grad: rule produced a gradient of shape [${g.shape}] (${g.dtype}) for '${v.name}' of shape [${v.shape}] (${v.dtype})`,
      );
    }
    const list = pending.get(v);
    if (list) list.push(g);
    else pending.set(v, [g]);
  };
  const total = (v: Value): Value | undefined => {
    const list = pending.get(v);
    if (!list) return undefined;
    const sum = list.reduce((a, b) => op.add(a, b));
    pending.set(v, [sum]);
    return sum;
  };

  accumulate(loss, options.seed ?? filled(loss, 1));
  const recompute = options.recompute?.length ? new Recomputation(options.recompute) : undefined;
  const gradSoFar = (v: Value) => (pending.has(v) ? total(v) : undefined);
  const nodes: Node[] = graph.nodes.slice();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.outputs.some((o) => pending.has(o))) continue;
    if (!node.inputs.some(onPath)) continue;
    const rule = gradientRule(node.op);
    if (!rule) throw new NoGradientError(node.op);
    const dys = node.outputs.map(total);
    const seen = recompute ? recompute.view(node, gradSoFar, dys) : node;
    const dxs = rule(seen, dys, node.inputs.map(onPath));
    node.inputs.forEach((x, j) => {
      const dx = dxs[j];
      if (dx && onPath(x)) accumulate(x, dx);
    });
  }
  return wrt.map((w) => total(w) ?? filled(w, 0));
}

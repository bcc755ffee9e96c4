/**
 * Activation recomputation (gradient checkpointing) for grad(): the backward of a segment (a
 * model builder supplies them, e.g. one per decoder layer) reads forward values recomputed from
 * the segment's input instead of the ones the forward pass computed, so between the forward and
 * the backward only segment inputs stay alive, plus one segment's internals at a time.
 *
 * How a segment is recomputed:
 * - Only what the backward reads is cloned (lazily, with the chain it depends on). Nodes of the
 *   segment that do not depend on its input (weights built from parameters: LoRA's factors, a
 *   scattered sparse delta, constants) are shared, not recomputed. Fed inputs (dropout masks)
 *   are read again, so the recomputed values are the forward's own.
 * - The clones start from input' = input + Σ(empty slice of the gradient of the segment's output).
 *   The sum of no elements is exactly 0, so input' holds input's numbers (a −0 becomes +0), but a
 *   runtime cannot prove it: common-subexpression elimination cannot merge the clones back into
 *   the forward nodes, and the recomputation cannot run before the backward has reached the
 *   segment (it needs that gradient), so its values live only while the segment's backward runs.
 */
import { GraphBuildError } from '../errors.js';
import type { Node, Value } from '../graph/graph.js';
import * as op from '../graph/ops.js';

/** A run of forward nodes whose backward recomputes its values from `input`. */
export interface RecomputeSegment {
  /** The value the segment starts from; the forward's own stays alive for the backward. */
  readonly input: Value;
  /** The value the segment ends in (the next segment's input); its gradient starts the recomputation. */
  readonly output: Value;
  /** The segment's forward nodes in graph order. */
  readonly nodes: readonly Node[];
}

/** Suffix of recomputed value names (tests and profiles find them by it). */
export const RECOMPUTED_SUFFIX = '_recomputed';

interface SegmentState {
  seg: RecomputeSegment;
  /** input + 0, created when the backward first reaches the segment. */
  start?: Value;
}

export class Recomputation {
  private readonly segmentOf = new Map<Node, SegmentState>();
  /** Outputs of segment nodes that depend on the segment's input: what may be recomputed. */
  private readonly valueSegment = new Map<Value, SegmentState>();
  private readonly clones = new Map<Value, Value>();

  constructor(segments: readonly RecomputeSegment[]) {
    for (const seg of segments) {
      const state: SegmentState = { seg };
      const reach = new Set<Value>([seg.input]);
      for (const n of seg.nodes) {
        if (this.segmentOf.has(n)) throw new GraphBuildError(`recompute: node ${n.op} → '${n.outputs[0]?.name}' is in two segments`);
        this.segmentOf.set(n, state);
        if (n.op === 'Constant' || !n.inputs.some((v) => reach.has(v))) continue;
        for (const o of n.outputs) {
          reach.add(o);
          // The output stays alive anyway (the next segment's input): never recomputed.
          if (o !== seg.output) this.valueSegment.set(o, state);
        }
      }
    }
  }

  /**
   * The node as its gradient rule should see it: inputs and outputs that the segment recomputes
   * are replaced by their recomputed values (made on first access). `gradOf` gives the gradient
   * accumulated so far for a value (the segment output's is complete once the backward reaches
   * the segment); `dys` are the node's output gradients, the fall-back trigger.
   */
  view(node: Node, gradOf: (v: Value) => Value | undefined, dys: readonly (Value | undefined)[]): Node {
    const state = this.segmentOf.get(node);
    if (!state) return node;
    if (!state.start) {
      const trigger = gradOf(state.seg.output) ?? dys.find((d) => d !== undefined);
      if (!trigger) return node;
      state.start = restart(state.seg.input, trigger);
    }
    const self = this;
    const lazy = (vs: readonly Value[]): readonly Value[] =>
      new Proxy(vs as Value[], {
        get(target, prop, receiver) {
          if (typeof prop === 'string' && /^\d+$/.test(prop)) {
            const v = target[Number(prop)];
            return v === undefined || self.valueSegment.get(v) !== state ? v : self.value(v);
          }
          return Reflect.get(target, prop, receiver) as unknown;
        },
      });
    return { op: node.op, inputs: lazy(node.inputs), outputs: lazy(node.outputs), attrs: node.attrs, ...(node.domain ? { domain: node.domain } : {}) };
  }

  /** The recomputed value of v (v itself where it is not recomputed or its segment's backward has not started). */
  value(v: Value): Value {
    const state = this.valueSegment.get(v);
    if (!state?.start) return v;
    const hit = this.clones.get(v);
    if (hit) return hit;
    const n = v.producer!;
    const inputs = n.inputs.map((u) => (u === state.seg.input ? state.start! : this.valueSegment.get(u) === state ? this.value(u) : u));
    const outs = v.graph.addNode(
      n.op,
      inputs,
      n.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape, name: `${o.name}${RECOMPUTED_SUFFIX}` })),
      { ...n.attrs },
    );
    n.outputs.forEach((o, i) => this.clones.set(o, outs[i]!));
    return this.clones.get(v)!;
  }
}

/** input + (sum of an empty slice of `after`): input's numbers, but ordered after `after` and not provably equal to input. */
function restart(input: Value, after: Value): Value {
  const g = input.graph;
  const empty = op.slice(op.reshape(after, [-1]), [0], [0], [0]);
  let zero = op.reduceSum(empty, [0], false);
  if (zero.dtype !== input.dtype) zero = op.cast(zero, input.dtype);
  const out = g.addNode('Add', [input, zero], [{ dtype: input.dtype, shape: input.shape, name: `${input.name}${RECOMPUTED_SUFFIX}` }])[0]!;
  return out;
}

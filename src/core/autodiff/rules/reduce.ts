/** Gradients of the reductions. */
import type { Node, Value } from '../../graph/graph.js';
import * as op from '../../graph/ops.js';
import { registerGradient } from '../registry.js';

/** The reduced axes of a reduction node, from its axes input (ReduceSum) or attribute. */
export function reducedAxes(n: Node): number[] {
  const x = n.inputs[0]!;
  const fromAttr = n.attrs.axes as number[] | undefined;
  let axes: number[];
  if (fromAttr) axes = fromAttr;
  else {
    const axesInput = n.inputs[1];
    const t = axesInput?.producer?.attrs.value as { data: BigInt64Array } | undefined;
    axes = t ? Array.from(t.data, Number) : x.shape.map((_, i) => i);
  }
  return axes.map((a) => (a < 0 ? a + x.rank : a));
}

/** Reshapes a reduced gradient so it broadcasts against the reduction's input (keepdims form). */
export function keepDims(n: Node, dy: Value): Value {
  const x = n.inputs[0]!;
  const axes = reducedAxes(n);
  return op.reshape(dy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

registerGradient('ReduceSum', (n, [dy]) => [op.expand(keepDims(n, dy!), n.inputs[0]!.shape)]);

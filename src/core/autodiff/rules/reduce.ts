/** Gradients of the reductions and of Softmax and LogSoftmax. */
import type { Node, Value } from '../../graph/graph.js';
import * as op from '../../graph/ops.js';
import { registerGradient } from '../registry.js';
import { constInts, scalarLike } from '../util.js';

/** The reduced axes of a reduction node, from its axes input (ReduceSum) or attribute. */
export function reducedAxes(n: Node): number[] {
  const x = n.inputs[0]!;
  const fromAttr = n.attrs.axes as number[] | undefined;
  const axesInput = n.inputs[1];
  // Absent axes mean all axes (noop_with_empty_axes is never set by the builders).
  const axes = fromAttr ?? (axesInput ? constInts(axesInput) : x.shape.map((_, i) => i));
  return (axes.length ? axes : x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.rank : a));
}

/** Reshapes a reduced value so it broadcasts against the reduction's input (keepdims form). */
export function keepDims(n: Node, dy: Value): Value {
  const x = n.inputs[0]!;
  const axes = reducedAxes(n);
  return op.reshape(dy, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

registerGradient('ReduceSum', (n, [dy]) => [op.expand(keepDims(n, dy!), n.inputs[0]!.shape)]);

registerGradient('ReduceMean', (n, [dy]) => {
  const x = n.inputs[0]!;
  const count = reducedAxes(n).reduce((c, a) => c * x.shape[a]!, 1);
  // Scale before expanding: the multiply runs over the reduced tensor, not the full one.
  return [op.expand(keepDims(n, op.mul(dy!, scalarLike(dy!, 1 / count))), x.shape)];
});

// Ties split the gradient evenly among the maxima (as TensorFlow and PyTorch's amax do), so the
// rule is symmetric in equal inputs and the finite-difference subgradient is matched on average.
registerGradient('ReduceMax', (n, [dy]) => {
  const x = n.inputs[0]!;
  const y = keepDims(n, n.outputs[0]!);
  const mask = op.cast(op.equal(x, y), x.dtype);
  const ties = op.reduceSum(mask, reducedAxes(n), true);
  return [op.mul(mask, op.div(keepDims(n, dy!), ties))];
});

registerGradient('Softmax', (n, [dy]) => {
  const y = n.outputs[0]!;
  const axis = n.attrs.axis as number;
  // dx = y·(dy − Σ dy·y) along the axis.
  return [op.mul(y, op.sub(dy!, op.reduceSum(op.mul(dy!, y), [axis], true)))];
});

registerGradient('LogSoftmax', (n, [dy]) => {
  const y = n.outputs[0]!;
  const axis = n.attrs.axis as number;
  // dx = dy − softmax(x)·Σ dy along the axis, with softmax(x) = exp(y).
  return [op.sub(dy!, op.mul(op.exp(y), op.reduceSum(dy!, [axis], true)))];
});

/** Helpers shared by gradient rules. */
import type { Value } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import { broadcastAxes } from '../graph/shape.js';
import { tensor } from '../tensor.js';

/** Sums a broadcast gradient back to the shape of the input it came from. */
export function sumToShape(g: Value, shape: readonly number[]): Value {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const { axes } = broadcastAxes(shape, g.shape);
  return op.reshape(op.reduceSum(g, axes, false), shape);
}

/** A constant of the value's dtype and shape filled with x. */
export function filled(like: { graph: Value['graph']; dtype: Value['dtype']; shape: readonly number[] }, x: number): Value {
  const t = tensor(like.dtype, like.shape);
  if (like.dtype === 'int64') (t.data as BigInt64Array).fill(BigInt(x));
  else (t.data as Float32Array).fill(x);
  return op.constant(like.graph, t, x === 0 ? 'zeros' : 'filled');
}

/** A scalar constant of the value's dtype (broadcasts against it). */
export function scalarLike(v: Value, x: number): Value {
  return op.scalar(v.graph, x, v.dtype);
}

/** Helpers shared by gradient rules. */
import { GraphBuildError } from '../errors.js';
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

/**
 * A value of the given dtype and shape filled with x. Non-scalars use ConstantOfShape so that a
 * zero gradient the size of an embedding table costs a few bytes in the model, not the table.
 */
export function filled(like: { graph: Value['graph']; dtype: Value['dtype']; shape: readonly number[] }, x: number): Value {
  if (like.shape.length > 0) return op.constantOfShape(like.graph, like.shape, x, like.dtype);
  const t = tensor(like.dtype, like.shape);
  if (like.dtype === 'int64') (t.data as BigInt64Array).fill(BigInt(x));
  else (t.data as Float32Array).fill(x);
  return op.constant(like.graph, t, x === 0 ? 'zero' : 'filled');
}

/** A scalar constant of the value's dtype (broadcasts against it). */
export function scalarLike(v: Value, x: number): Value {
  return op.scalar(v.graph, x, v.dtype);
}

/** The integers held by a constant or initializer value (starts, axes, pads of the shape ops). */
export function constInts(v: Value): number[] {
  const t = v.kind === 'initializer' ? v.graph.initializers.get(v.name)?.tensor : (v.producer?.attrs.value as { data?: unknown } | undefined);
  const data = t?.data;
  if (!(data instanceof BigInt64Array || data instanceof Int32Array)) {
    throw new GraphBuildError(`grad: '${v.name}' must be a constant int64/int32 tensor for its gradient rule`);
  }
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

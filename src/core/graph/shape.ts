/** Shape arithmetic shared by op builders and gradient rules. */
import { GraphBuildError } from '../errors.js';
import { shapeToString } from '../tensor.js';
import type { Value } from './graph.js';

/** Multidirectional (numpy) broadcast of several shapes; throws naming the op and its inputs. */
export function broadcastShapes(op: string, values: readonly Value[]): number[] {
  const rank = Math.max(...values.map((v) => v.rank));
  const out: number[] = new Array(rank).fill(1);
  for (const v of values) {
    const off = rank - v.rank;
    for (let i = 0; i < v.rank; i++) {
      const d = v.shape[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else throw shapeError(op, values, 'shapes do not broadcast');
    }
  }
  return out;
}

/** Normalizes a possibly negative axis against a rank. */
export function normAxis(op: string, axis: number, rank: number, inputs: readonly Value[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw shapeError(op, inputs, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function shapeError(op: string, inputs: readonly Value[], problem: string): GraphBuildError {
  const list = inputs.map((v) => `${v.name}: ${v.dtype}${shapeToString(v.shape)}`).join(', ');
  return new GraphBuildError(`${op}: ${problem} (inputs ${list})`, {
    op,
    inputs: inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] })),
  });
}

/** Axes along which `from` was broadcast to reach `to` (for summing gradients back). */
export function broadcastAxes(from: readonly number[], to: readonly number[]): { axes: number[]; keep: boolean } {
  const off = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < off) axes.push(i);
    else if (from[i - off] === 1 && to[i]! !== 1) axes.push(i);
  }
  return { axes, keep: false };
}

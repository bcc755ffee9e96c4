/** Gradients of the ops that move elements without changing them. */
import { GraphBuildError } from '../../errors.js';
import type { Value } from '../../graph/graph.js';
import * as op from '../../graph/ops.js';
import { registerGradient } from '../registry.js';
import { constInts, filled, sumToShape } from '../util.js';

const reshapeBack = (n: { inputs: readonly Value[] }, dy: Value) => op.reshape(dy, n.inputs[0]!.shape);

registerGradient('Reshape', (n, [dy]) => [reshapeBack(n, dy!), undefined]);
registerGradient('Unsqueeze', (n, [dy]) => [reshapeBack(n, dy!), undefined]);
registerGradient('Squeeze', (n, [dy]) => [reshapeBack(n, dy!), undefined]);
registerGradient('Expand', (n, [dy]) => [sumToShape(dy!, n.inputs[0]!.shape), undefined]);

registerGradient('Transpose', (n, [dy]) => {
  const x = n.inputs[0]!;
  const perm = (n.attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.rank - 1 - i);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [op.transpose(dy!, inv)];
});

// Zeros go back around the slice with Pad; a strided axis first interleaves step−1 zeros after
// each element (Unsqueeze, Pad, Reshape), so no index tensor is ever built.
registerGradient('Slice', (n, [dy]) => {
  const [x, startsV, endsV, axesV, stepsV] = n.inputs as [Value, Value, Value, Value | undefined, Value | undefined];
  const starts = constInts(startsV);
  const axes = axesV ? constInts(axesV).map((a) => (a < 0 ? a + x.rank : a)) : starts.map((_, i) => i);
  const steps = stepsV ? constInts(stepsV) : axes.map(() => 1);
  if (steps.some((s) => s <= 0)) throw new GraphBuildError('grad: Slice with a non-positive step has no gradient rule');
  const begin = (i: number) => {
    const d = x.shape[axes[i]!]!;
    const s = starts[i]!;
    return Math.min(Math.max(s < 0 ? s + d : s, 0), d);
  };
  const pads = new Array<number>(2 * x.rank).fill(0);
  axes.forEach((a, i) => {
    if (steps[i] !== 1) return;
    pads[a] = begin(i);
    pads[a + x.rank] = x.shape[a]! - begin(i) - dy!.shape[a]!;
  });
  let g = op.pad(dy!, pads);
  axes.forEach((a, i) => {
    const st = steps[i]!;
    if (st === 1) return;
    const cnt = g.shape[a]!;
    const d = x.shape[a]!;
    const s = begin(i);
    const spread = new Array<number>(2 * (g.rank + 1)).fill(0);
    spread[a + 1 + g.rank + 1] = st - 1;
    const wide = [...g.shape];
    wide[a] = cnt * st;
    g = op.reshape(op.pad(op.unsqueeze(g, [a + 1]), spread), wide);
    const around = new Array<number>(2 * g.rank).fill(0);
    around[a] = s;
    around[a + g.rank] = Math.max(0, d - s - cnt * st);
    g = op.pad(g, around);
    // Only zeros lie past the last element, so cutting the tail to d loses nothing.
    if (g.shape[a]! > d) g = op.slice(g, [0], [d], [a]);
  });
  return [g];
});

registerGradient('Pad', (n, [dy]) => {
  const x = n.inputs[0]!;
  const mode = (n.attrs.mode as string | undefined) ?? 'constant';
  const pads = constInts(n.inputs[1]!);
  if (mode !== 'constant' || pads.some((p) => p < 0)) throw new GraphBuildError(`grad: Pad in mode '${mode}' or with negative pads has no gradient rule`);
  const begins = pads.slice(0, x.rank);
  return [op.slice(dy!, begins, begins.map((b, i) => b + x.shape[i]!)), undefined, undefined];
});

registerGradient('Concat', (n, [dy]) => {
  const axis = n.attrs.axis as number;
  return op.split(dy!, n.inputs.map((v) => v.shape[axis]!), axis);
});

registerGradient('Split', (n, dys) => {
  const axis = n.attrs.axis as number;
  return [op.concat(n.outputs.map((o, i) => dys[i] ?? filled(o, 0)), axis), undefined];
});

/**
 * Gradients of the gather and scatter ops. A gather's gradient scatter-adds into zeros of the
 * data's shape, so repeated indices accumulate; indices never get a gradient.
 */
import { GraphBuildError } from '../../errors.js';
import type { Node, Value } from '../../graph/graph.js';
import * as op from '../../graph/ops.js';
import { registerGradient } from '../registry.js';
import { filled } from '../util.js';

const int64 = (v: Value) => (v.dtype === 'int64' ? v : op.cast(v, 'int64'));

function reductionOf(n: Node): 'none' | 'add' {
  const r = (n.attrs.reduction as string | undefined) ?? 'none';
  if (r !== 'none' && r !== 'add') throw new GraphBuildError(`grad: ${n.op} with reduction '${r}' has no gradient rule`);
  return r;
}

// ScatterND over the gathered axis brought to the front: the indices stay their own size (one
// int64 per gathered row), where ScatterElements would need an index per gradient element.
registerGradient('Gather', (n, [dy]) => {
  const [data, indices] = n.inputs as [Value, Value];
  const a = (n.attrs.axis as number | undefined) ?? 0;
  const k = indices.rank;
  const idx = op.unsqueeze(int64(indices), [-1]);
  if (a === 0) return [op.scatterND(filled(data, 0), idx, dy!, 'add'), undefined];
  // dy is [pre(a), I(k), post]; ScatterND wants [I, pre, post] into [d_a, pre, post].
  const r = dy!.rank;
  const toFront = [...Array.from({ length: k }, (_, i) => a + i), ...Array.from({ length: a }, (_, i) => i), ...Array.from({ length: r - a - k }, (_, i) => a + k + i)];
  const zeros = filled({ graph: data.graph, dtype: data.dtype, shape: [data.shape[a]!, ...data.shape.slice(0, a), ...data.shape.slice(a + 1)] }, 0);
  const summed = op.scatterND(zeros, idx, op.transpose(dy!, toFront), 'add');
  const back = [...Array.from({ length: a }, (_, i) => i + 1), 0, ...Array.from({ length: data.rank - a - 1 }, (_, i) => a + 1 + i)];
  return [op.transpose(summed, back), undefined];
});

registerGradient('GatherElements', (n, [dy]) => {
  const [data, indices] = n.inputs as [Value, Value];
  return [op.scatterElements(filled(data, 0), indices, dy!, n.attrs.axis as number, 'add'), undefined];
});

// With reduction 'none' the scattered positions of data are overwritten, so they get no gradient.
// (Repeated indices under 'none' are undefined behaviour in ONNX; the rule assumes unique ones.)
registerGradient('ScatterElements', (n, [dy], [wd, , wu]) => {
  const [, indices, updates] = n.inputs as [Value, Value, Value];
  const axis = n.attrs.axis as number;
  const red = reductionOf(n);
  const dData = !wd ? undefined : red === 'add' ? dy! : op.scatterElements(dy!, indices, filled(updates, 0), axis);
  return [dData, undefined, wu ? op.gatherElements(dy!, indices, axis) : undefined];
});

registerGradient('ScatterND', (n, [dy], [wd, , wu]) => {
  const [, indices, updates] = n.inputs as [Value, Value, Value];
  const red = reductionOf(n);
  const dData = !wd ? undefined : red === 'add' ? dy! : op.scatterND(dy!, indices, filled(updates, 0));
  return [dData, undefined, wu ? op.gatherND(dy!, indices) : undefined];
});

registerGradient('GatherND', (n, [dy]) => {
  const [data, indices] = n.inputs as [Value, Value];
  if (((n.attrs.batch_dims as number | undefined) ?? 0) !== 0) throw new GraphBuildError('grad: GatherND with batch_dims has no gradient rule');
  return [op.scatterND(filled(data, 0), indices, dy!, 'add'), undefined];
});

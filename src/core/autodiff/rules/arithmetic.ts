/** Gradients of the broadcasting arithmetic ops and the linear algebra ops. */
import * as op from '../../graph/ops.js';
import { registerGradient } from '../registry.js';
import { sumToShape } from '../util.js';

registerGradient('Add', (n, [dy]) => [sumToShape(dy!, n.inputs[0]!.shape), sumToShape(dy!, n.inputs[1]!.shape)]);

registerGradient('Sub', (n, [dy]) => [sumToShape(dy!, n.inputs[0]!.shape), sumToShape(op.neg(dy!), n.inputs[1]!.shape)]);

registerGradient('Mul', (n, [dy]) => {
  const [a, b] = n.inputs as [typeof dy & object, typeof dy & object];
  return [sumToShape(op.mul(dy!, b), a.shape), sumToShape(op.mul(dy!, a), b.shape)];
});

registerGradient('Div', (n, [dy]) => {
  const [a, b] = n.inputs;
  const y = n.outputs[0]!;
  // d(a/b)/db = -a/b² = -y/b
  return [sumToShape(op.div(dy!, b!), a!.shape), sumToShape(op.neg(op.div(op.mul(dy!, y), b!)), b!.shape)];
});

registerGradient('MatMul', (n, [dy]) => {
  const [a, b] = n.inputs as [NonNullable<typeof dy>, NonNullable<typeof dy>];
  const swapLast = (v: typeof a) => op.transpose(v, [...v.shape.keys()].map((i) => (i < v.rank - 2 ? i : i === v.rank - 2 ? v.rank - 1 : v.rank - 2)));
  // dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over the batch dimensions that were broadcast.
  return [sumToShape(op.matmul(dy!, swapLast(b)), a.shape), sumToShape(op.matmul(swapLast(a), dy!), b.shape)];
});

registerGradient('Gemm', (n, [dy]) => {
  const [a, b, c] = n.inputs;
  const transA = n.attrs.transA === 1;
  const transB = n.attrs.transB === 1;
  const alpha = (n.attrs.alpha as { float: number } | undefined)?.float ?? 1;
  const beta = (n.attrs.beta as { float: number } | undefined)?.float ?? 1;
  const s = alpha === 1 ? {} : { alpha };
  // Y = α·op(A)·op(B) + β·C; each case keeps both products as plain 2-D GEMMs (no explicit transposes).
  const dA = transA ? op.gemm(b!, dy!, undefined, { transA: transB, transB: true, ...s }) : op.gemm(dy!, b!, undefined, { transB: !transB, ...s });
  const dB = transB ? op.gemm(dy!, a!, undefined, { transA: true, transB: transA, ...s }) : op.gemm(a!, dy!, undefined, { transA: !transA, ...s });
  const dC = c ? sumToShape(beta === 1 ? dy! : op.mul(dy!, op.scalar(dy!.graph, beta, dy!.dtype)), c.shape) : undefined;
  return [dA, dB, dC];
});

/** Gradients of the broadcasting arithmetic ops and the linear algebra ops. */
import type { Value } from '../../graph/graph.js';
import * as op from '../../graph/ops.js';
import { registerGradient } from '../registry.js';
import { scalarLike, sumToShape } from '../util.js';

registerGradient('Add', (n, [dy], [wa, wb]) => [
  wa ? sumToShape(dy!, n.inputs[0]!.shape) : undefined,
  wb ? sumToShape(dy!, n.inputs[1]!.shape) : undefined,
]);

registerGradient('Sub', (n, [dy], [wa, wb]) => [
  wa ? sumToShape(dy!, n.inputs[0]!.shape) : undefined,
  wb ? sumToShape(op.neg(dy!), n.inputs[1]!.shape) : undefined,
]);

registerGradient('Mul', (n, [dy], [wa, wb]) => {
  const [a, b] = n.inputs as [Value, Value];
  return [wa ? sumToShape(op.mul(dy!, b), a.shape) : undefined, wb ? sumToShape(op.mul(dy!, a), b.shape) : undefined];
});

registerGradient('Div', (n, [dy], [wa, wb]) => {
  const [a, b] = n.inputs as [Value, Value];
  const y = n.outputs[0]!;
  // d(a/b)/db = -a/b² = -y/b, reusing the forward quotient.
  return [wa ? sumToShape(op.div(dy!, b), a.shape) : undefined, wb ? sumToShape(op.neg(op.div(op.mul(dy!, y), b)), b.shape) : undefined];
});

registerGradient('MatMul', (n, [dy], [wa, wb]) => {
  const [a, b] = n.inputs as [Value, Value];
  const swapLast = (v: Value) => op.transpose(v, [...v.shape.keys()].map((i) => (i < v.rank - 2 ? i : i === v.rank - 2 ? v.rank - 1 : v.rank - 2)));
  // dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over the batch dimensions that were broadcast.
  return [
    wa ? sumToShape(op.matmul(dy!, swapLast(b)), a.shape) : undefined,
    wb ? sumToShape(op.matmul(swapLast(a), dy!), b.shape) : undefined,
  ];
});

registerGradient('Gemm', (n, [dy], [wa, wb, wc]) => {
  const [a, b, c] = n.inputs as [Value, Value, Value | undefined];
  const transA = n.attrs.transA === 1;
  const transB = n.attrs.transB === 1;
  const alpha = (n.attrs.alpha as { float: number } | undefined)?.float ?? 1;
  // The runtime applies beta as the float32 attribute it is stored as; match it exactly.
  const beta = Math.fround((n.attrs.beta as { float: number } | undefined)?.float ?? 1);
  const s = alpha === 1 ? {} : { alpha };
  // Y = α·op(A)·op(B) + β·C; each case keeps both products as plain 2-D GEMMs (no explicit transposes).
  const dA = !wa
    ? undefined
    : transA
      ? op.gemm(b, dy!, undefined, { transA: transB, transB: true, ...s })
      : op.gemm(dy!, b, undefined, { transB: !transB, ...s });
  const dB = !wb
    ? undefined
    : transB
      ? op.gemm(dy!, a, undefined, { transA: true, transB: transA, ...s })
      : op.gemm(a, dy!, undefined, { transA: !transA, ...s });
  const dC = c && wc ? sumToShape(beta === 1 ? dy! : op.mul(dy!, scalarLike(dy!, beta)), c.shape) : undefined;
  return [dA, dB, dC];
});

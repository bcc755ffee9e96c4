/** Gradients of the unary elementwise ops, Pow, Where and Cast. */
import type { Node, Value } from '../../graph/graph.js';
import * as op from '../../graph/ops.js';
import { isFloat } from '../../tensor.js';
import { type GradRule, registerGradient } from '../registry.js';
import { scalarLike, sumToShape } from '../util.js';

/** A rule for y = f(x) given dx = dy·f'(x), with x and y at hand. */
function unaryRule(f: (dy: Value, x: Value, y: Value) => Value): GradRule {
  return (n: Node, [dy]) => [f(dy!, n.inputs[0]!, n.outputs[0]!)];
}

const oneMinus = (v: Value) => op.sub(scalarLike(v, 1), v);

registerGradient('Neg', unaryRule((dy) => op.neg(dy)));
registerGradient('Identity', unaryRule((dy) => dy));
registerGradient('Sqrt', unaryRule((dy, _x, y) => op.div(op.mul(dy, scalarLike(dy, 0.5)), y)));
registerGradient('Reciprocal', unaryRule((dy, _x, y) => op.neg(op.mul(dy, op.mul(y, y)))));
registerGradient('Exp', unaryRule((dy, _x, y) => op.mul(dy, y)));
registerGradient('Log', unaryRule((dy, x) => op.div(dy, x)));
registerGradient('Sigmoid', unaryRule((dy, _x, y) => op.mul(dy, op.mul(y, oneMinus(y)))));
registerGradient('Tanh', unaryRule((dy, _x, y) => op.mul(dy, oneMinus(op.mul(y, y)))));
registerGradient('Sin', unaryRule((dy, x) => op.mul(dy, op.cos(x))));
registerGradient('Cos', unaryRule((dy, x) => op.neg(op.mul(dy, op.sin(x)))));
// Sign(0) = 0: the subgradient 0 at the kink, as PyTorch and TensorFlow choose.
registerGradient('Abs', unaryRule((dy, x) => op.mul(dy, op.sign(x))));

registerGradient('Pow', (n, [dy], [wa, wb]) => {
  const [a, b] = n.inputs as [Value, Value];
  const y = n.outputs[0]!;
  // b·a^(b−1) rather than b·y/a, so a = 0 with b >= 1 stays finite.
  const da = wa ? sumToShape(op.mul(dy!, op.mul(b, op.pow(a, op.sub(b, scalarLike(b, 1))))), a.shape) : undefined;
  // d/db = y·log(a) where a > 0, and 0 elsewhere (there ONNX's Pow is real only for integer b,
  // and is constant in b almost everywhere). log(1) = 0 masks without producing a NaN to hide.
  const safeA = () => op.where(op.greater(a, scalarLike(a, 0)), a, scalarLike(a, 1));
  const db = wb ? sumToShape(op.mul(op.mul(dy!, y), op.log(safeA())), b.shape) : undefined;
  return [da, db];
});

registerGradient('Where', (n, [dy], [, wx, wy]) => {
  const [cond, x, y] = n.inputs as [Value, Value, Value];
  const zero = scalarLike(dy!, 0);
  return [
    undefined,
    wx ? sumToShape(op.where(cond, dy!, zero), x.shape) : undefined,
    wy ? sumToShape(op.where(cond, zero, dy!), y.shape) : undefined,
  ];
});

// float→float casts pass the gradient back in the input's precision; integer inputs get none.
registerGradient('Cast', (n, [dy]) => {
  const x = n.inputs[0]!;
  return [isFloat(x.dtype) ? (x.dtype === dy!.dtype ? dy! : op.cast(dy!, x.dtype)) : undefined];
});

registerGradient('Constant', () => []);

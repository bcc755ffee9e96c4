import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { registeredGradientOps } from '../../../src/core/autodiff/registry.js';
import { GraphBuildError, NoGradientError } from '../../../src/core/errors.js';
import { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { gradcheck, int64Tensor, uniform } from '../../helpers/gradcheck.js';

const F = 'float64';

describe('autodiff engine', () => {
  const rng = new Rng(51);

  it('sums the gradients of a value used twice: x·x + sin(x)', async () => {
    const r = await gradcheck((g) => {
      const x = g.input('x', F, [2, 3]);
      return { inputs: [x], loss: op.add(op.mul(x, x), op.sin(x)) };
    }, { x: uniform(rng, [2, 3]) });
    assert.ok(r.maxRelError < 1e-6);
  });

  it('differentiates a chain through several rules at once', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [2, 4]);
      const w = g.input('w', F, [4, 3]);
      const h = op.tanh(op.matmul(x, w));
      const y = op.softmax(op.mul(h, op.reduceMean(h, [0], true)), -1);
      return { inputs: [x, w], loss: op.reshape(op.transpose(y), [-1]) };
    }, { x: uniform(rng, [2, 4]), w: uniform(rng, [4, 3]) }),
  );

  it('gives an integer input no gradient and refuses to differentiate with respect to one', async () => {
    const g = new Graph();
    const x = g.input('x', F, [4]);
    const k = g.input('k', 'int64', [4]);
    // k enters the float path through a Cast: the gradient stops there, and no rule is asked of it.
    const loss = op.reduceSum(op.mul(x, op.cast(op.mul(k, k), F)), [0]);
    const [dx] = grad(g, loss, [x]);
    const exe = await new OnnxRuntimeBackend().compile(g, [dx!]);
    const out = await exe.run({ k: int64Tensor([4], [1, -2, 3, 0]) });
    assert.deepEqual(Array.from(out[dx!.name]!.data as Float64Array), [1, 4, 9, 0]);
    await exe.dispose();
    assert.throws(() => grad(g, loss, [k]), (e: unknown) => e instanceof GraphBuildError && /'k'.*int64/.test(e.message));
  });

  it('never asks for a rule of the bool comparisons on the way', async () => {
    for (const cmp of [op.greater, op.less, op.equal]) {
      const g = new Graph();
      const x = g.input('x', F, [5]);
      const y = g.input('y', F, [5]);
      const loss = op.reduceSum(op.where(cmp(x, y), op.mul(x, y), op.sub(x, y)), [0]);
      const [dx, dy] = grad(g, loss, [x, y]);
      const exe = await new OnnxRuntimeBackend().compile(g, [dx!, dy!]);
      const xs = [1, 2, 3, 4, 5];
      const ys = [5, 2, 1, 4, 6];
      const out = await exe.run({ x: tensor(F, [5], Float64Array.from(xs)), y: tensor(F, [5], Float64Array.from(ys)) });
      const c = xs.map((v, i) => (cmp === op.greater ? v > ys[i]! : cmp === op.less ? v < ys[i]! : v === ys[i]));
      assert.deepEqual(Array.from(out[dx!.name]!.data as Float64Array), c.map((t, i) => (t ? ys[i]! : 1)));
      assert.deepEqual(Array.from(out[dy!.name]!.data as Float64Array), c.map((t, i) => (t ? xs[i]! : -1)));
      await exe.dispose();
    }
    for (const name of ['Greater', 'Less', 'Equal']) assert.ok(!registeredGradientOps().includes(name));
  });

  it('returns zeros for a wrt value the loss does not depend on', async () => {
    const g = new Graph();
    const x = g.input('x', F, [3]);
    const unused = g.input('unused', F, [2, 2]);
    const [, du] = grad(g, op.reduceSum(op.exp(x), [0]), [x, unused]);
    assert.deepEqual(du!.shape, [2, 2]);
    const exe = await new OnnxRuntimeBackend().compile(g, [du!]);
    assert.deepEqual(Array.from((await exe.run({}))[du!.name]!.data as Float64Array), [0, 0, 0, 0]);
    await exe.dispose();
  });

  it('fails at build time naming an op without a rule', () => {
    const g = new Graph();
    const x = g.input('x', F, [3]);
    const [y] = g.addNode('MyOp', [x], [{ dtype: F, shape: [3] }]);
    assert.throws(
      () => grad(g, op.reduceSum(y!, [0]), [x]),
      (e: unknown) => e instanceof NoGradientError && e.code === 'E_NO_GRADIENT' && e.op === 'MyOp' && e.message.includes("'MyOp'"),
    );
    // Sign has a builder but deliberately no rule: its derivative is zero wherever it exists,
    // and a silent zero would hide a graph that differentiates through it by mistake.
    const h = new Graph();
    const z = h.input('z', F, [3]);
    assert.throws(() => grad(h, op.reduceSum(op.mul(op.sign(z), z), [0]), [z]), (e: unknown) => e instanceof NoGradientError && e.op === 'Sign');
  });

  it('has a rule for every op builder on a float path', () => {
    const expected = [
      'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Pow', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Sigmoid', 'Tanh', 'Sin', 'Cos', 'Abs',
      'Identity', 'Softmax', 'LogSoftmax', 'ReduceSum', 'ReduceMean', 'ReduceMax', 'MatMul', 'Gemm', 'Gather',
      'GatherElements', 'ScatterElements', 'GatherND', 'ScatterND', 'Reshape', 'Transpose', 'Slice', 'Pad', 'Concat',
      'Split', 'Unsqueeze', 'Squeeze', 'Expand', 'Where', 'Cast', 'Constant',
    ];
    const have = new Set(registeredGradientOps());
    assert.deepEqual(expected.filter((o) => !have.has(o)), []);
  });

  it('rejects a gradient rule output of the wrong shape, naming the value', () => {
    const g = new Graph();
    const x = g.input('x', F, [3]);
    const y = op.exp(x);
    assert.throws(
      () => grad(g, y, [x], { seed: op.constant(g, tensor(F, [2], new Float64Array(2))) }),
      (e: unknown) => e instanceof GraphBuildError && e.message.includes(`'${y.name}'`),
    );
  });
});

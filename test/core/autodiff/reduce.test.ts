import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { Graph, type Value } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { gradcheck, uniform } from '../../helpers/gradcheck.js';

const F = 'float64';

function unaryCase(f: (x: Value) => Value, shape: number[], rng: Rng) {
  return gradcheck((g) => {
    const x = g.input('x', F, shape);
    return { inputs: [x], loss: f(x) };
  }, { x: uniform(rng, shape, -2, 2) });
}

describe('autodiff rules: reductions', () => {
  const rng = new Rng(21);
  it('ReduceSum over one axis', () => unaryCase((x) => op.reduceSum(x, [1]), [2, 3, 4], rng));
  it('ReduceSum over two axes, keepdims', () => unaryCase((x) => op.reduceSum(x, [0, -1], true), [2, 3, 4], rng));
  it('ReduceSum over all axes to a scalar', () => unaryCase((x) => op.reduceSum(x, [0, 1, 2]), [2, 3, 4], rng));
  it('ReduceMean over one axis', () => unaryCase((x) => op.reduceMean(x, [2]), [2, 3, 4], rng));
  it('ReduceMean over two axes, keepdims', () => unaryCase((x) => op.reduceMean(x, [0, 2], true), [2, 3, 4], rng));
  it('ReduceMax over one axis (no ties)', () => unaryCase((x) => op.reduceMax(x, [1]), [2, 5, 3], rng));
  it('ReduceMax over two axes, keepdims (no ties)', () => unaryCase((x) => op.reduceMax(x, [0, 2], true), [2, 3, 4], rng));

  it('ReduceMax splits the gradient evenly among tied maxima', async () => {
    const g = new Graph();
    const x = g.input('x', F, [2, 4]);
    const [dx] = grad(g, op.reduceSum(op.mul(op.reduceMax(x, [1]), op.constant(g, tensor(F, [2], Float64Array.from([1, 10])))), [0]), [x]);
    const exe = await new OnnxRuntimeBackend().compile(g, [dx!]);
    const out = await exe.run({ x: tensor(F, [2, 4], Float64Array.from([3, 1, 3, 3, -1, 5, 2, 5])) });
    assert.deepEqual(Array.from(out[dx!.name]!.data as Float64Array), [1 / 3, 0, 1 / 3, 1 / 3, 0, 5, 0, 5]);
    await exe.dispose();
  });
});

describe('autodiff rules: Softmax and LogSoftmax', () => {
  const rng = new Rng(22);
  it('Softmax along the last axis', () => unaryCase((x) => op.softmax(x, -1), [3, 5], rng));
  it('Softmax along axis 0 of a rank-3 tensor', () => unaryCase((x) => op.softmax(x, 0), [4, 2, 3], rng));
  it('LogSoftmax along the last axis', () => unaryCase((x) => op.logSoftmax(x, -1), [3, 5], rng));
  it('LogSoftmax along a middle axis', () => unaryCase((x) => op.logSoftmax(x, 1), [2, 4, 3], rng));
});

import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { GraphBuildError } from '../../../src/core/errors.js';
import { Graph, type Value } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { type Tensor } from '../../../src/core/tensor.js';
import { int64Tensor, uniform } from '../../helpers/gradcheck.js';

/** Asserts fn throws a GraphBuildError naming the op, every input and every input's shape. */
function assertShapeError(fn: () => unknown, opName: string, inputs: [string, string][]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GraphBuildError, `expected a GraphBuildError, got ${e}`);
    assert.equal(e.code, 'E_GRAPH');
    assert.ok(e.message.startsWith(`${opName}:`), e.message);
    for (const [name, shape] of inputs) assert.ok(e.message.includes(`${name}: float32${shape}`), `${e.message} lacks ${name} ${shape}`);
    assert.equal((e.details as { op: string }).op, opName);
    return true;
  });
}

describe('graph IR: shape errors at build time', () => {
  it('MatMul of [2,3] and [4,5] names the op, the inputs and their shapes', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4, 5]);
    assertShapeError(() => op.matmul(a, b), 'MatMul', [['a', '[2, 3]'], ['b', '[4, 5]']]);
  });

  it('MatMul batch dimensions that do not broadcast', () => {
    const g = new Graph();
    const a = g.input('lhs', 'float32', [2, 3, 4]);
    const b = g.input('rhs', 'float32', [3, 4, 5]);
    assertShapeError(() => op.matmul(a, b), 'MatMul', [['lhs', '[2, 3, 4]'], ['rhs', '[3, 4, 5]']]);
  });

  it('Add of shapes that do not broadcast', () => {
    const g = new Graph();
    const a = g.input('x', 'float32', [2, 3]);
    const b = g.input('y', 'float32', [4]);
    assertShapeError(() => op.add(a, b), 'Add', [['x', '[2, 3]'], ['y', '[4]']]);
  });

  it('Gemm whose C does not broadcast to [M, N]', () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [3, 4]);
    const c = g.input('c', 'float32', [3]);
    assertShapeError(() => op.gemm(a, b, c), 'Gemm', [['a', '[2, 3]'], ['b', '[3, 4]'], ['c', '[3]']]);
  });

  it('Concat, Reshape, Split, Squeeze, ScatterND and Pad with wrong shapes', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const y = g.input('y', 'float32', [3, 3]);
    assertShapeError(() => op.concat([x, y], 1), 'Concat', [['x', '[2, 3]'], ['y', '[3, 3]']]);
    assertShapeError(() => op.reshape(x, [4, -1]), 'Reshape', [['x', '[2, 3]']]);
    assertShapeError(() => op.split(x, [1, 1], 1), 'Split', [['x', '[2, 3]']]);
    assertShapeError(() => op.squeeze(x, [0]), 'Squeeze', [['x', '[2, 3]']]);
    assertShapeError(() => op.pad(x, [1, -1, 0, 0]), 'Pad', [['x', '[2, 3]']]);
    const i = g.input('i', 'int64', [2, 1]);
    // updates must be [2, 3]: the two indexed rows of y.
    assertShapeError(() => op.scatterND(y, i, y), 'ScatterND', [['y', '[3, 3]']]);
  });
});

describe('graph IR: declared shapes agree with ONNX Runtime', () => {
  it('for every builder', async () => {
    const rng = new Rng(61);
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3, 4]);
    const m = g.input('m', 'float32', [4, 5]);
    const idx = g.input('idx', 'int64', [2, 2]);
    const outs: Value[] = [
      op.add(x, op.scalar(g, 1)),
      op.pow(op.abs(x), op.scalar(g, 2)),
      op.matmul(x, m),
      op.gemm(op.reshape(x, [6, 4]), m, op.reduceSum(m, [0]), { alpha: 2 }),
      op.gemm(m, op.reshape(x, [6, 4]), undefined, { transA: true, transB: true }),
      op.softmax(x, 1),
      op.reduceSum(x, [0, 2], true),
      op.reduceMean(x, [1]),
      op.reduceMax(x, [-1], true),
      op.reduceMean(x, []),
      op.gather(x, idx, 1),
      op.gather(x, op.constant(g, int64Tensor([], [1])), 2),
      op.gatherElements(x, op.expand(op.reshape(idx, [2, 2, 1]), [2, 2, 4]), 1),
      op.scatterElements(x, op.reshape(idx, [2, 1, 2]), op.slice(x, [0, 0], [1, 2], [1, 2]), 2),
      op.gatherND(x, op.reshape(idx, [2, 1, 2])),
      op.scatterND(x, op.reshape(op.slice(idx, [0], [1], [0]), [1, 2]), op.reshape(op.slice(x, [0, 0], [1, 1], [0, 1]), [1, 4])),
      op.transpose(x, [1, 2, 0]),
      op.slice(x, [0, 1], [99, 4], [1, 2], [2, 2]),
      op.concat([x, x], -1),
      ...op.split(x, [1, 2], 1),
      op.unsqueeze(x, [1, -1]),
      op.squeeze(op.unsqueeze(x, [0]), [0]),
      op.expand(op.reduceSum(x, [1], true), [5, 2, 3, 4]),
      op.pad(x, [0, 1, 2, 1, 0, 3]),
      op.constantOfShape(g, [3, 2], 7, 'float32'),
      op.where(op.greater(x, op.scalar(g, 0)), x, op.neg(x)),
      op.cast(x, 'float64'),
      op.sign(x),
    ];
    const exe = await new OnnxRuntimeBackend().compile(g, outs);
    const feeds: Record<string, Tensor> = {
      x: uniform(rng, [2, 3, 4], -1, 1, 'float32'),
      m: uniform(rng, [4, 5], -1, 1, 'float32'),
      idx: int64Tensor([2, 2], [0, 2, 1, 1]),
    };
    const res = await exe.run(feeds);
    for (const v of outs) {
      assert.deepEqual(res[v.name]!.shape, v.shape, `${v.producer?.op ?? v.name}: declared [${v.shape}], runtime [${res[v.name]!.shape}]`);
      assert.equal(res[v.name]!.dtype, v.dtype, `${v.producer?.op ?? v.name}: dtype`);
    }
    await exe.dispose();
  });
});

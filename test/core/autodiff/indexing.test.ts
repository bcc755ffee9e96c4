import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { gradcheck, int64Tensor, uniform } from '../../helpers/gradcheck.js';

const F = 'float64';

describe('autodiff rules: Gather', () => {
  const rng = new Rng(31);
  it('axis 0 with repeated and negative indices (repeats add up)', async () => {
    const r = await gradcheck((g) => {
      const x = g.input('x', F, [5, 3]);
      const i = g.input('i', 'int64', [2, 3]);
      return { inputs: [x, i], loss: op.gather(x, i, 0) };
    }, { x: uniform(rng, [5, 3]), i: int64Tensor([2, 3], [1, 3, 1, -1, 1, 0]) });
    // Row 2 is never gathered: its gradient is exactly zero.
    assert.deepEqual(r.perInput.x!.analytic.slice(6, 9), [0, 0, 0]);
  });

  it('axis 1 of a rank-3 tensor with 2-D indices', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [2, 4, 3]);
      const i = g.input('i', 'int64', [2, 2]);
      return { inputs: [x, i], loss: op.gather(x, i, 1) };
    }, { x: uniform(rng, [2, 4, 3]), i: int64Tensor([2, 2], [3, 0, 3, -4]) }),
  );

  it('last axis with a scalar index', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [3, 4]);
      return { inputs: [x], loss: op.gather(x, op.constant(g, int64Tensor([], [2])), -1) };
    }, { x: uniform(rng, [3, 4]) }),
  );

  it('int32 indices', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [4, 2]);
      const i = op.constant(g, tensor('int32', [3], Int32Array.from([2, 2, 0])));
      return { inputs: [x], loss: op.gather(x, i, 0) };
    }, { x: uniform(rng, [4, 2]) }),
  );

  it('an embedding lookup: each row’s gradient is the sum over its occurrences', async () => {
    const g = new Graph();
    const table = g.input('table', F, [3, 2]);
    const ids = g.input('ids', 'int64', [4]);
    const [d] = grad(g, op.reduceSum(op.gather(table, ids), [0, 1]), [table]);
    const exe = await new OnnxRuntimeBackend().compile(g, [d!]);
    // The gradient does not depend on the table values, so the session takes only the ids.
    const out = await exe.run({ ids: int64Tensor([4], [2, 0, 2, 2]) });
    assert.deepEqual(Array.from(out[d!.name]!.data as Float64Array), [1, 1, 0, 0, 3, 3]);
    await exe.dispose();
  });
});

describe('autodiff rules: GatherElements, ScatterElements, GatherND, ScatterND', () => {
  const rng = new Rng(32);
  it('GatherElements with repeated indices along axis 1', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [3, 4]);
      const i = g.input('i', 'int64', [3, 5]);
      return { inputs: [x, i], loss: op.gatherElements(x, i, 1) };
    }, { x: uniform(rng, [3, 4]), i: int64Tensor([3, 5], [0, 0, 1, 3, -1, 2, 2, 2, 2, 1, 3, 0, 1, 2, 0]) }),
  );

  it('GatherElements along axis 0 with fewer rows than data', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [4, 3]);
      const i = g.input('i', 'int64', [2, 3]);
      return { inputs: [x, i], loss: op.gatherElements(x, i, 0) };
    }, { x: uniform(rng, [4, 3]), i: int64Tensor([2, 3], [3, 0, 3, 3, 1, 0]) }),
  );

  it('ScatterElements (reduction none): data and updates', async () => {
    const r = await gradcheck((g) => {
      const x = g.input('x', F, [3, 4]);
      const i = g.input('i', 'int64', [3, 2]);
      const u = g.input('u', F, [3, 2]);
      return { inputs: [x, i, u], loss: op.scatterElements(x, i, u, 1) };
    }, { x: uniform(rng, [3, 4]), i: int64Tensor([3, 2], [1, 3, 0, -2, 2, 1]), u: uniform(rng, [3, 2]) });
    // Overwritten positions of data get no gradient.
    const dx = r.perInput.x!.analytic;
    for (const k of [1, 3, 4, 6, 9, 10]) assert.equal(dx[k], 0);
  });

  it('ScatterElements (reduction add) with repeated indices', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [4, 2]);
      const i = g.input('i', 'int64', [3, 2]);
      const u = g.input('u', F, [3, 2]);
      return { inputs: [x, i, u], loss: op.scatterElements(x, i, u, 0, 'add') };
    }, { x: uniform(rng, [4, 2]), i: int64Tensor([3, 2], [1, 3, 1, 3, 0, 3]), u: uniform(rng, [3, 2]) }),
  );

  it('ScatterND (reduction none): rows of data and updates', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [4, 3]);
      const i = g.input('i', 'int64', [2, 1]);
      const u = g.input('u', F, [2, 3]);
      return { inputs: [x, i, u], loss: op.scatterND(x, i, u) };
    }, { x: uniform(rng, [4, 3]), i: int64Tensor([2, 1], [2, 0]), u: uniform(rng, [2, 3]) }),
  );

  it('ScatterND (reduction add) of elements with repeats', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [3, 3]);
      const i = g.input('i', 'int64', [4, 2]);
      const u = g.input('u', F, [4]);
      return { inputs: [x, i, u], loss: op.scatterND(x, i, u, 'add') };
    }, { x: uniform(rng, [3, 3]), i: int64Tensor([4, 2], [0, 1, 2, 2, 0, 1, 1, 0]), u: uniform(rng, [4]) }),
  );

  it('GatherND of elements with repeats', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [3, 4]);
      const i = g.input('i', 'int64', [5, 2]);
      return { inputs: [x, i], loss: op.gatherND(x, i) };
    }, { x: uniform(rng, [3, 4]), i: int64Tensor([5, 2], [0, 1, 2, 3, 0, 1, 1, 1, 2, 3]) }),
  );
});

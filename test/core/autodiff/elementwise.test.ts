import { strict as assert } from 'node:assert';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { grad } from '../../../src/core/autodiff/grad.js';
import { Graph, type Value } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { gradcheck, uniform } from '../../helpers/gradcheck.js';

const F = 'float64';

/** Uniform magnitudes in [lo, hi) with random signs: keeps kinks (0 for Abs) out of reach of ε. */
function signed(rng: Rng, shape: number[], lo: number, hi: number) {
  const t = uniform(rng, shape, lo, hi);
  const d = t.data as Float64Array;
  for (let i = 0; i < d.length; i++) if (rng.next() < 0.5) d[i] = -d[i]!;
  return t;
}

describe('autodiff rules: elementwise', () => {
  const rng = new Rng(7);
  const unaries: [string, (x: Value) => Value, number, number][] = [
    ['Neg', op.neg, -2, 2],
    ['Identity', op.identity, -2, 2],
    ['Sqrt', op.sqrt, 0.3, 3],
    ['Reciprocal', op.reciprocal, 0.3, 3],
    ['Exp', op.exp, -2, 2],
    ['Log', op.log, 0.3, 3],
    ['Sigmoid', op.sigmoid, -4, 4],
    ['Tanh', op.tanh, -3, 3],
    ['Sin', op.sin, -4, 4],
    ['Cos', op.cos, -4, 4],
  ];
  for (const [name, f, lo, hi] of unaries) {
    it(name, () =>
      gradcheck((g) => {
        const x = g.input('x', F, [3, 5]);
        return { inputs: [x], loss: f(x) };
      }, { x: uniform(rng, [3, 5], lo, hi) }),
    );
  }

  it('Reciprocal of negative inputs', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [6]);
      return { inputs: [x], loss: op.reciprocal(x) };
    }, { x: uniform(rng, [6], -3, -0.3) }),
  );

  it('Abs on both sides of zero', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [4, 4]);
      return { inputs: [x], loss: op.abs(x) };
    }, { x: signed(rng, [4, 4], 0.1, 2) }),
  );

  it('Pow with respect to base and exponent', () =>
    gradcheck((g) => {
      const a = g.input('a', F, [3, 4]);
      const b = g.input('b', F, [3, 4]);
      return { inputs: [a, b], loss: op.pow(a, b) };
    }, { a: uniform(rng, [3, 4], 0.3, 2.5), b: uniform(rng, [3, 4], -2, 2) }),
  );

  it('Pow with a broadcast exponent', () =>
    gradcheck((g) => {
      const a = g.input('a', F, [2, 3, 4]);
      const b = g.input('b', F, [4]);
      return { inputs: [a, b], loss: op.pow(a, b) };
    }, { a: uniform(rng, [2, 3, 4], 0.3, 2.5), b: uniform(rng, [4], -2, 2) }),
  );

  it('Pow of a negative base to integer powers (base gradient)', () =>
    gradcheck((g) => {
      const a = g.input('a', F, [2, 3]);
      const b = op.constant(g, tensor(F, [3], Float64Array.from([2, 3, -1])));
      return { inputs: [a], loss: op.pow(a, b) };
    }, { a: uniform(rng, [2, 3], -2, -0.4) }),
  );

  it('Pow gives a zero, finite exponent gradient where the base is not positive', async () => {
    const g = new Graph();
    const a = g.input('a', F, [4]);
    const b = g.input('b', F, [4]);
    const [da, db] = grad(g, op.reduceSum(op.pow(a, b), [0]), [a, b]);
    const exe = await new OnnxRuntimeBackend().compile(g, [da!, db!]);
    const out = await exe.run({ a: tensor(F, [4], Float64Array.from([-2, 0, 0, 3])), b: tensor(F, [4], Float64Array.from([3, 2, 1, 2])) });
    assert.deepEqual(Array.from(out[db!.name]!.data as Float64Array, (v) => v + 0), [0, 0, 0, 9 * Math.log(3)]);
    // d/da a^b = b·a^(b−1): 3·4, 2·0, 1·0^0 = 1, 2·3.
    assert.deepEqual(Array.from(out[da!.name]!.data as Float64Array), [12, 0, 1, 6]);
    await exe.dispose();
  });

  it('Where routes the gradient to the chosen branch, summed to each branch shape', () =>
    gradcheck((g) => {
      const c = g.input('c', F, [3, 1]);
      const x = g.input('x', F, [3, 4]);
      const y = g.input('y', F, [4]);
      const cond = op.greater(c, op.scalar(g, 0, F));
      return { inputs: [c, x, y], loss: op.where(cond, op.mul(x, x), op.sin(y)) };
    }, { c: tensor(F, [3, 1], Float64Array.from([1, -1, 0.5])), x: uniform(rng, [3, 4]), y: uniform(rng, [4]) }, { wrt: ['x', 'y'] }),
  );

  it('Cast float64 → float32 → float64 passes the gradient through', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [5]);
      return { inputs: [x], loss: op.cast(op.mul(op.cast(x, 'float32'), op.scalar(g, 3, 'float32')), F) };
    }, { x: tensor(F, [5], Float64Array.from([0.5, -1.25, 2, 0.75, -3])) }, { eps: 1 / 64 }),
  );
});

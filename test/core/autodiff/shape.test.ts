import type { Value } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { gradcheck, uniform } from '../../helpers/gradcheck.js';

const F = 'float64';

function unaryCase(f: (x: Value) => Value, shape: number[], rng: Rng) {
  return gradcheck((g) => {
    const x = g.input('x', F, shape);
    return { inputs: [x], loss: f(x) };
  }, { x: uniform(rng, shape) });
}

describe('autodiff rules: shape ops', () => {
  const rng = new Rng(41);
  it('Reshape', () => unaryCase((x) => op.reshape(x, [4, -1]), [2, 3, 4], rng));
  it('Transpose with a permutation', () => unaryCase((x) => op.transpose(x, [2, 0, 1]), [2, 3, 4], rng));
  it('Transpose reversing the axes', () => unaryCase((x) => op.transpose(x), [2, 3, 4], rng));
  it('Unsqueeze', () => unaryCase((x) => op.unsqueeze(x, [0, -1]), [2, 3], rng));
  it('Squeeze', () => unaryCase((x) => op.squeeze(x, [1, 3]), [2, 1, 3, 1], rng));
  it('Expand [3,1] → [2,3,4]', () => unaryCase((x) => op.expand(x, [2, 3, 4]), [3, 1], rng));
  it('Slice with step 1 on two axes, negative start', () => unaryCase((x) => op.slice(x, [1, -3], [3, 4], [0, 2]), [4, 3, 5], rng));
  it('Slice with steps 2 and 3, ends past the dimension', () => unaryCase((x) => op.slice(x, [1, 0, 1], [4, 99, 7], [0, 1, 2], [1, 2, 3]), [5, 4, 7], rng));
  it('Slice with a step whose last stride overruns the dimension', () => unaryCase((x) => op.slice(x, [2], [9], [1], [4]), [2, 9], rng));
  it('Slice with a step that leaves zeros past its last element', () => unaryCase((x) => op.slice(x, [0], [5], [0], [2]), [10, 2], rng));
  it('Pad', () => unaryCase((x) => op.pad(x, [1, 0, 2, 0, 3, 1]), [2, 3, 2], rng));
  it('Concat of three inputs along axis 1, one input used twice', () =>
    gradcheck((g) => {
      const a = g.input('a', F, [2, 1, 3]);
      const b = g.input('b', F, [2, 4, 3]);
      return { inputs: [a, b], loss: op.concat([a, b, a], 1) };
    }, { a: uniform(rng, [2, 1, 3]), b: uniform(rng, [2, 4, 3]) }),
  );
  it('Split with some outputs unused (zeros for them)', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [3, 7]);
      const [p, , r] = op.split(x, [2, 4, 1], 1);
      return { inputs: [x], loss: op.mul(op.reduceSum(p!, [1], true), r!) };
    }, { x: uniform(rng, [3, 7]) }),
  );
  it('Split with every output used', () =>
    gradcheck((g) => {
      const x = g.input('x', F, [4, 2]);
      const [p, q] = op.split(x, [1, 3], 0);
      return { inputs: [x], loss: op.add(op.sin(p!), q!) };
    }, { x: uniform(rng, [4, 2]) }),
  );
});

import type { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { gradcheck, uniform } from '../../helpers/gradcheck.js';

const F = 'float64';

function binaryCase(f: (a: ReturnType<Graph['input']>, b: ReturnType<Graph['input']>) => ReturnType<Graph['input']>, sa: number[], sb: number[], rng: Rng, lo = -1, hi = 1) {
  return gradcheck((g) => {
    const a = g.input('a', F, sa);
    const b = g.input('b', F, sb);
    return { inputs: [a, b], loss: f(a, b) };
  }, { a: uniform(rng, sa), b: uniform(rng, sb, lo, hi) });
}

describe('autodiff rules: arithmetic and broadcasting', () => {
  const rng = new Rng(11);
  it('Add [3,1,4] + [2,4]', () => binaryCase(op.add, [3, 1, 4], [2, 4], rng));
  it('Add [2,3] + scalar', () => binaryCase(op.add, [2, 3], [], rng));
  it('Sub [4] − [3,1]', () => binaryCase(op.sub, [4], [3, 1], rng));
  it('Mul [2,3] · scalar', () => binaryCase(op.mul, [2, 3], [], rng));
  it('Mul [2,1,4] · [1,3,1]', () => binaryCase(op.mul, [2, 1, 4], [1, 3, 1], rng));
  it('Div [2,3,4] / [3,1] (broadcast denominator)', () => binaryCase(op.div, [2, 3, 4], [3, 1], rng, 0.5, 2));
  it('Div scalar / [5]', () => binaryCase(op.div, [], [5], rng, -2, -0.5));
});

describe('autodiff rules: MatMul', () => {
  const rng = new Rng(12);
  it('[3,4] × [4,5]', () => binaryCase(op.matmul, [3, 4], [4, 5], rng));
  it('[2,3,4,5] × [5,6] (right operand broadcast over the batch)', () => binaryCase(op.matmul, [2, 3, 4, 5], [5, 6], rng));
  it('[3,4] × [2,4,5] (left operand broadcast over the batch)', () => binaryCase(op.matmul, [3, 4], [2, 4, 5], rng));
  it('[2,1,3,4] × [3,4,2] (size-1 batch dimension)', () => binaryCase(op.matmul, [2, 1, 3, 4], [3, 4, 2], rng));
});

describe('autodiff rules: Gemm', () => {
  const rng = new Rng(13);
  const [M, K, N] = [3, 4, 5];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const cShape of [[N], [M, 1]]) {
        const name = `transA=${+transA} transB=${+transB} C[${cShape}] alpha=0.7 beta=-1.3`;
        it(name, () => {
          const sa = transA ? [K, M] : [M, K];
          const sb = transB ? [N, K] : [K, N];
          return gradcheck((g) => {
            const a = g.input('a', F, sa);
            const b = g.input('b', F, sb);
            const c = g.input('c', F, cShape);
            return { inputs: [a, b, c], loss: op.gemm(a, b, c, { transA, transB, alpha: 0.7, beta: -1.3 }) };
          }, { a: uniform(rng, sa), b: uniform(rng, sb), c: uniform(rng, cShape) });
        });
      }
    }
  }
  it('no C, default alpha', () =>
    gradcheck((g) => {
      const a = g.input('a', F, [M, K]);
      const b = g.input('b', F, [N, K]);
      return { inputs: [a, b], loss: op.gemm(a, b, undefined, { transB: true }) };
    }, { a: uniform(rng, [M, K]), b: uniform(rng, [N, K]) }),
  );
  it('C of shape [M,N] and a scalar C', async () => {
    for (const cShape of [[M, N], []]) {
      await gradcheck((g) => {
        const a = g.input('a', F, [M, K]);
        const b = g.input('b', F, [K, N]);
        const c = g.input('c', F, cShape);
        return { inputs: [a, b, c], loss: op.gemm(a, b, c, { beta: 0.25 }) };
      }, { a: uniform(rng, [M, K]), b: uniform(rng, [K, N]), c: uniform(rng, cShape) });
    }
  });
});

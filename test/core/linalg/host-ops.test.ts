import { strict as assert } from 'node:assert';
import { hostDenseOps, hostMatmul } from '../../../src/core/linalg/host-ops.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';

/** C = op(A)·op(B) by the definition, with explicit index arithmetic for each transpose. */
function naive(a: Float32Array, as: [number, number], b: Float32Array, bs: [number, number], tA: boolean, tB: boolean): Float64Array {
  const m = tA ? as[1] : as[0];
  const k = tA ? as[0] : as[1];
  const n = tB ? bs[0] : bs[1];
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * as[1] + i]! : a[i * as[1] + p]!) * (tB ? b[j * bs[1] + p]! : b[p * bs[1] + j]!);
      c[i * n + j] = s;
    }
  return c;
}

describe('hostDenseOps.matmul', () => {
  it('computes op(A)·op(B) for every transpose combination', async () => {
    const rng = new Rng(7);
    const [m, k, n] = [5, 7, 3];
    for (const tA of [false, true])
      for (const tB of [false, true]) {
        const as: [number, number] = tA ? [k, m] : [m, k];
        const bs: [number, number] = tB ? [n, k] : [k, n];
        const a = Float32Array.from({ length: m * k }, () => rng.normal());
        const b = Float32Array.from({ length: k * n }, () => rng.normal());
        const c = await hostDenseOps.matmul(a, as, b, bs, { transA: tA, transB: tB });
        const ref = naive(a, as, b, bs, tA, tB);
        assert.equal(c.length, m * n);
        // float64 accumulation, one rounding: equal to the float32 rounding of the exact sum
        for (let i = 0; i < c.length; i++) assert.equal(c[i], Math.fround(ref[i]!), `tA=${tA} tB=${tB} i=${i}`);
      }
  });

  it('accumulates in float64: a long sum of small terms after a big one is not lost', () => {
    const k = 1 << 16;
    const a = new Float32Array(k).fill(1);
    const b = new Float32Array(k).fill(1e-8);
    b[0] = 1;
    const c = hostMatmul(a, [1, k], b, [k, 1]);
    assert.equal(c[0], Math.fround(1 + (k - 1) * 1e-8));
  });

  it('rejects mismatched shapes naming the operand', () => {
    assert.throws(() => hostMatmul(new Float32Array(6), [2, 3], new Float32Array(6), [2, 3]), /inner dimensions/);
    assert.throws(() => hostMatmul(new Float32Array(5), [2, 3], new Float32Array(6), [3, 2]), (e: unknown) => e instanceof InvalidArgumentError && /operand a/.test(e.message));
  });
});

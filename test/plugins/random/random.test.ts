import { strict as assert } from 'node:assert';
import type { MaskContext } from '../../../src/core/contracts.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { RandomStrategy, register, sampleSortedDistinct } from '../../../src/plugins/random/index.js';

const W = tensor('float32', [64, 96]);
const ctx = (seed: number, name = 'p', step = 0): MaskContext => ({ name, rng: new Rng(seed), step });

function assertMask(idx: Int32Array, k: number, size: number): void {
  assert.equal(idx.length, k);
  for (let i = 0; i < k; i++) {
    assert.ok(idx[i]! >= 0 && idx[i]! < size);
    if (i > 0) assert.ok(idx[i]! > idx[i - 1]!, 'sorted and distinct');
  }
}

describe('random strategy', () => {
  it('gives sorted distinct indices; the same seed gives the same mask, another seed another', async () => {
    const st = new RandomStrategy();
    const a = await st.select(W, 700, ctx(1));
    assertMask(a, 700, 64 * 96);
    assert.deepEqual(await st.select(W, 700, ctx(1)), a);
    const b = await st.select(W, 700, ctx(2));
    assertMask(b, 700, 64 * 96);
    assert.notDeepEqual(b, a);
  });

  it('handles k = 0, k = m·n and k close to m·n', async () => {
    const st = new RandomStrategy();
    assert.equal((await st.select(W, 0, ctx(1))).length, 0);
    assert.deepEqual(await st.select(W, 64 * 96, ctx(1)), Int32Array.from({ length: 64 * 96 }, (_, i) => i));
    assertMask(await st.select(W, 64 * 96 - 3, ctx(1)), 64 * 96 - 3, 64 * 96);
    await assert.rejects(st.select(W, 64 * 96 + 1, ctx(1)), /budget/);
  });

  it('includes every index with probability k/n', () => {
    const [n, k, trials] = [50, 10, 20_000];
    const counts = new Float64Array(n);
    const rng = new Rng(3);
    for (let t = 0; t < trials; t++) for (const i of sampleSortedDistinct(n, k, rng)) counts[i]!++;
    const p = k / n;
    const sd = Math.sqrt(trials * p * (1 - p));
    for (let i = 0; i < n; i++) assert.ok(Math.abs(counts[i]! - trials * p) < 5 * sd, `index ${i}: ${counts[i]}`);
    // and pairs are not correlated: P(0 and 1 both in) = k(k−1)/(n(n−1))
    let both = 0;
    const rng2 = new Rng(4);
    for (let t = 0; t < trials; t++) {
      const s = sampleSortedDistinct(n, k, rng2);
      if (s[0] === 0 && s[1] === 1) both++;
    }
    const q = (k * (k - 1)) / (n * (n - 1));
    assert.ok(Math.abs(both - trials * q) < 5 * Math.sqrt(trials * q * (1 - q)), `pair count ${both}`);
  });

  it('with a seed option, a mask depends only on (seed, parameter, step)', async () => {
    const st = new RandomStrategy(200, 42);
    const a = await st.select(W, 300, ctx(1, 'q'));
    assert.deepEqual(await st.select(W, 300, ctx(999, 'q')), a); // the context rng is not used
    assert.notDeepEqual(await st.select(W, 300, ctx(1, 'k')), a);
    assert.notDeepEqual(await st.select(W, 300, ctx(1, 'q', 200)), a);
    assert.notDeepEqual(await new RandomStrategy(200, 43).select(W, 300, ctx(1, 'q')), a);
  });

  it('reads interval and seed, and registers random = sparse + random + sparse-adam', () => {
    const reg = new Registry();
    register(reg);
    const st = reg.strategy('random', { interval: 10, seed: 7 }) as RandomStrategy;
    assert.equal(st.refreshInterval, 10);
    assert.equal(st.seed, 7);
    assert.throws(() => reg.strategy('random', { seed: -1 }), /'seed'/);
    assert.throws(() => reg.strategy('random', { interval: 0.5 }), /'interval'/);
    assert.deepEqual({ ...reg.method('random') }, {
      name: 'random',
      parametrization: 'sparse',
      strategy: 'random',
      optimizer: 'sparse-adam',
      defaults: { lr: 2e-4, rank: 128, interval: 200 },
      options: ['rank', 'density', 'interval', 'seed'],
    });
  });
});

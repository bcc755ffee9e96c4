import { strict as assert } from 'node:assert';
import type { MaskContext } from '../../../src/core/contracts.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { registerBuiltins } from '../../../src/plugins/index.js';
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
    const st = new RandomStrategy({ interval: 200, seed: 42 });
    const a = await st.select(W, 300, ctx(1, 'q'));
    assert.deepEqual(await st.select(W, 300, ctx(999, 'q')), a); // the context rng is not used
    assert.notDeepEqual(await st.select(W, 300, ctx(1, 'k')), a);
    assert.notDeepEqual(await st.select(W, 300, ctx(1, 'q', 200)), a);
    assert.notDeepEqual(await new RandomStrategy({ interval: 200, seed: 43 }).select(W, 300, ctx(1, 'q')), a);
  });

  it('takes interval and seed from an options object, refusing bad ones', async () => {
    const st = new RandomStrategy({ interval: 10, seed: 7 });
    assert.deepEqual([st.refreshInterval, st.seed], [10, 7]);
    const plain = new RandomStrategy();
    assert.deepEqual([plain.refreshInterval, plain.seed], [200, undefined]);
    // without a seed it draws from the context's rng
    assert.notDeepEqual(await plain.select(W, 300, ctx(1, 'q')), await plain.select(W, 300, ctx(2, 'q')));
    assert.equal(new RandomStrategy({ seed: 0xffffffff }).seed, 0xffffffff);
    for (const [opts, field] of [
      [{ seed: -1 }, 'seed'],
      [{ seed: 2 ** 32 }, 'seed'],
      [{ seed: 1.5 }, 'seed'],
      [{ interval: 0.5 }, 'interval'],
      [{ interval: -1 }, 'interval'],
    ] as const) {
      assert.throws(() => new RandomStrategy(opts), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(`'${field}'`), JSON.stringify(opts));
    }
  });

  it('registers random = sparse + random + sparse-adam, handing the seed to the strategy', async () => {
    const reg = new Registry();
    register(reg);
    const st = reg.strategy('random', { interval: 10, seed: 7, lr: 1, rank: 4 }) as RandomStrategy;
    assert.deepEqual([st.refreshInterval, st.seed], [10, 7]);
    assert.throws(() => reg.strategy('random', { seed: -1 }), /'seed'/);
    assert.throws(() => reg.strategy('random', { interval: 0.5 }), /'interval'/);
    const { description, ...rest } = reg.method('random');
    assert.deepEqual(rest, { name: 'random', parametrization: 'sparse', strategy: 'random', optimizer: 'sparse-adam', defaults: { lr: 2e-4 } });
    assert.equal(typeof description, 'string');

    // through resolve: a seeded method draws the same mask as a strategy built with that seed
    const r = registerBuiltins(new Registry()).resolve('random', { seed: 42, interval: 10 });
    assert.ok(r.strategy instanceof RandomStrategy);
    assert.deepEqual([r.strategy.refreshInterval, r.strategy.seed], [10, 42]);
    assert.deepEqual(await r.strategy.select(W, 300, ctx(5, 'q')), await new RandomStrategy({ seed: 42 }).select(W, 300, ctx(6, 'q')));
    assert.equal((registerBuiltins(new Registry()).resolve('random', {}).strategy as RandomStrategy).seed, undefined);
  });
});

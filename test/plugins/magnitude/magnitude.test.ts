import { strict as assert } from 'node:assert';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { registerBuiltins } from '../../../src/plugins/index.js';
import { MagnitudeStrategy, register } from '../../../src/plugins/magnitude/index.js';
import { topKReference } from '../../core/linalg/helpers.js';

describe('magnitude strategy', () => {
  it('selects the k largest |W|, ties to the lower index', async () => {
    const w = Float32Array.from([0.1, -5, 3, -3, 0, 2, -0.2, 5]);
    const st = new MagnitudeStrategy();
    assert.deepEqual(Array.from(await st.select(tensor('float32', [2, 4], w), 3, { name: 'p', rng: new Rng(0), step: 0 })), [1, 2, 7]);
    const rng = new Rng(1);
    const big = Float32Array.from({ length: 40 * 70 }, () => Math.round(rng.normal() * 4) / 4); // many ties
    const got = await st.select(tensor('float32', [40, 70], big), 900, { name: 'p', rng, step: 0 });
    assert.deepEqual(got, topKReference(big.map(Math.abs), 900));
  });

  it('takes its refresh interval from an options object, default 200, refusing a bad one', () => {
    assert.equal(new MagnitudeStrategy({ interval: 5 }).refreshInterval, 5);
    assert.equal(new MagnitudeStrategy({ interval: 0 }).refreshInterval, 0);
    assert.equal(new MagnitudeStrategy().refreshInterval, 200);
    for (const interval of ['often', -1, 2.5]) {
      assert.throws(() => new MagnitudeStrategy({ interval } as never), (e: unknown) => e instanceof InvalidArgumentError && /'interval'/.test(e.message), String(interval));
    }
    assert.throws(() => new MagnitudeStrategy({ filterRank: 8 } as never), /unknown option 'filterRank'/);
  });

  it('registers magnitude = sparse + magnitude + sparse-adam', () => {
    const reg = new Registry();
    register(reg);
    assert.equal(reg.strategy('magnitude', { interval: 0, lr: 1, rank: 4 }).refreshInterval, 0);
    assert.equal(reg.strategy('magnitude', {}).refreshInterval, 200);
    assert.throws(() => reg.strategy('magnitude', { interval: 'often' }), /'interval'/);
    const { description, ...rest } = reg.method('magnitude');
    assert.deepEqual(rest, { name: 'magnitude', parametrization: 'sparse', strategy: 'magnitude', optimizer: 'sparse-adam', defaults: { lr: 2e-4 } });
    assert.equal(typeof description, 'string');
  });

  it('the resolved method trains the top-k |W| of each weight, k = (m+n)·rank or round(density·m·n)', async () => {
    const reg = registerBuiltins(new Registry());
    const [m, n] = [12, 20];
    const rng = new Rng(9);
    const weight = Float32Array.from({ length: m * n }, () => rng.normal());
    const abs = weight.map(Math.abs);
    for (const [options, k] of [
      [{ rank: 1 }, m + n],
      [{ rank: 3 }, 3 * (m + n)],
      [{ rank: 100 }, m * n], // capped at m·n
      [{ density: 0.1 }, Math.round(0.1 * m * n)],
      [{ rank: 1, density: 0.5 }, m * n / 2], // density wins over rank
    ] as const) {
      const r = reg.resolve('magnitude', options);
      const target = await r.parametrization.create({ name: 'w', rows: m, cols: n, weight: weight.slice() }, r.options, { strategy: r.strategy!, maskRng: new Rng(0), initRng: new Rng(0) });
      assert.deepEqual(target.mask!(), topKReference(abs, k), JSON.stringify(options));
    }
  });
});

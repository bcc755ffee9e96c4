import { strict as assert } from 'node:assert';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
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

  it('reads interval and registers magnitude = sparse + magnitude + sparse-adam', () => {
    const reg = new Registry();
    register(reg);
    assert.equal(reg.strategy('magnitude', { interval: 0 }).refreshInterval, 0);
    assert.equal(reg.strategy('magnitude').refreshInterval, 200);
    assert.throws(() => reg.strategy('magnitude', { interval: 'often' }), /'interval'/);
    assert.deepEqual({ ...reg.method('magnitude') }, {
      name: 'magnitude',
      parametrization: 'sparse',
      strategy: 'magnitude',
      optimizer: 'sparse-adam',
      defaults: { lr: 2e-4, rank: 128, interval: 200 },
      options: ['rank', 'density', 'interval'],
    });
  });
});

import { strict as assert } from 'node:assert';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { FullStrategy, register } from '../../../src/plugins/full/index.js';

describe('full strategy', () => {
  it('selects every entry whatever the budget, and never refreshes', async () => {
    const st = new FullStrategy();
    const all = Int32Array.from({ length: 12 }, (_, i) => i);
    for (const budget of [0, 5, 12]) assert.deepEqual(await st.select(tensor('float32', [3, 4]), budget, { name: 'p', rng: new Rng(0), step: 0 }), all);
    assert.equal(st.refreshInterval, 0);
  });

  it('registers full = dense + full + adamw with lr 5e-5 and weight decay 0.01', () => {
    const reg = new Registry();
    register(reg);
    assert.equal(reg.strategy('full').name, 'full');
    assert.deepEqual({ ...reg.method('full') }, {
      name: 'full',
      parametrization: 'dense',
      strategy: 'full',
      optimizer: 'adamw',
      defaults: { lr: 5e-5, weightDecay: 0.01 },
      options: [],
    });
  });
});

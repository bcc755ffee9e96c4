import { strict as assert } from 'node:assert';
import { Registry } from '../../src/core/registry.js';
import { registerBuiltins } from '../../src/plugins/index.js';

describe('registerBuiltins', () => {
  it('registers every built-in method, strategy and optimizer, and each method resolves', () => {
    const reg = registerBuiltins(new Registry());
    assert.deepEqual(reg.methodNames(), ['full', 'lift', 'lora', 'magnitude', 'random']);
    assert.deepEqual(reg.strategyNames(), ['full', 'lift', 'magnitude', 'random']);
    assert.deepEqual(reg.optimizerNames(), ['adamw', 'sparse-adam']);
    for (const name of reg.methodNames()) {
      const m = reg.method(name);
      if (m.strategy) assert.equal(reg.strategy(m.strategy, m.defaults).name, m.strategy);
      assert.equal(reg.optimizer(m.optimizer, m.defaults).name, m.optimizer);
    }
  });
});

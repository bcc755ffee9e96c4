import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.js';
import { Registry } from '../../../src/core/registry.js';
import { checkMethodOptions } from '../../../src/core/training/method-options.js';
import { registerBuiltins } from '../../../src/plugins/index.js';

describe('method options', () => {
  const registry = registerBuiltins(new Registry());

  it('accepts every option a built-in method documents, and the common ones', () => {
    checkMethodOptions(registry.method('lift'), { rank: 4, filterRank: 8, interval: 10, oversampling: 12, powerIterations: 3, exactThreshold: 64, lr: 1e-3, betas: [0.9, 0.99], eps: 1e-6, weightDecay: 0, targetModules: ['q'] });
    checkMethodOptions(registry.method('random'), { density: 0.05, seed: 3, interval: 0 });
    checkMethodOptions(registry.method('lora'), { rank: 8, alpha: 16, dropout: 0 });
    checkMethodOptions(registry.method('lora'), { rank: 8, alpha: 16, dropout: 0.05 });
    checkMethodOptions(registry.method('full'), { lr: 5e-5, weightDecay: 0.01 });
  });

  it('lists every unknown key with its JSON path and the method\'s options', () => {
    const e = captured(() => checkMethodOptions(registry.method('lift'), { rnak: 4, filterrank: 8, rank: 4 }));
    assert.deepEqual(e.violations.map((v) => v.path), ['/method/options/rnak', '/method/options/filterrank']);
    assert.match(e.message, /method 'lift' has no option 'rnak'; its options: .*filterRank/);
    // full trains every entry: a budget option is a mistake, not a no-op
    assert.deepEqual(captured(() => checkMethodOptions(registry.method('full'), { rank: 4 })).violations.map((v) => v.path), ['/method/options/rank']);
  });

  it('refuses a LoRA dropout outside [0, 1), with its path', () => {
    for (const dropout of [1, -0.1, '0.1']) {
      const e = captured(() => checkMethodOptions(registry.method('lora'), { dropout }));
      assert.deepEqual(e.violations.map((v) => v.path), ['/method/options/dropout']);
      assert.match(e.message, /LoRA dropout must be a number in \[0, 1\)/);
    }
  });

  it('leaves a host method that declares no options unchecked', () => {
    checkMethodOptions({ name: 'mine', parametrization: 'sparse', strategy: 'x', optimizer: 'sparse-adam', defaults: {} }, { anything: 1 });
  });
});

function captured(fn: () => void): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

import { strict as assert } from 'node:assert';
import { Registry } from '../../src/core/registry.js';
import { registerBuiltins } from '../../src/plugins/index.js';

/** The seven linear modules of a decoder block (DESIGN: q, k, v, o, gate, up, down; never lm_head). */
const ALL_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

// Every method takes the common options; its building blocks add theirs (DESIGN "The method, precisely").
const COMMON = ['lr', 'targetModules'];
const SPARSE = ['rank', 'density']; // budget k = (m+n)·rank, or round(density·m·n)
const ADAM = ['betas', 'eps', 'weightDecay'];
const LIFT = ['filterRank', 'interval', 'refreshAt', 'selection', 'oversampling', 'powerIterations', 'exactThreshold'];

/** What each built-in method is made of, and the options a user may set on it. */
const EXPECTED: Record<string, { parametrization: string; strategy?: string; optimizer: string; options: string[] }> = {
  lift: { parametrization: 'sparse', strategy: 'lift', optimizer: 'sparse-adam', options: [...COMMON, ...SPARSE, ...LIFT, ...ADAM] },
  'lift-published': { parametrization: 'sparse', strategy: 'lift', optimizer: 'sparse-adam', options: [...COMMON, ...SPARSE, ...LIFT, ...ADAM] },
  magnitude: { parametrization: 'sparse', strategy: 'magnitude', optimizer: 'sparse-adam', options: [...COMMON, ...SPARSE, 'interval', 'refreshAt', 'selection', ...ADAM] },
  random: { parametrization: 'sparse', strategy: 'random', optimizer: 'sparse-adam', options: [...COMMON, ...SPARSE, 'interval', 'refreshAt', 'seed', ...ADAM] },
  lora: { parametrization: 'lora', optimizer: 'adamw', options: [...COMMON, 'rank', 'alpha', 'dropout', ...ADAM] },
  full: { parametrization: 'dense', optimizer: 'adamw', options: [...COMMON, ...ADAM] },
};

/**
 * The complete options `resolve(name, {})` gives, from the reference recipes in DESIGN.md: LIFT lr
 * 2e-4, rank 128, filter rank 128, interval 200 (refreshes after steps I, 2I, ...), the k largest
 * |W_r|, exact W_r up to a smaller side of 256 and above it a randomized SVD with oversampling 32
 * and 4 power iterations (docs/fidelity.md); lift-published the same with the published scripts'
 * k smallest, reference refresh timing and a 64-column, 6-iteration sketch; HF-form sparse AdamW betas (0.9, 0.95), eps 1e-6, decay 0; full FT lr 5e-5 with
 * PyTorch AdamW eps 1e-8, decay 0.01; LoRA r 128, α 256 (2r), lr 2e-4, PEFT dropout 0, trained
 * without weight decay (the method's recipe). Magnitude and random share LIFT's budget, optimizer
 * and refresh schedule.
 */
const SPARSE_ADAM_DEFAULTS = { betas: [0.9, 0.95], eps: 1e-6, weightDecay: 0 };
const RESOLVED_DEFAULTS: Record<string, Record<string, unknown>> = {
  lift: {
    lr: 2e-4,
    targetModules: ALL_MODULES,
    rank: 128,
    filterRank: 128,
    interval: 200,
    refreshAt: 'multiple',
    selection: 'largest',
    oversampling: 32,
    powerIterations: 4,
    exactThreshold: 256,
    ...SPARSE_ADAM_DEFAULTS,
  },
  'lift-published': {
    lr: 2e-4,
    targetModules: ALL_MODULES,
    rank: 128,
    filterRank: 128,
    interval: 200,
    refreshAt: 'reference',
    selection: 'smallest',
    oversampling: 64,
    powerIterations: 6,
    exactThreshold: 256,
    ...SPARSE_ADAM_DEFAULTS,
  },
  magnitude: { lr: 2e-4, targetModules: ALL_MODULES, rank: 128, interval: 200, refreshAt: 'multiple', selection: 'largest', ...SPARSE_ADAM_DEFAULTS },
  random: { lr: 2e-4, targetModules: ALL_MODULES, rank: 128, interval: 200, refreshAt: 'multiple', ...SPARSE_ADAM_DEFAULTS },
  lora: { lr: 2e-4, targetModules: ALL_MODULES, rank: 128, alpha: 256, dropout: 0, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0 },
  full: { lr: 5e-5, targetModules: ALL_MODULES, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.01 },
};

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('registerBuiltins', () => {
  const reg = registerBuiltins(new Registry());

  it('registers exactly the built-in methods and building blocks', () => {
    assert.deepEqual(reg.methodNames(), ['full', 'lift', 'lift-published', 'lora', 'magnitude', 'random']);
    assert.deepEqual(reg.parametrizationNames(), ['dense', 'lora', 'sparse']);
    // full is a method (dense + adamw), not a strategy: it has no mask
    assert.deepEqual(reg.strategyNames(), ['lift', 'magnitude', 'random']);
    assert.deepEqual(reg.optimizerNames(), ['adamw', 'sparse-adam']);
  });

  it('composes each method from the documented parametrization, strategy and optimizer', () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const m = reg.method(name);
      assert.deepEqual(
        { parametrization: m.parametrization, strategy: m.strategy, optimizer: m.optimizer },
        { parametrization: want.parametrization, strategy: want.strategy, optimizer: want.optimizer },
        name,
      );
    }
  });

  it("lists exactly each method's options in its schema, every one documented", () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const schema = reg.methodSchema(name);
      assert.deepEqual(sorted(Object.keys(schema.properties)), sorted(want.options), name);
      assert.equal(schema.additionalProperties, false, name);
      assert.deepEqual(schema.required, ['lr'], name);
      for (const [key, prop] of Object.entries(schema.properties)) {
        assert.equal(typeof prop.description, 'string', `${name}.${key} has a description`);
        assert.notEqual((prop.description as string).trim(), '', `${name}.${key} has a description`);
      }
    }
  });

  it('resolves each method with no options to its recipe, and builds its strategy and optimizer', () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const r = reg.resolve(name, {});
      assert.deepEqual(r.options, RESOLVED_DEFAULTS[name], name);
      assert.equal(r.method.name, name);
      assert.equal(r.parametrization.name, want.parametrization, name);
      assert.equal(r.strategy?.name, want.strategy, name);
      assert.equal(r.optimizer.name, want.optimizer, name);
      const o = RESOLVED_DEFAULTS[name]!;
      const hyper = (r.optimizer as unknown as { hyperparameters: Record<string, number> }).hyperparameters;
      assert.deepEqual(hyper, { beta1: 0.9, beta2: 0.95, eps: o.eps, weightDecay: o.weightDecay }, name);
      if (want.strategy) assert.equal(r.strategy!.refreshInterval, 200, name);
    }
  });
});

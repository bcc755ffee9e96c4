import { strict as assert } from 'node:assert';
import { methodOptions } from '../../src/api/compare.js';
import {
  COMPARE_KEYS,
  COMPARE_SCHEMA,
  SHARED_METHOD_OPTIONS,
  compareDefaults,
  compareFlags,
  compareOptions,
  mergeCompareInputs,
  optionsFromFlags,
} from '../../src/api/compare-options.js';
import { ConfigError, defaultRegistry } from '../../src/index.js';

/** The ConfigError `fn` throws, as path → message. */
function violations(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return Object.fromEntries(e.violations.map((v) => [v.path, v.message]));
  }
  assert.fail('expected a ConfigError');
}

describe('lift compare: options from one schema', () => {
  it('compareOptions({}) is the schema defaults, plus a fresh folder under runs/', () => {
    const { out, ...rest } = compareOptions({});
    assert.deepEqual(rest, compareDefaults());
    assert.match(out, /^runs\/compare-/);
    const fromSchema = Object.fromEntries(Object.entries(COMPARE_SCHEMA.properties).flatMap(([k, p]) => ('default' in p ? [[k, p.default]] : [])));
    assert.deepEqual(compareDefaults(), fromSchema);
  });

  it('keeps every option and default of the command line', () => {
    assert.deepEqual(compareDefaults(), {
      model: 'fixtures/model',
      train: 'fixtures/data/recall_train.jsonl',
      test: 'fixtures/data/recall_test.jsonl',
      source: 'fixtures/data/source_heldout_eval.jsonl',
      methods: ['lift', 'full', 'lora', 'magnitude', 'random'],
      steps: 150,
      seeds: 1,
      seed: 42,
      batchSize: 16,
      maxLength: 160,
      rank: 6,
      filterRank: 8,
      interval: 50,
      lrScale: 10,
      lr: {},
      option: {},
      testLimit: 320,
      sourceLimit: 320,
      maxNewTokens: 32,
      evalBatchSize: 50,
      warmupRatio: 0.03,
      threads: 0,
      executionProvider: 'cpu',
      force: false,
      quiet: false,
    });
  });

  it('generates one kebab-case flag per schema key, helped by its description and default', () => {
    const flags = compareFlags();
    assert.deepEqual(flags.map((f) => f.key), COMPARE_KEYS);
    const byKey = Object.fromEntries(flags.map((f) => [f.key, f]));
    assert.equal(byKey.batchSize!.flags, '--batch-size <integer>');
    assert.equal(byKey.force!.flags, '--force');
    assert.equal(byKey.executionProvider!.flags, '--execution-provider <cpu|cuda>');
    assert.equal(byKey.steps!.help, 'optimizer steps per method (default: 150)');
    for (const f of flags) assert.ok(f.help.startsWith(COMPARE_SCHEMA.properties[f.key].description), f.key);
  });

  it('coerces flag strings by the schema types and shapes lists and per-method pairs', () => {
    const { options, problems } = optionsFromFlags({
      steps: '12',
      methods: 'lift, lora',
      lr: 'lift=1e-3,full=5e-4',
      option: 'lora.alpha=24,lora.dropout=0.1,lift.filterRank=16,lora.targetModules=q_proj',
      warmupRatio: '0.1',
      force: true,
    });
    assert.deepEqual(problems, []);
    const o = compareOptions(options);
    assert.equal(o.steps, 12);
    assert.deepEqual(o.methods, ['lift', 'lora']);
    assert.deepEqual(o.lr, { lift: 1e-3, full: 5e-4 });
    assert.deepEqual(o.option, { lora: { alpha: 24, dropout: 0.1, targetModules: 'q_proj' }, lift: { filterRank: 16 } });
    assert.equal(o.warmupRatio, 0.1);
    assert.equal(o.force, true);
  });

  it('validates once and lists every violation with its path (a bad --steps -1 among them)', () => {
    const { options, problems } = optionsFromFlags({ steps: '-1', lrScale: '0', lr: 'lift=fast,full', option: 'alpha=3', executionProvider: 'tpu' });
    const v = violations(() => compareOptions(options, 'the command line', problems));
    assert.deepEqual(Object.keys(v).sort(), ['/executionProvider', '/lr', '/lr/lift', '/lrScale', '/option', '/steps']);
    assert.match(v['/steps']!, /must be >= 1, got -1/);
    assert.match(v['/lr/lift']!, /must be number/);
    assert.match(v['/executionProvider']!, /must be one of cpu, cuda/);
  });

  it('a config file key that is not in the schema is listed with its path', () => {
    const v = violations(() => compareOptions({ steps: 3, loraAlpha: 12, stepz: 4 } as Record<string, unknown>, 'compare.json'));
    assert.deepEqual(Object.keys(v).sort(), ['/loraAlpha', '/stepz']);
    assert.match(v['/stepz']!, /^unknown option; known: model, train, test/);
  });

  it('flags override a config file, per method and per key for lr and option', () => {
    const merged = mergeCompareInputs(
      { steps: 3, lr: { lift: 1e-3, full: 1e-4 }, option: { lora: { alpha: 8, dropout: 0.1 } } },
      { steps: '5', lr: { full: '2e-4' }, option: { lora: { alpha: 16 } } },
    );
    const o = compareOptions(merged);
    assert.equal(o.steps, 5);
    assert.deepEqual(o.lr, { lift: 1e-3, full: 2e-4 });
    assert.deepEqual(o.option, { lora: { alpha: 16, dropout: 0.1 } });
  });
});

describe('lift compare: per-method options come from the method plugins', () => {
  const registry = defaultRegistry();
  const defaults = compareOptions({});

  it("each built-in method's lr is its plugin's default lr × lrScale", () => {
    assert.deepEqual(registry.methodNames(), ['full', 'lift', 'lift-published', 'lora', 'magnitude', 'random']);
    for (const m of registry.methodNames()) {
      const recipe = registry.methodSchema(m).properties.lr!.default as number;
      assert.equal(typeof recipe, 'number', m);
      assert.equal(methodOptions(m, defaults, registry).lr, recipe * defaults.lrScale, m);
      assert.equal(methodOptions(m, compareOptions({ lrScale: 1 }), registry).lr, recipe, m);
    }
  });

  it('passes the shared budget options a method declares, in the order lr, rank, filterRank, interval', () => {
    for (const m of registry.methodNames()) {
      const declared = SHARED_METHOD_OPTIONS.filter((k) => k in registry.methodSchema(m).properties);
      assert.deepEqual(Object.keys(methodOptions(m, defaults, registry)), ['lr', ...declared], m);
    }
    // today's methods, and the learning rates the compare defaults always had
    assert.deepEqual(methodOptions('lift', defaults, registry), { lr: 2e-3, rank: 6, filterRank: 8, interval: 50 });
    assert.deepEqual(methodOptions('magnitude', defaults, registry), { lr: 2e-3, rank: 6, interval: 50 });
    assert.deepEqual(methodOptions('random', defaults, registry), { lr: 2e-3, rank: 6, interval: 50 });
    assert.deepEqual(methodOptions('lora', defaults, registry), { lr: 2e-3, rank: 6 });
    assert.deepEqual(methodOptions('full', defaults, registry), { lr: 5e-4 });
  });

  it('--lr and --option override per method', () => {
    const o = compareOptions({ lr: { full: 1e-4 }, option: { lora: { alpha: 24 }, lift: { filterRank: 16, lr: 3e-3 } } });
    assert.deepEqual(methodOptions('full', o, registry), { lr: 1e-4 });
    assert.deepEqual(methodOptions('lora', o, registry), { lr: 2e-3, rank: 6, alpha: 24 });
    assert.deepEqual(methodOptions('lift', o, registry), { lr: 3e-3, rank: 6, filterRank: 16, interval: 50 });
  });

  it('a method whose schema has no default lr fails naming the method and --lr', () => {
    const own = defaultRegistry();
    own.registerMethod({ name: 'bare', parametrization: 'dense', optimizer: 'adamw' });
    const v = violations(() => methodOptions('bare', defaults, own));
    assert.match(v['/lr/bare']!, /method 'bare' has no default learning rate.*pass --lr bare=<value>/);
    assert.deepEqual(methodOptions('bare', compareOptions({ lr: { bare: 1e-3 } }), own), { lr: 1e-3 });
  });
});

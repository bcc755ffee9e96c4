import assert from 'node:assert/strict';
import { COMMON_OPTIONS, blockOptions, composeMethodSchema, validateMethodOptions } from '../../../src/core/config/method-options.js';
import type { Method, OptionsFragment } from '../../../src/core/contracts.js';
import { ConfigError, InvalidArgumentError } from '../../../src/core/errors.js';
import { Registry } from '../../../src/core/registry.js';
import { registerBuiltins } from '../../../src/plugins/index.js';
import { LiftStrategy } from '../../../src/plugins/lift/index.js';
import { MagnitudeStrategy } from '../../../src/plugins/magnitude/index.js';
import { RandomStrategy } from '../../../src/plugins/random/index.js';

type Hyper = { hyperparameters: { beta1: number; beta2: number; eps: number; weightDecay: number } };
const hyper = (o: unknown) => (o as Hyper).hyperparameters;

/** Runs fn, which must throw a ConfigError, and returns it. */
function captured(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

/** Runs fn, which must throw an InvalidArgumentError, and returns it. */
function invalid(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    return e;
  }
  assert.fail('expected an InvalidArgumentError');
}

describe('method options', () => {
  const registry = registerBuiltins(new Registry());
  const paths = (name: string, options: Record<string, unknown>) => captured(() => registry.resolve(name, options)).violations.map((v) => v.path);

  describe('validation through registry.resolve', () => {
    it('accepts every option each built-in method documents, and passes each value through unchanged', () => {
      const adam = { betas: [0.85, 0.99], eps: 1e-7, weightDecay: 0.1 };
      const given: Record<string, Record<string, unknown>> = {
        lift: { lr: 1e-3, targetModules: ['q_proj', 'v_proj'], rank: 4, density: 0.05, filterRank: 8, interval: 10, refreshAt: 'reference', selection: 'smallest', oversampling: 12, powerIterations: 3, exactThreshold: 64, ...adam },
        magnitude: { lr: 1e-3, targetModules: ['down_proj'], rank: 4, density: 0.05, interval: 0, refreshAt: 'reference', selection: 'smallest', ...adam },
        random: { lr: 1e-3, targetModules: ['gate_proj', 'up_proj'], rank: 4, density: 0.05, interval: 7, refreshAt: 'reference', seed: 3, ...adam },
        lora: { lr: 1e-3, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], rank: 8, alpha: 16, dropout: 0.05, ...adam },
        full: { lr: 5e-5, targetModules: ['o_proj'], ...adam },
      };
      for (const [name, options] of Object.entries(given)) {
        const r = registry.resolve(name, options);
        assert.deepEqual(r.options, options, name);
        assert.deepEqual(hyper(r.optimizer), { beta1: 0.85, beta2: 0.99, eps: 1e-7, weightDecay: 0.1 }, name);
      }
      // and the ones a strategy reads reach it
      const lift = registry.resolve('lift', given.lift).strategy as LiftStrategy;
      assert.deepEqual(lift.options, { filterRank: 8, interval: 10, refreshAt: 'reference', selection: 'smallest', oversampling: 12, powerIterations: 3, exactThreshold: 64 });
      const random = registry.resolve('random', given.random).strategy as RandomStrategy;
      assert.deepEqual([random.refreshInterval, random.refreshAt, random.seed], [7, 'reference', 3]);
      const magnitude = registry.resolve('magnitude', given.magnitude).strategy as MagnitudeStrategy;
      assert.deepEqual([magnitude.refreshInterval, magnitude.refreshAt, magnitude.selection], [0, 'reference', 'smallest']);
    });

    it('does not change the options object it is given', () => {
      const raw = { lr: 1, rank: 8 };
      const r = registry.resolve('lora', raw);
      assert.deepEqual(raw, { lr: 1, rank: 8 });
      assert.notEqual(r.options, raw);
      // nor share a default between runs: editing one run's options leaves the next run's defaults alone
      (r.options.targetModules as string[]).length = 0;
      (r.options.betas as number[])[0] = 0;
      const again = registry.resolve('lora', raw).options;
      assert.deepEqual(again.targetModules, ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
      assert.deepEqual(again.betas, [0.9, 0.95]);
    });

    it("lists every unknown key with its JSON path and the method's options", () => {
      const e = captured(() => registry.resolve('lift', { rnak: 4, filterrank: 8, rank: 4 }));
      const liftOptions = 'lr, targetModules, rank, density, filterRank, interval, refreshAt, selection, oversampling, powerIterations, exactThreshold, betas, eps, weightDecay';
      assert.deepEqual(e.violations, [
        { path: '/method/options/rnak', message: `method 'lift' has no option 'rnak'; its options: ${liftOptions}` },
        { path: '/method/options/filterrank', message: `method 'lift' has no option 'filterrank'; its options: ${liftOptions}` },
      ]);
      assert.match(e.message, /\/method\/options\/rnak: method 'lift' has no option 'rnak'/);
      // another prefix (e.g. a run of a comparison) is honoured
      assert.deepEqual(captured(() => registry.resolve('lift', { rnak: 4 }, '/runs/2/options')).violations.map((v) => v.path), ['/runs/2/options/rnak']);
    });

    it('full trains every entry: a budget or strategy option is a mistake, not a no-op', () => {
      const e = captured(() => registry.resolve('full', { rank: 4 }));
      assert.deepEqual(e.violations, [{ path: '/method/options/rank', message: "method 'full' has no option 'rank'; its options: lr, targetModules, betas, eps, weightDecay" }]);
      for (const key of ['density', 'filterRank', 'interval', 'alpha', 'dropout']) assert.deepEqual(paths('full', { [key]: 1 }), [`/method/options/${key}`], key);
      // and LoRA has no mask either
      for (const key of ['density', 'filterRank', 'interval', 'seed']) assert.deepEqual(paths('lora', { [key]: 1 }), [`/method/options/${key}`], key);
      // magnitude has no rank reduction
      assert.deepEqual(paths('magnitude', { filterRank: 8 }), ['/method/options/filterRank']);
    });

    it('reports every violation at once, each at its own path', () => {
      assert.deepEqual(paths('lift', { lr: -1, filterRank: 0, interval: 1.5, betas: [0.9, 1] }).sort(), [
        '/method/options/betas/1',
        '/method/options/filterRank',
        '/method/options/interval',
        '/method/options/lr',
      ]);
    });

    it('filterRank is an integer ≥ 1', () => {
      assert.equal((registry.resolve('lift', { filterRank: 1 }).strategy as LiftStrategy).options.filterRank, 1);
      for (const filterRank of [0, -3, 2.5, '8']) assert.deepEqual(paths('lift', { filterRank }), ['/method/options/filterRank'], String(filterRank));
    });

    it('LoRA alpha is > 0', () => {
      assert.equal(registry.resolve('lora', { alpha: 1e-9 }).options.alpha, 1e-9);
      for (const alpha of [0, -1, '16']) assert.deepEqual(paths('lora', { alpha }), ['/method/options/alpha'], String(alpha));
    });

    it('LoRA dropout is a number in [0, 1)', () => {
      for (const dropout of [0, 0.5, 0.999]) assert.equal(registry.resolve('lora', { dropout }).options.dropout, dropout);
      for (const dropout of [1, -0.1, '0.1', 1.5]) assert.deepEqual(paths('lora', { dropout }), ['/method/options/dropout'], String(dropout));
    });

    it('rank is an integer ≥ 1, for the sparse budget and for LoRA', () => {
      for (const method of ['lift', 'magnitude', 'random', 'lora']) {
        assert.equal(registry.resolve(method, { rank: 1 }).options.rank, 1, method);
        for (const rank of [0, -1, 1.5, '4']) assert.deepEqual(paths(method, { rank }), ['/method/options/rank'], `${method} ${String(rank)}`);
      }
    });

    it('density is in (0, 1]', () => {
      for (const method of ['lift', 'magnitude', 'random']) {
        for (const density of [1e-6, 0.5, 1]) assert.equal(registry.resolve(method, { density }).options.density, density);
        for (const density of [0, -0.1, 1.01, '0.5']) assert.deepEqual(paths(method, { density }), ['/method/options/density'], `${method} ${String(density)}`);
      }
    });

    it('targetModules names only known modules, at least one, each once', () => {
      assert.deepEqual(registry.resolve('lift', { targetModules: ['gate_proj'] }).options.targetModules, ['gate_proj']);
      const e = captured(() => registry.resolve('lora', { targetModules: ['q_proj', 'lm_head'] }));
      assert.deepEqual(e.violations, [
        { path: '/method/options/targetModules/1', message: 'must be one of "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"' },
      ]);
      for (const targetModules of [['q'], ['embed_tokens'], [], ['q_proj', 'q_proj'], 'q_proj']) {
        assert.equal(captured(() => registry.resolve('full', { targetModules })).violations.length, 1, JSON.stringify(targetModules));
        assert.match(paths('full', { targetModules })[0]!, /^\/method\/options\/targetModules(\/\d+)?$/);
      }
    });

    it('betas is a pair, each in [0, 1), for both Adam forms', () => {
      for (const method of ['lift', 'full']) {
        assert.deepEqual(hyper(registry.resolve(method, { betas: [0, 0.999] }).optimizer), { ...hyper(registry.resolve(method, {}).optimizer), beta1: 0, beta2: 0.999 });
        assert.deepEqual(paths(method, { betas: [0.9, 1] }), ['/method/options/betas/1'], method);
        assert.deepEqual(paths(method, { betas: [-0.1, 0.9] }), ['/method/options/betas/0'], method);
        for (const betas of [[0.9], [0.9, 0.95, 0.99], 0.9]) assert.deepEqual(paths(method, { betas }), ['/method/options/betas'], `${method} ${JSON.stringify(betas)}`);
      }
    });

    it('a host method with no lr default needs an lr', () => {
      const reg = registerBuiltins(new Registry());
      reg.registerMethod({ name: 'mine', parametrization: 'sparse', strategy: 'lift', optimizer: 'sparse-adam' });
      const e = captured(() => reg.resolve('mine', {}));
      assert.deepEqual(e.violations, [{ path: '/method/options/lr', message: "method 'mine' has no learning rate: set optimizer.lr or the method's lr option" }]);
      assert.equal(reg.resolve('mine', { lr: 3e-4 }).options.lr, 3e-4);
      // a built-in method's recipe supplies one
      assert.equal(reg.resolve('lift', {}).options.lr, 2e-4);
    });

    it('LoRA alpha defaults to 2·rank; an alpha that is set stays', () => {
      for (const rank of [1, 8, 128]) assert.equal(registry.resolve('lora', { rank }).options.alpha, 2 * rank);
      assert.equal(registry.resolve('lora', {}).options.alpha, 256);
      assert.equal(registry.resolve('lora', { rank: 8, alpha: 4 }).options.alpha, 4);
      assert.equal(registry.resolve('lora', { alpha: 4 }).options.rank, 128);
    });

    it('fills the defaults, and the strategy and optimizer it builds carry them', () => {
      const lift = registry.resolve('lift', { lr: 1 });
      assert.equal(lift.options.interval, 200);
      assert.deepEqual(lift.options.betas, [0.9, 0.95]);
      assert.equal(lift.options.eps, 1e-6);
      assert.equal(lift.strategy!.refreshInterval, 200);
      assert.deepEqual(hyper(lift.optimizer), { beta1: 0.9, beta2: 0.95, eps: 1e-6, weightDecay: 0 });
      const full = registry.resolve('full', {});
      assert.equal(full.options.weightDecay, 0.01);
      assert.equal(full.options.eps, 1e-8);
      assert.deepEqual(hyper(full.optimizer), { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 });
      // set values override the defaults all the way into the built objects
      const custom = registry.resolve('lift', { filterRank: 8, interval: 7, weightDecay: 0.2 });
      assert.equal(custom.strategy!.refreshInterval, 7);
      assert.equal((custom.strategy as LiftStrategy).options.filterRank, 8);
      assert.equal(hyper(custom.optimizer).weightDecay, 0.2);
      assert.equal(registry.resolve('magnitude', { interval: 5 }).strategy!.refreshInterval, 5);
      assert.equal(registry.resolve('full', { weightDecay: 0 }).options.weightDecay, 0);
    });

    it('validateMethodOptions checks a schema on its own, with every default filled', () => {
      const method = registry.method('full');
      const schema = registry.methodSchema('full');
      assert.deepEqual(validateMethodOptions(method, schema, { eps: 1e-5 }), {
        eps: 1e-5,
        lr: 5e-5,
        targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
        betas: [0.9, 0.95],
        weightDecay: 0.01,
      });
      assert.deepEqual(captured(() => validateMethodOptions(method, schema, { eps: 0 }, '/x')).violations, [{ path: '/x/eps', message: 'must be > 0' }]);
    });
  });

  describe('composeMethodSchema', () => {
    const method: Method = { name: 'host', parametrization: 'p', optimizer: 'o', defaults: { lr: 0.5, width: 3 } };
    const width: OptionsFragment = { width: { type: 'integer', minimum: 1, default: 1, description: 'w' } };

    it('starts from the common options and adds each fragment, with the method defaults over the documented ones', () => {
      const schema = composeMethodSchema(method, [["parametrization 'p'", width], ["optimizer 'o'", undefined]]);
      assert.deepEqual(Object.keys(schema.properties), ['lr', 'targetModules', 'width']);
      assert.equal(schema.properties.width!.default, 3);
      assert.equal(schema.properties.lr!.default, 0.5);
      assert.deepEqual(schema.properties.targetModules, COMMON_OPTIONS.targetModules);
      assert.deepEqual(schema.required, ['lr']);
      assert.equal(schema.additionalProperties, false);
      // the fragments themselves are untouched
      assert.equal(width.width!.default, 1);
      assert.equal(COMMON_OPTIONS.lr!.default, undefined);
    });

    it('refuses a key two building blocks declare, naming both', () => {
      const e = invalid(() => composeMethodSchema(method, [["parametrization 'p'", width], ["optimizer 'o'", { width: { type: 'number' } }]]));
      assert.equal(e.message, "method 'host': option 'width' is declared by both parametrization 'p' and optimizer 'o'");
      // a block may not redeclare a common option either
      assert.match(invalid(() => composeMethodSchema(method, [["optimizer 'o'", { lr: { type: 'number' } }]])).message, /option 'lr' is declared by both core and optimizer 'o'/);
      // through the registry: an optimizer that declares the sparse budget's 'rank'
      const reg = registerBuiltins(new Registry());
      reg.registerOptimizer('ranked', () => ({}) as never, { rank: { type: 'integer' } });
      reg.registerMethod({ name: 'clash', parametrization: 'sparse', strategy: 'lift', optimizer: 'ranked', defaults: { lr: 1 } });
      assert.match(invalid(() => reg.resolve('clash', {})).message, /option 'rank' is declared by both parametrization 'sparse' and optimizer 'ranked'/);
    });

    it('refuses a method default for a key no building block declares', () => {
      const e = invalid(() => composeMethodSchema({ ...method, defaults: { lr: 1, depth: 2 } }, [["parametrization 'p'", width]]));
      assert.equal(e.message, "method 'host' sets a default for 'depth', which none of its building blocks declares");
      // through the registry: full + a LoRA rank default
      const reg = registerBuiltins(new Registry());
      reg.registerMethod({ name: 'full-ranked', parametrization: 'dense', optimizer: 'adamw', defaults: { lr: 1, rank: 8 } });
      assert.match(invalid(() => reg.methodSchema('full-ranked')).message, /method 'full-ranked' sets a default for 'rank'/);
    });
  });

  describe('blockOptions (building blocks constructed directly)', () => {
    it('refuses a bad value', () => {
      for (const [make, field] of [
        [() => new LiftStrategy({ filterRank: 0 }), 'filterRank'],
        [() => new LiftStrategy({ oversampling: 9 }), 'oversampling'],
        [() => new LiftStrategy({ powerIterations: 1 }), 'powerIterations'],
        [() => new MagnitudeStrategy({ interval: -1 }), 'interval'],
        [() => new RandomStrategy({ seed: 1.5 }), 'seed'],
        [() => new LiftStrategy({ filterRank: '8' as never }), 'filterRank'],
      ] as const) {
        const e = invalid(make);
        assert.match(e.message, new RegExp(`option '${field}' must be`), e.message);
      }
      assert.equal(invalid(() => new LiftStrategy({ filterRank: 0 })).message, "lift: option 'filterRank' must be >= 1");
    });

    it('refuses an unknown key', () => {
      assert.equal(invalid(() => new LiftStrategy({ lr: 1 } as never)).message, "lift: unknown option 'lr'");
      assert.equal(invalid(() => new MagnitudeStrategy({ interval: 5, filterRank: 8 } as never)).message, "magnitude: unknown option 'filterRank'");
    });

    it('fills defaults, ignores undefined values, and names every problem at once', () => {
      assert.deepEqual(new LiftStrategy({ interval: 3, filterRank: undefined }).options, {
        filterRank: 128,
        interval: 3,
        refreshAt: 'multiple',
        selection: 'largest',
        oversampling: 32,
        powerIterations: 4,
        exactThreshold: 256,
      });
      assert.equal(new MagnitudeStrategy({ interval: 5 }).refreshInterval, 5);
      assert.equal(new MagnitudeStrategy().refreshInterval, 200);
      const fragment: OptionsFragment = { a: { type: 'integer', minimum: 0, default: 2 }, b: { type: 'string' } };
      const given = { b: 'x' };
      assert.deepEqual(blockOptions('mine', fragment, given), { a: 2, b: 'x' });
      assert.deepEqual(given, { b: 'x' }, 'the given object is not changed');
      const e = invalid(() => blockOptions('mine', fragment, { a: -1, b: 3, c: true }));
      assert.deepEqual((e.details!.problems as string[]).sort(), ["option 'a' must be >= 0", "option 'b' must be string", "unknown option 'c'"]);
      assert.match(e.message, /^mine: /);
    });
  });
});

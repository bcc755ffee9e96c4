import { strict as assert } from 'node:assert';
import type { Backend, Executable, MaskStrategy, Method, Optimizer, Parametrization } from '../../src/core/contracts.js';
import { BackendError, ConfigError, InvalidArgumentError, LiftError, RegistryError } from '../../src/core/errors.js';
import { Registry } from '../../src/core/registry.js';
import { registerBuiltins } from '../../src/plugins/index.js';

/** A backend that records its init calls and fails them while `failing` is set. */
class FakeBackend implements Backend {
  readonly capabilities = { inputsInPlace: true };
  inits = 0;
  constructor(
    readonly name: string,
    public failing?: () => Error,
    private readonly log?: string[],
  ) {}
  async init(): Promise<void> {
    this.inits++;
    this.log?.push(this.name);
    await new Promise((r) => setTimeout(r, 1));
    if (this.failing) throw this.failing();
  }
  async compile(): Promise<Executable> {
    throw new Error('not used here');
  }
}

const SPARSE_METHOD: Method = { name: 'mine', parametrization: 'sparse', strategy: 'lift', optimizer: 'sparse-adam', defaults: {} };

function isRegistryError(kind: string, name: string, known: string[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof RegistryError, `expected RegistryError, got ${String(e)}`);
    assert.equal(e.code, 'E_REGISTRY');
    assert.deepEqual(e.details, { kind, name, known });
    assert.ok(e.message.includes(`'${name}'`), e.message);
    assert.ok(e.message.includes(known.join(', ')), `the message lists the registered ${kind} names: ${e.message}`);
    return true;
  };
}

describe('Registry', () => {
  describe('strategies, optimizers and methods by name', () => {
    it('an unknown name fails with a RegistryError listing the registered names', () => {
      const reg = registerBuiltins(new Registry());
      const strategies = ['lift', 'magnitude', 'random'];
      const optimizers = ['adamw', 'sparse-adam'];
      const methods = ['full', 'lift', 'lift-published', 'lora', 'magnitude', 'random'];
      assert.throws(() => reg.strategy('principal', {}), isRegistryError('strategy', 'principal', strategies));
      assert.throws(() => reg.optimizer('sgd', {}), isRegistryError('optimizer', 'sgd', optimizers));
      assert.throws(() => reg.method('dora'), isRegistryError('method', 'dora', methods));
      assert.throws(() => reg.parametrization('dora'), isRegistryError('parametrization', 'dora', ['dense', 'lora', 'sparse']));
      assert.throws(() => reg.resolve('dora', { lr: 1 }), isRegistryError('method', 'dora', methods));
      assert.throws(() => reg.methodSchema('dora'), isRegistryError('method', 'dora', methods));
      assert.equal(reg.hasMethod('dora'), false);
      assert.equal(reg.hasMethod('lift'), true);
      // Names are case-sensitive: 'LIFT' is not 'lift'.
      assert.throws(() => reg.method('LIFT'), isRegistryError('method', 'LIFT', methods));
      assert.equal(reg.hasMethod('LIFT'), false);
    });

    it('a method naming an unregistered building block fails when it is resolved, naming the block', () => {
      const reg = registerBuiltins(new Registry());
      reg.registerMethod({ ...SPARSE_METHOD, name: 'no-mask', strategy: 'principal' });
      reg.registerMethod({ ...SPARSE_METHOD, name: 'no-opt', optimizer: 'sgd' });
      reg.registerMethod({ ...SPARSE_METHOD, name: 'no-param', parametrization: 'dora' });
      assert.throws(() => reg.resolve('no-mask', { lr: 1 }), isRegistryError('strategy', 'principal', ['lift', 'magnitude', 'random']));
      assert.throws(() => reg.resolve('no-opt', { lr: 1 }), isRegistryError('optimizer', 'sgd', ['adamw', 'sparse-adam']));
      assert.throws(() => reg.resolve('no-param', { lr: 1 }), isRegistryError('parametrization', 'dora', ['dense', 'lora', 'sparse']));
    });

    it('refuses a method whose parametrization needs a mask strategy but names none', () => {
      const reg = registerBuiltins(new Registry());
      reg.registerMethod({ name: 'maskless', parametrization: 'sparse', optimizer: 'sparse-adam', defaults: { lr: 1 } });
      for (const f of [() => reg.methodSchema('maskless'), () => reg.resolve('maskless', {})]) {
        assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && /method 'maskless': parametrization 'sparse' needs a mask strategy/.test(e.message));
      }
      // a dense method needs none
      reg.registerMethod({ name: 'dense-adam', parametrization: 'dense', optimizer: 'adamw', defaults: { lr: 1 } });
      assert.equal(reg.resolve('dense-adam', {}).strategy, undefined);
    });

    it('an empty registry says it has none', () => {
      assert.throws(() => new Registry().method('lift'), (e: unknown) => e instanceof RegistryError && /\(none\)/.test(e.message));
    });

    it('hands a factory without a fragment every option it is given', () => {
      const reg = new Registry();
      const seen: unknown[] = [];
      const opt = { name: 'my-opt' } as unknown as Optimizer;
      reg.registerOptimizer('my-opt', (o) => (seen.push(o), opt));
      reg.registerStrategy('my-mask', (o) => (seen.push(o), { name: 'my-mask', select: async () => new Int32Array(0) }));
      reg.registerMethod({ ...SPARSE_METHOD, strategy: 'my-mask', optimizer: 'my-opt' });
      assert.equal(reg.optimizer('my-opt', { lr: 1, rank: 3 }), opt);
      assert.equal(reg.strategy('my-mask', { lr: 1, rank: 3 }).name, 'my-mask');
      assert.deepEqual(seen, [{ lr: 1, rank: 3 }, { lr: 1, rank: 3 }]);
      assert.equal(reg.method('mine').strategy, 'my-mask');
      assert.deepEqual([reg.strategyNames(), reg.optimizerNames(), reg.methodNames()], [['my-mask'], ['my-opt'], ['mine']]);
    });

    it("resolves a host's own method: its fragments validated and defaulted, each factory handed only its own keys", () => {
      const reg = new Registry();
      const seen: Record<string, unknown> = {};
      const created: unknown[] = [];
      const param: Parametrization = {
        name: 'scaled',
        options: { gamma: { type: 'number', minimum: 0, default: 0.5, description: 'scale' } },
        // a derived default, like LoRA's alpha = 2·rank
        complete: (o) => ({ ...o, gammaSquared: (o.gamma as number) ** 2 }),
        create: async (...args) => (created.push(args), undefined as never),
      };
      const strategy: MaskStrategy = { name: 'every-kth', refreshInterval: 0, select: async () => new Int32Array(0) };
      const optimizer = { name: 'sgd' } as unknown as Optimizer;
      reg.registerParametrization(param);
      reg.registerStrategy('every-kth', (o) => ((seen.strategy = o), strategy), { stride: { type: 'integer', minimum: 1, default: 4, description: 'k' } });
      reg.registerOptimizer('sgd', (o) => ((seen.optimizer = o), optimizer), { momentum: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'm' } });
      reg.registerMethod({ name: 'host', parametrization: 'scaled', strategy: 'every-kth', optimizer: 'sgd', defaults: { lr: 0.1, momentum: 0.9 } });

      assert.deepEqual(Object.keys(reg.methodSchema('host').properties), ['lr', 'targetModules', 'gamma', 'stride', 'momentum']);
      const r = reg.resolve('host', { stride: 2 });
      assert.equal(r.parametrization, param);
      assert.equal(r.strategy, strategy);
      assert.equal(r.optimizer, optimizer);
      assert.deepEqual(r.options, {
        lr: 0.1,
        targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
        gamma: 0.5,
        gammaSquared: 0.25,
        stride: 2,
        momentum: 0.9,
      });
      assert.deepEqual(seen, { strategy: { stride: 2 }, optimizer: { momentum: 0.9 } });
      assert.equal(created.length, 0, 'resolve creates no trainable state');

      // its options are checked like a built-in's
      assert.throws(
        () => reg.resolve('host', { stride: 0, momentum: 2, rank: 4 }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.deepEqual(e.violations.map((v) => v.path).sort(), ['/method/options/momentum', '/method/options/rank', '/method/options/stride']);
          return true;
        },
      );
    });

    it('refuses invalid names and registers nothing under them', () => {
      const reg = new Registry();
      const bad = ['', 'two words', 'a/b', 'lift!', 'ünï', 'tab\there'];
      for (const name of bad) {
        const invalid = (e: unknown) => e instanceof InvalidArgumentError && e.code === 'E_INVALID_ARGUMENT' && e.message.includes(`'${name}'`);
        assert.throws(() => reg.registerStrategy(name, () => ({ name, select: async () => new Int32Array(0) })), invalid, `strategy ${JSON.stringify(name)}`);
        assert.throws(() => reg.registerOptimizer(name, () => ({}) as Optimizer), invalid, `optimizer ${JSON.stringify(name)}`);
        assert.throws(() => reg.registerMethod({ ...SPARSE_METHOD, name }), invalid, `method ${JSON.stringify(name)}`);
        assert.throws(() => reg.registerBackend(name, new FakeBackend(name)), invalid, `backend ${JSON.stringify(name)}`);
        assert.throws(() => reg.registerParametrization({ name, create: async () => undefined as never }), invalid, `parametrization ${JSON.stringify(name)}`);
      }
      assert.deepEqual([reg.strategyNames(), reg.optimizerNames(), reg.methodNames(), reg.backendNames(), reg.parametrizationNames()], [[], [], [], [], []]);
      // The documented alphabet is accepted.
      reg.registerStrategy('a-Z_0.9:x', () => ({ name: 'x', select: async () => new Int32Array(0) }));
      assert.deepEqual(reg.strategyNames(), ['a-Z_0.9:x']);
    });
  });

  describe('backends', () => {
    function threeBackends(log: string[]) {
      const reg = new Registry();
      const low = new FakeBackend('low', undefined, log);
      const high = new FakeBackend('high', undefined, log);
      const mid = new FakeBackend('mid', undefined, log);
      reg.registerBackend('low', low, 1).registerBackend('high', high, 3).registerBackend('mid', mid, 2);
      return { reg, low, high, mid };
    }

    it('without hints, resolves by descending priority, falling to the next when init throws', async () => {
      const log: string[] = [];
      const { reg, high } = threeBackends(log);
      assert.equal((await reg.resolveBackend()).backend, high);
      assert.deepEqual(log, ['high']);

      high.failing = () => new Error('device lost');
      log.length = 0;
      const r = await reg.resolveBackend();
      // 'high' already initialized successfully once: its readiness is cached, it is not re-initialized.
      assert.equal(r.name, 'high');
      assert.deepEqual(log, []);

      const log2: string[] = [];
      const fresh = threeBackends(log2);
      fresh.high.failing = () => new Error('device lost');
      const r2 = await fresh.reg.resolveBackend();
      assert.deepEqual([r2.name, r2.backend], ['mid', fresh.mid]);
      assert.deepEqual(log2, ['high', 'mid'], 'tried in priority order; the lowest is never initialized');
      assert.equal(fresh.low.inits, 0);
    });

    it('with hints, tries them in the given order regardless of priority and skips unknown ones', async () => {
      const log: string[] = [];
      const { reg, low, mid } = threeBackends(log);
      mid.failing = () => new Error('driver too old');
      const r = await reg.resolveBackend(['tpu', 'mid', 'low', 'high']);
      assert.deepEqual([r.name, r.backend], ['low', low]);
      assert.deepEqual(log, ['mid', 'low']);
    });

    it('when every candidate fails, throws one error that lists each failure in order', async () => {
      const log: string[] = [];
      const { reg, high, mid } = threeBackends(log);
      high.failing = () => new Error('device lost');
      mid.failing = () => new Error('driver too old');
      await assert.rejects(reg.resolveBackend(['high', 'tpu', 'mid']), (e: unknown) => {
        assert.ok(e instanceof BackendError);
        assert.equal(e.code, 'E_BACKEND');
        const failures = e.details!.failures as string[];
        assert.deepEqual(failures, ['high: device lost', 'tpu: not registered (registered: high, low, mid)', 'mid: driver too old']);
        for (const f of failures) assert.ok(e.message.includes(f), `message lacks '${f}'`);
        return true;
      });
      // Without hints: every registered backend is a candidate.
      const all = threeBackends([]);
      for (const b of [all.low, all.mid, all.high]) b.failing = () => new Error(`${b.name} broken`);
      await assert.rejects(all.reg.resolveBackend(), (e: unknown) => e instanceof BackendError && /high broken[^]*mid broken[^]*low broken/.test(e.message));
      await assert.rejects(new Registry().resolveBackend(), (e: unknown) => e instanceof BackendError && e.code === 'E_BACKEND');
    });

    it('an unknown backend name fails with the registered names', async () => {
      const { reg } = threeBackends([]);
      await assert.rejects(reg.resolveBackend(['tpu']), (e: unknown) => e instanceof LiftError && e.message.includes('tpu: not registered (registered: high, low, mid)'));
    });

    it('keeps E_CUDA_MISSING when that is why every candidate failed', async () => {
      const reg = new Registry();
      const cuda = new FakeBackend('cuda', () => new BackendError('the CUDA provider is not installed; install it with ...', {}, 'E_CUDA_MISSING'));
      const other = new FakeBackend('other', () => new Error('broken'));
      reg.registerBackend('cuda', cuda, 2).registerBackend('other', other, 1);
      await assert.rejects(reg.resolveBackend(['cuda']), (e: unknown) => e instanceof BackendError && e.code === 'E_CUDA_MISSING' && /cuda: the CUDA provider is not installed/.test(e.message));
      await assert.rejects(reg.resolveBackend(['cuda', 'other']), (e: unknown) => e instanceof BackendError && e.code === 'E_BACKEND');
      await assert.rejects(reg.resolveBackend(['cuda', 'tpu']), (e: unknown) => e instanceof BackendError && e.code === 'E_BACKEND');
    });

    it('a failed init is retried on the next resolve; a successful one runs once, even for concurrent resolves', async () => {
      const reg = new Registry();
      const flaky = new FakeBackend('flaky', () => new Error('busy'));
      reg.registerBackend('flaky', flaky);
      await assert.rejects(reg.resolveBackend(['flaky']), /flaky: busy/);
      flaky.failing = undefined;
      const [a, b] = await Promise.all([reg.resolveBackend(['flaky']), reg.resolveBackend()]);
      assert.equal(a.backend, flaky);
      assert.equal(b.backend, flaky);
      await reg.resolveBackend(['flaky']);
      assert.equal(flaky.inits, 2, 'one failed init, then one shared successful init');
    });

    it('registering a different backend under a taken name fails; the same one again is allowed', async () => {
      const reg = new Registry();
      const first = new FakeBackend('cpu');
      reg.registerBackend('cpu', first, 1);
      assert.throws(() => reg.registerBackend('cpu', new FakeBackend('cpu'), 5), (e: unknown) => e instanceof InvalidArgumentError && /'cpu'/.test(e.message));
      assert.equal((await reg.resolveBackend(['cpu'])).backend, first, 'the first registration stands');
      reg.registerBackend('cpu', first, 7);
      reg.registerBackend('other', new FakeBackend('other'), 6);
      assert.equal((await reg.resolveBackend()).name, 'cpu', 'the same backend again may change its priority');
      assert.deepEqual(reg.backendNames(), ['cpu', 'other']);
    });
  });
});

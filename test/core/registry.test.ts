import { strict as assert } from 'node:assert';
import type { Backend, Executable, Method, Optimizer } from '../../src/core/contracts.js';
import { BackendError, InvalidArgumentError, LiftError, RegistryError } from '../../src/core/errors.js';
import { Registry } from '../../src/core/registry.js';
import { registerBuiltins } from '../../src/plugins/index.js';

/** A backend that records its init calls and fails them while `failing` is set. */
class FakeBackend implements Backend {
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
      assert.ok(reg.strategyNames().length >= 4 && reg.optimizerNames().length >= 2 && reg.methodNames().length >= 5);
      assert.throws(() => reg.strategy('principal'), isRegistryError('strategy', 'principal', reg.strategyNames()));
      assert.throws(() => reg.optimizer('sgd'), isRegistryError('optimizer', 'sgd', reg.optimizerNames()));
      assert.throws(() => reg.method('dora'), isRegistryError('method', 'dora', reg.methodNames()));
      assert.equal(reg.hasMethod('dora'), false);
      // Names are case-sensitive: 'LIFT' is not 'lift'.
      assert.throws(() => reg.method('LIFT'), RegistryError);
    });

    it('an empty registry says it has none', () => {
      assert.throws(() => new Registry().method('lift'), (e: unknown) => e instanceof RegistryError && /\(none\)/.test(e.message));
    });

    it('resolves what a host registers, handing the method options to the factories', () => {
      const reg = new Registry();
      const seen: unknown[] = [];
      const opt = { name: 'my-opt' } as unknown as Optimizer;
      reg.registerOptimizer('my-opt', (o) => (seen.push(o), opt));
      reg.registerStrategy('my-mask', (o) => (seen.push(o), { name: 'my-mask', select: async () => new Int32Array(0) }));
      reg.registerMethod({ ...SPARSE_METHOD, strategy: 'my-mask', optimizer: 'my-opt' });
      assert.equal(reg.optimizer('my-opt', { lr: 1 }), opt);
      assert.equal(reg.strategy('my-mask', { rank: 3 }).name, 'my-mask');
      assert.deepEqual(seen, [{ lr: 1 }, { rank: 3 }]);
      assert.equal(reg.method('mine').strategy, 'my-mask');
      assert.deepEqual([reg.strategyNames(), reg.optimizerNames(), reg.methodNames()], [['my-mask'], ['my-opt'], ['mine']]);
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
      }
      assert.deepEqual([reg.strategyNames(), reg.optimizerNames(), reg.methodNames(), reg.backendNames()], [[], [], [], []]);
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

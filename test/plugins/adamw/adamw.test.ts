import { strict as assert } from 'node:assert';
import { Registry } from '../../../src/core/registry.js';
import { ConfigError } from '../../../src/core/errors.js';
import { ADAMW_OPTIONS, AdamW, register } from '../../../src/plugins/adamw/index.js';
import { registerBuiltins } from '../../../src/plugins/index.js';

const close = (got: number, want: number, tol = 3e-7, what = '') =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} (diff ${got - want})`);

describe('adamw (PyTorch AdamW form)', () => {
  it('matches hand-computed values with weight decay (defaults β=(0.9, 0.95), eps=1e-8, wd=0.01)', () => {
    const opt = new AdamW();
    const p = Float32Array.from([1.0]);
    const hist: number[] = [];
    for (const g of [0.1, 0.3, -0.2]) {
      opt.step(new Map([['w', p]]), new Map([['w', Float32Array.from([g])]]), 0.01);
      hist.push(p[0]!);
    }
    // step 1 unrolled: decay first (×(1 − 0.01·0.01)), then m = 0.01, v = 0.0005,
    // p −= (0.01/0.1) · m / (√v/√0.05 + 1e-8)
    const decayed = 1.0 * (1 - 0.01 * 0.01);
    const p1 = decayed - (0.01 / 0.1) * (0.01 / (Math.sqrt(0.0005) / Math.sqrt(0.05) + 1e-8));
    close(hist[0]!, p1, 3e-7, 'step 1');
    close(p1, 0.9899000009999999, 1e-15);
    close(hist[1]!, 0.9807140900048695, 3e-7, 'step 2');
    close(hist[2]!, 0.9780502412717078, 3e-7, 'step 3');
  });

  it('puts eps after the bias correction (differs from HF for gradients of order eps)', () => {
    const opt = new AdamW({ weightDecay: 0.1 });
    const p = Float32Array.from([-0.5]);
    const hist: number[] = [];
    for (const g of [-2e-6, 1e-6, 3e-6]) {
      opt.step(new Map([['w', p]]), new Map([['w', Float32Array.from([g])]]), 0.01);
      hist.push(p[0]!);
    }
    close(hist[0]!, -0.4895497512437811, 3e-7);
    close(hist[1]!, -0.48639350394026887, 3e-7);
    close(hist[2]!, -0.4897482597815965, 3e-7);
  });

  it('keeps moments for every entry of a dense parameter and round-trips its state', () => {
    const a = new AdamW();
    const p = new Float32Array(12).map((_, i) => i / 10);
    const g = (s: number) => new Float32Array(12).map((_, i) => Math.sin(i * s));
    a.step(new Map([['w', p]]), new Map([['w', g(1)]]), 1e-3);
    assert.equal(a.stateBytes(), 12 * 8);
    const b = new AdamW({ weightDecay: 0 });
    b.load(a.state());
    const q = p.slice();
    for (let s = 2; s < 5; s++) {
      a.step(new Map([['w', p]]), new Map([['w', g(s)]]), 1e-3);
      b.step(new Map([['w', q]]), new Map([['w', g(s)]]), 1e-3);
    }
    assert.deepEqual(q, p);
    assert.deepEqual(b.state(), a.state());
  });

  it('remaps like sparse-adam; an all-entries remap of a dense parameter changes nothing', () => {
    const opt = new AdamW();
    const p = Float32Array.from([1, 2, 3]);
    opt.step(new Map([['w', p]]), new Map([['w', Float32Array.from([0.1, 0.2, 0.3])]]), 1e-3);
    const before = opt.state();
    const all = Int32Array.from([0, 1, 2]);
    opt.remap('w', all, all);
    assert.deepEqual(opt.state(), before);
    opt.remap('w', all, Int32Array.from([2, 5]));
    assert.deepEqual(Array.from(opt.state().params.w!.buffers.m!), [before.params.w!.buffers.m![2]!, 0]);
    assert.throws(() => opt.remap('w', all, all), /3 old indices but its state has 2/);
  });

  it('is registered as adamw with PyTorch defaults, built from the options it declares', () => {
    const reg = new Registry();
    register(reg);
    assert.deepEqual(reg.optimizerNames(), ['adamw']);
    // the fragment documents PyTorch's defaults (and the reference's betas)
    assert.deepEqual(
      Object.fromEntries(Object.entries(ADAMW_OPTIONS).map(([k, v]) => [k, v.default])),
      { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.01 },
    );
    const opt = reg.optimizer('adamw', { betas: [0.8, 0.99], eps: 1e-7, weightDecay: 0.2, lr: 3, rank: 4 });
    assert.ok(opt instanceof AdamW);
    assert.deepEqual(opt.hyperparameters, { beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 0.2 });
  });

  it('takes its hyperparameters from the resolved method options', () => {
    const reg = registerBuiltins(new Registry());
    assert.deepEqual((reg.resolve('full', {}).optimizer as AdamW).hyperparameters, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 });
    assert.equal((reg.resolve('full', { weightDecay: 0 }).optimizer as AdamW).hyperparameters.weightDecay, 0);
    assert.deepEqual((reg.resolve('lora', { betas: [0.5, 0.6], eps: 1e-3 }).optimizer as AdamW).hyperparameters, { beta1: 0.5, beta2: 0.6, eps: 1e-3, weightDecay: 0 });
    for (const [options, path] of [
      [{ weightDecay: -0.1 }, '/method/options/weightDecay'],
      [{ eps: 0 }, '/method/options/eps'],
      [{ betas: [0.9, 1] }, '/method/options/betas/1'],
    ] as const) {
      assert.throws(() => reg.resolve('full', options), (e: unknown) => e instanceof ConfigError && e.violations.map((v) => v.path).join() === path, JSON.stringify(options));
    }
  });
});

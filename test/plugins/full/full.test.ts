import { strict as assert } from 'node:assert';
import type { Tensor } from '../../../src/core/tensor.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { register as registerAdamW } from '../../../src/plugins/adamw/index.js';
import { register as registerDense } from '../../../src/plugins/dense/index.js';
import { FULL_METHOD, register } from '../../../src/plugins/full/index.js';

/** One PyTorch AdamW step from zero moments (t = 1), in float64: decay first, then the bias-corrected update. */
function torchAdamWStep1(p: number, g: number, lr: number, b1: number, b2: number, eps: number, wd: number): number {
  const m = (1 - b1) * g;
  const v = (1 - b2) * g * g;
  return p * (1 - lr * wd) - (lr / (1 - b1)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2) + eps));
}

describe('full method', () => {
  function registry(): Registry {
    const reg = new Registry();
    registerDense(reg);
    registerAdamW(reg);
    register(reg);
    return reg;
  }

  it('registers full = dense + adamw (no mask strategy) with lr 5e-5 and weight decay 0.01', () => {
    const reg = registry();
    const { description, ...rest } = reg.method('full');
    assert.equal(reg.method('full'), FULL_METHOD);
    assert.deepEqual(rest, { name: 'full', parametrization: 'dense', optimizer: 'adamw', defaults: { lr: 5e-5, weightDecay: 0.01 } });
    assert.equal(typeof description, 'string');
    assert.deepEqual(reg.strategyNames(), [], 'full registers no strategy');
    const r = reg.resolve('full', {});
    assert.equal(r.strategy, undefined);
    assert.equal(r.parametrization.name, 'dense');
    assert.deepEqual(r.options, {
      lr: 5e-5,
      targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      betas: [0.9, 0.95],
      eps: 1e-8,
      weightDecay: 0.01,
    });
  });

  it('trains every entry of the weight: one resolved step is a PyTorch AdamW step on all of W', async () => {
    const reg = registry();
    const r = reg.resolve('full', { lr: 1e-2 });
    const [rows, cols] = [3, 4];
    const w0 = Float32Array.from({ length: rows * cols }, (_, i) => (i - 5) / 7);
    const weight = w0.slice();
    const target = await r.parametrization.create({ name: 'layer.q.weight', rows, cols, weight }, r.options, { maskRng: new Rng(0), initRng: new Rng(1) });
    assert.equal(target.mask, undefined, 'dense training has no mask');
    assert.equal(target.structureBytes(), 0);
    const vectors = target.vectors();
    assert.deepEqual([...vectors.keys()], ['layer.q.weight']);
    assert.equal(vectors.get('layer.q.weight'), weight, 'the vector is the run\'s master W itself');

    const dW = Float32Array.from({ length: rows * cols }, (_, i) => Math.cos(i) * 0.1);
    const grads = target.fromDenseGradient!(dW);
    r.optimizer.step(vectors, grads, r.options.lr as number);
    for (let i = 0; i < rows * cols; i++) {
      const want = torchAdamWStep1(w0[i]!, dW[i]!, 1e-2, 0.9, 0.95, 1e-8, 0.01);
      assert.ok(Math.abs(weight[i]! - want) < 1e-6, `entry ${i}: got ${weight[i]}, want ${want}`);
    }
    assert.deepEqual(target.merged().data, weight);
    assert.notEqual(target.merged().data, weight, 'merged() is a copy');
  });

  it('checkpoints W under its own name and restores it', async () => {
    const reg = registry();
    const r = reg.resolve('full', {});
    const weight = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const target = await r.parametrization.create({ name: 'w', rows: 2, cols: 3, weight }, r.options, { maskRng: new Rng(0), initRng: new Rng(0) });
    const saved = target.checkpoint();
    assert.deepEqual([...saved.keys()], ['w']);
    assert.deepEqual(saved.get('w')!.shape, [2, 3]);
    const snapshot = Float32Array.from(saved.get('w')!.data as Float32Array);
    weight.fill(0);
    target.restore((key, length) => {
      assert.deepEqual([key, length], ['w', 6]);
      return snapshot;
    });
    assert.deepEqual(Array.from(weight), [1, 2, 3, 4, 5, 6]);

    // each binding feeds the current W under the parameter name
    const feeds: Record<string, Tensor> = {};
    target.bind({ inputsInPlace: false }).feed(feeds);
    assert.deepEqual(Object.keys(feeds), ['w']);
    assert.equal(feeds.w!.data, weight);
    assert.deepEqual(feeds.w!.shape, [2, 3]);
  });
});

import { strict as assert } from 'node:assert';
import type { HostAdapter } from '../../../src/core/contracts.js';
import { Rng } from '../../../src/core/rng.js';
import { type Tensor, tensor } from '../../../src/core/tensor.js';
import { HostSparseTuner } from '../../../src/core/training/host-tuner.js';
import { defaultRegistry } from '../../../src/index.js';

/**
 * A host framework in plain JS: linear regression Y = X·Wᵀ with its own forward and backward.
 * The plugin sees it only through the HostAdapter contract.
 */
class LinearRegressionHost implements HostAdapter {
  w: Tensor<'float32'>;
  private grad = new Float32Array(0);
  constructor(
    readonly x: Float32Array,
    readonly y: Float32Array,
    readonly n: number,
    readonly inDim: number,
    readonly outDim: number,
    w0: Float32Array,
  ) {
    this.w = tensor('float32', [outDim, inDim], w0);
  }
  parameterNames() {
    return ['linear.weight'];
  }
  read() {
    return this.w;
  }
  write(_: string, v: Tensor<'float32'>) {
    this.w = tensor('float32', [this.outDim, this.inDim], Float32Array.from(v.data));
  }
  gradient() {
    return this.grad;
  }
  /** Mean squared error and its exact gradient dL/dW = (2/(N·out))·(XWᵀ − Y)ᵀX. */
  backward(): number {
    const { n, inDim, outDim, x, y } = this;
    const w = this.w.data;
    const g = new Float32Array(outDim * inDim);
    let loss = 0;
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < outDim; o++) {
        let pred = 0;
        for (let i = 0; i < inDim; i++) pred += x[s * inDim + i]! * w[o * inDim + i]!;
        const r = pred - y[s * outDim + o]!;
        loss += r * r;
        for (let i = 0; i < inDim; i++) g[o * inDim + i]! += (2 / (n * outDim)) * r * x[s * inDim + i]!;
      }
    }
    this.grad = g;
    return loss / (n * outDim);
  }
}

function problem(seed: number) {
  const rng = new Rng(seed);
  const n = 64;
  const inDim = 24;
  const outDim = 16;
  const target = Float32Array.from({ length: outDim * inDim }, () => rng.normal());
  const x = Float32Array.from({ length: n * inDim }, () => rng.normal());
  const y = new Float32Array(n * outDim);
  for (let s = 0; s < n; s++) for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) y[s * outDim + o]! += x[s * inDim + i]! * target[o * inDim + i]!;
  const w0 = Float32Array.from({ length: outDim * inDim }, () => rng.normal() * 0.5);
  return new LinearRegressionHost(x, y, n, inDim, outDim, w0);
}

describe('HostSparseTuner: LIFT for a host training framework', () => {
  it('trains only the masked entries and lowers the host loss', async () => {
    const host = problem(1);
    const w0 = Float32Array.from(host.w.data);
    const tuner = new HostSparseTuner(defaultRegistry(), { method: 'lift', options: { rank: 2, filterRank: 4, interval: 0 } });
    await tuner.init(host);
    const mask = tuner.masks().get('linear.weight')!;
    assert.equal(mask.length, (16 + 24) * 2);
    const first = host.backward();
    let last = first;
    for (let s = 0; s < 60; s++) {
      await tuner.step(host, 0.05);
      last = host.backward();
    }
    assert.ok(last < 0.8 * first, `loss ${first} → ${last}`);
    const inMask = new Set(mask);
    let moved = 0;
    host.w.data.forEach((v, i) => {
      if (inMask.has(i)) moved += v !== w0[i] ? 1 : 0;
      else assert.equal(v, w0[i], `entry ${i} outside the mask changed`);
    });
    assert.ok(moved > mask.length / 2);
    assert.equal(tuner.stateBytes(), 2 * 4 * mask.length);
  });

  it('refreshes masks on the method interval', async () => {
    const host = problem(2);
    const tuner = new HostSparseTuner(defaultRegistry(), { method: 'magnitude', options: { rank: 1, interval: 3 } });
    await tuner.init(host);
    const flags: boolean[] = [];
    for (let s = 0; s < 6; s++) {
      host.backward();
      flags.push((await tuner.step(host, 0.05)).refreshed);
    }
    assert.deepEqual(flags, [false, false, true, false, false, true]);
  });

  it('drives a dense method too: full fine-tuning moves every entry and lowers the loss', async () => {
    const host = problem(3);
    const w0 = Float32Array.from(host.w.data);
    const tuner = new HostSparseTuner(defaultRegistry(), { method: 'full', options: { lr: 0.05, weightDecay: 0 } });
    await tuner.init(host);
    assert.equal(tuner.trainableParams(), 16 * 24);
    assert.equal(tuner.masks().size, 0);
    const first = host.backward();
    for (let s = 0; s < 30; s++) {
      await tuner.step(host, 0.05);
      host.backward();
    }
    assert.ok(host.backward() < 0.5 * first);
    assert.equal(host.w.data.filter((v, i) => v !== w0[i]).length, 16 * 24);
  });

  it('refuses LoRA at init, naming its parametrization: its gradients need the training graph', async () => {
    const tuner = new HostSparseTuner(defaultRegistry(), { method: 'lora', options: { rank: 2 } });
    await assert.rejects(tuner.init(problem(4)), /parametrization 'lora' needs a training graph/);
  });

  it("validates its options with the method's schema, as a run's are, listing every violation with its path", () => {
    assert.throws(
      () => new HostSparseTuner(defaultRegistry(), { method: 'lift', options: { filterRank: 0, rnak: 3 } }),
      (e: unknown) => {
        const paths = (e as { violations?: { path: string }[] }).violations?.map((v) => v.path).sort();
        assert.deepEqual(paths, ['/options/filterRank', '/options/rnak']);
        return true;
      },
    );
  });
});

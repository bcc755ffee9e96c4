/**
 * A method core has never seen, written here as a host app would: a sparse-plus-low-rank
 * parametrization (W' = W with k entries trained + (1/r)·B·A), its options fragment, the
 * magnitude strategy for its mask and AdamW for all three vectors, registered from outside the
 * package and trained end to end through the Trainer and through the host tuner.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HostTuner,
  Trainer,
  createLift,
  defaultRegistry,
  gatherValues,
  ops,
  scatterValues,
  selectMask,
  tensor,
  type BackendCapabilities,
  type GraphBinding,
  type HostAdapter,
  type MethodOptions,
  type Parametrization,
  type ParametrizationContext,
  type Tensor,
  type TargetWeight,
  type TrainableTarget,
} from '../../../src/index.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';
import { FIXTURE_RECORDS, RecordingStore, fixtureData, meanLoss, smallRun, tinyWeights } from '../../helpers/trainer-fixture.js';

interface HybridOptions {
  density: number;
  lowRank: number;
}

/** W' = W + scatter of k trained values (written over W at the mask) + scale·B·A, B = 0 at init. */
class HybridTarget implements TrainableTarget {
  values: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly scale: number;

  constructor(
    readonly name: string,
    readonly rows: number,
    readonly cols: number,
    readonly weight: Float32Array,
    readonly indices: Int32Array,
    readonly r: number,
    init: ParametrizationContext['initRng'],
  ) {
    this.values = gatherValues(weight, indices);
    this.a = Float32Array.from({ length: r * cols }, () => init.uniform(-0.1, 0.1));
    this.b = new Float32Array(rows * r);
    this.scale = 1 / r;
  }

  private names() {
    return { values: `${this.name}.hybrid_values`, a: `${this.name}.hybrid_A`, b: `${this.name}.hybrid_B`, mask: `${this.name}.hybrid_mask` };
  }

  vectors(): ReadonlyMap<string, Float32Array> {
    const n = this.names();
    return new Map([
      [n.values, this.values],
      [n.a, this.a],
      [n.b, this.b],
    ]);
  }

  bind(_layout: BackendCapabilities): GraphBinding {
    const n = this.names();
    return {
      label: 'hybrid',
      build: (io) => {
        const size = this.rows * this.cols;
        const flat = io.constant(io.name, tensor('float32', [this.rows, this.cols], this.weight), [size]);
        const idx = io.graph.initializer(`${io.name}.hybrid_idx`, tensor('int64', [this.indices.length], BigInt64Array.from(this.indices, BigInt)));
        const sparse = ops.reshape(ops.scatterElements(flat, idx, io.trainable(n.values, [this.indices.length]), 0), io.shape);
        const ba = ops.matmul(io.trainable(n.b, [this.rows, this.r]), io.trainable(n.a, [this.r, this.cols]));
        return ops.add(sparse, ops.mul(ba, ops.scalar(io.graph, this.scale, io.dtype)));
      },
      gradients: (gradOf) => new Map([n.values, n.a, n.b].map((v) => [v, gradOf(v)])),
      feed: (feeds) => {
        feeds[n.values] = tensor('float32', [this.indices.length], this.values);
        feeds[n.a] = tensor('float32', [this.r, this.cols], this.a);
        feeds[n.b] = tensor('float32', [this.rows, this.r], this.b);
      },
    };
  }

  /** scale·B·A as a flat [rows·cols] array. */
  private lowRank(): Float64Array {
    const out = new Float64Array(this.rows * this.cols);
    for (let i = 0; i < this.rows; i++)
      for (let t = 0; t < this.r; t++) {
        const c = this.scale * this.b[i * this.r + t]!;
        for (let j = 0; j < this.cols; j++) out[i * this.cols + j]! += c * this.a[t * this.cols + j]!;
      }
    return out;
  }

  merged(): Tensor<'float32'> {
    const out = Float32Array.from(this.weight);
    scatterValues(out, this.indices, this.values);
    const lr = this.lowRank();
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + lr[i]!;
    return tensor('float32', [this.rows, this.cols], out);
  }

  checkpoint(): Map<string, Tensor> {
    const n = this.names();
    const w = Float32Array.from(this.weight);
    scatterValues(w, this.indices, this.values);
    return new Map<string, Tensor>([
      [this.name, tensor('float32', [this.rows, this.cols], w)],
      [n.a, tensor('float32', [this.r, this.cols], this.a)],
      [n.b, tensor('float32', [this.rows, this.r], this.b)],
    ]);
  }

  restore(need: (key: string, length: number) => Tensor['data']): void {
    const n = this.names();
    this.weight.set(need(this.name, this.weight.length) as Float32Array);
    this.values = gatherValues(this.weight, this.indices);
    this.a.set(need(n.a, this.a.length) as Float32Array);
    this.b.set(need(n.b, this.b.length) as Float32Array);
  }

  structureBytes(): number {
    return this.indices.byteLength;
  }

  /** The chain rule from dL/dW': the values' gradient is dW' at the mask, dB = scale·dW'·Aᵀ, dA = scale·Bᵀ·dW'. */
  fromDenseGradient(dW: Float32Array): Map<string, Float32Array> {
    const { rows, cols, r, scale } = this;
    const da = new Float32Array(r * cols);
    const db = new Float32Array(rows * r);
    for (let i = 0; i < rows; i++)
      for (let t = 0; t < r; t++) {
        let s = 0;
        for (let j = 0; j < cols; j++) {
          s += dW[i * cols + j]! * this.a[t * cols + j]!;
          da[t * cols + j]! += scale * this.b[i * r + t]! * dW[i * cols + j]!;
        }
        db[i * r + t] = scale * s;
      }
    const n = this.names();
    return new Map([
      [n.values, gatherValues(dW, this.indices)],
      [n.a, da],
      [n.b, db],
    ]);
  }

  /** The host holds W'; the frozen part is W' − scale·B·A. */
  syncFromHost(current: Float32Array): void {
    const lr = this.lowRank();
    for (let i = 0; i < current.length; i++) this.weight[i] = current[i]! - lr[i]!;
    this.values = gatherValues(this.weight, this.indices);
  }
}

const hybrid: Parametrization = {
  name: 'sparse-plus-low-rank',
  needsStrategy: true,
  options: {
    density: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.02, description: 'Share of entries that train.' },
    lowRank: { type: 'integer', minimum: 1, default: 2, description: 'Rank of the low-rank term.' },
  },
  async create(target: TargetWeight, options: MethodOptions, ctx: ParametrizationContext): Promise<TrainableTarget> {
    const o = options as unknown as HybridOptions;
    const k = Math.max(1, Math.round(o.density * target.rows * target.cols));
    const indices = await selectMask(ctx.strategy!, target.name, target.weight, target.rows, target.cols, k, { rng: ctx.maskRng, step: 0 });
    return new HybridTarget(target.name, target.rows, target.cols, target.weight, indices, o.lowRank, ctx.initRng);
  },
};

function hostRegistry() {
  const registry = defaultRegistry();
  registry.registerParametrization(hybrid);
  registry.registerMethod({ name: 'splora', parametrization: 'sparse-plus-low-rank', strategy: 'magnitude', optimizer: 'adamw', defaults: { lr: 1e-2, weightDecay: 0, interval: 0 } });
  return registry;
}

describe('a host-registered method core has never seen (sparse + low-rank)', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'lift-custom-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('its options schema is composed from its fragment, the strategy\'s and the optimizer\'s, and validated', () => {
    const registry = hostRegistry();
    assert.deepEqual(Object.keys(registry.methodSchema('splora').properties).sort(), ['betas', 'density', 'eps', 'interval', 'lowRank', 'lr', 'refreshAt', 'selection', 'targetModules', 'weightDecay']);
    assert.equal(registry.resolve('splora').options.lowRank, 2);
    assert.throws(() => registry.resolve('splora', { lowRank: 0 }), /\/method\/options\/lowRank/);
  });

  it('trains end to end through the Trainer: the loss drops, and counts and checkpoints are its own', async () => {
    const data = await fixtureData();
    const store = new RecordingStore();
    const trainer = (await createLift({ registry: hostRegistry(), store })).get(Trainer);
    const steps = 2 * (FIXTURE_RECORDS / 4);
    const run = smallRun({ method: 'splora', options: { density: 0.02, lowRank: 2 }, lr: 1e-2, steps, dir: join(tmp, 'trainer'), checkpointEvery: steps });
    const r = await trainer.train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
    const epoch = FIXTURE_RECORDS / 4;
    assert.ok(meanLoss(r.losses, steps - epoch + 1, steps) < meanLoss(r.losses, 1, epoch) - 0.05, 'the second epoch has a clearly lower loss');
    // k entries + r·(m+n) factor entries per target matrix, summed over the tiny model's targets
    let expected = 0;
    let maskBytes = 0;
    for (const [name, w] of tinyWeights()) {
      if (!/_proj\.weight$/.test(name)) continue;
      const [m, n] = w.shape as [number, number];
      const k = Math.max(1, Math.round(0.02 * m * n));
      expected += k + 2 * (m + n);
      maskBytes += 4 * k;
    }
    assert.equal(r.trainableParams, expected);
    assert.equal(r.maskBytes, maskBytes);
    assert.equal(r.optimizerStateBytes, 2 * 4 * expected);
    const saved = store.targetSaves().at(-1)!;
    assert.ok([...saved.keys()].some((k) => k.endsWith('.hybrid_A')), 'the checkpoint holds the parametrization\'s own tensors');
  });

  it("trains through the host tuner from the host's dense gradients: the host's loss drops", async () => {
    // The host: one linear layer y = x·W'ᵀ with squared error, its own forward and backward.
    const m = 12;
    const n = 20;
    const samples = 40;
    const w = new Float32Array(m * n).map((_, i) => Math.sin(i) * 0.5);
    const x = new Float32Array(samples * n).map((_, i) => Math.cos(3 * i));
    const y = new Float32Array(samples * m).map((_, i) => Math.sin(5 * i));
    let grad = new Float32Array(m * n);
    const host: HostAdapter & { backward(): number } = {
      parameterNames: () => ['layer.weight'],
      read: () => tensor('float32', [m, n], w),
      write: (_name, v) => w.set(v.data),
      gradient: () => grad,
      backward() {
        grad = new Float32Array(m * n);
        let loss = 0;
        for (let s = 0; s < samples; s++)
          for (let o = 0; o < m; o++) {
            let p = 0;
            for (let i = 0; i < n; i++) p += x[s * n + i]! * w[o * n + i]!;
            const r = p - y[s * m + o]!;
            loss += r * r / (samples * m);
            for (let i = 0; i < n; i++) grad[o * n + i]! += (2 / (samples * m)) * r * x[s * n + i]!;
          }
        return loss;
      },
    };
    const tuner = new HostTuner(hostRegistry(), { method: 'splora', options: { density: 0.1, lowRank: 3 } });
    await tuner.init(host);
    assert.equal(tuner.trainableParams(), Math.round(0.1 * m * n) + 3 * (m + n));
    const first = host.backward();
    for (let s = 0; s < 40; s++) {
      await tuner.step(host, 0.02);
      host.backward();
    }
    const last = host.backward();
    assert.ok(last < 0.7 * first, `loss ${first} → ${last}`);
  });
});

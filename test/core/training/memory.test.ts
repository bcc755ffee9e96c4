import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS } from '../../../bench/models.js';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { loadModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { encodeTensors } from '../../../src/adapters/huggingface/safetensors-codec.js';
import { Trainer, createLift, defaultRegistry } from '../../../src/index.js';
import { MemoryCheckpointStore } from '../../../src/core/training/memory-checkpoints.js';
import { AUTO_RECOMPUTE_MIN_BYTES, activationBytes, resolveRecompute } from '../../../src/core/training/recompute-policy.js';
import { recomputeOf } from '../../../src/core/training/trainer.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';
import { RecordingStore, firstBitDifference, fixtureData, smallRun, tinyTargets, tinyWeights } from '../../helpers/trainer-fixture.js';
import { validateRunConfig } from '../../../src/core/config/validate.js';
import { Registry } from '../../../src/core/registry.js';
import { Rng } from '../../../src/core/rng.js';
import { type PortableRef, type TaskPool, loadPortable } from '../../../src/core/tasks.js';
import { tensor } from '../../../src/core/tensor.js';
import { createTargets } from '../../../src/core/training/targets.js';
import { registerBuiltins } from '../../../src/plugins/index.js';

const base = { model: 'm', data: { train: 't.jsonl' }, method: { name: 'lora' } };

describe('training memory options', () => {
  it("run config: recompute is 'auto' by default, takes 'layers' and 'none', refuses anything else", () => {
    assert.equal(validateRunConfig(base).recompute, 'auto');
    assert.equal(validateRunConfig({ ...base, recompute: 'layers' }).recompute, 'layers');
    assert.equal(validateRunConfig({ ...base, recompute: 'none' }).recompute, 'none');
    assert.throws(() => validateRunConfig({ ...base, recompute: 'all' }), /recompute/);
  });

  it("recompute 'auto': 'layers' for the bench models' parameter-efficient steps, 'none' for full fine-tuning and the fixture model's, decided at 256 MiB of activations", () => {
    const fixture = loadModelDir('fixtures/model').config;
    // the bench runs: bench-29m at 4 × 256 tokens, the 135M shape at 1 × 256
    for (const m of [MODELS.bench!, MODELS.smol!]) {
      assert.ok(activationBytes(m.config, m.batch, m.seq) >= AUTO_RECOMPUTE_MIN_BYTES, m.name);
      assert.equal(resolveRecompute('auto', m.config, m.batch, m.seq), 'layers', m.name);
    }
    // the fixture model: the regression runs (batch 4, maxLength 96), compare's batch 8 at the default maxLength 256
    assert.equal(resolveRecompute('auto', fixture, 4, 96), 'none');
    assert.equal(resolveRecompute('auto', fixture, 8, 256), 'none');
    // the two sides of the threshold on one model: twice the tokens cross it
    assert.ok(activationBytes(fixture, 8, 256) < AUTO_RECOMPUTE_MIN_BYTES);
    assert.ok(activationBytes(fixture, 16, 256) >= AUTO_RECOMPUTE_MIN_BYTES);
    assert.equal(resolveRecompute('auto', fixture, 16, 256), 'layers');
    // a run that trains every weight keeps its activations: its gradients and moments dominate the peak
    for (const m of [MODELS.bench!, MODELS.smol!]) {
      assert.equal(resolveRecompute('auto', m.config, m.batch, m.seq, 0.05), 'layers', m.name);
      assert.equal(resolveRecompute('auto', m.config, m.batch, m.seq, 1), 'none', m.name);
      assert.equal(resolveRecompute('layers', m.config, m.batch, m.seq, 1), 'layers', m.name);
    }
    // explicit values are kept whatever the size
    assert.equal(resolveRecompute('none', MODELS.smol!.config, 1, 256), 'none');
    assert.equal(resolveRecompute('layers', fixture, 1, 8), 'layers');
    // the trainer decides from the run's batchSize and data.maxLength
    const run = (batchSize: number, recompute?: string) => validateRunConfig({ ...base, batchSize, data: { train: 't.jsonl', maxLength: 256 }, ...(recompute ? { recompute } : {}) });
    assert.equal(recomputeOf({ run: run(8), model: { config: fixture, weights: new Map() } }), 'none');
    assert.equal(recomputeOf({ run: run(16), model: { config: fixture, weights: new Map() } }), 'layers');
    assert.equal(recomputeOf({ run: run(16, 'none'), model: { config: fixture, weights: new Map() } }), 'none');
  });

  it("no second copy of a frozen weight: LoRA's targets read the caller's W, full and LIFT own a master copy", async () => {
    const registry = registerBuiltins(new Registry());
    const source = tensor('float32', [6, 4], Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2));
    const specs = [{ name: 'model.layers.0.mlp.up_proj.weight', rows: 6, cols: 4, source }];
    const weightOf = async (method: string, options: Record<string, unknown>) => {
      const r = registry.resolve(method, options);
      const [t] = await createTargets(specs, r.parametrization, r.options, {
        ...(r.strategy ? { strategy: r.strategy } : {}),
        maskRng: new Rng(1),
        initRng: new Rng(2),
      });
      return (t as unknown as { weight: Float32Array }).weight;
    };
    assert.equal(await weightOf('lora', { rank: 2 }), source.data);
    const full = await weightOf('full', {});
    assert.notEqual(full, source.data);
    assert.deepEqual(full, source.data);
    assert.notEqual(await weightOf('magnitude', { rank: 1 }), source.data);
  });

  it('the in-place sparse layout feeds each mask as the int32 array the target holds, with no int64 mirror', async () => {
    const registry = registerBuiltins(new Registry());
    const source = tensor('float32', [6, 4], Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2));
    const specs = [{ name: 'model.layers.0.mlp.up_proj.weight', rows: 6, cols: 4, source }];
    const r = registry.resolve('magnitude', { rank: 1 });
    const [t] = await createTargets(specs, r.parametrization, r.options, { strategy: r.strategy!, maskRng: new Rng(1), initRng: new Rng(2) });
    const feeds: Record<string, { dtype: string; data: unknown }> = {};
    t!.bind({ inputsInPlace: true }).feed!(feeds as never);
    const fed = feeds[`${specs[0]!.name}.indices`]!;
    assert.equal(fed.dtype, 'int32');
    assert.equal(fed.data, t!.mask!());
  });

  it('adoptWeights: every target takes the caller\'s array as its master', async () => {
    const registry = registerBuiltins(new Registry());
    const source = tensor('float32', [6, 4], Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2));
    const specs = [{ name: 'model.layers.0.mlp.up_proj.weight', rows: 6, cols: 4, source }];
    for (const [method, options] of [['full', {}], ['magnitude', { rank: 1 }], ['lora', { rank: 2 }]] as const) {
      const r = registry.resolve(method, options);
      const [t] = await createTargets(specs, r.parametrization, r.options, {
        ...(r.strategy ? { strategy: r.strategy } : {}),
        maskRng: new Rng(1),
        initRng: new Rng(2),
        adoptWeights: true,
      });
      assert.equal((t as unknown as { weight: Float32Array }).weight, source.data, method);
    }
  });

  describe('the trainer with and without adopted weights', function () {
    this.timeout(180_000);
    let tmp: string;
    before(() => (tmp = mkdtempSync(join(tmpdir(), 'lift-adopt-'))));
    after(() => rmSync(tmp, { recursive: true, force: true }));

    const runs: [string, Record<string, unknown>, number][] = [
      ['lift', { rank: 2, filterRank: 4, interval: 3 }, 1e-2],
      ['full', {}, 1e-3],
    ];
    for (const [method, options, lr] of runs) {
      for (const inputsInPlace of [true, false]) {
        it(`${method}, ${inputsInPlace ? 'in place' : 'device'} layout: adopted masters are the caller's arrays and train bit for bit as the copies do; without, the caller's weights stay`, async () => {
          const data = await fixtureData();
          const train = async (adoptWeights: boolean, weights: Map<string, Tensor<'float32'>>) => {
            const registry = defaultRegistry();
            registry.registerBackend('adopt-under-test', new OnnxRuntimeBackend({ executionProvider: 'cpu', inputsInPlace }));
            const trainer = (await createLift({ registry, backends: ['adopt-under-test'], store: new RecordingStore() })).get(Trainer);
            const run = smallRun({ method, options, lr, steps: 5, dir: join(tmp, `${method}-${inputsInPlace}-${adoptWeights}`) });
            return trainer.train({ run, model: { config: TINY_CONFIG, weights }, train: data.examples, padTokenId: data.padTokenId, adoptWeights });
          };
          const copied = tinyWeights();
          const before = new Map([...copied].map(([k, t]) => [k, t.data.slice()]));
          const c = await train(false, copied);
          assert.equal(c.weightsAdopted, false);
          for (const [k, t] of copied) assert.equal(firstBitDifference(t.data, before.get(k)!), -1, `${k} changed without adoption`);
          const adopted = tinyWeights();
          const a = await train(true, adopted);
          assert.equal(a.weightsAdopted, true);
          assert.deepEqual(a.losses, c.losses);
          const wa = a.weights();
          const wc = c.weights();
          let trained = 0;
          for (const { name } of tinyTargets()) {
            assert.equal(wa.get(name)!.data, adopted.get(name)!.data, `${name}: the result is the caller's array`);
            assert.notEqual(wc.get(name)!.data, copied.get(name)!.data, name);
            assert.equal(firstBitDifference(wa.get(name)!.data, wc.get(name)!.data), -1, `${name}: adopted and copied runs differ`);
            if (firstBitDifference(wc.get(name)!.data, before.get(name)!) >= 0) trained++;
          }
          assert.equal(trained, tinyTargets().length);
        });
      }
    }
  });

  it('a checkpoint kept in memory does not change when training continues (the trainer hands the store views of the live run)', async function () {
    this.timeout(120_000);
    const data = await fixtureData();
    const store = new MemoryCheckpointStore();
    const trainer = new Trainer(defaultRegistry(), new OnnxRuntimeBackend({ executionProvider: 'cpu' }), store);
    const run = smallRun({ method: 'lift', options: { rank: 2, filterRank: 4, interval: 0 }, lr: 1e-2, steps: 4, dir: 'memory-run' });
    const weights = tinyWeights();
    await trainer.train({ run, model: { config: TINY_CONFIG, weights }, train: data.examples, padTokenId: data.padTokenId, stopAfterStep: 2, adoptWeights: true });
    const kept = store.latest('memory-run')!;
    assert.equal(kept.state.step, 2);
    const name = tinyTargets()[0]!.name;
    assert.notEqual(kept.tensors.get(name)!.data, weights.get(name)!.data);
    const bytes = (d: ArrayBufferView) => Buffer.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    const snapshot = new Map([...kept.tensors].map(([k, t]) => [k, bytes(t.data)]));
    const moments = Object.entries(kept.optimizer.params).flatMap(([p, st]) => Object.entries(st.buffers).map(([b, d]) => [`${p}::${b}`, d, bytes(d)] as const));
    assert.ok(moments.length > 0);
    await trainer.train({ run, model: { config: TINY_CONFIG, weights }, train: data.examples, padTokenId: data.padTokenId, resume: true, adoptWeights: true });
    assert.equal(store.latest('memory-run')!.state.step, 4);
    for (const [k, t] of kept.tensors) assert.deepEqual(bytes(t.data), snapshot.get(k), k);
    for (const [k, d, was] of moments) assert.deepEqual(bytes(d), was, k);
    const after = store.latest('memory-run')!.tensors.get(name)!.data as Float32Array;
    assert.ok(firstBitDifference(after, kept.tensors.get(name)!.data as Float32Array) >= 0, 'training continued');
  });

  it('pooled mask selections run at most two per pool thread at a time (each holds a copy of its matrix), with the inline masks', async () => {
    const registry = registerBuiltins(new Registry());
    const r = registry.resolve('magnitude', { rank: 1 });
    const rng = new Rng(5);
    const specs = Array.from({ length: 9 }, (_, i) => ({
      name: `model.layers.${i}.mlp.up_proj.weight`,
      rows: 6,
      cols: 4,
      source: tensor('float32', [6, 4], Float32Array.from({ length: 24 }, () => rng.uniform(-0.5, 0.5))),
    }));
    let running = 0;
    let most = 0;
    let calls = 0;
    // a pool of one thread that runs the portable task on this thread, a little later
    const pool: TaskPool = {
      size: 1,
      minElements: 0,
      run: async <T>(call: PortableRef) => {
        calls++;
        most = Math.max(most, ++running);
        try {
          await new Promise((done) => setTimeout(done, 5));
          return (await loadPortable<(o: unknown) => Promise<T>>(call))(call.options);
        } finally {
          running--;
        }
      },
      dispose: async () => {},
    };
    const make = (withPool?: TaskPool) =>
      createTargets(specs, r.parametrization, r.options, { strategy: r.strategy!, maskRng: new Rng(1), initRng: new Rng(2), ...(withPool ? { pool: withPool } : {}) });
    const pooled = await make(pool);
    const inline = await make();
    assert.equal(calls, specs.length);
    assert.equal(most, 2);
    pooled.forEach((t, i) => assert.deepEqual(t.mask!(), inline[i]!.mask!(), t.name));
  });

  it("a sparse target's checkpoint holds its master W (no copy), with the same bytes as the merged copy", async () => {
    const registry = registerBuiltins(new Registry());
    const source = tensor('float32', [6, 4], Float32Array.from({ length: 24 }, (_, i) => (i % 7) - 3));
    const r = registry.resolve('magnitude', { rank: 1 });
    const [t] = await createTargets([{ name: 'model.layers.0.mlp.up_proj.weight', rows: 6, cols: 4, source }], r.parametrization, r.options, {
      strategy: r.strategy!,
      maskRng: new Rng(1),
      initRng: new Rng(2),
    });
    // a step of the device layout: the values change, W is not folded yet
    const values = t!.vectors().values().next().value!;
    for (let i = 0; i < values.length; i++) values[i]! += 0.5 + i;
    const merged = t!.merged();
    const previous = encodeTensors(new Map<string, Tensor>([...t!.checkpoint()].map(([k, v]) => [k, k === t!.name ? merged : v])));
    const ck = t!.checkpoint();
    assert.equal(ck.get(t!.name)!.data, (t as unknown as { weight: Float32Array }).weight);
    assert.deepEqual(concat(encodeTensors(ck)), concat(previous));
  });
});

function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

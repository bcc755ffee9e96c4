/**
 * Mask selection on worker threads (WorkerTaskPool, the onnxruntime-node backend's taskPool):
 * the masks are those of the calling thread bit for bit, whatever the number of threads (each
 * target's stream is forked in target order either way), on the exact and both randomized paths;
 * refreshes too; a worker's error arrives as the same typed error, the first target's in order;
 * a dead worker fails its call instead of hanging; an undisposed pool never holds the process.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { WorkerTaskPool } from '../../../src/adapters/workers/pool.js';
import { workerEnvRef } from '../../../src/adapters/backends/onnxruntime/worker-ops.js';
import type { MaskStrategy, TrainableTarget } from '../../../src/core/contracts.js';
import { BackendError, InvalidArgumentError } from '../../../src/core/errors.js';
import { BackendDenseOps } from '../../../src/core/linalg/backend-ops.js';
import { chooseSvd, GRAM_SKETCH_MIN } from '../../../src/core/linalg/svd.js';
import { Rng } from '../../../src/core/rng.js';
import type { TaskPool } from '../../../src/core/tasks.js';
import { tensor } from '../../../src/core/tensor.js';
import { type TargetSpec, createTargets, refreshTargets, targetMasks } from '../../../src/core/training/targets.js';
import { LiftStrategy } from '../../../src/plugins/lift/index.js';
import { MagnitudeStrategy } from '../../../src/plugins/magnitude/index.js';
import { RandomStrategy } from '../../../src/plugins/random/index.js';
import { sparseParametrization } from '../../../src/plugins/sparse/index.js';
import { SparseAdamW } from '../../../src/plugins/sparse-adam/index.js';
import { FailingStrategy } from './strategies.js';

/** Matrices with 12 strong directions over a flat noise bulk: the randomized W_r depends on the sketch. */
function specsOf(shapes: readonly [number, number][], seed: number): TargetSpec[] {
  const rng = new Rng(seed);
  return shapes.map(([rows, cols], i) => {
    const w = new Float32Array(rows * cols);
    for (let k = 1; k <= 12; k++) {
      const u = Array.from({ length: rows }, () => rng.normal());
      const v = Array.from({ length: cols }, () => rng.normal() / k);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c]! += u[r]! * v[c]!;
    }
    for (let j = 0; j < w.length; j++) w[j]! += rng.normal(); // a flat bulk under 12 strong directions: the sketch matters
    return { name: `model.layers.${i}.w`, rows, cols, source: tensor('float32', [rows, cols], w) };
  });
}

const SHAPES: [number, number][] = [
  [40, 30], // identity (rank ≥ smaller side: W itself)
  [120, 100], // randomized, Gram route (l = 54 + 10 ≥ GRAM_SKETCH_MIN)
  [90, 200], // randomized, Gram route, wide
  [72, 64], // exact (smaller side ≤ rank + oversampling)
];
/** Randomized SVD wherever the smaller side exceeds rank + oversampling. */
const LIFT = { filterRank: 54, oversampling: 10, powerIterations: 2, exactThreshold: 0 };
const SMALL_SKETCH: [number, number][] = [
  [60, 50], // randomized, plain route (l = 8 + 10 < GRAM_SKETCH_MIN)
  [50, 80],
];

const same = (a: Map<string, Int32Array>, b: Map<string, Int32Array>) => {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, v] of a) assert.ok(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength)), `mask of ${k} differs`);
};

/** The pool with a threshold of 0, so these small batches do go to the workers. */
const eager = (pool: TaskPool): TaskPool => ({ size: pool.size, minElements: 0, run: (c, t) => pool.run(c, t), dispose: () => pool.dispose() });

describe('mask selection on worker threads', function () {
  this.timeout(180_000);
  const backend = new OnnxRuntimeBackend({ taskThreads: 2 });
  const ops = new BackendDenseOps(backend);
  let pool: TaskPool;

  before(() => {
    pool = eager(backend.taskPool()!);
  });
  after(async () => {
    await ops.dispose();
    await backend.dispose();
  });

  const create = (specs: TargetSpec[], strategy: MaskStrategy, seed: number, withPool: TaskPool | undefined, rank = 2) => {
    const maskRng = new Rng(seed);
    return createTargets(specs, sparseParametrization, { rank }, { strategy, maskRng, initRng: new Rng(99), ops, ...(withPool ? { pool: withPool } : {}) }).then((t) => ({ targets: t, maskRng }));
  };

  it('the shapes take the paths they are meant to', () => {
    assert.deepEqual(SHAPES.map(([m, n]) => chooseSvd(m, n, LIFT.filterRank, LIFT)), ['identity', 'randomized', 'randomized', 'exact']);
    assert.deepEqual(SMALL_SKETCH.map(([m, n]) => chooseSvd(m, n, 8, { oversampling: 10, exactThreshold: 0 })), ['randomized', 'randomized']);
    assert.ok(LIFT.filterRank + LIFT.oversampling >= GRAM_SKETCH_MIN && 8 + 10 < GRAM_SKETCH_MIN);
  });

  it('LIFT masks on the pool are the inline masks bit for bit, on the exact and randomized paths, and use the same draws', async () => {
    const specs = specsOf(SHAPES, 1);
    const strategy = new LiftStrategy(LIFT);
    const inline = await create(specs, strategy, 7, undefined);
    const pooled = await create(specs, strategy, 7, pool);
    same(targetMasks(inline.targets), targetMasks(pooled.targets));
    // the run's stream moved on by the same forks
    assert.deepEqual(inline.maskRng.getState(), pooled.maskRng.getState());
    // and the randomized masks do depend on the stream (so the test would see a wrong one)
    const other = await create(specs, strategy, 8, undefined);
    assert.notDeepEqual([...targetMasks(other.targets).get('model.layers.1.w')!], [...targetMasks(inline.targets).get('model.layers.1.w')!]);
    assert.deepEqual([...targetMasks(other.targets).get('model.layers.0.w')!], [...targetMasks(inline.targets).get('model.layers.0.w')!]);
  });

  it('the same on the plain randomized route (narrow sketch), with a 3-thread pool and with the masks not depending on the thread count', async () => {
    const specs = specsOf([...SMALL_SKETCH, ...SMALL_SKETCH, [64, 48]], 2);
    const strategy = new LiftStrategy({ filterRank: 8, oversampling: 10, powerIterations: 2, exactThreshold: 0 });
    const three = new WorkerTaskPool({ size: 3, setup: workerEnvRef({}), minElements: 0 });
    try {
      const inline = await create(specs, strategy, 3, undefined);
      const two = await create(specs, strategy, 3, pool);
      const threeThreads = await create(specs, strategy, 3, three);
      same(targetMasks(inline.targets), targetMasks(two.targets));
      same(targetMasks(inline.targets), targetMasks(threeThreads.targets));
      assert.equal(three.started, 3);
    } finally {
      await three.dispose();
    }
  });

  it('magnitude masks too; a strategy that is not portable (random) runs inline from the run stream as before', async () => {
    const specs = specsOf(SHAPES, 3);
    same(targetMasks((await create(specs, new MagnitudeStrategy(), 1, undefined)).targets), targetMasks((await create(specs, new MagnitudeStrategy(), 1, pool)).targets));
    const random = new RandomStrategy();
    assert.equal((random as MaskStrategy).portable, undefined);
    const a = await create(specs, random, 5, pool);
    // sequential draws from the run's stream itself, no forks: what the run always drew
    const rng = new Rng(5);
    const b = await createTargets(specs, sparseParametrization, { rank: 2 }, { strategy: new RandomStrategy(), maskRng: rng, initRng: new Rng(99) });
    same(targetMasks(a.targets), targetMasks(b));
    assert.deepEqual(a.maskRng.getState(), rng.getState());
  });

  it('a refresh on the pool gives the inline masks, changed counts and optimizer state, applied in target order', async () => {
    const specs = specsOf(SHAPES, 4);
    const strategy = new LiftStrategy(LIFT);
    const run = async (withPool: TaskPool | undefined) => {
      const { targets } = await create(specs, strategy, 11, withPool);
      const optimizer = new SparseAdamW();
      const vectors = new Map<string, Float32Array>();
      for (const t of targets) for (const [k, v] of t.vectors()) vectors.set(k, v);
      const grads = new Map([...vectors].map(([k, v]) => [k, Float32Array.from(v, (x, i) => Math.sin(x * 31 + i))]));
      optimizer.step(vectors, grads, 0.5); // a large step so the masks move
      for (const t of targets) t.afterStep?.({ inputsInPlace: true });
      const order: string[] = [];
      const remap = optimizer.remap.bind(optimizer);
      optimizer.remap = (name, a, b) => {
        order.push(name);
        remap(name, a, b);
      };
      const rng = new Rng(21);
      const r = await refreshTargets(targets, { strategy, optimizer, rng, step: 1, ops, layout: { inputsInPlace: true }, ...(withPool ? { pool: withPool } : {}) });
      return { r, masks: targetMasks(targets), order, state: JSON.stringify(optimizer.state(), (_k, v) => (v instanceof Float32Array ? [...v] : v)), rng: rng.getState(), targets };
    };
    const inline = await run(undefined);
    const pooled = await run(pool);
    assert.ok(inline.r.changed > 0);
    assert.deepEqual(pooled.r, inline.r);
    same(inline.masks, pooled.masks);
    assert.equal(pooled.state, inline.state);
    assert.deepEqual(pooled.rng, inline.rng);
    assert.deepEqual(pooled.order, inline.order);
    assert.deepEqual(pooled.order, pooled.targets.map((t: TrainableTarget) => `${t.name}.values`));
  });

  it("a strategy's error on a worker is the inline path's typed error; with two failing targets, the first one's", async () => {
    const specs = specsOf([[20, 10], [20, 10], [20, 10], [20, 10]], 5);
    const failing = new FailingStrategy({ failOn: ['model.layers.1.w', 'model.layers.3.w'] });
    const inlineError = await create(specs, failing, 1, undefined).then(
      () => assert.fail('inline selection should fail'),
      (e: unknown) => e,
    );
    await assert.rejects(create(specs, failing, 1, pool), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `got ${String(e)}`);
      assert.equal(e.code, 'E_INVALID_ARGUMENT');
      assert.equal(e.message, (inlineError as Error).message);
      assert.deepEqual(e.details, { name: 'model.layers.1.w' });
      return true;
    });
    // the pool goes on working
    same(targetMasks((await create(specs, new FailingStrategy(), 1, pool)).targets), targetMasks((await create(specs, new FailingStrategy(), 1, undefined)).targets));
  });

  it('a worker that dies fails the selection with a BackendError instead of hanging; the pool replaces it', async () => {
    const specs = specsOf([[20, 10], [20, 10], [20, 10]], 6);
    await assert.rejects(create(specs, new FailingStrategy({ exitOn: ['model.layers.1.w'] }), 1, pool), (e: unknown) => e instanceof BackendError && /exited \(code 3\)/.test(e.message));
    const { targets } = await create(specs, new FailingStrategy(), 1, pool);
    assert.equal(targets.length, 3);
  });

  it('a disposed pool refuses work', async () => {
    const p = new WorkerTaskPool({ size: 2, minElements: 0 });
    await p.dispose();
    await assert.rejects(p.run({ module: import.meta.url, export: 'x' }), (e: unknown) => e instanceof BackendError && /disposed/.test(e.message));
  });

  it('small batches stay on the calling thread under the default threshold (no thread starts)', async () => {
    const b = new OnnxRuntimeBackend({ taskThreads: 2 });
    try {
      await create(specsOf([[20, 10], [20, 10]], 7), new MagnitudeStrategy(), 1, b.taskPool());
      assert.equal((b.taskPool() as WorkerTaskPool).started, 0);
    } finally {
      await b.dispose();
    }
  });

  it('no pool on CUDA or with taskThreads 1', () => {
    assert.equal(new OnnxRuntimeBackend({ taskThreads: 1 }).taskPool(), undefined);
    assert.equal(new OnnxRuntimeBackend({ executionProvider: 'cuda' }).taskPool(), undefined);
  });

  it('never keeps the process alive: a script that leaves the backend undisposed exits', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'exit-check.ts')], { encoding: 'utf8', timeout: 90_000 });
    assert.equal(res.error, undefined, String(res.error));
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /selected \d+ on 2 threads/);
  });
});

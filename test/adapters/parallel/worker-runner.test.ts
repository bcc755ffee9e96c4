import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerKernelRunner } from '../../../src/adapters/parallel/worker-runner.js';
import type { Optimizer } from '../../../src/core/contracts.js';
import { InlineKernelRunner, KernelError, type KernelRunner } from '../../../src/core/parallel.js';
import { Rng } from '../../../src/core/rng.js';
import { clipGlobalNorm, clipScale, globalNorm } from '../../../src/core/training/clip.js';
import { AdamW } from '../../../src/plugins/adamw/index.js';
import { SparseAdamW } from '../../../src/plugins/sparse-adam/index.js';
import { Trainer, createLift } from '../../../src/index.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';
import { fixtureData, smallRun, tinyWeights } from '../../helpers/trainer-fixture.js';
import { EXITING_KERNEL, MISSING_KERNEL, THROWING_KERNEL } from './kernels.js';

/** Lengths not divisible by the thread count (3 here), one tiny, one past the default threshold. */
const LENGTHS = [1, 7, 1001, 4099, 70_001, 12_345];

function randomVectors(rng: Rng, scale: number): Map<string, Float32Array> {
  return new Map(LENGTHS.map((n, i) => [`w${i}`, Float32Array.from({ length: n }, () => (rng.next() - 0.5) * scale)]));
}

const copy = (m: ReadonlyMap<string, Float32Array>) => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));

function assertSameBits(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>, what: string): void {
  for (const [name, x] of a) {
    const y = b.get(name)!;
    assert.equal(x.length, y.length, `${what} ${name}: length`);
    const xb = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const yb = new Uint32Array(y.buffer, y.byteOffset, y.length);
    const i = xb.findIndex((v, j) => v !== yb[j]);
    assert.equal(i, -1, `${what} ${name}: first differing element ${i} (${x[i]} vs ${y[i]})`);
  }
}

/**
 * Steps `opt` 4 times with today's two-pass form (clipGlobalNorm in place, then step) and `fused`
 * with stepOn on `runner` from the same data; params and moments must agree bit for bit.
 */
async function compare(make: () => Optimizer, runner: KernelRunner, gradScale: number, maxNorm: number): Promise<void> {
  const rng = new Rng(42);
  const start = randomVectors(rng, 0.2);
  const steps = [0, 1, 2, 3].map(() => randomVectors(rng, gradScale));
  const inline = make();
  const fused = make();
  const a = copy(start);
  const b = copy(start);
  let clipped = 0;
  for (const [k, g] of steps.entries()) {
    const lr = 1e-3 * (k + 1);
    const ga = copy(g);
    const norm = clipGlobalNorm([...ga.values()], maxNorm);
    inline.step(a, ga, lr);
    const gb = copy(g);
    const normB = globalNorm(gb.values());
    assert.equal(normB, norm, 'the norm is the same number');
    if (clipScale(normB, maxNorm) !== 1) clipped++;
    await fused.stepOn!(runner, b, gb, lr, clipScale(normB, maxNorm));
  }
  assertSameBits(a, b, 'params');
  const sa = inline.state();
  const sb = fused.state();
  for (const buf of ['m', 'v']) {
    assertSameBits(
      new Map(Object.entries(sa.params).map(([k, s]) => [k, s.buffers[buf]!])),
      new Map(Object.entries(sb.params).map(([k, s]) => [k, s.buffers[buf]!])),
      buf,
    );
  }
  assert.deepEqual(
    Object.values(sb.params).map((s) => s.step),
    Object.values(sa.params).map((s) => s.step),
  );
  if (maxNorm > 0 && gradScale > 1) assert.equal(clipped, steps.length, 'clipping was active at every step');
}

describe('WorkerKernelRunner (host kernels on worker threads)', function () {
  this.timeout(60_000);
  let runner: WorkerKernelRunner;
  beforeEach(() => {
    // every task off the calling thread where the split allows it: 2 workers + this thread
    runner = new WorkerKernelRunner({ workers: 2, minWorkerElements: 0 });
  });
  afterEach(() => runner.dispose());

  for (const [label, make] of [
    ['adamw', () => new AdamW({ weightDecay: 0.01 })],
    ['sparse-adam', () => new SparseAdamW({ weightDecay: 0.05 })],
  ] as const) {
    it(`${label}: stepOn on workers equals clip-in-place + step bit for bit, clipping active`, async () => {
      await compare(make, runner, 10, 1);
    });

    it(`${label}: the same without clipping (scale 1) and with clipping off (maxNorm 0)`, async () => {
      await compare(make, runner, 1e-3, 1);
      await compare(make, runner, 10, 0);
    });

    it(`${label}: stepOn on the inline runner equals it too`, async () => {
      await compare(make, new InlineKernelRunner(), 10, 1);
    });
  }

  it('keeps the default threshold: small tasks stay on this thread, results unchanged', async () => {
    const r = new WorkerKernelRunner({ workers: 1 });
    try {
      await compare(() => new AdamW(), r, 10, 1);
    } finally {
      await r.dispose();
    }
  });

  it('moves optimizer state loaded from a checkpoint into shared memory and goes on from it', async () => {
    const rng = new Rng(3);
    const p = randomVectors(rng, 1);
    const g1 = randomVectors(rng, 1);
    const g2 = randomVectors(rng, 1);
    const ref = new AdamW();
    const a = copy(p);
    ref.step(a, copy(g1), 1e-2);
    const saved = ref.state();
    ref.step(a, copy(g2), 1e-2);
    const resumed = new AdamW();
    resumed.load(saved);
    const b = copy(p);
    new AdamW().step(b, copy(g1), 1e-2);
    await resumed.stepOn(runner, b, copy(g2), 1e-2, 1);
    assertSameBits(a, b, 'params after resume');
    assert.equal(resumed.stepOf('w0'), 2);
  });

  it('keeps a gradient that does not own its buffer on this thread (it cannot be moved)', async () => {
    const big = new Float32Array(3 * 5000).fill(0.25);
    const params = new Map([0, 1, 2].map((i) => [`w${i}`, new Float32Array(5000).fill(1)]));
    const grads = new Map([0, 1, 2].map((i) => [`w${i}`, big.subarray(i * 5000, (i + 1) * 5000)]));
    const want = copy(params);
    new AdamW().step(want, copy(grads), 1e-3);
    await new AdamW().stepOn(runner, params, grads, 1e-3, 1);
    assertSameBits(want, params, 'params');
    assert.equal(big.length, 15000, 'the shared gradient buffer was not detached');
  });

  it('moves consumed gradients (detached here) and keeps parameters in place', async () => {
    const params = new Map([['w', new Float32Array(10_000).fill(1)]]);
    const p = params.get('w')!;
    const g = new Float32Array(10_000).fill(0.5);
    await new AdamW().stepOn(runner, params, new Map([['w', g]]), 1e-3, 1);
    assert.equal(g.length, 0, 'the gradient went to a worker');
    assert.equal(params.get('w'), p, 'the parameter array is the same object');
    assert.ok(p[0]! < 1, 'and holds the update');
  });

  it("a kernel's exception on a worker rejects with KernelError (E_KERNEL), and the runner goes on", async () => {
    const task = { arrays: [new Float32Array(100)], scalars: [] };
    await assert.rejects(runner.run(THROWING_KERNEL, [task, task, task]), (e: unknown) => {
      assert.ok(e instanceof KernelError, String(e));
      assert.equal(e.code, 'E_KERNEL');
      assert.match(e.message, /exploded on purpose/);
      return true;
    });
    await assert.rejects(runner.run(MISSING_KERNEL, [task, task, task]), (e: unknown) => e instanceof KernelError && /no function 'noSuchKernel'|exploded/.test(e.message));
    // the workers are still usable
    const params = new Map([['w', new Float32Array(10).fill(1)]]);
    await new AdamW().stepOn(runner, params, new Map([['w', new Float32Array(10).fill(0.1)]]), 1e-3, 1);
  });

  it('a worker that dies rejects the job with KernelError instead of hanging; later runs are refused', async () => {
    const task = { arrays: [new Float32Array(100)], scalars: [] };
    // one task: it goes to the worker (ties go to a worker)
    const r = new WorkerKernelRunner({ workers: 1, minWorkerElements: 0 });
    try {
      await assert.rejects(
        r.run(EXITING_KERNEL, [task]),
        (e: unknown) => e instanceof KernelError && /exited \(code 3\)/.test(e.message),
      );
      await assert.rejects(r.run(THROWING_KERNEL, [task]), KernelError);
    } finally {
      await r.dispose();
    }
  });

  it('refuses work after dispose', async () => {
    await runner.dispose();
    await assert.rejects(runner.run(THROWING_KERNEL, [{ arrays: [new Float32Array(1)], scalars: [] }]), /disposed/);
  });

  it('never keeps the process alive: a script that leaves its runner undisposed exits', () => {
    const script = join(import.meta.dirname, 'exit-check.ts');
    const res = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(res.error, undefined, String(res.error));
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /stepped 0\.49/);
  });
});

describe('Trainer with host kernels on worker threads', function () {
  this.timeout(120_000);

  for (const [method, options, lr] of [
    ['full', {}, 5e-3],
    ['lora', { rank: 2, alpha: 4 }, 2e-2],
    ['magnitude', { rank: 2, interval: 2 }, 2e-2],
  ] as const) {
    it(`${method}: every target's update on workers gives the inline run's weights and losses bit for bit (clipping active)`, async () => {
      const data = await fixtureData();
      const dir = mkdtempSync(join(tmpdir(), 'lift-pool-'));
      try {
        const results = [];
        for (const hostThreads of [false, { workers: 2, minWorkerElements: 0 }] as const) {
          const trainer = (await createLift({ hostThreads })).get(Trainer);
          const run = { ...smallRun({ method, options, lr, steps: 4, dir: join(dir, String(!!hostThreads)) }), maxGradNorm: 0.05 };
          const logged: number[] = [];
          const r = await trainer
            .withLogger({ step: (s) => void logged.push(s.gradNorm) })
            .train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
          assert.ok(logged.every((n) => n > 0.05), `clipping was active: ${logged}`);
          results.push({ r, logged });
        }
        const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
        assert.deepEqual(b.r.losses, a.r.losses);
        assert.deepEqual(b.logged, a.logged, 'the same gradient norms');
        const wa = a.r.weights();
        const wb = b.r.weights();
        assertSameBits(
          new Map([...wa].map(([k, t]) => [k, t.data])),
          new Map([...wb].map(([k, t]) => [k, t.data])),
          'weights',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { SafetensorsStore } from '../../../src/adapters/huggingface/tensor-store.js';
import type { Backend, CompileOptions, Executable, StepRecord, TrainingLogger } from '../../../src/core/contracts.js';
import type { Graph, Value } from '../../../src/core/graph/graph.js';
import { latestCheckpointDir, loadCheckpoint } from '../../../src/core/training/checkpoint.js';
import type { TrainResult } from '../../../src/core/training/trainer.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { LiftError, NonFiniteLossError, Trainer, createLift, defaultRegistry, type MaskContext, type MaskStrategy } from '../../../src/index.js';
import { TINY_CONFIG } from '../../helpers/tiny-model.js';
import {
  FIXTURE_RECORDS,
  type FixtureData,
  RecordingStore,
  changedEntries,
  firstBitDifference,
  fixtureData,
  meanLoss,
  smallRun,
  tinyTargets,
  tinyWeights,
} from '../../helpers/trainer-fixture.js';

const BATCH = 4;
/** Steps per epoch: the same records come back every EPOCH steps, so epoch means compare like with like. */
const EPOCH = FIXTURE_RECORDS / BATCH;
const STEPS = 10 * EPOCH;
const TARGETS = tinyTargets();
const TARGET_NAMES = new Set(TARGETS.map((t) => t.name));

function f32(t: Tensor | undefined, what: string): Float32Array {
  assert.ok(t, `${what} is missing`);
  assert.equal(t.dtype, 'float32', `${what} is not float32`);
  return t.data as Float32Array;
}

function maskOf(saved: Map<string, Tensor>, name: string): Int32Array {
  const t = saved.get(`${name}.mask`);
  assert.ok(t && t.dtype === 'int32', `checkpoint has no int32 mask for ${name}`);
  return t.data as Int32Array;
}

function sameIndices(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The k entries of largest |W|, ties to the lower flat index, ascending: magnitude's mask by its definition. */
function topKByAbs(w: Float32Array, k: number): Int32Array {
  const order = Array.from(w.keys()).sort((i, j) => Math.abs(w[j]!) - Math.abs(w[i]!) || i - j);
  return Int32Array.from(order.slice(0, k).sort((a, b) => a - b));
}

/** Loss of the last epoch vs the first on the very same records: a clear drop means it learned. */
function assertLearned(r: TrainResult, label: string): void {
  const first = meanLoss(r.losses, 1, EPOCH);
  const last = meanLoss(r.losses, r.steps - EPOCH + 1, r.steps);
  assert.ok(Number.isFinite(first) && Number.isFinite(last), `${label}: non-finite losses`);
  assert.ok(last < first - 0.1, `${label}: mean loss of the first epoch ${first.toFixed(4)} → last epoch ${last.toFixed(4)}`);
}

class StepLog implements TrainingLogger {
  readonly steps: number[] = [];
  constructor(private readonly crashAt?: number) {}
  step(r: StepRecord): void {
    if (r.step === this.crashAt) throw new Error(`simulated crash at step ${r.step}`);
    this.steps.push(r.step);
  }
}

describe('Trainer: the built-in ONNX Runtime host', function () {
  this.timeout(300_000);
  let data: FixtureData;
  let tmp: string;

  before(async () => {
    data = await fixtureData();
    assert.equal(data.examples.length, FIXTURE_RECORDS);
    assert.ok(data.examples.every((e) => e.labels.some((l) => l >= 0)), 'every fixture example has response tokens');
    tmp = mkdtempSync(join(tmpdir(), 'lift-trainer-test-'));
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('the five built-in methods on the fixture target task', () => {
    // Sparse budgets exercise every branch of maskBudget: lift k = (m+n)·2; magnitude at rank 12
    // hits the m·n cap on k_proj/v_proj ((16+32)·12 = 576 > 512); random takes a density.
    const SPECS: Record<string, { options: Record<string, unknown>; lr: number; checkpointEvery?: number }> = {
      lift: { options: { rank: 2, filterRank: 4, interval: 20 }, lr: 1e-2, checkpointEvery: 1 },
      magnitude: { options: { rank: 12, interval: 0 }, lr: 1e-2 },
      random: { options: { density: 0.05, interval: 0 }, lr: 1e-2 },
      full: { options: {}, lr: 1e-2 },
      lora: { options: { rank: 2, alpha: 4 }, lr: 1e-2 },
    };
    const runs = new Map<string, { result: TrainResult; store: RecordingStore; input: Map<string, Tensor<'float32'>> }>();
    const initial = tinyWeights();

    before(async () => {
      for (const [method, spec] of Object.entries(SPECS)) {
        const store = new RecordingStore();
        const trainer = (await createLift({ store })).get(Trainer);
        const input = tinyWeights();
        const run = smallRun({ method, options: spec.options, lr: spec.lr, steps: STEPS, dir: join(tmp, `methods-${method}`), checkpointEvery: spec.checkpointEvery ?? 0 });
        const result = await trainer.train({ run, model: { config: TINY_CONFIG, weights: input }, train: data.examples, padTokenId: data.padTokenId });
        runs.set(method, { result, store, input });
      }
    });

    for (const method of Object.keys(SPECS)) {
      it(`${method} lowers the training loss within ${STEPS} steps`, () => {
        const { result } = runs.get(method)!;
        assert.equal(result.method, method);
        assert.equal(result.steps, STEPS);
        assert.deepEqual(result.losses.map((l) => l.step), Array.from({ length: STEPS }, (_, i) => i + 1));
        assertLearned(result, method);
      });
    }

    it('lift with refresh: masks change exactly at the refresh steps; the changed entries are exactly the union of the masks', () => {
      const { result, store } = runs.get('lift')!;
      const saves = store.targetSaves();
      assert.equal(saves.length, STEPS, 'one checkpoint per step');
      // Checkpoint s holds the mask after step s (after a refresh at s); together they are every mask used.
      const changedAt = new Set<number>();
      for (let s = 1; s < saves.length; s++) {
        for (const { name } of TARGETS) if (!sameIndices(maskOf(saves[s - 1]!, name), maskOf(saves[s]!, name))) changedAt.add(s + 1);
      }
      assert.deepEqual([...changedAt].sort((a, b) => a - b), [20, 40, 60], 'masks change at steps 20, 40, 60 (interval 20; none after the last step)');
      const weights = result.weights();
      let beyondOneMask = 0;
      for (const { name, rows, cols } of TARGETS) {
        const union = new Set<number>();
        for (const s of saves) for (const i of maskOf(s, name)) union.add(i);
        const k = Math.min((rows + cols) * 2, rows * cols);
        assert.ok(saves.every((s) => maskOf(s, name).length === k), `${name}: every mask has k = ${k} entries`);
        const changed = changedEntries(f32(initial.get(name), name), f32(weights.get(name), name));
        const outside = changed.filter((i) => !union.has(i));
        assert.deepEqual(outside, [], `${name}: entries outside every mask changed`);
        // Every entry that was ever masked trained, and an entry that left a mask kept its change.
        assert.deepEqual(changed, [...union].sort((a, b) => a - b), `${name}: the changed entries are the union of the masks`);
        if (changed.length > k) beyondOneMask++;
      }
      assert.ok(beyondOneMask > 0, 'a refresh moved training onto new entries somewhere');
    });

    it('magnitude without refresh: exactly its top-k |W| mask changes, every other entry is bitwise equal', () => {
      const { result, store } = runs.get('magnitude')!;
      const weights = result.weights();
      const last = store.targetSaves().at(-1)!;
      for (const { name, rows, cols } of TARGETS) {
        const w0 = f32(initial.get(name), name);
        const k = Math.min((rows + cols) * 12, rows * cols);
        const mask = topKByAbs(w0, k);
        assert.ok(sameIndices(maskOf(last, name), mask), `${name}: the trained mask is the top-${k} of |W|`);
        const changed = changedEntries(w0, f32(weights.get(name), name));
        assert.deepEqual(changed, Array.from(mask), `${name}: the changed entries are exactly the mask`);
      }
    });

    it('every method leaves embeddings and norms bitwise unchanged, and the caller’s weights untouched', () => {
      for (const [method, { result, input }] of runs) {
        const out = result.weights();
        assert.deepEqual([...out.keys()].sort(), [...initial.keys()].sort(), `${method}: weights() has every parameter`);
        let targetsChanged = 0;
        for (const [name, t0] of initial) {
          const w0 = f32(t0, name);
          assert.equal(firstBitDifference(w0, f32(input.get(name), name)), -1, `${method}: the caller's ${name} was modified`);
          const diff = firstBitDifference(w0, f32(out.get(name), name));
          if (!TARGET_NAMES.has(name)) assert.equal(diff, -1, `${method}: non-target ${name} changed at ${diff}`);
          else if (diff >= 0) targetsChanged++;
        }
        assert.equal(targetsChanged, TARGETS.length, `${method}: every target trained`);
      }
    });

    it('accounts trainable parameters, optimizer state and mask bytes from the budgets', () => {
      const sum = (f: (t: { rows: number; cols: number }) => number) => TARGETS.reduce((s, t) => s + f(t), 0);
      const sparseK: Record<string, (t: { rows: number; cols: number }) => number> = {
        lift: ({ rows, cols }) => Math.min((rows + cols) * 2, rows * cols),
        magnitude: ({ rows, cols }) => Math.min((rows + cols) * 12, rows * cols),
        random: ({ rows, cols }) => Math.round(0.05 * rows * cols),
      };
      for (const [method, k] of Object.entries(sparseK)) {
        const r = runs.get(method)!.result;
        const total = sum(k);
        assert.equal(r.trainableParams, total, `${method} trainableParams`);
        assert.equal(r.optimizerStateBytes, 2 * total * 4, `${method} optimizerStateBytes`);
        assert.equal(r.maskBytes, 4 * total, `${method} maskBytes`);
      }
      assert.ok(sum(sparseK.magnitude!) < sum(({ rows, cols }) => (rows + cols) * 12), 'the m·n cap is exercised');
      const full = runs.get('full')!.result;
      const mn = sum(({ rows, cols }) => rows * cols);
      assert.deepEqual([full.trainableParams, full.optimizerStateBytes, full.maskBytes], [mn, 2 * mn * 4, 0]);
      const lora = runs.get('lora')!.result;
      const ab = sum(({ rows, cols }) => (rows + cols) * 2);
      assert.deepEqual([lora.trainableParams, lora.optimizerStateBytes, lora.maskBytes], [ab, 2 * ab * 4, 0]);
      assert.equal(lora.adapters.size, 2 * TARGETS.length);
    });

    it('lora with dropout 0.2 lowers the training loss, on other losses than without dropout', async () => {
      const run = smallRun({ method: 'lora', options: { rank: 2, alpha: 4, dropout: 0.2 }, lr: 1e-2, steps: STEPS, dir: join(tmp, 'methods-lora-dropout'), checkpointEvery: 0 });
      const trainer = (await createLift()).get(Trainer);
      const result = await trainer.train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
      assertLearned(result, 'lora dropout 0.2');
      const plain = runs.get('lora')!.result;
      // Step 1 has B = 0, so dropout cannot change its loss; from step 2 on the draws show.
      assert.equal(result.losses[0]!.loss, plain.losses[0]!.loss);
      assert.notEqual(result.losses[1]!.loss, plain.losses[1]!.loss);
    });
  });

  describe('kill and resume', () => {
    async function resumeCase(
      method: string,
      options: Record<string, unknown>,
      cfg: { steps: number; checkpointEvery: number; stopAfterStep?: number; crashAt?: number; resumeFrom: number },
      tag = method,
    ): Promise<void> {
      const weights = tinyWeights();
      const model = { config: TINY_CONFIG, weights };
      const base = { method, options, lr: 1e-2, steps: cfg.steps, checkpointEvery: cfg.checkpointEvery };
      const trainer = async (logger?: TrainingLogger) => {
        const t = (await createLift()).get(Trainer);
        return logger ? t.withLogger(logger) : t;
      };
      const whole = await (await trainer()).train({ run: smallRun({ ...base, dir: join(tmp, `resume-${tag}-whole`) }), model, train: data.examples, padTokenId: data.padTokenId });

      const dir = join(tmp, `resume-${tag}-killed`);
      const run = smallRun({ ...base, dir });
      if (cfg.stopAfterStep !== undefined) {
        const part = await (await trainer()).train({ run, model, train: data.examples, padTokenId: data.padTokenId, stopAfterStep: cfg.stopAfterStep });
        assert.equal(part.steps, cfg.stopAfterStep);
      } else {
        await assert.rejects(
          (await trainer(new StepLog(cfg.crashAt))).train({ run, model, train: data.examples, padTokenId: data.padTokenId }),
          /simulated crash/,
        );
      }
      assert.equal(latestCheckpointDir(dir), join(dir, `checkpoint-${cfg.resumeFrom}`));

      const log = new StepLog();
      const resumed = await (await trainer(log)).train({ run, model, train: data.examples, padTokenId: data.padTokenId, resume: true });
      // It continued from the checkpoint rather than starting over.
      assert.deepEqual(log.steps, Array.from({ length: cfg.steps - cfg.resumeFrom }, (_, i) => cfg.resumeFrom + 1 + i));
      assert.equal(resumed.steps, cfg.steps);
      assert.deepEqual(resumed.losses, whole.losses);
      const a = whole.weights();
      const b = resumed.weights();
      for (const { name } of TARGETS) {
        const d = firstBitDifference(f32(a.get(name), name), f32(b.get(name), name));
        assert.equal(d, -1, `${method}: ${name} differs from the uninterrupted run at entry ${d}`);
      }
      for (const [name, t] of whole.adapters) assert.equal(firstBitDifference(f32(t, name), f32(resumed.adapters.get(name), name)), -1, `${method}: adapter ${name}`);
      assert.ok(changedEntries(f32(weights.get(TARGETS[0]!.name), 'w0'), f32(b.get(TARGETS[0]!.name), 'w')).length > 0, 'training changed the weights');
    }

    it('lift: stopped after checkpoint 4 of 10 and resumed, with refreshes at 6 and 9 after the resume point, ends bitwise equal', async () => {
      await resumeCase('lift', { rank: 2, filterRank: 4, interval: 3 }, { steps: 10, checkpointEvery: 2, stopAfterStep: 4, resumeFrom: 4 });
    });

    it('lift: stopped at step 6, where a refresh and a checkpoint coincide, and resumed, ends bitwise equal', async () => {
      await resumeCase('lift', { rank: 2, filterRank: 4, interval: 3 }, { steps: 10, checkpointEvery: 3, stopAfterStep: 6, resumeFrom: 6 });
    });

    it('random: stopped after checkpoint 4 of 8 and resumed, mask redraws from the run RNG at 3 and 6, ends bitwise equal', async () => {
      // The redraw at 3 advanced the run's RNG before the checkpoint; the one at 6 needs it restored.
      await resumeCase('random', { rank: 2, interval: 3 }, { steps: 8, checkpointEvery: 2, stopAfterStep: 4, resumeFrom: 4 });
    });

    it('lora: stopped after checkpoint 3 of 8 and resumed, ends bitwise equal (weights and adapters)', async () => {
      await resumeCase('lora', { rank: 2, alpha: 4 }, { steps: 8, checkpointEvery: 3, stopAfterStep: 3, resumeFrom: 3 });
    });

    it('lora with dropout 0.2: stopped after checkpoint 3 of 8 and resumed, draws the same dropout masks and ends bitwise equal', async () => {
      await resumeCase('lora', { rank: 2, alpha: 4, dropout: 0.2 }, { steps: 8, checkpointEvery: 3, stopAfterStep: 3, resumeFrom: 3 }, 'lora-dropout');
    });

    it('full: crashed during step 5 (after checkpoint 4) and resumed, ends bitwise equal', async () => {
      await resumeCase('full', {}, { steps: 8, checkpointEvery: 2, crashAt: 5, resumeFrom: 4 });
    });
  });

  describe('a strategy registered by the host application', () => {
    /** Outside the package: every stride-th entry, stride = floor(m·n / budget). */
    class Strided implements MaskStrategy {
      readonly name = 'strided';
      readonly calls: { name: string; shape: readonly number[]; budget: number; step: number; picked: Int32Array }[] = [];
      async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
        const [m, n] = weight.shape as [number, number];
        const stride = Math.floor((m * n) / budget);
        const picked = Int32Array.from({ length: budget }, (_, j) => j * stride + (j % stride));
        this.calls.push({ name: context.name, shape: weight.shape, budget, step: context.step, picked });
        return picked;
      }
    }

    it('trains through createLift(...).get(Trainer): the loss drops and only the strategy’s entries change', async () => {
      const strategy = new Strided();
      const registry = defaultRegistry();
      registry.registerStrategy('strided', () => strategy);
      registry.registerMethod({ name: 'strided', parametrization: 'sparse', strategy: 'strided', optimizer: 'sparse-adam', defaults: { lr: 1e-2, rank: 2 } });
      const trainer = (await createLift({ registry, store: new RecordingStore() })).get(Trainer);
      const run = smallRun({ method: 'strided', lr: 1e-2, steps: STEPS, dir: join(tmp, 'strided') });
      const initial = tinyWeights();
      const result = await trainer.train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
      assert.equal(result.method, 'strided');
      assertLearned(result, 'strided');

      assert.deepEqual(strategy.calls.map((c) => c.name).sort(), [...TARGET_NAMES].sort(), 'selected once per target');
      const weights = result.weights();
      for (const call of strategy.calls) {
        const t = TARGETS.find((x) => x.name === call.name)!;
        assert.deepEqual(call.shape, [t.rows, t.cols]);
        assert.equal(call.budget, Math.min((t.rows + t.cols) * 2, t.rows * t.cols), 'the method default rank sets the budget');
        assert.equal(call.step, 0);
        const changed = changedEntries(f32(initial.get(call.name), call.name), f32(weights.get(call.name), call.name));
        assert.deepEqual(changed, Array.from(call.picked), `${call.name}: exactly the strategy's entries changed`);
      }
    });
  });

  describe('a non-finite loss', () => {
    /** The disk store, keeping a copy of what it last wrote to each path. */
    class TeeStore extends SafetensorsStore {
      readonly last = new Map<string, Map<string, Tensor>>();
      override save(path: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): void {
        super.save(path, tensors, metadata);
        this.last.set(path, new Map([...tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() } as Tensor])));
      }
    }

    it('stops with NonFiniteLossError (E_NONFINITE) and names no checkpoint when the first update already diverged', async () => {
      const trainer = (await createLift()).get(Trainer);
      const dir = join(tmp, 'diverge');
      // lr 1e30: the first update puts ±1e30 into the masked entries; the next forward overflows.
      // checkpoint-1 holds finite weights and a finite loss, yet it cannot resume: it is not named.
      const run = smallRun({ method: 'lift', options: { rank: 2, filterRank: 4, interval: 0 }, lr: 1e30, steps: 6, dir, checkpointEvery: 1 });
      let err: unknown;
      try {
        await trainer.train({ run, model: { config: TINY_CONFIG, weights: tinyWeights() }, train: data.examples, padTokenId: data.padTokenId });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof NonFiniteLossError, `expected NonFiniteLossError, got ${String(err)}`);
      assert.equal(err.code, 'E_NONFINITE');
      assert.equal(err.details!.step, 2);
      assert.ok(!Number.isFinite(err.details!.loss as number));
      assert.equal(err.details!.lastCheckpoint, undefined);
      assert.match(err.message, /no checkpoint of this run resumes finitely/);
    });

    it('a step that blows the weights up stops the run on the checkpoint before it, which resumes finitely', async () => {
      // sparse AdamW whose third update multiplies every trainable value by 1e30: finite weights
      // and a finite loss in checkpoint-3, a loss that overflows or diverges at step 4.
      const registry = defaultRegistry();
      registry.registerOptimizer('poisoned', (options) => {
        const inner = registry.optimizer('sparse-adam', options);
        let steps = 0;
        return Object.assign(Object.create(inner) as typeof inner, {
          step(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number) {
            inner.step(params, grads, lr);
            if (++steps === 3) for (const v of params.values()) for (let i = 0; i < v.length; i++) v[i]! *= 1e30;
          },
        });
      });
      registry.registerMethod({ name: 'poisoned', parametrization: 'sparse', strategy: 'magnitude', optimizer: 'poisoned', defaults: { lr: 1e-2 } });
      const dir = join(tmp, 'poisoned');
      const model = { config: TINY_CONFIG, weights: tinyWeights() };
      const run = smallRun({ method: 'poisoned', options: { rank: 2, interval: 0 }, lr: 1e-2, steps: 6, dir, checkpointEvery: 1 });
      let err: unknown;
      try {
        await (await createLift({ registry })).get(Trainer).train({ run, model, train: data.examples, padTokenId: data.padTokenId });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof LiftError && ['E_NONFINITE', 'E_DIVERGED'].includes(err.code), `expected a stop on a bad loss, got ${String(err)}`);
      assert.equal(err.details!.step, 4);
      const good = join(dir, 'checkpoint-2');
      assert.equal(err.details!.lastCheckpoint, good);
      assert.match(err.message, /checkpoint-2/);
      assert.equal(latestCheckpointDir(dir), good, 'latest.json names the good checkpoint, so a resume continues from it');
      assert.deepEqual(readdirSync(dir).sort(), ['checkpoint-2', 'checkpoint-3', 'latest.json'], 'checkpoint-1 went, the good one stayed');

      const ck = loadCheckpoint(new SafetensorsStore(), good);
      assert.equal(ck.state.step, 2);
      const log = new StepLog();
      // the same run with the plain sparse AdamW (same state layout) continues from checkpoint-2 to the end
      const plain = defaultRegistry();
      plain.registerMethod({ name: 'poisoned', parametrization: 'sparse', strategy: 'magnitude', optimizer: 'sparse-adam', defaults: { lr: 1e-2 } });
      const resumed = await (await createLift({ registry: plain })).get(Trainer).withLogger(log).train({ run, model, train: data.examples, padTokenId: data.padTokenId, resume: true });
      assert.deepEqual(log.steps, [3, 4, 5, 6]);
      assert.ok(resumed.losses.every((l) => Number.isFinite(l.loss)));
    });

    it('a crash while a checkpoint is written leaves latest.json on the previous complete one, which resumes', async () => {
      class CrashingStore extends SafetensorsStore {
        override save(path: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): void {
          if (path.endsWith(join('checkpoint-3', 'optimizer.safetensors'))) throw new Error('simulated crash while writing checkpoint-3');
          super.save(path, tensors, metadata);
        }
      }
      const dir = join(tmp, 'crash-in-checkpoint');
      const run = smallRun({ method: 'magnitude', options: { rank: 2, interval: 0 }, lr: 1e-2, steps: 5, dir, checkpointEvery: 1 });
      const model = { config: TINY_CONFIG, weights: tinyWeights() };
      const crashing = (await createLift({ store: new CrashingStore() })).get(Trainer);
      await assert.rejects(crashing.train({ run, model, train: data.examples, padTokenId: data.padTokenId }), /simulated crash while writing checkpoint-3/);
      assert.equal(latestCheckpointDir(dir), join(dir, 'checkpoint-2'));
      assert.equal(loadCheckpoint(new SafetensorsStore(), join(dir, 'checkpoint-2')).state.step, 2);
      const log = new StepLog();
      const resumed = await (await createLift()).get(Trainer).withLogger(log).train({ run, model, train: data.examples, padTokenId: data.padTokenId, resume: true });
      assert.deepEqual(log.steps, [3, 4, 5]);
      assert.equal(resumed.steps, 5);
    });

    it('releases every session it compiled, whether the run finishes or stops on a non-finite loss', async () => {
      /** The ONNX Runtime backend, counting the executables compiled and not yet disposed. */
      class CountingBackend implements Backend {
        readonly name = 'counting';
        // The device layout: masks are baked into the graph, so a refresh must rebuild the session.
        readonly capabilities = { inputsInPlace: false };
        compiled = 0;
        live = 0;
        private readonly inner = new OnnxRuntimeBackend();
        async compile(graph: Graph, outputs: readonly Value[], options?: CompileOptions): Promise<Executable> {
          const exe = await this.inner.compile(graph, outputs, options);
          this.compiled++;
          this.live++;
          let open = true;
          return {
            inputs: exe.inputs,
            outputs: exe.outputs,
            run: (feeds) => exe.run(feeds),
            dispose: async () => {
              if (open) this.live--;
              open = false;
              await exe.dispose();
            },
          };
        }
      }
      const backend = new CountingBackend();
      const registry = defaultRegistry();
      registry.registerBackend('counting', backend);
      const trainer = (await createLift({ registry, backends: ['counting'], store: new RecordingStore() })).get(Trainer);
      const model = () => ({ config: TINY_CONFIG, weights: tinyWeights() });
      const ok = smallRun({ method: 'lift', options: { rank: 2, filterRank: 4, interval: 2 }, lr: 1e-2, steps: 3, dir: join(tmp, 'sessions-ok') });
      await trainer.train({ run: ok, model: model(), train: data.examples, padTokenId: data.padTokenId });
      assert.ok(backend.compiled >= 2, 'a refresh rebuilds the session');
      assert.equal(backend.live, 0, 'a finished run leaves no session open');

      const bad = smallRun({ method: 'lift', options: { rank: 2, filterRank: 4, interval: 0 }, lr: 1e30, steps: 6, dir: join(tmp, 'sessions-nan') });
      const before = backend.compiled;
      await assert.rejects(trainer.train({ run: bad, model: model(), train: data.examples, padTokenId: data.padTokenId }), NonFiniteLossError);
      assert.ok(backend.compiled > before);
      assert.equal(backend.live, 0, `a run stopped by a non-finite loss left ${backend.live} ONNX Runtime session(s) open`);
    });

    it('a NaN in a target matrix stops at step 1 before any update or checkpoint', async () => {
      const weights = tinyWeights();
      const name = TARGETS[3]!.name;
      weights.get(name)!.data[5] = NaN;
      const trainer = (await createLift({ store: new RecordingStore() })).get(Trainer);
      const dir = join(tmp, 'nan-weight');
      const run = smallRun({ method: 'full', lr: 1e-2, steps: 3, dir, checkpointEvery: 1 });
      await assert.rejects(
        trainer.train({ run, model: { config: TINY_CONFIG, weights }, train: data.examples, padTokenId: data.padTokenId }),
        (e: unknown) => e instanceof NonFiniteLossError && e.code === 'E_NONFINITE' && e.details!.step === 1 && e.details!.lastCheckpoint === undefined,
      );
      assert.equal(existsSync(join(dir, 'latest.json')), false);
      assert.equal(latestCheckpointDir(dir), null);
    });
  });
});

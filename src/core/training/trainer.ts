/**
 * The built-in host: a trainer on the compute backend. It builds the training graph with every
 * target linear in its method's parametrization, runs forward+backward on the backend, and does
 * the optimizer's update on the host over the trainable vectors only.
 */
import { inject, injectable, optional } from 'inversify';
import type { Backend, EvalRecord, MaskStrategy, Method, MethodOptions, Optimizer, OptimizerState, TensorStore, TrainingLogger } from '../contracts.js';
import type { RunConfig } from '../config/schema.js';
import { SftDataLoader } from '../data/loader.js';
import { collate, type Batch } from '../data/batch.js';
import type { TokenizedExample } from '../data/tokenize.js';
import { TOKENS } from '../di.js';
import { InvalidArgumentError, NonFiniteLossError } from '../errors.js';
import { grad } from '../autodiff/grad.js';
import * as op from '../graph/ops.js';
import type { Executable } from '../contracts.js';
import { BackendDenseOps } from '../linalg/backend-ops.js';
import { maskBudget } from '../linalg/budget.js';
import { TARGET_MODULES, type ModelConfig, type TargetModule, linearShape, linearWeightName } from '../model/config.js';
import { buildLlamaTrainingGraph } from '../model/llama.js';
import { initLora } from '../model/lora.js';
import type { ParamSource } from '../model/params.js';
import { loraDropoutName, loraNames, sparseIndicesName, sparseValuesName } from '../model/params.js';
import { Registry } from '../registry.js';
import { Rng } from '../rng.js';
import { fillDropout } from './dropout.js';
import { type Tensor, numel, tensor } from '../tensor.js';
import { type Checkpoint, type TrainingState, latestCheckpointDir, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { clipGlobalNorm } from './clip.js';
import { checkMethodOptions } from './method-options.js';
import { learningRate } from './schedule.js';
import {
  type LoraTarget,
  type SparseTarget,
  type Target,
  effectiveWeight,
  foldSparse,
  gatherValues,
  maskBytes,
  refreshMasks,
  selectMask,
  trainableCount,
  trainableVectors,
} from './targets.js';

export interface TrainerModel {
  config: ModelConfig;
  weights: ReadonlyMap<string, Tensor<'float32'>>;
}

export interface EvalHookContext {
  step: number;
  /** The model's weights as a plain forward uses them (sparse folded, LoRA merged). */
  weights: () => Map<string, Tensor<'float32'>>;
}

export interface TrainRequest {
  run: RunConfig;
  model: TrainerModel;
  train: readonly TokenizedExample[];
  padTokenId: number;
  /** Held-out sets whose mean token loss is measured on the evaluation schedule. */
  evalSets?: readonly { name: string; examples: readonly TokenizedExample[] }[];
  /** Extra evaluation (e.g. accuracy by generation) on the same schedule. */
  evaluate?: (ctx: EvalHookContext) => Promise<EvalRecord[]>;
  /** Continue from the newest checkpoint in run.output.dir. */
  resume?: boolean;
  /** Stop after this optimizer step (tests of kill-and-resume); the run's schedule stays that of all steps. */
  stopAfterStep?: number;
}

export interface TrainResult {
  method: string;
  options: MethodOptions;
  steps: number;
  finalLoss: number;
  losses: { step: number; loss: number }[];
  evals: EvalRecord[];
  trainableParams: number;
  optimizerStateBytes: number;
  maskBytes: number;
  tokens: number;
  wallSeconds: number;
  tokensPerSecond: number;
  /** The model weights with the training applied (sparse folded, LoRA merged). */
  weights: () => Map<string, Tensor<'float32'>>;
  /** LoRA adapters (PEFT names) when the method is lora. */
  adapters: Map<string, Tensor<'float32'>>;
  lastCheckpoint?: string;
}

interface Session {
  exe: Executable;
  loss: string;
  count: string;
  /** Gradient output name for each trainable vector (the optimizer's parameter names). */
  grads: Map<string, string>;
  /** Shape of each trainable graph input. */
  shapes: Map<string, readonly number[]>;
  /**
   * Sparse targets whose master W is fed in place (CPU): graph input name of W → target. Their
   * mask indices are an input too, so a mask refresh keeps the session.
   */
  inPlace: Map<string, SparseTarget>;
  /** int64 buffers of input_ids, attention_mask and labels, refilled every step. */
  batchBuffers: { ids: BigInt64Array; mask: BigInt64Array; labels: BigInt64Array };
  /** LoRA dropout factor inputs with their probability and buffer, refilled every run. */
  dropout: { name: string; shape: readonly number[]; p: number; data: Float32Array }[];
}

@injectable()
export class Trainer {
  constructor(
    @inject(TOKENS.Registry) private readonly registry: Registry,
    @inject(TOKENS.Backend) private readonly backend: Backend,
    @inject(TOKENS.TensorStore) private readonly store: TensorStore,
    @inject(TOKENS.TrainingLogger) @optional() private readonly logger?: TrainingLogger,
  ) {}

  /** The same trainer reporting to another logger (e.g. one per method of a comparison). */
  withLogger(logger: TrainingLogger): Trainer {
    return new Trainer(this.registry, this.backend, this.store, logger);
  }

  /** The method, its merged options (defaults ← run options ← optimizer overrides) and peak lr. */
  resolveMethod(run: RunConfig): { method: Method; options: MethodOptions; lr: number } {
    const method = this.registry.method(run.method.name);
    checkMethodOptions(method, run.method.options ?? {});
    const options: MethodOptions = { ...method.defaults, ...run.method.options };
    const o = run.optimizer;
    if (o.betas) options.betas = o.betas;
    if (o.eps !== undefined) options.eps = o.eps;
    if (o.weightDecay !== undefined) options.weightDecay = o.weightDecay;
    const lr = o.lr ?? (options.lr as number | undefined);
    if (typeof lr !== 'number' || !(lr > 0)) {
      throw new InvalidArgumentError(`method '${method.name}' has no learning rate: set optimizer.lr or the method's lr option`);
    }
    options.lr = lr;
    return { method, options, lr };
  }

  async train(req: TrainRequest): Promise<TrainResult> {
    const ops = new BackendDenseOps(this.backend, this.compileOptions(req.run));
    // Sessions hold the frozen weights in the runtime: release them however the run ends.
    const sessions = new Map<string, Promise<Session>>();
    try {
      return await this.trainWith(req, sessions, ops);
    } finally {
      await disposeSessions(sessions);
      await ops.dispose();
      this.logger?.end?.();
    }
  }

  private async trainWith(req: TrainRequest, sessions: Map<string, Promise<Session>>, ops: BackendDenseOps): Promise<TrainResult> {
    const { run, model } = req;
    const t0 = Date.now();
    const { method, options, lr } = this.resolveMethod(run);
    const optimizer = this.registry.optimizer(method.optimizer, options);
    const strategy = method.parametrization === 'sparse' ? this.registry.strategy(method.strategy ?? method.name, options) : undefined;
    const rng = new Rng(run.seed);
    const loader = new SftDataLoader(req.train, req.padTokenId, { batchSize: run.batchSize, seed: run.seed });
    const accum = run.gradientAccumulation;
    const totalSteps = run.steps ?? Math.max(1, Math.ceil((run.epochs * loader.batchesPerEpoch) / accum));

    const targets = await this.initTargets(model, method, options, strategy, rng, ops);
    let step = 0;
    let tokens = 0;
    let elapsedBefore = 0;
    const losses: { step: number; loss: number }[] = [];
    let lastCheckpoint: string | undefined;
    if (req.resume) {
      const dir = latestCheckpointDir(run.output.dir);
      if (dir) {
        const ck = loadCheckpoint(this.store, dir);
        this.restore(ck, targets, optimizer, method.name);
        rng.setState(ck.state.rng);
        loader.seek(ck.state.loader);
        step = ck.state.step;
        tokens = ck.state.tokens;
        elapsedBefore = ck.state.elapsedSeconds;
        losses.push(...ck.state.losses);
        lastCheckpoint = dir;
      }
    }

    const vectors = () => trainableVectors(targets);
    const inPlaceSparse = this.sparseInPlace(run);
    const evals: EvalRecord[] = [];
    this.logger?.start?.({ method: method.name, totalSteps });
    const stopAt = Math.min(totalSteps, req.stopAfterStep ?? totalSteps);
    let finalLoss = losses.at(-1)?.loss ?? NaN;
    const runStart = Date.now();
    let tokensThisRun = 0;

    while (step < stopAt) {
      const params = vectors();
      const sum = new Map<string, Float32Array>();
      let nllSum = 0;
      let counted = 0;
      let stepTokens = 0;
      for (let micro = 0; micro < accum; micro++) {
        const batch = loader.next();
        const s = await this.session(sessions, model, targets, batch, run);
        // Dropout draws from the run's RNG, whose state every checkpoint saves: a resumed run draws the same masks.
        const out = await s.exe.run(this.feeds(batch, params, s, rng));
        const loss = (out[s.loss]!.data as Float32Array)[0]!;
        const count = (out[s.count]!.data as Float32Array)[0]!;
        if (!Number.isFinite(loss)) throw new NonFiniteLossError(step + 1, loss, lastCheckpoint);
        // Token-weighted accumulation: the step's loss is Σ nll / Σ counted over all micro-batches.
        nllSum += loss * count;
        counted += count;
        stepTokens += batch.lengths.reduce((a, b) => a + b, 0);
        for (const [input, gname] of s.grads) {
          // each run returns fresh output arrays: the first micro-batch's gradient becomes the accumulator
          const g = out[gname]!.data as Float32Array;
          const acc = sum.get(input);
          if (!acc) sum.set(input, accum === 1 ? g : scaleInPlace(g, count));
          else for (let i = 0; i < g.length; i++) acc[i]! += g[i]! * count;
        }
      }
      if (accum > 1) {
        const inv = counted > 0 ? 1 / counted : 0;
        for (const g of sum.values()) for (let i = 0; i < g.length; i++) g[i]! *= inv;
      }
      const stepLoss = counted > 0 ? nllSum / counted : 0;
      const gradNorm = clipGlobalNorm([...sum.values()], run.maxGradNorm);
      const stepLr = learningRate(lr, step, totalSteps, run.schedule.type, run.schedule.warmupRatio);
      optimizer.step(params, sum, stepLr);
      // Sparse masters fed in place must hold the updated values (k writes per matrix).
      if (inPlaceSparse) for (const t of targets) if (t.kind === 'sparse') foldSparse(t);
      step++;
      tokens += stepTokens;
      tokensThisRun += stepTokens;
      finalLoss = stepLoss;
      losses.push({ step, loss: stepLoss });

      let refreshed = false;
      const interval = strategy?.refreshInterval ?? 0;
      if (strategy && interval > 0 && step % interval === 0 && step < totalSteps) {
        await refreshMasks(targets, strategy, optimizer, { rng, step, ops });
        // In place, the indices are fed: the compiled sessions stay valid. Otherwise the mask is
        // baked into the graph and the sessions are rebuilt.
        if (!inPlaceSparse) await disposeSessions(sessions);
        refreshed = true;
      }
      const seconds = (Date.now() - runStart) / 1000;
      if (step % run.logEvery === 0 || step === stopAt) {
        this.logger?.step({
          step,
          totalSteps,
          loss: stepLoss,
          lr: stepLr,
          gradNorm,
          tokens: stepTokens,
          tokensPerSecond: seconds > 0 ? tokensThisRun / seconds : 0,
          elapsedSeconds: elapsedBefore + seconds,
          ...(refreshed ? { refreshed } : {}),
        });
      }
      const every = run.evaluation.every;
      if (every > 0 && step % every === 0 && step < totalSteps) evals.push(...(await this.evaluate(req, sessions, targets, step)));
      const ckEvery = run.output.checkpointEvery;
      if ((ckEvery > 0 && step % ckEvery === 0) || step === stopAt) {
        // state() copies every moment buffer: take it once per checkpoint (it was taken three times)
        const optState = optimizer.state();
        const state: TrainingState = {
          step,
          totalSteps,
          method: method.name,
          loader: loader.position,
          rng: rng.getState(),
          tokens,
          elapsedSeconds: elapsedBefore + seconds,
          losses,
          optimizer: { name: optimizer.name, hyper: optState.hyper, steps: stepsOf(optState) },
          targets: Object.fromEntries(targets.map((t) => [t.name, describe(t)])),
        };
        lastCheckpoint = saveCheckpoint(this.store, run.output.dir, { state, tensors: checkpointTensors(targets), optimizer: optState });
      }
    }
    if (step === totalSteps) evals.push(...(await this.evaluate(req, sessions, targets, step)));

    const wallSeconds = (Date.now() - t0) / 1000;
    const runSeconds = (Date.now() - runStart) / 1000;
    return {
      method: method.name,
      options,
      steps: step,
      finalLoss,
      losses,
      evals,
      trainableParams: trainableCount(targets),
      optimizerStateBytes: optimizer.stateBytes(),
      maskBytes: maskBytes(targets),
      tokens,
      wallSeconds,
      tokensPerSecond: runSeconds > 0 ? tokensThisRun / runSeconds : 0,
      weights: () => mergedWeights(model, targets),
      adapters: loraAdapters(targets),
      ...(lastCheckpoint ? { lastCheckpoint } : {}),
    };
  }

  private compileOptions(run: RunConfig) {
    return {
      executionProvider: run.backend.executionProvider,
      deviceId: run.backend.deviceId,
      ...(run.backend.threads > 0 ? { intraOpThreads: run.backend.threads } : {}),
    };
  }

  /** The target linears in their parametrization, masks selected from the pretrained weights. */
  private async initTargets(
    model: TrainerModel,
    method: Method,
    options: MethodOptions,
    strategy: MaskStrategy | undefined,
    rng: Rng,
    ops: BackendDenseOps,
  ): Promise<Target[]> {
    const modules = (options.targetModules as TargetModule[] | undefined) ?? [...TARGET_MODULES];
    for (const m of modules) {
      if (!TARGET_MODULES.includes(m)) throw new InvalidArgumentError(`unknown target module '${m}'; known: ${TARGET_MODULES.join(', ')}`);
    }
    const maskRng = rng.fork();
    const loraRng = rng.fork();
    const targets: Target[] = [];
    for (let layer = 0; layer < model.config.numHiddenLayers; layer++) {
      for (const module of modules) {
        const name = linearWeightName(layer, module);
        const [rows, cols] = linearShape(model.config, module);
        const source = model.weights.get(name);
        if (!source) throw new InvalidArgumentError(`the model has no weight '${name}'`);
        // The trainer owns its master copy; the caller's weights stay untouched.
        const weight = Float32Array.from(source.data);
        if (method.parametrization === 'dense') {
          targets.push({ kind: 'dense', name, rows, cols, weight });
        } else if (method.parametrization === 'lora') {
          const rank = options.rank as number;
          const alpha = options.alpha as number;
          const dropout = (options.dropout as number | undefined) ?? 0;
          const { a, b } = initLora(rows, cols, rank, loraRng);
          targets.push({ kind: 'lora', name, rows, cols, weight, rank, alpha, dropout, a: a.data, b: b.data });
        } else {
          const budget = maskBudget(rows, cols, {
            ...(options.rank !== undefined ? { rank: options.rank as number } : {}),
            ...(options.density !== undefined ? { density: options.density as number } : {}),
          });
          const indices = await selectMask(strategy!, name, weight, rows, cols, budget, { rng: maskRng, step: 0, ops });
          targets.push({ kind: 'sparse', name, rows, cols, weight, indices, values: gatherValues(weight, indices), budget });
        }
      }
    }
    return targets;
  }

  private restore(ck: Checkpoint, targets: Target[], optimizer: Optimizer, method: string): void {
    const file = `${ck.dir}/targets.safetensors`;
    if (ck.state.method !== method) {
      throw new InvalidArgumentError(`checkpoint ${ck.dir} was written by method '${ck.state.method}', not '${method}'`);
    }
    const need = (key: string, length: number) => {
      const t = ck.tensors.get(key);
      if (!t || t.data.length !== length) throw new InvalidArgumentError(`${file}: tensor '${key}' is missing or has the wrong size`);
      return t.data;
    };
    for (const t of targets) {
      if (t.kind === 'lora') {
        const n = loraNames(t.name);
        t.a.set(need(n.a, t.a.length) as Float32Array);
        t.b.set(need(n.b, t.b.length) as Float32Array);
        continue;
      }
      t.weight.set(need(t.name, t.weight.length) as Float32Array);
      if (t.kind === 'sparse') {
        const mask = need(`${t.name}.mask`, t.budget);
        t.indices = Int32Array.from(mask as Int32Array);
        t.values = gatherValues(t.weight, t.indices);
      }
    }
    optimizer.load(ck.optimizer);
  }

  private async session(cache: Map<string, Promise<Session>>, model: TrainerModel, targets: readonly Target[], batch: Batch, run: RunConfig): Promise<Session> {
    const [B, S] = batch.inputIds.shape as [number, number];
    const key = `${B}x${S}`;
    let s = cache.get(key);
    if (!s) {
      s = this.compileSession(model, targets, B, S, run);
      cache.set(key, s);
    }
    return s;
  }

  /**
   * Whether sparse targets feed their master W in place (with the trained values written into
   * it) instead of scattering the values into a frozen initializer: on the CPU provider, where
   * inputs are read in place, this drops a copy of every target matrix per step and the rebuild
   * of the sessions at every mask refresh. On CUDA a fed W would be uploaded at every step, so
   * there the initializer + scatter graph is kept. Both compute the same function and gradients.
   */
  private sparseInPlace(run: RunConfig): boolean {
    return (run.backend.executionProvider ?? 'cpu') === 'cpu';
  }

  private async compileSession(model: TrainerModel, targets: readonly Target[], batch: number, seqLen: number, run: RunConfig): Promise<Session> {
    const byName = new Map(targets.map((t) => [t.name, t]));
    const inPlace = this.sparseInPlace(run);
    const source = (name: string): ParamSource => {
      const t = byName.get(name);
      if (!t) return { kind: 'frozen', w: model.weights.get(name)! };
      const w = tensor('float32', [t.rows, t.cols], t.weight);
      if (t.kind === 'dense') return { kind: 'dense' };
      if (t.kind === 'lora') return { kind: 'lora', w, rank: t.rank, alpha: t.alpha, dropout: t.dropout };
      // W enters as an input of its full shape; its gradient is gathered at the mask below
      if (inPlace) return { kind: 'dense', input: name };
      return { kind: 'sparse', w, indices: t.indices };
    };
    const g = buildLlamaTrainingGraph(model.config, { batch, seqLen, weights: source, name: `train-${batch}x${seqLen}` });
    const inputs = [...g.trainable.entries()];
    const dws = grad(g.graph, g.loss, inputs.map(([, v]) => v));
    const grads = new Map<string, string>();
    const inPlaceTargets = new Map<string, SparseTarget>();
    const outputs = [g.loss, g.tokenCount];
    inputs.forEach(([input], i) => {
      const t = byName.get(input);
      if (t?.kind === 'sparse' && inPlace) {
        // the k gradient values: dW (flat) gathered at the mask indices, fed as int64 [k]
        const idx = g.graph.input(sparseIndicesName(t.name), 'int64', [t.budget]);
        const gv = op.gather(op.reshape(dws[i]!, [t.rows * t.cols]), idx, 0);
        grads.set(sparseValuesName(t.name), gv.name);
        inPlaceTargets.set(input, t);
        outputs.push(gv);
      } else {
        grads.set(input, dws[i]!.name);
        outputs.push(dws[i]!);
      }
    });
    const exe = await this.backend.compile(g.graph, outputs, this.compileOptions(run));
    const n = batch * seqLen;
    return {
      exe,
      loss: g.loss.name,
      count: g.tokenCount.name,
      grads,
      shapes: new Map(inputs.map(([input, v]) => [input, v.shape])),
      inPlace: inPlaceTargets,
      batchBuffers: { ids: new BigInt64Array(n), mask: new BigInt64Array(n), labels: new BigInt64Array(n) },
      dropout: targets.flatMap((t) => {
        const v = t.kind === 'lora' && g.dropoutScales.get(loraDropoutName(t.name));
        return v ? [{ name: v.name, shape: v.shape, p: (t as LoraTarget).dropout, data: new Float32Array(numel(v.shape)) }] : [];
      }),
    };
  }

  /** The session's inputs for one batch; `dropoutRng` draws LoRA dropout masks (training), without it none drop (evaluation). */
  private feeds(batch: Batch, params: ReadonlyMap<string, Float32Array>, session: Session, dropoutRng?: Rng): Record<string, Tensor> {
    const shape = batch.inputIds.shape;
    const b = session.batchBuffers;
    const feeds: Record<string, Tensor> = {
      input_ids: tensor('int64', shape, toInt64(batch.inputIds.data, b.ids)),
      attention_mask: tensor('int64', shape, toInt64(batch.attentionMask.data, b.mask)),
      labels: tensor('int64', shape, toInt64(batch.labels.data, b.labels)),
    };
    for (const [name, shapeOf] of session.shapes) {
      const t = session.inPlace.get(name);
      if (t) {
        feeds[name] = { dtype: 'float32', shape: shapeOf, data: t.weight };
        feeds[sparseIndicesName(t.name)] = { dtype: 'int64', shape: [t.budget], data: indices64(t) };
      } else {
        feeds[name] = { dtype: 'float32', shape: shapeOf, data: params.get(name)! };
      }
    }
    for (const d of session.dropout) {
      if (dropoutRng) fillDropout(d.data, d.p, dropoutRng);
      else d.data.fill(1);
      feeds[d.name] = { dtype: 'float32', shape: d.shape, data: d.data };
    }
    return feeds;
  }

  /** Mean token loss of each eval set, plus the caller's hook, at the current weights. */
  private async evaluate(req: TrainRequest, sessions: Map<string, Promise<Session>>, targets: readonly Target[], step: number): Promise<EvalRecord[]> {
    const out: EvalRecord[] = [];
    const params = trainableVectors(targets);
    for (const set of req.evalSets ?? []) {
      const examples = set.examples.slice(0, req.run.evaluation.maxRecords);
      let nll = 0;
      let count = 0;
      for (let i = 0; i < examples.length; i += req.run.batchSize) {
        const batch = collate(examples.slice(i, i + req.run.batchSize), req.padTokenId);
        const s = await this.session(sessions, req.model, targets, batch, req.run);
        const res = await s.exe.run(this.feeds(batch, params, s));
        const c = (res[s.count]!.data as Float32Array)[0]!;
        nll += (res[s.loss]!.data as Float32Array)[0]! * c;
        count += c;
      }
      const rec: EvalRecord = { step, split: set.name, loss: count > 0 ? nll / count : NaN, records: examples.length };
      this.logger?.eval?.(rec);
      out.push(rec);
    }
    if (req.evaluate) {
      for (const rec of await req.evaluate({ step, weights: () => mergedWeights(req.model, targets) })) {
        this.logger?.eval?.(rec);
        out.push(rec);
      }
    }
    return out;
  }
}

/** Int32 → int64 into `out` (the session's buffer, reused every step). */
function toInt64(a: Int32Array, out: BigInt64Array): BigInt64Array {
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
  return out;
}

function scaleInPlace(g: Float32Array, c: number): Float32Array {
  for (let i = 0; i < g.length; i++) g[i]! *= c;
  return g;
}

/** The mask as int64, converted once per mask (a refresh replaces t.indices). */
const int64Masks = new WeakMap<Int32Array, BigInt64Array>();
function indices64(t: SparseTarget): BigInt64Array {
  let out = int64Masks.get(t.indices);
  if (!out) {
    out = BigInt64Array.from(t.indices, (i) => BigInt(i));
    int64Masks.set(t.indices, out);
  }
  return out;
}

async function disposeSessions(cache: Map<string, Promise<Session>>): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const s of all) await (await s).exe.dispose();
}

function stepsOf(state: OptimizerState): Record<string, number> {
  return Object.fromEntries(Object.entries(state.params).map(([k, v]) => [k, v.step]));
}

function describe(t: Target): TrainingState['targets'][string] {
  if (t.kind === 'sparse') return { kind: t.kind, budget: t.budget };
  if (t.kind === 'lora') return { kind: t.kind, rank: t.rank, alpha: t.alpha };
  return { kind: t.kind };
}

function checkpointTensors(targets: readonly Target[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const t of targets) {
    if (t.kind === 'lora') {
      const n = loraNames(t.name);
      out.set(n.a, tensor('float32', [t.rank, t.cols], t.a));
      out.set(n.b, tensor('float32', [t.rows, t.rank], t.b));
    } else if (t.kind === 'dense') {
      out.set(t.name, tensor('float32', [t.rows, t.cols], t.weight));
    } else {
      out.set(t.name, effectiveWeight(t));
      out.set(`${t.name}.mask`, tensor('int32', [t.indices.length], t.indices));
    }
  }
  return out;
}

function mergedWeights(model: TrainerModel, targets: readonly Target[]): Map<string, Tensor<'float32'>> {
  const out = new Map(model.weights);
  for (const t of targets) out.set(t.name, effectiveWeight(t));
  return out;
}

function loraAdapters(targets: readonly Target[]): Map<string, Tensor<'float32'>> {
  const out = new Map<string, Tensor<'float32'>>();
  for (const t of targets) {
    if (t.kind !== 'lora') continue;
    const n = loraNames(t.name);
    out.set(n.a, tensor('float32', [t.rank, t.cols], t.a));
    out.set(n.b, tensor('float32', [t.rows, t.rank], t.b));
  }
  return out;
}

export { sparseValuesName };

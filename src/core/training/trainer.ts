/**
 * The built-in host: a trainer on the compute backend. The method's parametrization plugin makes
 * the trainable state of every target weight and binds it into the training graph; the backend
 * runs forward and backward; the optimizer updates the trainable vectors on the host.
 */
import { inject, injectable, optional } from 'inversify';
import type { Backend, CheckpointStore, CompileOptions, EvalRecord, MethodOptions, TrainableTarget, TrainingLogger } from '../contracts.js';
import type { RunConfig } from '../config/schema.js';
import { SftDataLoader } from '../data/loader.js';
import type { TokenizedExample } from '../data/tokenize.js';
import { TOKENS } from '../di.js';
import { DivergedLossError, InvalidArgumentError, NonFiniteLossError } from '../errors.js';
import { BackendDenseOps } from '../linalg/backend-ops.js';
import { type ModelConfig, linearShape, linearWeightName, type TargetModule } from '../model/config.js';
import { type Registry, type ResolvedMethod } from '../registry.js';
import { Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';
import { restoreTargets, targetTensors } from './checkpoint-state.js';
import { type KernelRunner, type KernelRunnerFactory, InlineKernelRunner } from '../parallel.js';
import { clipGlobalNorm, clipScale, globalNorm } from './clip.js';
import { lossLimit } from './divergence.js';
import { evaluateSets } from './evaluation.js';
import { resolveRecompute } from './recompute-policy.js';
import { refreshDue } from './refresh.js';
import { learningRate } from './schedule.js';
import { type TrainingSession, TrainingSessions } from './session.js';
import { adapterTensors, createTargets, initFromAdapter, mergedWeights, refreshTargets, structureBytes, targetMasks, trainableCount, trainableVectors } from './targets.js';

export interface TrainerModel {
  config: ModelConfig;
  weights: ReadonlyMap<string, Tensor<'float32'>>;
}

export interface EvalHookContext {
  step: number;
  /** The model's weights as a plain forward uses them (every target merged). */
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
  /** Start the targets from an exported adapter (tensors by the names adapter() writes); a resumed run's checkpoint wins. */
  init?: { adapter: ReadonlyMap<string, Tensor>; source: string };
  /**
   * The caller hands its target weights over: each target trains the caller's array in place as
   * its master instead of a copy (one copy of each trained matrix in the process, not two).
   * Default false: the run copies every matrix it writes and model.weights stay untouched.
   *
   * With true, the caller must not reuse model.weights' target matrices afterwards as the base
   * model: during and after the run they hold training's state (the trained weights, or for a
   * layout that folds late, the trained weights except at the current mask), and TrainResult.
   * weights() may return those very arrays. Use it when the caller loaded the model for this
   * run alone; not when several runs start from the same base (a comparison) or when the base is
   * read afterwards (a sparse delta is a diff against it: reload it from disk).
   */
  adoptWeights?: boolean;
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
  /** Bytes of structure beside the trainable values (mask indices). */
  maskBytes: number;
  tokens: number;
  wallSeconds: number;
  tokensPerSecond: number;
  /**
   * The model weights with the training applied (every target merged). Trained matrices a target
   * holds whole (sparse, dense) are its final master arrays, not copies; with
   * TrainRequest.adoptWeights those are the caller's own arrays. Read them; copy before writing.
   */
  weights: () => Map<string, Tensor<'float32'>>;
  /** Adapter tensors of parametrizations that have one (LoRA: PEFT names). */
  adapters: Map<string, Tensor>;
  /** Final masks of parametrizations that train one (sparse), by weight name. */
  masks: Map<string, Int32Array>;
  /**
   * Whether the run trained the caller's target arrays in place (TrainRequest.adoptWeights, and a
   * parametrization that writes W): model.weights' target matrices then no longer hold the base.
   */
  weightsAdopted: boolean;
  /** The activation recomputation the run used (run.recompute, with 'auto' decided). */
  recompute: 'layers' | 'none';
  lastCheckpoint?: string;
}

/** Counters a checkpoint carries across a kill. */
interface Progress {
  step: number;
  tokens: number;
  elapsedBefore: number;
  losses: { step: number; loss: number }[];
  lastCheckpoint?: string;
}

@injectable()
export class Trainer {
  constructor(
    @inject(TOKENS.Registry) private readonly registry: Registry,
    @inject(TOKENS.Backend) private readonly backend: Backend,
    @inject(TOKENS.CheckpointStore) private readonly checkpoints: CheckpointStore,
    @inject(TOKENS.TrainingLogger) @optional() private readonly logger?: TrainingLogger,
    /** Host kernels (the optimizer's update) on worker threads; on the calling thread without one. */
    @inject(TOKENS.KernelRunnerFactory) @optional() private readonly runners?: KernelRunnerFactory,
  ) {}

  /** The same trainer reporting to another logger (e.g. one per method of a comparison). */
  withLogger(logger: TrainingLogger): Trainer {
    return new Trainer(this.registry, this.backend, this.checkpoints, logger, this.runners);
  }

  /** The run's method with its options validated once (run.optimizer overrides the method's lr, betas, eps, weightDecay). */
  resolveMethod(run: RunConfig): ResolvedMethod {
    const { lr, betas, eps, weightDecay } = run.optimizer;
    const overrides = Object.fromEntries(Object.entries({ lr, betas, eps, weightDecay }).filter(([, v]) => v !== undefined));
    return this.registry.resolve(run.method.name, { ...run.method.options, ...overrides });
  }

  async train(req: TrainRequest): Promise<TrainResult> {
    const compile = compileOptions(req.run);
    const ops = new BackendDenseOps(this.backend, compile);
    let sessions: TrainingSessions | undefined;
    const runner = this.runners?.() ?? new InlineKernelRunner();
    try {
      return await this.trainWith(req, ops, runner, (targets) => (sessions = new TrainingSessions(this.backend, req.model.config, req.model.weights, targets, compile, { recompute: recomputeOf(req, targets) })));
    } finally {
      // Sessions hold the frozen weights in the runtime: release them however the run ends.
      await sessions?.invalidate();
      await ops.dispose();
      await runner.dispose();
      this.logger?.end?.();
    }
  }

  private async trainWith(
    req: TrainRequest,
    ops: BackendDenseOps,
    runner: KernelRunner,
    open: (t: TrainableTarget[]) => TrainingSessions,
  ): Promise<TrainResult> {
    const { run, model } = req;
    const t0 = Date.now();
    const { method, parametrization, options, strategy, optimizer } = this.resolveMethod(run);
    const rng = new Rng(run.seed);
    const loader = new SftDataLoader(req.train, req.padTokenId, { batchSize: run.batchSize, seed: run.seed });
    const totalSteps = run.steps ?? Math.max(1, Math.ceil((run.epochs * loader.batchesPerEpoch) / run.gradientAccumulation));
    const maskRng = rng.fork();
    const initRng = rng.fork();
    // the backend's worker threads, if it has them: portable mask selections run side by side there
    const pool = this.backend.taskPool?.();
    const targets = await createTargets(targetSpecs(model, options.targetModules as TargetModule[]), parametrization, options, {
      ...(strategy ? { strategy } : {}),
      maskRng,
      initRng,
      ops,
      ...(pool ? { pool } : {}),
      ...(req.adoptWeights ? { adoptWeights: true } : {}),
    });
    if (req.init) initFromAdapter(targets, req.init.adapter, req.init.source);
    const sessions = open(targets);
    const p: Progress = { step: 0, tokens: 0, elapsedBefore: 0, losses: [] };
    if (req.resume) this.resume(run, method.name, targets, optimizer, rng, loader, p);

    const evals: EvalRecord[] = [];
    const evaluate = async (step: number) =>
      evals.push(...(await evaluateSets(req, sessions, step, () => mergedWeights(model.weights, targets), this.logger)));
    this.logger?.start?.({ method: method.name, totalSteps });
    const stopAt = Math.min(totalSteps, req.stopAfterStep ?? totalSteps);
    const runStart = Date.now();
    let tokensThisRun = 0;

    while (p.step < stopAt) {
      const vectors = trainableVectors(targets);
      const { loss, grads, tokens } = await this.forwardBackward(sessions, loader, run.gradientAccumulation, rng, p);
      const lr = learningRate(options.lr as number, p.step, totalSteps, run.schedule.type, run.schedule.warmupRatio);
      let gradNorm: number;
      if (optimizer.stepOn) {
        // clipping fused into the update (no pass that scales g), the update on the runner's threads
        gradNorm = globalNorm(grads.values());
        await optimizer.stepOn(runner, vectors, grads, lr, clipScale(gradNorm, run.maxGradNorm));
      } else {
        gradNorm = clipGlobalNorm([...grads.values()], run.maxGradNorm);
        optimizer.step(vectors, grads, lr);
      }
      for (const t of targets) t.afterStep?.(sessions.layout);
      p.step++;
      p.tokens += tokens;
      tokensThisRun += tokens;
      p.losses.push({ step: p.step, loss });

      const refreshed = refreshDue(strategy, p.step, totalSteps);
      if (refreshed) {
        const { stale } = await refreshTargets(targets, { ...(strategy ? { strategy } : {}), optimizer, rng, step: p.step, ops, layout: sessions.layout, ...(pool ? { pool } : {}) });
        if (stale) await sessions.invalidate();
      }
      const seconds = (Date.now() - runStart) / 1000;
      if (p.step % run.logEvery === 0 || p.step === stopAt) {
        const tokensPerSecond = seconds > 0 ? tokensThisRun / seconds : 0;
        const at = { step: p.step, totalSteps, loss, lr, gradNorm, tokens, tokensPerSecond, elapsedSeconds: p.elapsedBefore + seconds };
        this.logger?.step({ ...at, ...(refreshed ? { refreshed } : {}) });
      }
      if (run.evaluation.every > 0 && p.step % run.evaluation.every === 0 && p.step < totalSteps) await evaluate(p.step);
      const ckEvery = run.output.checkpointEvery;
      if ((ckEvery > 0 && p.step % ckEvery === 0) || p.step === stopAt) this.checkpoint(run, method.name, totalSteps, targets, optimizer, rng, loader, p, seconds);
    }
    if (p.step === totalSteps) await evaluate(p.step);

    const runSeconds = (Date.now() - runStart) / 1000;
    return {
      method: method.name,
      options,
      steps: p.step,
      finalLoss: p.losses.at(-1)?.loss ?? NaN,
      losses: p.losses,
      evals,
      trainableParams: trainableCount(targets),
      optimizerStateBytes: optimizer.stateBytes(),
      maskBytes: structureBytes(targets),
      tokens: p.tokens,
      wallSeconds: (Date.now() - t0) / 1000,
      tokensPerSecond: runSeconds > 0 ? tokensThisRun / runSeconds : 0,
      // training has ended: the targets' final state, without a copy of each trained matrix
      weights: () => mergedWeights(model.weights, targets, { view: true }),
      adapters: adapterTensors(targets),
      masks: targetMasks(targets),
      weightsAdopted: Boolean(req.adoptWeights) && !parametrization.readsWeightOnly,
      recompute: recomputeOf(req, targets),
      ...(p.lastCheckpoint ? { lastCheckpoint: p.lastCheckpoint } : {}),
    };
  }

  /**
   * One optimizer step's gradients over `accum` micro-batches, token-weighted: the step's loss is
   * Σ nll / Σ counted and each gradient the same weighted mean.
   */
  private async forwardBackward(sessions: TrainingSessions, loader: SftDataLoader, accum: number, rng: Rng, p: Progress) {
    const sum = new Map<string, Float32Array>();
    let nll = 0;
    let counted = 0;
    let tokens = 0;
    for (let micro = 0; micro < accum; micro++) {
      const batch = loader.next();
      const session: TrainingSession = await sessions.get(batch);
      // Dropout draws from the run's RNG, whose state every checkpoint saves: a resumed run draws the same.
      const out = await session.run(batch, rng);
      if (!Number.isFinite(out.loss)) throw new NonFiniteLossError(p.step + 1, out.loss, this.resumable(p));
      nll += out.loss * out.count;
      counted += out.count;
      tokens += batch.lengths.reduce((a, b) => a + b, 0);
      for (const [name, g] of out.grads) {
        // each run returns fresh arrays: the first micro-batch's gradient becomes the accumulator
        const acc = sum.get(name);
        if (!acc) sum.set(name, accum === 1 ? g : scaleInPlace(g, out.count));
        else for (let i = 0; i < g.length; i++) acc[i]! += g[i]! * out.count;
      }
    }
    if (accum > 1) {
      const inv = counted > 0 ? 1 / counted : 0;
      for (const g of sum.values()) scaleInPlace(g, inv);
    }
    const loss = counted > 0 ? nll / counted : 0;
    // A finite loss far above the first step's is a destroyed model: stop before the update makes it worse.
    const { limit, firstLoss } = lossLimit(p.losses);
    if (loss > limit) throw new DivergedLossError(p.step + 1, loss, limit, firstLoss, this.resumable(p));
    return { loss, grads: sum, tokens };
  }

  /** The checkpoint a run that stops on a bad loss names: the newest one that resumes finitely. */
  private resumable(p: Progress): string | undefined {
    if (!p.lastCheckpoint) return undefined;
    return this.checkpoints.fallBack ? this.checkpoints.fallBack(p.lastCheckpoint, p.step + 1) : p.lastCheckpoint;
  }

  private resume(run: RunConfig, method: string, targets: TrainableTarget[], optimizer: ResolvedMethod['optimizer'], rng: Rng, loader: SftDataLoader, p: Progress): void {
    const ck = this.checkpoints.latest(run.output.dir);
    if (!ck) return;
    restoreTargets(ck, method, targets, optimizer);
    rng.setState(ck.state.rng);
    loader.seek(ck.state.loader);
    Object.assign(p, { step: ck.state.step, tokens: ck.state.tokens, elapsedBefore: ck.state.elapsedSeconds, lastCheckpoint: ck.dir });
    p.losses.push(...ck.state.losses);
  }

  private checkpoint(
    run: RunConfig,
    method: string,
    totalSteps: number,
    targets: TrainableTarget[],
    optimizer: ResolvedMethod['optimizer'],
    rng: Rng,
    loader: SftDataLoader,
    p: Progress,
    seconds: number,
  ): void {
    // The store writes the checkpoint out at once (or copies what it keeps, as
    // MemoryCheckpointStore does): the moments as views, not copies (AdamW's are 2× the trained weights).
    const optState = optimizer.stateView?.() ?? optimizer.state();
    const steps = Object.fromEntries(Object.entries(optState.params).map(([k, v]) => [k, v.step]));
    const state = {
      step: p.step,
      totalSteps,
      method,
      loader: loader.position,
      rng: rng.getState(),
      tokens: p.tokens,
      elapsedSeconds: p.elapsedBefore + seconds,
      losses: p.losses,
      optimizer: { name: optimizer.name, hyper: optState.hyper, steps },
    };
    p.lastCheckpoint = this.checkpoints.save(run.output.dir, { state, tensors: targetTensors(targets), optimizer: optState });
  }
}

/** The target linears of every decoder layer, in layer then module order. */
function targetSpecs(model: TrainerModel, modules: readonly TargetModule[]) {
  const specs = [];
  for (let layer = 0; layer < model.config.numHiddenLayers; layer++) {
    for (const module of modules) {
      const name = linearWeightName(layer, module);
      const [rows, cols] = linearShape(model.config, module);
      const source = model.weights.get(name);
      if (!source) throw new InvalidArgumentError(`the model has no weight '${name}'`);
      specs.push({ name, rows, cols, source });
    }
  }
  return specs;
}

/**
 * The run's activation recomputation, 'auto' decided from the model's shape, the run's largest
 * batch and the share of the model's values its targets train.
 */
export function recomputeOf(req: Pick<TrainRequest, 'run' | 'model'>, targets: readonly TrainableTarget[] = []): 'layers' | 'none' {
  let values = 0;
  for (const w of req.model.weights.values()) values += w.data.length;
  const fraction = values > 0 ? trainableCount(targets) / values : 0;
  return resolveRecompute(req.run.recompute ?? 'auto', req.model.config, req.run.batchSize, req.run.data.maxLength, fraction);
}

function compileOptions(run: RunConfig): CompileOptions {
  return { deviceId: run.backend.deviceId, ...(run.backend.threads > 0 ? { intraOpThreads: run.backend.threads } : {}) };
}

function scaleInPlace(g: Float32Array, c: number): Float32Array {
  for (let i = 0; i < g.length; i++) g[i]! *= c;
  return g;
}

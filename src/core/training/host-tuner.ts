/**
 * A method for a host training framework: the host owns the model, the forward and the backward;
 * through a HostAdapter it lets the plugin read and write weights and read each step's dense
 * gradients. The tuner offers init (the method's trainable state: masks for LIFT), step (the
 * optimizer's update on the trainable vectors only, written back into the host's weights) and
 * refresh. It takes any registered method whose parametrization maps a dense gradient onto its
 * vectors (sparse and dense do; LoRA needs the graph).
 */
import type { DenseOps, HostAdapter, MethodOptions, TrainableTarget } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import type { Registry, ResolvedMethod } from '../registry.js';
import type { TaskPool } from '../tasks.js';
import { Rng } from '../rng.js';
import { refreshDue } from './refresh.js';
import { createTargets, refreshTargets, trainableCount, trainableVectors } from './targets.js';

export interface HostTunerOptions {
  /** A registered method (lift, magnitude, random, full, or the host's own). */
  method: string;
  /** Method options, validated by the method's schema as a run's are (rank or density, filterRank, interval, betas...). */
  options?: MethodOptions;
  /** Which of the host's parameters to tune (default: every 2-D one). */
  parameters?: (name: string, shape: readonly number[]) => boolean;
  seed?: number;
  /** Optimizer steps the host will run, when it knows: a refresh due after the last one is skipped, as the trainer does. */
  totalSteps?: number;
  ops?: DenseOps;
  /** Worker threads for portable mask selections (e.g. a CPU backend's taskPool()); inline without. */
  pool?: TaskPool;
}

export class HostTuner {
  readonly resolved: ResolvedMethod;
  private targets: TrainableTarget[] = [];
  private steps = 0;
  private readonly rng: Rng;

  constructor(
    registry: Registry,
    private readonly config: HostTunerOptions,
  ) {
    this.resolved = registry.resolve(config.method, config.options ?? {}, '/options');
    this.rng = new Rng(config.seed ?? 0);
  }

  get optimizer() {
    return this.resolved.optimizer;
  }

  get strategy() {
    return this.resolved.strategy;
  }

  /** Makes every target's trainable state (selects the masks) from the host's current weights. */
  async init(host: HostAdapter): Promise<void> {
    const specs = [];
    for (const name of host.parameterNames()) {
      const source = host.read(name);
      if (source.shape.length !== 2 || !(this.config.parameters ?? (() => true))(name, source.shape)) continue;
      const [rows, cols] = source.shape as [number, number];
      specs.push({ name, rows, cols, source });
    }
    const { parametrization, options, strategy } = this.resolved;
    this.targets = await createTargets(specs, parametrization, options, {
      ...(strategy ? { strategy } : {}),
      maskRng: this.rng,
      initRng: this.rng,
      ...this.ctxOps(),
    });
    for (const t of this.targets) {
      if (!t.fromDenseGradient || !t.syncFromHost) {
        throw new InvalidArgumentError(`method '${this.resolved.method.name}': parametrization '${parametrization.name}' needs a training graph; a host tuner cannot drive it`);
      }
    }
    // the host's backward then skips the gradients of everything that stays frozen
    host.setTargets?.(this.targets.map((t) => t.name));
  }

  /** The masks of parametrizations that train one, by parameter name (sorted flat indices). */
  masks(): Map<string, Int32Array> {
    return new Map(this.targets.flatMap((t) => (t.mask ? [[t.name, t.mask()] as const] : [])));
  }

  /**
   * One optimizer step from the host's gradients: only the trainable vectors move, and the host's
   * weights are written back. Refreshes when refreshDue says so (the strategy's interval and timing).
   */
  async step(host: HostAdapter, lr: number): Promise<{ refreshed: boolean }> {
    const grads = new Map<string, Float32Array>();
    for (const t of this.targets) {
      const g = host.gradient(t.name);
      if (g.length !== t.rows * t.cols) throw new InvalidArgumentError(`gradient of '${t.name}' has ${g.length} values, expected ${t.rows * t.cols}`);
      // The host may have changed the weights itself (e.g. its own decay); the trainable values follow it.
      t.syncFromHost!(host.read(t.name).data);
      for (const [name, v] of t.fromDenseGradient!(g)) grads.set(name, v);
    }
    this.optimizer.step(trainableVectors(this.targets), grads, lr);
    this.steps++;
    for (const t of this.targets) host.write(t.name, t.merged());
    if (refreshDue(this.strategy, this.steps, this.config.totalSteps)) {
      await this.refresh();
      return { refreshed: true };
    }
    return { refreshed: false };
  }

  /** Recomputes every mask from the current weights, carrying optimizer state of kept entries. */
  async refresh(): Promise<number> {
    const { strategy, optimizer } = this.resolved;
    const ctx = { ...(strategy ? { strategy } : {}), optimizer, rng: this.rng, step: this.steps, layout: { inputsInPlace: true }, ...this.ctxOps() };
    return (await refreshTargets(this.targets, ctx)).changed;
  }

  trainableParams(): number {
    return trainableCount(this.targets);
  }

  stateBytes(): number {
    return this.optimizer.stateBytes();
  }

  private ctxOps(): { ops?: DenseOps; pool?: TaskPool } {
    return { ...(this.config.ops ? { ops: this.config.ops } : {}), ...(this.config.pool ? { pool: this.config.pool } : {}) };
  }
}

/** The name this class had when it took sparse methods only. */
export const HostSparseTuner = HostTuner;
export type HostSparseTuner = HostTuner;

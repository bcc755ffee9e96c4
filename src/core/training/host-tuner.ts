/**
 * LIFT (or any sparse method) for a host training framework: the host owns the model, the
 * forward and the backward; through a HostAdapter it lets the plugin read and write weights and
 * read each step's dense gradients. The plugin offers init (masks), step (the sparse update on
 * masked entries only, optimizer state on those entries only) and refresh.
 */
import type { DenseOps, HostAdapter, MaskStrategy, MethodOptions, Optimizer } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { maskBudget } from '../linalg/budget.js';
import { sparseValuesName } from '../model/params.js';
import type { Registry } from '../registry.js';
import { Rng } from '../rng.js';
import { type SparseTarget, gatherValues, refreshMasks, selectMask } from './targets.js';

export interface HostTunerOptions {
  /** A registered sparse method (lift, magnitude, random, or the host's own). */
  method: string;
  /** Method options (rank or density, filterRank, interval, betas, eps, weightDecay...). */
  options?: MethodOptions;
  /** Which of the host's parameters to tune (default: every 2-D one). */
  parameters?: (name: string, shape: readonly number[]) => boolean;
  seed?: number;
  ops?: DenseOps;
}

export class HostSparseTuner {
  readonly optimizer: Optimizer;
  readonly strategy: MaskStrategy;
  private targets: SparseTarget[] = [];
  private steps = 0;
  private readonly rng: Rng;
  private readonly options: MethodOptions;

  constructor(
    registry: Registry,
    private readonly config: HostTunerOptions,
  ) {
    const method = registry.method(config.method);
    if (method.parametrization !== 'sparse') {
      throw new InvalidArgumentError(`method '${method.name}' is ${method.parametrization}; a host tuner takes a sparse method`);
    }
    this.options = { ...method.defaults, ...config.options };
    this.optimizer = registry.optimizer(method.optimizer, this.options);
    this.strategy = registry.strategy(method.strategy ?? method.name, this.options);
    this.rng = new Rng(config.seed ?? 0);
  }

  /** Selects every target's mask from the host's current weights. */
  async init(host: HostAdapter): Promise<void> {
    this.targets = [];
    for (const name of host.parameterNames()) {
      const w = host.read(name);
      if (w.shape.length !== 2 || !(this.config.parameters ?? (() => true))(name, w.shape)) continue;
      const [rows, cols] = w.shape as [number, number];
      const budget = maskBudget(rows, cols, {
        ...(this.options.rank !== undefined ? { rank: this.options.rank as number } : {}),
        ...(this.options.density !== undefined ? { density: this.options.density as number } : {}),
      });
      const weight = Float32Array.from(w.data);
      const indices = await selectMask(this.strategy, name, weight, rows, cols, budget, { rng: this.rng, step: 0, ...this.ctxOps() });
      this.targets.push({ kind: 'sparse', name, rows, cols, weight, indices, values: gatherValues(weight, indices), budget });
    }
  }

  /** The masks, by parameter name (sorted flat indices). */
  masks(): Map<string, Int32Array> {
    return new Map(this.targets.map((t) => [t.name, t.indices]));
  }

  /**
   * One sparse AdamW step from the host's gradients: only masked entries move, and the host's
   * weights are written back. Refreshes the masks when the method's interval says so.
   */
  async step(host: HostAdapter, lr: number): Promise<{ refreshed: boolean }> {
    const params = new Map<string, Float32Array>();
    const grads = new Map<string, Float32Array>();
    for (const t of this.targets) {
      const g = host.gradient(t.name);
      if (g.length !== t.rows * t.cols) throw new InvalidArgumentError(`gradient of '${t.name}' has ${g.length} values, expected ${t.rows * t.cols}`);
      // The host may have changed the weights itself (e.g. its own decay); masked values follow it.
      const current = host.read(t.name).data;
      t.weight.set(current);
      for (let i = 0; i < t.indices.length; i++) t.values[i] = current[t.indices[i]!]!;
      params.set(sparseValuesName(t.name), t.values);
      grads.set(sparseValuesName(t.name), gatherValues(g, t.indices));
    }
    this.optimizer.step(params, grads, lr);
    this.steps++;
    for (const t of this.targets) {
      for (let i = 0; i < t.indices.length; i++) t.weight[t.indices[i]!] = t.values[i]!;
      host.write(t.name, { dtype: 'float32', shape: [t.rows, t.cols], data: t.weight });
    }
    const interval = this.strategy.refreshInterval ?? 0;
    if (interval > 0 && this.steps % interval === 0) {
      await this.refresh();
      return { refreshed: true };
    }
    return { refreshed: false };
  }

  /** Recomputes every mask from the current weights, carrying optimizer state of kept entries. */
  async refresh(): Promise<number> {
    return refreshMasks(this.targets, this.strategy, this.optimizer, { rng: this.rng, step: this.steps, ...this.ctxOps() });
  }

  trainableParams(): number {
    return this.targets.reduce((s, t) => s + t.indices.length, 0);
  }

  stateBytes(): number {
    return this.optimizer.stateBytes();
  }

  private ctxOps(): { ops?: DenseOps } {
    return this.config.ops ? { ops: this.config.ops } : {};
  }
}

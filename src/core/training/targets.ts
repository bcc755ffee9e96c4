/**
 * The trainable state of a run: one TrainableTarget per target weight, made by the method's
 * parametrization plugin. Core sees only the contract: vectors for the optimizer, merged weights,
 * checkpoint tensors, refresh.
 */
import type { BackendCapabilities, DenseOps, MaskSelection, MaskStrategy, MethodOptions, Optimizer, Parametrization, TrainableTarget } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import type { TaskPool } from '../tasks.js';
import type { Tensor } from '../tensor.js';
import { WeightCopies } from './masks.js';

export interface TargetSpec {
  name: string;
  rows: number;
  cols: number;
  /**
   * The weight as the caller has it. The target gets its own copy, unless its parametrization
   * never writes W (readsWeightOnly) or createTargets is told to adopt the caller's weights.
   */
  source: Tensor<'float32'>;
}

/**
 * Every target in the method's parametrization, in order; masks drawn from `maskRng`, init from
 * `initRng`. A portable strategy (MaskStrategy.portable) gets one stream per target, forked from
 * `maskRng` in target order, and with a `pool` its selections run side by side there; the masks
 * are the same either way. With `adoptWeights` every target takes the caller's array as its
 * master (no copy), so training writes into the caller's weights (see TrainRequest.adoptWeights).
 */
export async function createTargets(
  specs: readonly TargetSpec[],
  parametrization: Parametrization,
  options: MethodOptions,
  ctx: { strategy?: MaskStrategy; maskRng: Rng; initRng: Rng; ops?: DenseOps; pool?: TaskPool; adoptWeights?: boolean },
): Promise<TrainableTarget[]> {
  const { pool, adoptWeights, ...base } = ctx;
  const portable = ctx.strategy?.portable !== undefined;
  const pooled = usePool(pool, portable, specs);
  const make = (s: TargetSpec, maskRng: Rng, selection?: MaskSelection) => {
    if (s.source.data.length !== s.rows * s.cols) {
      throw new InvalidArgumentError(`weight '${s.name}' has ${s.source.data.length} values, expected ${s.rows}×${s.cols}`, { name: s.name });
    }
    // The run owns its master copy; the caller's weights stay untouched. A parametrization that
    // never writes W (LoRA) reads the caller's array: no second copy of a frozen matrix. A caller
    // that hands its weights over (adoptWeights) gives the run its arrays as the masters.
    const weight = parametrization.readsWeightOnly || adoptWeights ? s.source.data : Float32Array.from(s.source.data);
    return parametrization.create({ name: s.name, rows: s.rows, cols: s.cols, weight }, options, { ...base, maskRng, ...(selection ? { selection } : {}) });
  };
  if (!portable) {
    const targets: TrainableTarget[] = [];
    for (const s of specs) targets.push(await make(s, ctx.maskRng));
    return targets;
  }
  const rngs = specs.map(() => ctx.maskRng.fork());
  if (!pooled) {
    const targets: TrainableTarget[] = [];
    for (let i = 0; i < specs.length; i++) targets.push(await make(specs[i]!, rngs[i]!));
    return targets;
  }
  const copies = new WeightCopies();
  return inOrder(
    specs.map((s, i) => (after: Promise<unknown>) => make(s, rngs[i]!, { pool: pooled, after, copies })),
    inFlight(pooled),
  );
}
/** The vectors the optimizer updates, by parameter name, over all targets. */
export function trainableVectors(targets: readonly TrainableTarget[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of targets) for (const [name, v] of t.vectors()) out.set(name, v);
  return out;
}

export function trainableCount(targets: readonly TrainableTarget[]): number {
  let n = 0;
  for (const v of trainableVectors(targets).values()) n += v.length;
  return n;
}

/** Bytes of structure (mask indices) beside the trainable vectors. */
export function structureBytes(targets: readonly TrainableTarget[]): number {
  return targets.reduce((s, t) => s + t.structureBytes(), 0);
}

/**
 * The model's weights with every target's effective weight in place of its own: new tensors, or
 * with `view` the targets' live state where they hold it whole (mergedView: no copy; valid until
 * training continues, read-only).
 */
export function mergedWeights(weights: ReadonlyMap<string, Tensor<'float32'>>, targets: readonly TrainableTarget[], opts: { view?: boolean } = {}): Map<string, Tensor<'float32'>> {
  const out = new Map(weights);
  for (const t of targets) out.set(t.name, opts.view && t.mergedView ? t.mergedView() : t.merged());
  return out;
}

/** The adapter tensors of the targets whose parametrization has one (LoRA: PEFT names). */
export function adapterTensors(targets: readonly TrainableTarget[]): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const t of targets) for (const [name, v] of t.adapter?.() ?? []) out.set(name, v);
  return out;
}

/** The final masks of the targets that train a mask (sparse parametrizations), by weight name. */
export function targetMasks(targets: readonly TrainableTarget[]): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  for (const t of targets) {
    const m = t.mask?.();
    if (m) out.set(t.name, Int32Array.from(m));
  }
  return out;
}

/**
 * Starts every target from an exported adapter's tensors (by the names adapter() writes); a
 * target whose parametrization cannot take one, or a missing or mis-sized tensor, fails naming
 * `source`.
 */
export function initFromAdapter(targets: readonly TrainableTarget[], tensors: ReadonlyMap<string, Tensor>, source: string): void {
  const need = (key: string, length: number) => {
    const t = tensors.get(key);
    if (!t) throw new InvalidArgumentError(`${source}: the adapter has no tensor '${key}'`, { tensor: key });
    if (t.data.length !== length) throw new InvalidArgumentError(`${source}: tensor '${key}' has ${t.data.length} values, the run needs ${length}`, { tensor: key });
    return t.data;
  };
  for (const t of targets) {
    if (!t.fromAdapter) throw new InvalidArgumentError(`${source}: target '${t.name}' cannot start from an adapter (its parametrization has none)`);
    t.fromAdapter(need);
  }
}

/**
 * Refreshes every target that can; whether compiled graphs must be rebuilt, and how many entries
 * changed. A portable strategy gets one stream per refreshing target, forked from `rng` in target
 * order, and with a `pool` the selections run side by side there (targets still apply their new
 * masks, and remap the optimizer, in order); the masks are the same either way.
 */
export async function refreshTargets(
  targets: readonly TrainableTarget[],
  ctx: { strategy?: MaskStrategy; optimizer: Optimizer; rng: Rng; step: number; ops?: DenseOps; layout: BackendCapabilities; pool?: TaskPool },
): Promise<{ changed: number; stale: boolean }> {
  const { pool, ...base } = ctx;
  const refreshing = targets.filter((t) => t.refresh);
  const portable = ctx.strategy?.portable !== undefined;
  const pooled = usePool(pool, portable, refreshing);
  const rngs = refreshing.map(() => (portable ? ctx.rng.fork() : ctx.rng));
  let results: { changed: number; bindingsStale: boolean }[];
  if (pooled) {
    const copies = new WeightCopies();
    results = await inOrder(
      refreshing.map((t, i) => (after: Promise<unknown>) => t.refresh!({ ...base, rng: rngs[i]!, selection: { pool: pooled, after, copies } })),
      inFlight(pooled),
    );
  } else {
    results = [];
    for (let i = 0; i < refreshing.length; i++) results.push(await refreshing[i]!.refresh!({ ...base, rng: rngs[i]! }));
  }
  let changed = 0;
  let stale = false;
  for (const r of results) {
    changed += r.changed;
    stale ||= r.bindingsStale;
  }
  return { changed, stale };
}

/** Selections in flight on a pool: two per thread keep every thread busy while a result comes back. */
function inFlight(pool: TaskPool): number {
  return Math.max(2, 2 * pool.size);
}

/** The pool, when a portable strategy's selections over these matrices are worth running there. */
function usePool(pool: TaskPool | undefined, portable: boolean, shapes: readonly { rows: number; cols: number }[]): TaskPool | undefined {
  if (!pool || !portable || shapes.length < 2) return undefined;
  const elements = shapes.reduce((n, s) => n + s.rows * s.cols, 0);
  return elements >= (pool.minElements ?? 0) ? pool : undefined;
}

/**
 * Runs the jobs side by side, at most `window` at a time (job i starts once job i − window has
 * settled); job i gets a promise that settles when job i − 1 has (rejecting if it or an earlier
 * one failed). Waits for all of them, then returns their results in order or throws the error of
 * the first job that failed (the one a sequential loop would have thrown).
 *
 * The window bounds memory: a pooled selection sends the pool a copy of its matrix, so starting
 * all 210 of a 135M model's at once held a second copy of every target matrix (405 MiB) queued.
 */
async function inOrder<T>(jobs: readonly ((after: Promise<unknown>) => Promise<T>)[], window = Infinity): Promise<T[]> {
  const started: Promise<T>[] = [];
  let after: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < jobs.length; i++) {
    if (i >= window) await started[i - window]!.then(
      () => undefined,
      () => undefined,
    );
    const job = jobs[i]!;
    const previous = after;
    const p = Promise.resolve().then(() => job(previous));
    p.catch(() => undefined); // observed below (allSettled); not an unhandled rejection while the window waits
    started.push(p);
    after = p;
  }
  const settled = await Promise.allSettled(started);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

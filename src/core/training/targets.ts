/**
 * The trainable state of a run: one TrainableTarget per target weight, made by the method's
 * parametrization plugin. Core sees only the contract: vectors for the optimizer, merged weights,
 * checkpoint tensors, refresh.
 */
import type { BackendCapabilities, DenseOps, MaskStrategy, MethodOptions, Optimizer, Parametrization, TrainableTarget } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import type { Tensor } from '../tensor.js';

export interface TargetSpec {
  name: string;
  rows: number;
  cols: number;
  /** The weight as the caller has it; the target gets its own copy. */
  source: Tensor<'float32'>;
}

/** Every target in the method's parametrization, in order; masks drawn from `maskRng`, init from `initRng`. */
export async function createTargets(
  specs: readonly TargetSpec[],
  parametrization: Parametrization,
  options: MethodOptions,
  ctx: { strategy?: MaskStrategy; maskRng: Rng; initRng: Rng; ops?: DenseOps },
): Promise<TrainableTarget[]> {
  const targets: TrainableTarget[] = [];
  for (const s of specs) {
    if (s.source.data.length !== s.rows * s.cols) {
      throw new InvalidArgumentError(`weight '${s.name}' has ${s.source.data.length} values, expected ${s.rows}×${s.cols}`, { name: s.name });
    }
    // The run owns its master copy; the caller's weights stay untouched.
    const weight = Float32Array.from(s.source.data);
    targets.push(await parametrization.create({ name: s.name, rows: s.rows, cols: s.cols, weight }, options, ctx));
  }
  return targets;
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

/** The model's weights with every target's effective weight in place of its own. */
export function mergedWeights(weights: ReadonlyMap<string, Tensor<'float32'>>, targets: readonly TrainableTarget[]): Map<string, Tensor<'float32'>> {
  const out = new Map(weights);
  for (const t of targets) out.set(t.name, t.merged());
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

/** Refreshes every target that can; whether compiled graphs must be rebuilt, and how many entries changed. */
export async function refreshTargets(
  targets: readonly TrainableTarget[],
  ctx: { strategy?: MaskStrategy; optimizer: Optimizer; rng: Rng; step: number; ops?: DenseOps; layout: BackendCapabilities },
): Promise<{ changed: number; stale: boolean }> {
  let changed = 0;
  let stale = false;
  for (const t of targets) {
    if (!t.refresh) continue;
    const r = await t.refresh(ctx);
    changed += r.changed;
    stale ||= r.bindingsStale;
  }
  return { changed, stale };
}

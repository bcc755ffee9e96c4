/**
 * The trainable state of a run, one entry per target weight, in its method's parametrization:
 * - sparse: the frozen master W plus the k masked values (the vector the optimizer updates);
 * - dense: W itself is the trainable vector;
 * - lora: frozen W plus A [r, in] and B [out, r].
 * Masks are chosen here at init and refreshed here; the optimizer's state is remapped with them.
 */
import type { DenseOps, MaskStrategy, Optimizer } from '../contracts.js';
import { InvalidArgumentError } from '../errors.js';
import { sharedCount } from '../linalg/topk.js';
import { mergeLora } from '../model/lora.js';
import { loraNames, sparseValuesName } from '../model/params.js';
import type { Rng } from '../rng.js';
import { type Tensor, tensor } from '../tensor.js';

export interface SparseTarget {
  readonly kind: 'sparse';
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Master weights; entries under the mask are stale until folded (values hold them). */
  readonly weight: Float32Array;
  indices: Int32Array;
  values: Float32Array;
  readonly budget: number;
}

export interface DenseTarget {
  readonly kind: 'dense';
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly weight: Float32Array;
}

export interface LoraTarget {
  readonly kind: 'lora';
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly weight: Float32Array;
  readonly rank: number;
  readonly alpha: number;
  /** Dropout probability on the adapter's input (PEFT's lora_dropout), 0 ≤ p < 1. */
  readonly dropout: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

export type Target = SparseTarget | DenseTarget | LoraTarget;

/** The vectors the optimizer updates, keyed by their graph input names. */
export function trainableVectors(targets: readonly Target[]): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of targets) {
    if (t.kind === 'sparse') out.set(sparseValuesName(t.name), t.values);
    else if (t.kind === 'dense') out.set(t.name, t.weight);
    else {
      const n = loraNames(t.name);
      out.set(n.a, t.a);
      out.set(n.b, t.b);
    }
  }
  return out;
}

export function trainableCount(targets: readonly Target[]): number {
  let n = 0;
  for (const v of trainableVectors(targets).values()) n += v.length;
  return n;
}

/** Bytes the masks' indices take (int32 per masked entry). */
export function maskBytes(targets: readonly Target[]): number {
  return targets.reduce((s, t) => s + (t.kind === 'sparse' ? t.indices.byteLength : 0), 0);
}

export function gatherValues(weight: Float32Array, indices: Int32Array): Float32Array {
  const v = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) v[i] = weight[indices[i]!]!;
  return v;
}

/** Writes the trained values back into the master weights. */
export function foldSparse(t: SparseTarget): void {
  for (let i = 0; i < t.indices.length; i++) t.weight[t.indices[i]!] = t.values[i]!;
}

export async function selectMask(
  strategy: MaskStrategy,
  name: string,
  weight: Float32Array,
  rows: number,
  cols: number,
  budget: number,
  ctx: { rng: Rng; step: number; ops?: DenseOps },
): Promise<Int32Array> {
  const idx = await strategy.select(tensor('float32', [rows, cols], weight), budget, { name, ...ctx });
  if (idx.length !== budget) {
    throw new InvalidArgumentError(`strategy '${strategy.name}' returned ${idx.length} indices for '${name}', expected ${budget}`);
  }
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= rows * cols || (i > 0 && idx[i]! <= idx[i - 1]!)) {
      throw new InvalidArgumentError(`strategy '${strategy.name}' returned indices for '${name}' that are not sorted, distinct and in range`);
    }
  }
  return idx;
}

/**
 * Recomputes the mask of every sparse target from its current weights: fold the trained values
 * into W, select anew, remap the optimizer (moments of kept entries carry over, new entries start
 * at zero, leaving entries drop theirs; their weight change stays in W), gather the new values.
 * Returns how many entries changed in all.
 */
export async function refreshMasks(
  targets: readonly Target[],
  strategy: MaskStrategy,
  optimizer: Optimizer,
  ctx: { rng: Rng; step: number; ops?: DenseOps },
): Promise<number> {
  let changed = 0;
  for (const t of targets) {
    if (t.kind !== 'sparse') continue;
    foldSparse(t);
    const next = await selectMask(strategy, t.name, t.weight, t.rows, t.cols, t.budget, ctx);
    changed += next.length - sharedCount(t.indices, next);
    optimizer.remap(sparseValuesName(t.name), t.indices, next);
    t.indices = next;
    t.values = gatherValues(t.weight, next);
  }
  return changed;
}


/** The weights a plain forward should use: sparse values folded in, LoRA merged (W + α/r·B·A). */
export function effectiveWeight(t: Target): Tensor<'float32'> {
  const w = tensor('float32', [t.rows, t.cols], t.weight);
  if (t.kind === 'dense') return tensor('float32', [t.rows, t.cols], Float32Array.from(t.weight));
  if (t.kind === 'lora') {
    return mergeLora(w, tensor('float32', [t.rank, t.cols], t.a), tensor('float32', [t.rows, t.rank], t.b), t.alpha / t.rank);
  }
  const out = Float32Array.from(t.weight);
  for (let i = 0; i < t.indices.length; i++) out[t.indices[i]!] = t.values[i]!;
  return tensor('float32', [t.rows, t.cols], out);
}

/**
 * Where each parameter of the model graph comes from. One graph builder serves every method:
 * the caller decides per Hugging Face parameter name whether a weight is frozen, trained densely,
 * trained sparsely at fixed indices, or adapted with LoRA.
 */
import { GraphBuildError } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type ParamSource =
  /** An initializer: uploaded to the device once, never crosses the JS boundary again. */
  | { kind: 'frozen'; w: Tensor }
  /** A graph input of the parameter's full shape, fed each step; ask grad() for it. */
  | { kind: 'dense'; input?: string }
  /**
   * Frozen W plus an input of k trainable values written at `indices` (sorted flat row-major
   * indices, the mask). The values are the current weights at those entries, not deltas.
   */
  | { kind: 'sparse'; w: Tensor; indices: Int32Array; input?: string }
  /**
   * Frozen W plus inputs A [rank, in] and B [out, rank]: y = x·Wᵀ + (alpha/rank)·(d(x)·Aᵀ)·Bᵀ,
   * PEFT's LoRA. With dropout > 0, d(x) = x ∘ M, M a graph input of x's shape fed by the caller
   * (loraDropoutName): 0 or 1/(1−p) per entry in training (PEFT's inverted nn.Dropout on the
   * adapter's input), all 1 to evaluate. The caller draws M, so a resumed run can draw the same.
   * Linear weights only.
   */
  | { kind: 'lora'; w: Tensor; rank: number; alpha: number; dropout?: number };

/** Chooses the source of a parameter, given its Hugging Face name and shape. */
export type WeightSource = (name: string, shape: readonly number[]) => ParamSource;

/** Graph input names of the trainable values of a parameter, by the kind of its source. */
export const sparseValuesName = (param: string) => `${param}.values`;
export const sparseIndicesName = (param: string) => `${param}.indices`;
export function loraNames(param: string): { a: string; b: string } {
  // PEFT's names, without its base_model.model. prefix.
  const base = param.replace(/\.weight$/, '');
  return { a: `${base}.lora_A.weight`, b: `${base}.lora_B.weight` };
}

/** Graph input name of the dropout factor on the LoRA adapter input of a parameter. */
export function loraDropoutName(param: string): string {
  return `${param.replace(/\.weight$/, '')}.lora_dropout.scale`;
}

/** Every parameter frozen, from a map of HF names to tensors. */
export function frozenWeights(weights: ReadonlyMap<string, Tensor>): WeightSource {
  return (name) => ({ kind: 'frozen', w: need(weights, name) });
}

export interface WeightPlan {
  /** Parameters trained densely (graph inputs). */
  dense?: Iterable<string> | ((name: string) => boolean);
  /** Sparse masks by parameter name. */
  sparse?: ReadonlyMap<string, Int32Array>;
  /** LoRA on these parameters (linear weights), with one rank and alpha. */
  lora?: { targets: Iterable<string> | ((name: string) => boolean); rank: number; alpha: number; dropout?: number };
}

/** A WeightSource for the usual plans: everything frozen except what `plan` names. */
export function planWeights(weights: ReadonlyMap<string, Tensor>, plan: WeightPlan = {}): WeightSource {
  const pred = (p: Iterable<string> | ((n: string) => boolean) | undefined): ((n: string) => boolean) => {
    if (!p) return () => false;
    if (typeof p === 'function') return p;
    const set = new Set(p);
    return (n) => set.has(n);
  };
  const isDense = pred(plan.dense);
  const isLora = pred(plan.lora?.targets);
  return (name) => {
    if (isDense(name)) return { kind: 'dense' };
    const idx = plan.sparse?.get(name);
    if (idx) return { kind: 'sparse', w: need(weights, name), indices: idx };
    if (plan.lora && isLora(name)) {
      return { kind: 'lora', w: need(weights, name), rank: plan.lora.rank, alpha: plan.lora.alpha, ...(plan.lora.dropout ? { dropout: plan.lora.dropout } : {}) };
    }
    return { kind: 'frozen', w: need(weights, name) };
  };
}

function need(weights: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const t = weights.get(name);
  if (!t) throw new GraphBuildError(`no tensor for model parameter '${name}'`, { name });
  return t;
}

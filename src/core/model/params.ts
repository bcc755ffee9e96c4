/**
 * Where each parameter of the model graph comes from. One graph builder serves every method: for
 * each Hugging Face parameter name the caller hands a ParamSource, which builds the parameter's
 * value in the graph (a frozen initializer here; trained, sparse, low-rank forms in the
 * parametrization plugins) and, for a linear weight, may add a term to the layer's output.
 */
import { GraphBuildError } from '../errors.js';
import type { Graph, Value } from '../graph/graph.js';
import type { DType, Tensor } from '../tensor.js';

/** What a ParamSource may create in the graph for its parameter. */
export interface ParamIO {
  readonly graph: Graph;
  /** The parameter's Hugging Face name. */
  readonly name: string;
  readonly shape: readonly number[];
  /** The graph's compute dtype (float32, or float64 for gradient checks). */
  readonly dtype: 'float32' | 'float64';
  /** An initializer holding `t` (float32 or float64 of the parameter's size) in the graph dtype, shaped `as`. */
  constant(name: string, t: Tensor, as?: readonly number[]): Value;
  /** A graph input in the graph dtype whose gradient the caller will ask grad() for. */
  trainable(name: string, shape: readonly number[]): Value;
  /** A graph input fed at every run that is not trained (indices, dropout factors); dtype defaults to the graph's. */
  input(name: string, shape: readonly number[], dtype?: DType): Value;
}

export interface ParamSource {
  /** A short tag for logs and tests (e.g. the parametrization's name); core never branches on it. */
  readonly label: string;
  /** The parameter's value in the graph, of the parameter's shape. */
  build(io: ParamIO): Value;
  /**
   * For a linear weight only: a term added to x·Wᵀ, given the layer input x [N, in] (LoRA's
   * scale·((x∘M)·Aᵀ)·Bᵀ). Called after build. A source with it on a non-linear parameter fails.
   */
  linearTerm?(x: Value, io: ParamIO): Value;
}

/** Chooses the source of a parameter, given its Hugging Face name and shape. */
export type WeightSource = (name: string, shape: readonly number[]) => ParamSource;

/** The parameter as an initializer: uploaded to the device once, never crosses the JS boundary again. */
export function frozen(w: Tensor): ParamSource {
  return { label: 'frozen', build: (io) => io.constant(io.name, w) };
}

/** Every parameter frozen, from a map of HF names to tensors. */
export function frozenWeights(weights: ReadonlyMap<string, Tensor>): WeightSource {
  return (name) => frozen(need(weights, name));
}

export function need(weights: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const t = weights.get(name);
  if (!t) throw new GraphBuildError(`no tensor for model parameter '${name}'`, { name });
  return t;
}

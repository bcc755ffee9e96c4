/** The usual graph plans of the model tests: everything frozen except what the plan names, with the plugins' sources. */
import { type ParamSource, type WeightSource, frozen, need } from '../../src/core/model/params.js';
import type { Tensor } from '../../src/core/tensor.js';
import { denseSource } from '../../src/plugins/dense/index.js';
import { loraSource } from '../../src/plugins/lora/index.js';
import { sparseSource } from '../../src/plugins/sparse/index.js';

export interface WeightPlan {
  /** Parameters trained densely (graph inputs). */
  dense?: Iterable<string> | ((name: string) => boolean);
  /** Sparse masks by parameter name. */
  sparse?: ReadonlyMap<string, Int32Array>;
  /** LoRA on these parameters (linear weights), with one rank and alpha. */
  lora?: { targets: Iterable<string> | ((name: string) => boolean); rank: number; alpha: number; dropout?: number };
}

export function planWeights(weights: ReadonlyMap<string, Tensor>, plan: WeightPlan = {}): WeightSource {
  const pred = (p: Iterable<string> | ((n: string) => boolean) | undefined): ((n: string) => boolean) => {
    if (!p) return () => false;
    if (typeof p === 'function') return p;
    const set = new Set(p);
    return (n) => set.has(n);
  };
  const isDense = pred(plan.dense);
  const isLora = pred(plan.lora?.targets);
  return (name): ParamSource => {
    if (isDense(name)) return denseSource();
    const idx = plan.sparse?.get(name);
    if (idx) return sparseSource(need(weights, name), idx);
    if (plan.lora && isLora(name)) {
      const { rank, alpha, dropout = 0 } = plan.lora;
      return loraSource(need(weights, name), { rank, alpha, dropout });
    }
    return frozen(need(weights, name));
  };
}

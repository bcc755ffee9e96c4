/**
 * LoRA's state for one weight, with PEFT's semantics so adapters move between the two: frozen W
 * plus A [r, in] and B [out, r]; the layer computes y = x·Wᵀ + (α/r)·((x∘M)·Aᵀ)·Bᵀ, M PEFT's
 * inverted dropout on the adapter's input (drawn by the trainer's RNG, so a resumed run draws
 * the same; all ones in evaluation).
 */
import type { GraphBinding, TrainableTarget } from '../../core/contracts.js';
import type { Value } from '../../core/graph/graph.js';
import * as op from '../../core/graph/ops.js';
import type { ParamIO } from '../../core/model/params.js';
import { type Tensor, numel, tensor } from '../../core/tensor.js';
import { fillDropout } from '../../core/training/dropout.js';
import { mergeLora } from './math.js';

/** PEFT's names of the factors of a weight, without its base_model.model. prefix. */
export function loraNames(param: string): { a: string; b: string } {
  const base = param.replace(/\.weight$/, '');
  return { a: `${base}.lora_A.weight`, b: `${base}.lora_B.weight` };
}

/** Graph input name of the dropout factor on the adapter input of a weight. */
export function loraDropoutName(param: string): string {
  return `${param.replace(/\.weight$/, '')}.lora_dropout.scale`;
}

export interface LoraSpec {
  rank: number;
  alpha: number;
  /** Dropout probability on the adapter input, 0 ≤ p < 1. */
  dropout: number;
}

/**
 * The graph side alone: W frozen from `w`, A and B trainable inputs (PEFT names), and the
 * adapter term on the layer output. `onDropout` receives the dropout factor input when p > 0.
 */
export function loraSource(w: Tensor, spec: LoraSpec, onDropout?: (v: Value) => void): Pick<GraphBinding, 'label' | 'build' | 'linearTerm'> {
  let a: Value | undefined;
  let b: Value | undefined;
  return {
    label: 'lora',
    build: (io) => {
      const [out, inn] = io.shape as [number, number];
      const names = loraNames(io.name);
      const w0 = io.constant(io.name, w);
      a = io.trainable(names.a, [spec.rank, inn]);
      b = io.trainable(names.b, [out, spec.rank]);
      return w0;
    },
    linearTerm: (x: Value, io: ParamIO) => {
      let xd = x;
      if (spec.dropout > 0) {
        const m = io.input(loraDropoutName(io.name), x.shape);
        onDropout?.(m);
        xd = op.mul(x, m);
      }
      // Scale the narrow [N, rank] product. Gemm's alpha is a float attribute; a scale float32
      // cannot hold exactly is applied in the graph dtype instead.
      const scale = spec.alpha / spec.rank;
      const exact = Math.fround(scale) === scale;
      let xa = op.gemm(xd, a!, undefined, { transB: true, ...(exact ? { alpha: scale } : {}) });
      if (!exact) xa = op.mul(xa, op.scalar(x.graph, scale, x.dtype));
      return op.gemm(xa, b!, undefined, { transB: true });
    },
  };
}

export class LoraTarget implements TrainableTarget {
  constructor(
    readonly name: string,
    readonly rows: number,
    readonly cols: number,
    /** Frozen W. */
    readonly weight: Float32Array,
    readonly spec: LoraSpec,
    readonly a: Float32Array,
    readonly b: Float32Array,
  ) {}

  vectors(): ReadonlyMap<string, Float32Array> {
    const n = loraNames(this.name);
    return new Map([
      [n.a, this.a],
      [n.b, this.b],
    ]);
  }

  bind(): GraphBinding {
    const n = loraNames(this.name);
    let dropout: { name: string; shape: readonly number[]; data: Float32Array } | undefined;
    const source = loraSource(tensor('float32', [this.rows, this.cols], this.weight), this.spec, (v) => {
      dropout = { name: v.name, shape: v.shape, data: new Float32Array(numel(v.shape)) };
    });
    return {
      ...source,
      gradients: (gradOf) =>
        new Map([
          [n.a, gradOf(n.a)],
          [n.b, gradOf(n.b)],
        ]),
      feed: (feeds, rng) => {
        feeds[n.a] = { dtype: 'float32', shape: [this.spec.rank, this.cols], data: this.a };
        feeds[n.b] = { dtype: 'float32', shape: [this.rows, this.spec.rank], data: this.b };
        if (dropout) {
          if (rng) fillDropout(dropout.data, this.spec.dropout, rng);
          else dropout.data.fill(1);
          feeds[dropout.name] = { dtype: 'float32', shape: dropout.shape, data: dropout.data };
        }
      },
    };
  }

  merged(): Tensor<'float32'> {
    const { rank, alpha } = this.spec;
    const w = tensor('float32', [this.rows, this.cols], this.weight);
    return mergeLora(w, tensor('float32', [rank, this.cols], this.a), tensor('float32', [this.rows, rank], this.b), alpha / rank);
  }

  /** The factors under PEFT's names (without base_model.model.). */
  adapter(): Map<string, Tensor> {
    const n = loraNames(this.name);
    return new Map<string, Tensor>([
      [n.a, tensor('float32', [this.spec.rank, this.cols], this.a)],
      [n.b, tensor('float32', [this.rows, this.spec.rank], this.b)],
    ]);
  }

  checkpoint(): Map<string, Tensor> {
    return this.adapter();
  }

  /** The factors of an adapter (PEFT names, as adapter() writes them) replace the initial ones. */
  fromAdapter(need: (key: string, length: number) => Tensor['data']): void {
    this.restore(need);
  }

  restore(need: (key: string, length: number) => Tensor['data']): void {
    const n = loraNames(this.name);
    this.a.set(need(n.a, this.a.length) as Float32Array);
    this.b.set(need(n.b, this.b.length) as Float32Array);
  }

  structureBytes(): number {
    return 0;
  }
}

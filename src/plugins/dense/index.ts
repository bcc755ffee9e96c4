/**
 * The dense parametrization (full fine-tuning): W itself is the trainable vector; the graph
 * takes it as an input and outputs dW.
 */
import type { GraphBinding, Parametrization, TrainableTarget } from '../../core/contracts.js';
import type { ParamSource } from '../../core/model/params.js';
import type { Registry } from '../../core/registry.js';
import { type Tensor, tensor } from '../../core/tensor.js';

/** The parameter as a graph input of its full shape, named `input` (default: the parameter's name). */
export function denseSource(input?: string): ParamSource {
  return { label: 'dense', build: (io) => io.trainable(input ?? io.name, io.shape) };
}

export class DenseTarget implements TrainableTarget {
  constructor(
    readonly name: string,
    readonly rows: number,
    readonly cols: number,
    readonly weight: Float32Array,
  ) {}

  vectors(): ReadonlyMap<string, Float32Array> {
    return new Map([[this.name, this.weight]]);
  }

  bind(): GraphBinding {
    return {
      ...denseSource(),
      gradients: (gradOf) => new Map([[this.name, gradOf(this.name)]]),
      feed: (feeds) => {
        feeds[this.name] = { dtype: 'float32', shape: [this.rows, this.cols], data: this.weight };
      },
    };
  }

  merged(): Tensor<'float32'> {
    return tensor('float32', [this.rows, this.cols], Float32Array.from(this.weight));
  }

  mergedView(): Tensor<'float32'> {
    return tensor('float32', [this.rows, this.cols], this.weight);
  }

  checkpoint(): Map<string, Tensor> {
    return new Map([[this.name, this.mergedView()]]);
  }

  restore(need: (key: string, length: number) => Tensor['data']): void {
    this.weight.set(need(this.name, this.weight.length) as Float32Array);
  }

  structureBytes(): number {
    return 0;
  }

  fromDenseGradient(dW: Float32Array): Map<string, Float32Array> {
    return new Map([[this.name, dW]]);
  }

  syncFromHost(current: Float32Array): void {
    this.weight.set(current);
  }
}

export const denseParametrization: Parametrization = {
  name: 'dense',
  async create(target) {
    return new DenseTarget(target.name, target.rows, target.cols, target.weight);
  },
};

export function register(registry: Registry): void {
  registry.registerParametrization(denseParametrization);
}

/**
 * The sparse parametrization's state for one weight: the master W and the k trained values at
 * the mask (the vector the optimizer updates). Two graph layouts compute the same function:
 * - in place (the runtime reads inputs in place): the master W is fed with the values written
 *   into it, the mask indices are fed, and the graph outputs dW gathered at them; a mask refresh
 *   keeps the compiled graph.
 * - scatter (device memory): W is a frozen initializer, the k values are scattered into it in the
 *   graph, and only they cross the boundary; a refresh folds the values into W and rebuilds.
 */
import type { BackendCapabilities, GraphBinding, RefreshContext, TrainableTarget } from '../../core/contracts.js';
import { GraphBuildError, InvalidArgumentError } from '../../core/errors.js';
import * as op from '../../core/graph/ops.js';
import { sharedCount } from '../../core/linalg/index.js';
import type { ParamSource } from '../../core/model/params.js';
import { type Tensor, numel, tensor } from '../../core/tensor.js';
import { gatherValues, scatterValues, selectMask } from '../../core/training/masks.js';

/** Optimizer parameter (and graph input) name of a weight's trained values. */
export const sparseValuesName = (param: string) => `${param}.values`;
/** Graph input name of a weight's mask indices. */
export const sparseIndicesName = (param: string) => `${param}.indices`;
/** Checkpoint tensor name of a weight's mask. */
export const sparseMaskName = (param: string) => `${param}.mask`;

/**
 * The graph side of the scatter layout alone: W frozen from `w`, the k values at `indices` a
 * trainable input (`input`, default `<name>.values`) holding the current weights there.
 */
export function sparseSource(w: Tensor, indices: Int32Array, input?: string): ParamSource {
  return {
    label: 'sparse',
    build: (io) => {
      const n = numel(io.shape);
      for (let i = 0; i < indices.length; i++) {
        if (indices[i]! < 0 || indices[i]! >= n || (i > 0 && indices[i]! <= indices[i - 1]!)) {
          throw new GraphBuildError(`sparse indices of '${io.name}' must be sorted, distinct and in [0, ${n}); entry ${i} is ${indices[i]}`, { name: io.name });
        }
      }
      const flat = io.constant(io.name, w, [n]);
      const idx = io.graph.initializer(sparseIndicesName(io.name), tensor('int32', [indices.length], indices));
      const values = io.trainable(input ?? sparseValuesName(io.name), [indices.length]);
      return op.reshape(op.scatterElements(flat, idx, values, 0), io.shape);
    },
  };
}

export class SparseTarget implements TrainableTarget {
  values: Float32Array;

  constructor(
    readonly name: string,
    readonly rows: number,
    readonly cols: number,
    /** Master weights; entries under the mask are stale until folded (values hold them). */
    readonly weight: Float32Array,
    public indices: Int32Array,
  ) {
    this.values = gatherValues(weight, indices);
  }

  get budget(): number {
    return this.indices.length;
  }

  vectors(): ReadonlyMap<string, Float32Array> {
    return new Map([[sparseValuesName(this.name), this.values]]);
  }

  bind(layout: BackendCapabilities): GraphBinding {
    return layout.inputsInPlace ? this.inPlaceBinding() : this.scatterBinding();
  }

  private inPlaceBinding(): GraphBinding {
    return {
      label: 'sparse',
      // W enters as an input of its full shape; its gradient is gathered at the mask below
      build: (io) => io.trainable(io.name, io.shape),
      gradients: (gradOf, io) => {
        // int32, as the mask is held (ONNX Gather and ScatterElements take int32 indices): no
        // int64 mirror of every mask beside it (39 MiB on the 135M shape at rank 16)
        const idx = io.input(sparseIndicesName(this.name), [this.budget], 'int32');
        return new Map([[sparseValuesName(this.name), op.gather(op.reshape(gradOf(this.name), [this.rows * this.cols]), idx, 0)]]);
      },
      feed: (feeds) => {
        feeds[this.name] = { dtype: 'float32', shape: [this.rows, this.cols], data: this.weight };
        feeds[sparseIndicesName(this.name)] = { dtype: 'int32', shape: [this.budget], data: this.indices };
      },
    };
  }

  private scatterBinding(): GraphBinding {
    const valuesName = sparseValuesName(this.name);
    return {
      ...sparseSource(tensor('float32', [this.rows, this.cols], this.weight), this.indices, valuesName),
      gradients: (gradOf) => new Map([[valuesName, gradOf(valuesName)]]),
      feed: (feeds) => {
        feeds[valuesName] = { dtype: 'float32', shape: [this.budget], data: this.values };
      },
    };
  }

  afterStep(layout: BackendCapabilities): void {
    // A master fed in place must hold the updated values (k writes).
    if (layout.inputsInPlace) this.fold();
  }

  /** Writes the trained values into the master weights. */
  fold(): void {
    scatterValues(this.weight, this.indices, this.values);
  }

  /**
   * Folds the values into W, selects anew from the current W, remaps the optimizer (moments of
   * kept entries carry over, new entries start at zero, leaving entries drop theirs; their weight
   * change stays in W) and gathers the new values.
   */
  async refresh(ctx: RefreshContext): Promise<{ changed: number; bindingsStale: boolean }> {
    if (!ctx.strategy) throw new InvalidArgumentError(`refreshing the mask of '${this.name}' needs a mask strategy`);
    this.fold();
    const next = await selectMask(ctx.strategy, this.name, this.weight, this.rows, this.cols, this.budget, {
      rng: ctx.rng,
      step: ctx.step,
      ...(ctx.ops ? { ops: ctx.ops } : {}),
      ...(ctx.selection ? { selection: ctx.selection } : {}),
    });
    const changed = next.length - sharedCount(this.indices, next);
    ctx.optimizer.remap(sparseValuesName(this.name), this.indices, next);
    this.indices = next;
    this.values = gatherValues(this.weight, next);
    // In place the indices are fed, so compiled graphs stay valid; scatter bakes them in.
    return { changed, bindingsStale: !ctx.layout.inputsInPlace };
  }

  merged(): Tensor<'float32'> {
    const out = Float32Array.from(this.weight);
    scatterValues(out, this.indices, this.values);
    return tensor('float32', [this.rows, this.cols], out);
  }

  /**
   * The master W with the values folded in (k writes, no copy). Folding is harmless in either
   * layout: in place W already holds them after every step; the scatter graph overwrites the
   * masked entries of W with the values, so what W holds there does not matter to it.
   */
  mergedView(): Tensor<'float32'> {
    this.fold();
    return tensor('float32', [this.rows, this.cols], this.weight);
  }

  checkpoint(): Map<string, Tensor> {
    // a view of the master (the store writes it out at once or copies it): no copy of W per checkpoint
    return new Map<string, Tensor>([
      [this.name, this.mergedView()],
      [sparseMaskName(this.name), tensor('int32', [this.budget], this.indices)],
    ]);
  }

  restore(need: (key: string, length: number) => Tensor['data']): void {
    this.weight.set(need(this.name, this.weight.length) as Float32Array);
    this.indices = Int32Array.from(need(sparseMaskName(this.name), this.budget) as Int32Array);
    this.values = gatherValues(this.weight, this.indices);
  }

  structureBytes(): number {
    return this.indices.byteLength;
  }

  mask(): Int32Array {
    return this.indices;
  }

  fromDenseGradient(dW: Float32Array): Map<string, Float32Array> {
    return new Map([[sparseValuesName(this.name), gatherValues(dW, this.indices)]]);
  }

  syncFromHost(current: Float32Array): void {
    this.weight.set(current);
    for (let i = 0; i < this.indices.length; i++) this.values[i] = current[this.indices[i]!]!;
  }
}

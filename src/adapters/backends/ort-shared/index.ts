/**
 * What the onnxruntime-node and onnxruntime-web backends share: the feed checks every run gets
 * before the runtime sees it, the conversion to and from the runtime's tensors (both packages
 * take onnxruntime-common's Tensor), the optimization level a graph compiles at, and the cache of
 * compiled sessions per graph and options. Imports no
 * runtime itself, so each backend (and the browser bundle) keeps only its own.
 */
import { FeedError } from '../../../core/errors.js';
import type { Executable } from '../../../core/contracts.js';
import type { Graph, Value } from '../../../core/graph/graph.js';
import { type DType, type Tensor, sameShape, shapeToString } from '../../../core/tensor.js';

export type IoSpec = { name: string; dtype: Tensor['dtype']; shape: readonly number[] };

/** Fails on a missing, mistyped, misshapen or unknown input, naming it and what the graph takes. */
export function checkFeeds(inputs: readonly IoSpec[], feeds: Record<string, Tensor>): void {
  for (const spec of inputs) {
    const t = feeds[spec.name];
    if (!t) throw new FeedError(`missing input '${spec.name}' (${spec.dtype}${shapeToString(spec.shape)})`, { name: spec.name });
    if (t.dtype !== spec.dtype || !sameShape(t.shape, spec.shape)) {
      throw new FeedError(
        `input '${spec.name}': expected ${spec.dtype}${shapeToString(spec.shape)}, got ${t.dtype}${shapeToString(t.shape)}`,
        { name: spec.name, expected: { dtype: spec.dtype, shape: spec.shape }, got: { dtype: t.dtype, shape: t.shape } },
      );
    }
  }
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((s) => s.name === name)) {
      throw new FeedError(`unknown input '${name}'; the graph takes ${inputs.map((s) => s.name).join(', ')}`, { name });
    }
  }
}

type OrtType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'float16';
const ORT_TYPE: Partial<Record<DType, OrtType>> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  float16: 'float16',
};

interface RuntimeTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** toOrt/fromOrt over a runtime's Tensor class, wrapping host arrays without copying. */
export function tensorCodec<T extends RuntimeTensor>(TensorClass: new (type: OrtType, data: never, dims: readonly number[]) => T, runtime: string) {
  return {
    toOrt(name: string, t: Tensor): T {
      const type = ORT_TYPE[t.dtype];
      if (!type) throw new FeedError(`input '${name}': dtype ${t.dtype} cannot be fed to ${runtime}`, { name });
      return new TensorClass(type, t.data as never, t.shape as number[]);
    },
    fromOrt(t: T): Tensor {
      const dtype = t.type as DType;
      if (!(dtype in ORT_TYPE)) throw new FeedError(`${runtime} returned an unsupported dtype ${t.type}`);
      return { dtype, shape: [...t.dims], data: t.data as Tensor['data'] };
    },
  };
}

/**
 * ONNX Runtime's extended fusions rewrite patterns into contrib ops that only have float32
 * kernels (x·sigmoid(x) becomes QuickGelu), so float64 graphs (gradient checks) stay at 'basic'.
 */
export function defaultOptimizationLevel(graph: Graph): 'basic' | 'all' {
  const f64 = graph.inputs.some((v) => v.dtype === 'float64') || [...graph.initializers.values()].some((i) => i.value.dtype === 'float64');
  return f64 ? 'basic' : 'all';
}

/**
 * Compiled sessions per graph (held weakly) and per outputs + options: a second compile of the
 * same request shares the first one's promise; a session that is disposed or fails to build
 * leaves the cache, so the next compile builds anew.
 */
export class SessionCache<O> {
  private readonly byGraph = new WeakMap<Graph, Map<string, Promise<Executable>>>();

  get(graph: Graph, outputs: readonly Value[], opts: O, create: (onDispose: () => void) => Promise<Executable>): Promise<Executable> {
    const key = JSON.stringify([outputs.map((v) => v.name), opts]);
    let perGraph = this.byGraph.get(graph);
    if (!perGraph) this.byGraph.set(graph, (perGraph = new Map()));
    const hit = perGraph.get(key);
    if (hit) return hit;
    const made = create(() => perGraph!.delete(key));
    perGraph.set(key, made);
    made.catch(() => perGraph!.delete(key));
    return made;
  }
}

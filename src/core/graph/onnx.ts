/**
 * Serializes the graph IR to ONNX ModelProto bytes (onnx-proto's protobufjs codec), and reads
 * them back for inspection. Outputs that are graph inputs or initializers get an Identity so each
 * graph output is produced by a node, as ONNX Runtime expects.
 */
import onnxProto from 'onnx-proto';
import { GraphBuildError } from '../errors.js';
import { type DType, type Tensor, BYTES_PER_ELEMENT } from '../tensor.js';
import type { AttrValue, Graph, Node, Value } from './graph.js';
import { OPSET, onnxDataType } from './ops.js';

const { onnx } = onnxProto;
export const IR_VERSION = 8;

const DTYPE_OF_CODE = new Map<number, DType>(
  (['float32', 'int32', 'int64', 'bool', 'float16', 'float64', 'bfloat16'] as DType[]).map((d) => [onnxDataType(d), d]),
);

export function dtypeFromOnnx(code: number): DType {
  const d = DTYPE_OF_CODE.get(code);
  if (!d) throw new GraphBuildError(`ONNX data type ${code} is not supported`);
  return d;
}

export function tensorToProto(name: string, t: Tensor): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * BYTES_PER_ELEMENT[t.dtype]);
  return { name, dims: [...t.shape], dataType: onnxDataType(t.dtype), rawData: bytes };
}

/** Where an initializer's bytes live when they are stored outside the model (ONNX external data). */
export interface ExternalDataRef {
  /** File name relative to the model file. */
  location: string;
  offset: number;
  length: number;
}

function valueInfo(v: { name: string; dtype: DType; shape: readonly number[] }, dims?: readonly (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxDataType(v.dtype),
        // a string is a free dimension (dim_param), e.g. 'batch_size'
        shape: { dim: (dims ?? v.shape).map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function externalTensorProto(name: string, t: Tensor, ref: ExternalDataRef): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims: [...t.shape],
    dataType: onnxDataType(t.dtype),
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: ref.location },
      { key: 'offset', value: String(ref.offset) },
      { key: 'length', value: String(ref.length) },
    ],
  };
}

function attribute(name: string, a: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof a === 'number') return { name, type: T.INT, i: a };
  if (typeof a === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(a) };
  if (Array.isArray(a)) {
    if (a.every((x) => typeof x === 'number')) return { name, type: T.INTS, ints: a as number[] };
    return { name, type: T.STRINGS, strings: (a as string[]).map((s) => new TextEncoder().encode(s)) };
  }
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  return { name, type: T.TENSOR, t: tensorToProto(name, a as Tensor) };
}

export interface SerializeOptions {
  /** Values the model returns, in order. */
  outputs: readonly Value[];
  /** Inputs the model must declare even when no output depends on them. */
  keepInputs?: boolean;
  /**
   * Initializers declared as graph inputs instead of embedded (the caller binds their tensors at
   * every run, e.g. a CPU backend reading host buffers in place). They are returned in `inputs`.
   */
  initializerAsInput?: (tensor: Tensor) => boolean;
  /** Dimensions of graph inputs and outputs to declare instead of their static shapes (strings are free dimensions). */
  dims?: (v: Value) => readonly (number | string)[] | undefined;
  /** Initializers stored outside the model: where their bytes are (the caller writes that file). */
  externalData?: (name: string, tensor: Tensor) => ExternalDataRef | undefined;
}

/** Encodes the graph with the given outputs as ONNX ModelProto bytes. */
export function serializeModel(graph: Graph, opts: SerializeOptions): { bytes: Uint8Array; outputNames: string[]; inputs: Value[] } {
  const live = liveNodes(graph, opts.outputs);
  const usedInputs = new Set<string>();
  for (const n of live) for (const v of n.inputs) usedInputs.add(v.name);
  for (const v of opts.outputs) usedInputs.add(v.name);
  const inputs = opts.keepInputs ? [...graph.inputs] : graph.inputs.filter((v) => usedInputs.has(v.name));
  const initializers: [string, { value: Value; tensor: Tensor }][] = [];
  const asInput = opts.initializerAsInput ?? (() => false);
  for (const [name, init] of graph.initializers) {
    if (!usedInputs.has(name)) continue;
    if (asInput(init.tensor)) inputs.push(init.value);
    else initializers.push([name, init]);
  }
  const nodes: onnxProto.onnx.INodeProto[] = live.map((n: Node, i) => ({
    name: `${n.op}_${i}`,
    opType: n.op,
    input: n.inputs.map((v) => v.name),
    output: n.outputs.map((v) => v.name),
    attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
  }));
  const outputNames: string[] = [];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  const used = new Set<string>();
  for (const v of opts.outputs) {
    graph.assertOwned(v);
    let name = v.name;
    if (v.kind === 'input' || v.kind === 'initializer' || used.has(name)) {
      name = graph.fresh(`${v.name}_out`);
      nodes.push({ name: `Identity_${name}`, opType: 'Identity', input: [v.name], output: [name] });
    }
    used.add(name);
    outputNames.push(name);
    outputs.push(valueInfo({ name, dtype: v.dtype, shape: v.shape }, opts.dims?.(v)));
  }
  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'lift-sft',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: graph.name,
      node: nodes,
      input: inputs.map((v) => valueInfo(v, opts.dims?.(v))),
      output: outputs,
      initializer: initializers.map(([name, { tensor }]) => {
        const ref = opts.externalData?.(name, tensor);
        return ref ? externalTensorProto(name, tensor, ref) : tensorToProto(name, tensor);
      }),
    },
  };
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), outputNames, inputs };
}

/** The nodes the outputs depend on, in graph order: dead branches are never sent to the runtime. */
export function liveNodes(graph: Graph, outputs: readonly Value[]): Node[] {
  const needed = new Set<Node>();
  const stack = outputs.map((v) => v.producer).filter((n): n is Node => n !== undefined);
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    for (const v of n.inputs) if (v.producer && !needed.has(v.producer)) stack.push(v.producer);
  }
  return graph.nodes.filter((n) => needed.has(n));
}

/** Decodes ModelProto bytes (for tests and inspection). */
export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

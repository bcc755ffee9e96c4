/**
 * Op builders over the ONNX operator set (opset 17). Each builder checks its inputs, infers the
 * static dtype and shape of its outputs and appends one node. A mismatch fails here, at build
 * time, with the op, its input names and their shapes.
 */
import { type DType, type Tensor, isFloat, numel, tensor } from '../tensor.js';
import type { AttrValue, Graph, Value } from './graph.js';
import { broadcastShapes, normAxis, shapeError } from './shape.js';

export const OPSET = 17;

function graphOf(op: string, values: readonly Value[]): Graph {
  const g = values[0]!.graph;
  for (const v of values) if (v.graph !== g) throw shapeError(op, values, 'inputs come from different graphs');
  return g;
}

function sameDtype(op: string, values: readonly Value[]): DType {
  const d = values[0]!.dtype;
  for (const v of values) if (v.dtype !== d) throw shapeError(op, values, 'inputs must share one dtype');
  return d;
}

function requireFloat(op: string, values: readonly Value[]): void {
  for (const v of values) if (!isFloat(v.dtype)) throw shapeError(op, values, `input '${v.name}' must be a float tensor`);
}

function requireIndex(op: string, v: Value, all: readonly Value[]): void {
  if (v.dtype !== 'int64' && v.dtype !== 'int32') throw shapeError(op, all, `'${v.name}' must be int64 or int32 indices`);
}

function node1(op: string, inputs: readonly Value[], dtype: DType, shape: readonly number[], attrs: Record<string, AttrValue> = {}): Value {
  return graphOf(op, inputs).addNode(op, inputs, [{ dtype, shape }], attrs)[0]!;
}

// ---------------------------------------------------------------- constants

/** A constant tensor (an ONNX Constant node). */
export function constant(g: Graph, t: Tensor, name = 'const'): Value {
  return g.addNode('Constant', [], [{ dtype: t.dtype, shape: t.shape, name }], { value: t })[0]!;
}

/** A scalar (rank 0) constant of the given dtype. */
export function scalar(g: Graph, x: number, dtype: DType = 'float32'): Value {
  return constant(g, scalarTensor(x, dtype), 'scalar');
}

export function scalarTensor(x: number, dtype: DType): Tensor {
  const t = tensor(dtype, []);
  if (dtype === 'int64') (t.data as BigInt64Array)[0] = BigInt(x);
  else (t.data as Float32Array)[0] = x;
  return t;
}

/** A 1-D int64 constant (shapes, axes, starts...). */
export function int64s(g: Graph, xs: readonly number[]): Value {
  return constant(g, tensor('int64', [xs.length], BigInt64Array.from(xs.map((x) => BigInt(x)))), 'ints');
}

// ---------------------------------------------------------------- elementwise

function binary(op: string, a: Value, b: Value, outDtype?: DType): Value {
  const dtype = sameDtype(op, [a, b]);
  return node1(op, [a, b], outDtype ?? dtype, broadcastShapes(op, [a, b]));
}

export const add = (a: Value, b: Value) => binary('Add', a, b);
export const sub = (a: Value, b: Value) => binary('Sub', a, b);
export const mul = (a: Value, b: Value) => binary('Mul', a, b);
export const div = (a: Value, b: Value) => binary('Div', a, b);
export const equal = (a: Value, b: Value) => binary('Equal', a, b, 'bool');
export const less = (a: Value, b: Value) => binary('Less', a, b, 'bool');
export const greater = (a: Value, b: Value) => binary('Greater', a, b, 'bool');

export function pow(a: Value, b: Value): Value {
  requireFloat('Pow', [a, b]);
  return node1('Pow', [a, b], a.dtype, broadcastShapes('Pow', [a, b]));
}

function unary(op: string, x: Value, float = true): Value {
  if (float) requireFloat(op, [x]);
  return node1(op, [x], x.dtype, x.shape);
}

export const neg = (x: Value) => unary('Neg', x, false);
export const sqrt = (x: Value) => unary('Sqrt', x);
export const reciprocal = (x: Value) => unary('Reciprocal', x);
export const exp = (x: Value) => unary('Exp', x);
export const log = (x: Value) => unary('Log', x);
export const sigmoid = (x: Value) => unary('Sigmoid', x);
export const tanh = (x: Value) => unary('Tanh', x);
export const sin = (x: Value) => unary('Sin', x);
export const cos = (x: Value) => unary('Cos', x);
export const abs = (x: Value) => unary('Abs', x, false);
export const identity = (x: Value) => unary('Identity', x, false);

export function where(cond: Value, x: Value, y: Value): Value {
  if (cond.dtype !== 'bool') throw shapeError('Where', [cond, x, y], `condition '${cond.name}' must be bool`);
  const dtype = sameDtype('Where', [x, y]);
  return node1('Where', [cond, x, y], dtype, broadcastShapes('Where', [cond, x, y]));
}

export function cast(x: Value, to: DType): Value {
  return node1('Cast', [x], to, x.shape, { to: onnxDataType(to) });
}

// ---------------------------------------------------------------- linear algebra

/** numpy matmul for rank >= 2 operands, batch dimensions broadcast. */
export function matmul(a: Value, b: Value): Value {
  const op = 'MatMul';
  const dtype = sameDtype(op, [a, b]);
  requireFloat(op, [a, b]);
  if (a.rank < 2 || b.rank < 2) throw shapeError(op, [a, b], 'operands must have rank >= 2');
  const [m, k1] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k1 !== k2) throw shapeError(op, [a, b], `inner dimensions ${k1} and ${k2} differ`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const fakeA = { ...a, shape: batchA, rank: batchA.length } as unknown as Value;
  const fakeB = { ...b, shape: batchB, rank: batchB.length } as unknown as Value;
  const batch = batchA.length || batchB.length ? broadcastShapesOrThrow(op, [a, b], [fakeA, fakeB]) : [];
  return node1(op, [a, b], dtype, [...batch, m, n]);
}

function broadcastShapesOrThrow(op: string, inputs: Value[], parts: Value[]): number[] {
  try {
    return broadcastShapes(op, parts);
  } catch {
    throw shapeError(op, inputs, 'batch dimensions do not broadcast');
  }
}

/** Y = alpha·op(A)·op(B) + beta·C for 2-D A and B; C broadcasts to [M, N]. */
export function gemm(
  a: Value,
  b: Value,
  c?: Value,
  opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {},
): Value {
  const op = 'Gemm';
  const ins = c ? [a, b, c] : [a, b];
  const dtype = sameDtype(op, ins);
  requireFloat(op, ins);
  if (a.rank !== 2 || b.rank !== 2) throw shapeError(op, ins, 'A and B must be 2-D');
  const [m, ka] = opts.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = opts.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) throw shapeError(op, ins, `inner dimensions ${ka} and ${kb} differ`);
  if (c) {
    let out: number[] = [];
    try {
      out = broadcastShapes(op, [c, { shape: [m, n], rank: 2 } as unknown as Value]);
    } catch {
      // rethrown below naming A, B and C rather than the stand-in for [M, N]
    }
    if (out.length !== 2 || out[0] !== m || out[1] !== n) throw shapeError(op, ins, `C does not broadcast to [${m}, ${n}]`);
  }
  const attrs: Record<string, AttrValue> = {};
  if (opts.transA) attrs.transA = 1;
  if (opts.transB) attrs.transB = 1;
  if (opts.alpha !== undefined && opts.alpha !== 1) attrs.alpha = { float: opts.alpha };
  if (opts.beta !== undefined && opts.beta !== 1) attrs.beta = { float: opts.beta };
  return node1(op, ins, dtype, [m, n], attrs);
}

// ---------------------------------------------------------------- softmax and reductions

export function softmax(x: Value, axis = -1): Value {
  requireFloat('Softmax', [x]);
  return node1('Softmax', [x], x.dtype, x.shape, { axis: normAxis('Softmax', axis, x.rank, [x]) });
}

export function logSoftmax(x: Value, axis = -1): Value {
  requireFloat('LogSoftmax', [x]);
  return node1('LogSoftmax', [x], x.dtype, x.shape, { axis: normAxis('LogSoftmax', axis, x.rank, [x]) });
}

function reducedShape(op: string, x: Value, axes: readonly number[], keepdims: boolean): { axes: number[]; shape: number[] } {
  const norm = [...new Set(axes.map((a) => normAxis(op, a, x.rank, [x])))].sort((p, q) => p - q);
  const shape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!norm.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return { axes: norm, shape };
}

/** ReduceSum over `axes` (opset 13+: axes is an input). Empty axes reduce nothing. */
export function reduceSum(x: Value, axes: readonly number[], keepdims = false): Value {
  const r = reducedShape('ReduceSum', x, axes, keepdims);
  if (r.axes.length === 0) return x;
  return node1('ReduceSum', [x, int64s(x.graph, r.axes)], x.dtype, r.shape, { keepdims: keepdims ? 1 : 0 });
}

/** Empty axes reduce nothing, as in reduceSum. */
export function reduceMean(x: Value, axes: readonly number[], keepdims = false): Value {
  requireFloat('ReduceMean', [x]);
  const r = reducedShape('ReduceMean', x, axes, keepdims);
  // Opset 17 reads an empty axes attribute as "all axes"; keep ReduceSum's meaning instead.
  if (r.axes.length === 0) return x;
  return node1('ReduceMean', [x], x.dtype, r.shape, { axes: r.axes, keepdims: keepdims ? 1 : 0 });
}

export function reduceMax(x: Value, axes: readonly number[], keepdims = false): Value {
  const r = reducedShape('ReduceMax', x, axes, keepdims);
  if (r.axes.length === 0) return x;
  return node1('ReduceMax', [x], x.dtype, r.shape, { axes: r.axes, keepdims: keepdims ? 1 : 0 });
}

// ---------------------------------------------------------------- indexing

/** Gather along `axis`: output shape = data[:axis] + indices + data[axis+1:]. */
export function gather(data: Value, indices: Value, axis = 0): Value {
  requireIndex('Gather', indices, [data, indices]);
  const a = normAxis('Gather', axis, data.rank, [data, indices]);
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return node1('Gather', [data, indices], data.dtype, shape, { axis: a });
}

/** GatherElements: output has the indices' shape. */
export function gatherElements(data: Value, indices: Value, axis = 0): Value {
  const ins = [data, indices];
  requireIndex('GatherElements', indices, ins);
  const a = normAxis('GatherElements', axis, data.rank, ins);
  if (indices.rank !== data.rank) throw shapeError('GatherElements', ins, 'data and indices must have the same rank');
  indices.shape.forEach((d, i) => {
    if (i !== a && d > data.shape[i]!) throw shapeError('GatherElements', ins, `indices dimension ${i} exceeds data`);
  });
  return node1('GatherElements', ins, data.dtype, indices.shape, { axis: a });
}

/** ScatterElements: a copy of data with updates written (or added) at indices along axis. */
export function scatterElements(data: Value, indices: Value, updates: Value, axis = 0, reduction: 'none' | 'add' = 'none'): Value {
  const ins = [data, indices, updates];
  requireIndex('ScatterElements', indices, ins);
  sameDtype('ScatterElements', [data, updates]);
  const a = normAxis('ScatterElements', axis, data.rank, ins);
  if (indices.rank !== data.rank || indices.shape.some((d, i) => d !== updates.shape[i])) {
    throw shapeError('ScatterElements', ins, 'indices and updates must have one shape and the rank of data');
  }
  const attrs: Record<string, AttrValue> = { axis: a };
  if (reduction !== 'none') attrs.reduction = reduction;
  return node1('ScatterElements', ins, data.dtype, data.shape, attrs);
}

// ---------------------------------------------------------------- shape ops

export function reshape(x: Value, shape: readonly number[]): Value {
  let infer = -1;
  const out = shape.map((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw shapeError('Reshape', [x], `target shape [${shape.join(', ')}] has two -1`);
      infer = i;
      return 1;
    }
    return d === 0 ? x.shape[i]! : d;
  });
  const known = numel(out);
  if (infer >= 0) {
    if (known === 0 || numel(x.shape) % known !== 0) throw shapeError('Reshape', [x], `cannot reshape to [${shape.join(', ')}]`);
    out[infer] = numel(x.shape) / known;
  }
  if (numel(out) !== numel(x.shape)) throw shapeError('Reshape', [x], `cannot reshape to [${shape.join(', ')}]: element counts differ`);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return node1('Reshape', [x, int64s(x.graph, out)], x.dtype, out);
}

export function transpose(x: Value, perm?: readonly number[]): Value {
  const p = perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((a, i) => a !== i)) {
    throw shapeError('Transpose', [x], `perm [${p.join(', ')}] is not a permutation of rank ${x.rank}`);
  }
  if (p.every((a, i) => a === i)) return x;
  return node1('Transpose', [x], x.dtype, p.map((a) => x.shape[a]!), { perm: p });
}

/** Slice with static starts/ends (clamped like ONNX) and positive steps. */
export function slice(x: Value, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Value {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis('Slice', a, x.rank, [x]));
  const st = steps ?? ax.map(() => 1);
  const shape = [...x.shape];
  const normStarts: number[] = [];
  const normEnds: number[] = [];
  ax.forEach((a, i) => {
    const d = x.shape[a]!;
    const step = st[i]!;
    if (step <= 0) throw shapeError('Slice', [x], 'only positive steps are supported');
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
    const s = clamp(starts[i]!);
    const e = clamp(ends[i]!);
    normStarts.push(s);
    normEnds.push(e);
    shape[a] = Math.max(0, Math.ceil((e - s) / step));
  });
  const g = x.graph;
  const ins = [x, int64s(g, normStarts), int64s(g, normEnds), int64s(g, ax)];
  if (st.some((s) => s !== 1)) ins.push(int64s(g, st));
  return node1('Slice', ins, x.dtype, shape);
}

export function concat(xs: readonly Value[], axis: number): Value {
  if (xs.length === 0) throw new Error('Concat needs at least one input');
  const dtype = sameDtype('Concat', xs);
  const a = normAxis('Concat', axis, xs[0]!.rank, xs);
  const shape = [...xs[0]!.shape];
  shape[a] = 0;
  for (const v of xs) {
    if (v.rank !== shape.length || v.shape.some((d, i) => i !== a && d !== shape[i])) {
      throw shapeError('Concat', xs, `shapes differ outside axis ${a}`);
    }
    shape[a]! += v.shape[a]!;
  }
  if (xs.length === 1) return xs[0]!;
  return node1('Concat', xs, dtype, shape, { axis: a });
}

export function split(x: Value, sizes: readonly number[], axis: number): Value[] {
  const a = normAxis('Split', axis, x.rank, [x]);
  if (sizes.reduce((s, d) => s + d, 0) !== x.shape[a]) {
    throw shapeError('Split', [x], `sizes [${sizes.join(', ')}] do not add up to dimension ${x.shape[a]} of axis ${a}`);
  }
  const outs = sizes.map((d) => {
    const shape = [...x.shape];
    shape[a] = d;
    return { dtype: x.dtype, shape };
  });
  return x.graph.addNode('Split', [x, int64s(x.graph, sizes)], outs, { axis: a });
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const rank = x.rank + axes.length;
  const norm = axes.map((a) => normAxis('Unsqueeze', a, rank, [x])).sort((p, q) => p - q);
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
  return node1('Unsqueeze', [x, int64s(x.graph, norm)], x.dtype, shape);
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  const norm = axes.map((a) => normAxis('Squeeze', a, x.rank, [x]));
  for (const a of norm) if (x.shape[a] !== 1) throw shapeError('Squeeze', [x], `axis ${a} has size ${x.shape[a]}, not 1`);
  const shape = x.shape.filter((_, i) => !norm.includes(i));
  return node1('Squeeze', [x, int64s(x.graph, norm)], x.dtype, shape);
}

export function expand(x: Value, shape: readonly number[]): Value {
  const target = { shape, rank: shape.length } as unknown as Value;
  const out = broadcastShapesOrThrow('Expand', [x], [x, target]);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return node1('Expand', [x, int64s(x.graph, shape)], x.dtype, out);
}

// ---------------------------------------------------------------- ONNX dtype codes

const DATA_TYPE: Record<DType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

export function onnxDataType(d: DType): number {
  return DATA_TYPE[d];
}

// ---------------------------------------------------------------- added for gradient rules

export const sign = (x: Value) => unary('Sign', x, false);

/** A tensor of the given static shape filled with one value, without embedding its bytes in the model. */
export function constantOfShape(g: Graph, shape: readonly number[], value: number, dtype: DType): Value {
  return g.addNode('ConstantOfShape', [int64s(g, shape)], [{ dtype, shape, name: 'fill' }], { value: oneElement(value, dtype) })[0]!;
}

function oneElement(x: number, dtype: DType): Tensor {
  const t = tensor(dtype, [1]);
  if (dtype === 'int64') (t.data as BigInt64Array)[0] = BigInt(x);
  else (t.data as Float32Array)[0] = x;
  return t;
}

/** Constant-mode Pad; pads = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}], all >= 0. */
export function pad(x: Value, pads: readonly number[], value = 0): Value {
  if (pads.length !== 2 * x.rank || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw shapeError('Pad', [x], `pads [${pads.join(', ')}] must be ${2 * x.rank} non-negative integers`);
  }
  if (pads.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + x.rank]!);
  const ins = [x, int64s(x.graph, pads)];
  if (value !== 0) ins.push(scalar(x.graph, value, x.dtype));
  return node1('Pad', ins, x.dtype, shape, { mode: 'constant' });
}

/** ScatterND: output shape = data's; updates shape = indices[:-1] + data[indices[-1]:]. */
export function scatterND(data: Value, indices: Value, updates: Value, reduction: 'none' | 'add' = 'none'): Value {
  const ins = [data, indices, updates];
  if (indices.dtype !== 'int64') throw shapeError('ScatterND', ins, `'${indices.name}' must be int64 indices`);
  sameDtype('ScatterND', [data, updates]);
  const k = indices.shape[indices.rank - 1];
  if (indices.rank < 1 || k === undefined || k > data.rank) throw shapeError('ScatterND', ins, 'the last dimension of indices must be at most the rank of data');
  const want = [...indices.shape.slice(0, -1), ...data.shape.slice(k)];
  if (want.length !== updates.rank || want.some((d, i) => d !== updates.shape[i])) {
    throw shapeError('ScatterND', ins, `updates must have shape [${want.join(', ')}]`);
  }
  return node1('ScatterND', ins, data.dtype, data.shape, reduction === 'none' ? {} : { reduction });
}

/** GatherND (batch_dims 0): output shape = indices[:-1] + data[indices[-1]:]. */
export function gatherND(data: Value, indices: Value): Value {
  const ins = [data, indices];
  if (indices.dtype !== 'int64') throw shapeError('GatherND', ins, `'${indices.name}' must be int64 indices`);
  const k = indices.shape[indices.rank - 1];
  if (indices.rank < 1 || k === undefined || k > data.rank) throw shapeError('GatherND', ins, 'the last dimension of indices must be at most the rank of data');
  return node1('GatherND', ins, data.dtype, [...indices.shape.slice(0, -1), ...data.shape.slice(k)]);
}

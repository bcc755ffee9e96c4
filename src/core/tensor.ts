import { InvalidArgumentError } from './errors.js';

/** Element types of host tensors. float16 and bfloat16 are stored as raw bits in a Uint16Array. */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'float16' | 'bfloat16';

export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
}
export type TensorData = DataOf[DType];

/** A host tensor: dtype, static shape and a typed array in row-major order. */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DataOf[D];
}

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  bfloat16: 2,
};

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate<D extends DType>(dtype: D, length: number): DataOf[D] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length) as DataOf[D];
    case 'float64':
      return new Float64Array(length) as DataOf[D];
    case 'int32':
      return new Int32Array(length) as DataOf[D];
    case 'int64':
      return new BigInt64Array(length) as DataOf[D];
    case 'bool':
      return new Uint8Array(length) as DataOf[D];
    default:
      return new Uint16Array(length) as DataOf[D];
  }
}

/** Makes a tensor, checking that the data length matches the shape. Without data, zeros. */
export function tensor<D extends DType>(dtype: D, shape: readonly number[], data?: DataOf[D]): Tensor<D> {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new InvalidArgumentError(`invalid tensor shape [${shape.join(', ')}]`);
  }
  const n = numel(shape);
  const buf = data ?? allocate(dtype, n);
  if (buf.length !== n) {
    throw new InvalidArgumentError(
      `tensor data has ${buf.length} elements but shape [${shape.join(', ')}] needs ${n}`,
    );
  }
  return { dtype, shape: [...shape], data: buf };
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

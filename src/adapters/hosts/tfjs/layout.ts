/**
 * How a tfjs variable stores its matrix, and the explicit mapping to lift-sft's convention.
 * lift-sft's matrices are [out, in] (y = x·Wᵀ, PyTorch's and Hugging Face's nn.Linear); a tfjs
 * Dense kernel is [in, out] (y = x·K), so K = Wᵀ and every read, write and gradient of such a
 * variable is transposed here, never by guessing from the shape.
 */
export type MatrixLayout = 'in-out' | 'out-in';

/** dst[j·rows + i] = src[i·cols + j]: the [cols, rows] transpose of a row-major [rows, cols] matrix. */
export function transpose(src: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const dst = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let j = 0; j < cols; j++) dst[j * rows + i] = src[row + j]!;
  }
  return dst;
}

/** The [out, in] shape of a variable of `shape` stored in `layout`. */
export function outInShape(shape: readonly [number, number], layout: MatrixLayout): [number, number] {
  return layout === 'in-out' ? [shape[1], shape[0]] : [shape[0], shape[1]];
}

/** A new [out, in] copy of a variable's values (the variable's own buffer is never handed out). */
export function toOutIn(values: ArrayLike<number>, shape: readonly [number, number], layout: MatrixLayout): Float32Array {
  return layout === 'in-out' ? transpose(values, shape[0], shape[1]) : Float32Array.from(values);
}

/** An [out, in] matrix back in the variable's layout; `shape` is the variable's. */
export function fromOutIn(values: Float32Array, shape: readonly [number, number], layout: MatrixLayout): Float32Array {
  // [out, in] = [shape[1], shape[0]] for an in-out variable
  return layout === 'in-out' ? transpose(values, shape[1], shape[0]) : Float32Array.from(values);
}

/**
 * Conversion between lift-sft host tensors and onnxruntime-web tensors. onnxruntime-web copies
 * every fed tensor into the WebAssembly heap at run time, so wrapping the host array (no copy
 * here) is all this side can save.
 */
import * as ort from 'onnxruntime-web';
import { FeedError } from '../../../core/errors.js';
import type { DType, Tensor } from '../../../core/tensor.js';

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  float16: 'float16',
};

export function toOrt(name: string, t: Tensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (!type) throw new FeedError(`input '${name}': dtype ${t.dtype} cannot be fed to onnxruntime-web`, { name });
  return new ort.Tensor(type, t.data as never, t.shape as number[]);
}

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as DType;
  if (!(dtype in ORT_TYPE)) throw new FeedError(`onnxruntime-web returned an unsupported dtype ${t.type}`);
  return { dtype, shape: [...t.dims], data: t.data as Tensor['data'] };
}

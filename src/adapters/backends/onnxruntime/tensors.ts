/** Conversion between lift-sft host tensors and onnxruntime-node tensors, without copying data. */
import * as ort from 'onnxruntime-node';
import { tensorCodec } from '../ort-shared/index.js';

export const { toOrt, fromOrt } = tensorCodec(ort.Tensor, 'ONNX Runtime');

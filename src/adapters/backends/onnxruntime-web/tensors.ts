/**
 * Conversion between lift-sft host tensors and onnxruntime-web tensors. onnxruntime-web copies
 * every fed tensor into the WebAssembly heap at run time, so wrapping the host array (no copy
 * here) is all this side can save.
 */
import * as ort from 'onnxruntime-web';
import { tensorCodec } from '../ort-shared/index.js';

export const { toOrt, fromOrt } = tensorCodec(ort.Tensor, 'onnxruntime-web');

/**
 * The core TensorStore over safetensors: training checkpoints (weights, int32 masks, optimizer
 * moments) saved and restored exactly, each file written atomically.
 */
import type { TensorStore } from '../../core/contracts.js';
import type { Tensor } from '../../core/tensor.js';
import { readTensors, writeTensors } from './safetensors.js';

export class SafetensorsStore implements TensorStore {
  save(path: string, tensors: ReadonlyMap<string, Tensor>, metadata?: Record<string, string>): void {
    writeTensors(path, tensors, metadata);
  }

  load(path: string): Map<string, Tensor> {
    return readTensors(path);
  }
}

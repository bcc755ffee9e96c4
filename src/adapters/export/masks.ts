/**
 * Principal-weight masks alone, for another trainer (the authors' PyTorch code, a PEFT-style
 * sparse trainer) to train exactly the entries a lift-sft method selects.
 *
 * Layout: <dir>/masks.safetensors with one I64 tensor per target matrix, named as the weight
 * (`model.layers.0.self_attn.q_proj.weight`), holding the k flat row-major positions
 * (row·cols + col) that train, strictly ascending; int64 because PyTorch indexes with it. The
 * metadata (safetensors __metadata__) holds lift_sft.kind "masks", lift_sft.method,
 * lift_sft.options (JSON: rank, filterRank, ...), lift_sft.shapes (JSON: name → [rows, cols]),
 * lift_sft.base_sha256 (hash.ts) and lift_sft.index_order. In PyTorch:
 *
 *   from safetensors.torch import load_file
 *   for name, idx in load_file("masks.safetensors").items():
 *       p = model.get_parameter(name)
 *       mask = torch.zeros(p.numel(), dtype=torch.bool); mask[idx] = True; mask = mask.view_as(p)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError } from '../../core/errors.js';
import { type Tensor, tensor } from '../../core/tensor.js';
import { readTensors } from '../huggingface/safetensors.js';
import { writeIndexedTensors } from './delta.js';
import { readMetadata } from './metadata.js';

export const MASKS_FILE = 'masks.safetensors';
export const MASKS_KIND = 'masks';

export interface MaskSet {
  method: string;
  options: Record<string, unknown>;
  baseModel: string;
  baseHash: string;
  /** Sorted flat indices and the matrix shape, by weight name. */
  masks: Map<string, { rows: number; cols: number; indices: Int32Array }>;
}

export function writeMasks(dir: string, m: MaskSet): { file: string; bytes: number } {
  const tensors = new Map<string, Tensor>();
  const shapes: Record<string, [number, number]> = {};
  for (const [name, { rows, cols, indices }] of m.masks) {
    tensors.set(name, tensor('int64', [indices.length], BigInt64Array.from(indices, (i) => BigInt(i))));
    shapes[name] = [rows, cols];
  }
  return writeIndexedTensors(join(dir, MASKS_FILE), tensors, { kind: MASKS_KIND, method: m.method, options: m.options, baseModel: m.baseModel, baseHash: m.baseHash, shapes });
}

/** Reads a masks directory back (indices checked: in range, strictly ascending). */
export function readMasks(dir: string): MaskSet {
  const file = join(dir, MASKS_FILE);
  if (!existsSync(file)) throw new FileFormatError('E_EXPORT', file, 'is missing (lift masks writes it)');
  const meta = readMetadata(file);
  if (meta['lift_sft.kind'] !== MASKS_KIND) throw new FileFormatError('E_EXPORT', file, `metadata lift_sft.kind is ${JSON.stringify(meta['lift_sft.kind'])}, not "${MASKS_KIND}"`);
  const shapes = JSON.parse(meta['lift_sft.shapes'] ?? '{}') as Record<string, [number, number]>;
  const masks: MaskSet['masks'] = new Map();
  for (const [name, t] of readTensors(file)) {
    const shape = shapes[name];
    if (!shape || t.dtype !== 'int64') throw new FileFormatError('E_EXPORT', file, `tensor '${name}' is not an I64 mask listed in lift_sft.shapes`, { tensor: name });
    const indices = Int32Array.from(t.data as BigInt64Array, (v) => Number(v));
    for (let i = 0; i < indices.length; i++) {
      if (indices[i]! < 0 || indices[i]! >= shape[0] * shape[1] || (i > 0 && indices[i]! <= indices[i - 1]!)) {
        throw new FileFormatError('E_EXPORT', file, `mask '${name}' entry ${i} (${indices[i]}) is out of range or not ascending`, { tensor: name });
      }
    }
    masks.set(name, { rows: shape[0], cols: shape[1], indices });
  }
  return { method: meta['lift_sft.method'] ?? '', options: JSON.parse(meta['lift_sft.options'] ?? '{}'), baseModel: meta['lift_sft.base_model'] ?? '', baseHash: meta['lift_sft.base_sha256'] ?? '', masks };
}

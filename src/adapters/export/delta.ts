/**
 * The sparse delta of a fine-tuning run: for every target matrix, the positions where the
 * fine-tuned weights differ from the base (bitwise) and the fine-tuned values there. Applied to
 * the same base it rebuilds the fine-tuned weights bit for bit; for LIFT it is about k·8 bytes a
 * matrix (int32 index + float32 value), far below the model.
 *
 * Layout: <dir>/delta.safetensors with, per target W,
 *   `<W>.indices`  I32 [c] (I64 when W has 2^31 or more entries): flat row-major positions, strictly ascending
 *   `<W>.values`   F32 [c]: the fine-tuned weights at those positions (values, not differences:
 *                  a float difference added back need not give the same bits)
 * and metadata (safetensors __metadata__): lift_sft.kind "sparse-delta", lift_sft.version,
 * lift_sft.method, lift_sft.options (JSON: rank, filterRank, interval, ...), lift_sft.base_model,
 * lift_sft.base_sha256 (hash.ts, over the target matrices of the base), lift_sft.shapes (JSON:
 * name → [rows, cols]), lift_sft.index_order. A mask refresh keeps the changes of entries that left
 * the mask, so a delta may hold more than k entries a matrix: every changed one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError } from '../../core/errors.js';
import { type Tensor, tensor } from '../../core/tensor.js';
import { readTensors, writeTensors } from '../huggingface/safetensors.js';
import { HASH_ALGORITHM, weightsHash } from './hash.js';
import { readMetadata } from './metadata.js';

export const DELTA_FILE = 'delta.safetensors';
export const DELTA_KIND = 'sparse-delta';
export const DELTA_VERSION = '1';
export const INDEX_ORDER = 'flat row-major positions (row·cols + col), strictly ascending';

export interface MatrixDelta {
  rows: number;
  cols: number;
  indices: Int32Array | BigInt64Array;
  values: Float32Array;
}

export interface SparseDelta {
  method: string;
  options: Record<string, unknown>;
  baseModel: string;
  baseHash: string;
  matrices: Map<string, MatrixDelta>;
}

const INT32_LIMIT = 2 ** 31;

/** The entries of each named matrix whose float32 bits differ between base and tuned. */
export function diffMatrices(base: ReadonlyMap<string, Tensor>, tuned: ReadonlyMap<string, Tensor>, names: readonly string[]): Map<string, MatrixDelta> {
  const out = new Map<string, MatrixDelta>();
  for (const name of names) {
    const b = base.get(name);
    const t = tuned.get(name);
    if (!b || !t || b.dtype !== 'float32' || t.dtype !== 'float32' || b.data.length !== t.data.length || b.shape.length !== 2) {
      throw new FileFormatError('E_DELTA', name, 'needs the float32 matrix in both the base and the fine-tuned weights, of one shape');
    }
    const bb = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
    const tb = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const at: number[] = [];
    for (let i = 0; i < bb.length; i++) if (bb[i] !== tb[i]) at.push(i);
    const big = bb.length >= INT32_LIMIT;
    const values = new Float32Array(at.length);
    at.forEach((i, j) => (values[j] = (t.data as Float32Array)[i]!));
    out.set(name, { rows: b.shape[0]!, cols: b.shape[1]!, indices: big ? BigInt64Array.from(at, BigInt) : Int32Array.from(at), values });
  }
  return out;
}

/** The delta of `names` from base to tuned, with its metadata. */
export function makeDelta(
  base: ReadonlyMap<string, Tensor>,
  tuned: ReadonlyMap<string, Tensor>,
  names: readonly string[],
  info: { method: string; options: Record<string, unknown>; baseModel: string },
): SparseDelta {
  return { ...info, baseHash: weightsHash(base, names), matrices: diffMatrices(base, tuned, names) };
}

/** Writes <dir>/delta.safetensors atomically; returns the file and its size in bytes. */
export function writeDelta(dir: string, d: SparseDelta): { file: string; bytes: number } {
  const tensors = new Map<string, Tensor>();
  const shapes: Record<string, [number, number]> = {};
  for (const [name, m] of d.matrices) {
    tensors.set(`${name}.indices`, m.indices instanceof BigInt64Array ? tensor('int64', [m.indices.length], m.indices) : tensor('int32', [m.indices.length], m.indices));
    tensors.set(`${name}.values`, tensor('float32', [m.values.length], m.values));
    shapes[name] = [m.rows, m.cols];
  }
  return writeIndexedTensors(join(dir, DELTA_FILE), tensors, { kind: DELTA_KIND, version: DELTA_VERSION, method: d.method, options: d.options, baseModel: d.baseModel, baseHash: d.baseHash, shapes });
}

/**
 * Writes the tensors of a delta or a mask set with the metadata both carry: what they are, the
 * method and its budget, the base model they apply to, the matrices' shapes and the index order.
 */
export function writeIndexedTensors(
  file: string,
  tensors: Map<string, Tensor>,
  h: { kind: string; version?: string; method: string; options: Record<string, unknown>; baseModel: string; baseHash: string; shapes: Record<string, [number, number]> },
): { file: string; bytes: number } {
  writeTensors(file, tensors, {
    'lift_sft.kind': h.kind,
    ...(h.version !== undefined ? { 'lift_sft.version': h.version } : {}),
    'lift_sft.method': h.method,
    'lift_sft.options': JSON.stringify(h.options),
    ...budgetMetadata(h.options),
    'lift_sft.base_model': h.baseModel,
    'lift_sft.base_sha256': h.baseHash,
    'lift_sft.hash': HASH_ALGORITHM,
    'lift_sft.shapes': JSON.stringify(h.shapes),
    'lift_sft.index_order': INDEX_ORDER,
  });
  let bytes = 0;
  for (const t of tensors.values()) bytes += t.data.byteLength;
  return { file, bytes };
}

/** The options that say which entries train, as their own metadata keys (rank, filter rank, selection order, ...). */
export function budgetMetadata(options: Record<string, unknown>): Record<string, string> {
  const keys: [string, string][] = [['rank', 'rank'], ['density', 'density'], ['filterRank', 'filter_rank'], ['selection', 'selection'], ['interval', 'interval']];
  const out: Record<string, string> = {};
  for (const [k, meta] of keys) if (options[k] !== undefined) out[`lift_sft.${meta}`] = String(options[k]);
  return out;
}

/** Reads and validates a delta directory: every matrix's indices in range and strictly ascending, values beside them. */
export function readDelta(dir: string): SparseDelta {
  const file = join(dir, DELTA_FILE);
  if (!existsSync(file)) throw new FileFormatError('E_DELTA', file, 'is missing: a delta directory holds delta.safetensors (lift export --format delta)');
  const tensors = readTensors(file);
  const metadata = readMetadata(file);
  const bad = (problem: string, t?: string): never => {
    throw new FileFormatError('E_DELTA', file, problem, t ? { tensor: t } : undefined);
  };
  if (metadata['lift_sft.kind'] !== DELTA_KIND) bad(`metadata lift_sft.kind is ${JSON.stringify(metadata['lift_sft.kind'])}, not "${DELTA_KIND}"`);
  if (metadata['lift_sft.version'] !== DELTA_VERSION) bad(`metadata lift_sft.version ${JSON.stringify(metadata['lift_sft.version'])} is not supported (${DELTA_VERSION})`);
  const json = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key] ?? '');
    } catch {
      return bad(`metadata ${key} is not JSON`);
    }
  };
  const shapes = json('lift_sft.shapes') as Record<string, unknown>;
  const options = json('lift_sft.options') as Record<string, unknown>;
  const matrices = new Map<string, MatrixDelta>();
  for (const [name, shape] of Object.entries(shapes ?? {})) {
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) bad(`metadata lift_sft.shapes: '${name}' is not [rows, cols]`);
    const [rows, cols] = shape as [number, number];
    const idx = tensors.get(`${name}.indices`);
    const val = tensors.get(`${name}.values`);
    if (!idx || (idx.dtype !== 'int32' && idx.dtype !== 'int64')) bad(`tensor '${name}.indices' is missing or not I32/I64`, `${name}.indices`);
    if (!val || val.dtype !== 'float32') bad(`tensor '${name}.values' is missing or not F32`, `${name}.values`);
    if (idx!.data.length !== val!.data.length) bad(`'${name}.indices' has ${idx!.data.length} entries, '${name}.values' ${val!.data.length}`, `${name}.indices`);
    const n = rows * cols;
    const data = idx!.data as Int32Array | BigInt64Array;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v < 0 || v >= n) bad(`'${name}.indices'[${i}] = ${v} is out of range [0, ${n}) for a [${rows}, ${cols}] matrix`, `${name}.indices`);
      if (i > 0 && v <= Number(data[i - 1])) bad(`'${name}.indices' is not strictly ascending at entry ${i} (${Number(data[i - 1])}, then ${v})`, `${name}.indices`);
    }
    matrices.set(name, { rows, cols, indices: data, values: val!.data as Float32Array });
  }
  for (const key of tensors.keys()) {
    const base = key.replace(/\.(indices|values)$/, '');
    if (!matrices.has(base)) bad(`tensor '${key}' belongs to no matrix in lift_sft.shapes`, key);
  }
  return {
    method: metadata['lift_sft.method'] ?? '',
    options: options ?? {},
    baseModel: metadata['lift_sft.base_model'] ?? '',
    baseHash: metadata['lift_sft.base_sha256'] ?? bad('metadata lift_sft.base_sha256 is missing'),
    matrices,
  };
}

/**
 * The base weights with the delta's values written in (a new map; the base is not touched).
 * Fails naming `file` when a matrix is missing or mis-shaped or the base hashes otherwise.
 */
export function applyDelta(base: ReadonlyMap<string, Tensor<'float32'>>, d: SparseDelta, file: string): Map<string, Tensor<'float32'>> {
  for (const [name, m] of d.matrices) {
    const t = base.get(name);
    if (!t) throw new FileFormatError('E_DELTA', file, `the base model has no matrix '${name}'`, { tensor: name });
    if (t.shape[0] !== m.rows || t.shape[1] !== m.cols) throw new FileFormatError('E_DELTA', file, `'${name}' is [${m.rows}, ${m.cols}] in the delta, [${t.shape.join(', ')}] in the base model`, { tensor: name });
  }
  const actual = weightsHash(base, d.matrices.keys());
  if (actual !== d.baseHash) {
    throw new FileFormatError('E_DELTA', file, `was made from other base weights (lift_sft.base_sha256 ${d.baseHash.slice(0, 12)}…, this base ${actual.slice(0, 12)}…; made from ${d.baseModel || 'an unnamed model'})`);
  }
  const out = new Map(base);
  for (const [name, m] of d.matrices) {
    const w = Float32Array.from(base.get(name)!.data);
    for (let i = 0; i < m.values.length; i++) w[Number(m.indices[i])] = m.values[i]!;
    out.set(name, tensor('float32', [m.rows, m.cols], w));
  }
  return out;
}

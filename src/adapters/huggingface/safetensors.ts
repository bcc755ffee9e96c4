/**
 * safetensors files: reading each tensor with one positioned read into memory of its own (no
 * 2 GiB whole-file limit), sharded checkpoints, and atomic writes. The format itself — header
 * validation, decoding, encoding — is safetensors-codec.ts, re-exported here.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import type { Tensor } from '../../core/tensor.js';
import {
  HOST_DTYPE,
  checkHost,
  encodeSafetensors,
  encodeTensors,
  fail,
  headerLength,
  nativeData,
  parseHeaderJson,
  toFloat32,
  type SafetensorsEntry,
  type TensorSource,
  type WriteSafetensorsOptions,
} from './safetensors-codec.js';

export {
  SAFETENSORS_READ_DTYPES,
  decodeSafetensors,
  decodeTensors,
  encodeSafetensors,
  encodeTensors,
  parseSafetensorsHeader,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsWriteDType,
  type WriteSafetensorsOptions,
} from './safetensors-codec.js';

/**
 * Reads a file's tensors with one positioned read each, into memory of their own: no 2 GiB
 * whole-file limit, and F32 data lands directly in its Float32Array.
 */
function readFileTensors<T>(file: string, convert: (entry: SafetensorsEntry, bytes: Uint8Array) => T): Map<string, T> {
  checkHost(file);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    fail(file, `cannot read: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) readRange(fd, file, prefix, 0); // a shorter file fails in headerLength
    const json = new Uint8Array(headerLength(prefix, size, file));
    readRange(fd, file, json, 8);
    const header = parseHeaderJson(json, size, file);
    const out = new Map<string, T>();
    for (const e of header.entries) {
      const bytes = new Uint8Array(e.end - e.begin);
      readRange(fd, file, bytes, header.dataStart + e.begin);
      out.set(e.name, convert(e, bytes));
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function readRange(fd: number, file: string, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (n === 0) fail(file, `ended while reading bytes ${position}..${position + target.length}`);
    done += n;
  }
}

/** Reads one .safetensors file into float32 tensors. */
export function readSafetensors(file: string): Map<string, Tensor<'float32'>> {
  return readFileTensors(file, (e, bytes) => ({ dtype: 'float32', shape: e.shape, data: toFloat32(e, bytes, 0) }));
}

/** Reads one .safetensors file with every tensor in its stored dtype. */
export function readTensors(file: string): Map<string, Tensor> {
  return readFileTensors(file, (e, bytes) => ({ dtype: HOST_DTYPE[e.dtype], shape: e.shape, data: nativeData(e, bytes, 0) }) as Tensor);
}

/**
 * Reads a sharded checkpoint from its model.safetensors.index.json. Every tensor the weight_map
 * names must be in its shard; tensors a shard holds but the map does not name are ignored, as
 * Hugging Face's loader does.
 */
export function readShardedSafetensors(indexFile: string): Map<string, Tensor<'float32'>> {
  let text: string;
  try {
    text = readFileSync(indexFile, 'utf8');
  } catch (e) {
    fail(indexFile, `cannot read: ${(e as Error).message}`);
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    fail(indexFile, `not valid JSON: ${(e as Error).message}`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    fail(indexFile, 'has no weight_map object');
  }
  const dir = dirname(indexFile);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string') fail(indexFile, `weight_map['${name}'] is not a file name`, name);
    const rel = relative(dir, resolve(dir, shard));
    if (rel.startsWith('..') || isAbsolute(rel)) fail(indexFile, `weight_map['${name}'] = '${shard}' points outside ${dir}`, name);
    const list = byShard.get(shard) ?? [];
    list.push(name);
    byShard.set(shard, list);
  }
  const out = new Map<string, Tensor<'float32'>>();
  for (const shard of [...byShard.keys()].sort()) {
    const shardFile = resolve(dir, shard);
    const tensors = readSafetensors(shardFile);
    for (const name of byShard.get(shard)!) {
      const t = tensors.get(name);
      if (!t) fail(shardFile, `tensor '${name}' is listed in ${indexFile} but missing from this shard`, name);
      out.set(name, t);
    }
  }
  return out;
}

/** Writes float32 weights as a .safetensors file atomically (temporary file, then rename). */
export function writeSafetensors(file: string, tensors: TensorSource<Tensor<'float32'>>, options: WriteSafetensorsOptions = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, options));
}

/** Writes tensors of any dtype, exactly, as a .safetensors file atomically. */
export function writeTensors(file: string, tensors: TensorSource<Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeTensors(tensors, metadata));
}

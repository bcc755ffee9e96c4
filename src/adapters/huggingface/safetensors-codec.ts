/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__},
 * then the raw little-endian tensor bytes, offsets relative to the end of the header.
 *
 * Bytes in memory to tensors and back, with no file system: the browser bundle decodes the model
 * it fetched and encodes the download with these. safetensors.ts adds the files. Decoding
 * returns float32 master weights (or, through decodeTensors, each tensor in its stored dtype),
 * viewed in place where aligned; the only per-element work is dtype conversion.
 */
import { FileFormatError } from '../../core/errors.js';
import { numel, shapeToString, type DType, type Tensor } from '../../core/tensor.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from './float-bits.js';

/** The dtypes lift-sft reads (as float32 model weights, or as they are through readTensors). */
export const SAFETENSORS_READ_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'BOOL'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_READ_DTYPES)[number];
/** The dtypes model weights are written in. */
export type SafetensorsWriteDType = 'F32' | 'F16' | 'BF16';

const DTYPE_BYTES: Record<SafetensorsDType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, BOOL: 1 };

/** Host tensor dtype ↔ safetensors dtype, one to one. */
export const HOST_DTYPE: Record<SafetensorsDType, DType> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  BOOL: 'bool',
};
const FILE_DTYPE = Object.fromEntries(Object.entries(HOST_DTYPE).map(([k, v]) => [v, k])) as Record<DType, SafetensorsDType>;

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte range relative to the start of the data area. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string> | null;
  /** Entries in file order of their data. */
  entries: SafetensorsEntry[];
  /** Absolute byte offset of the data area (8 + header length). */
  dataStart: number;
}

export function fail(file: string, problem: string, tensor?: string): never {
  throw new FileFormatError('E_SAFETENSORS', file, problem, tensor === undefined ? undefined : { tensor });
}

/** Reads the 8-byte header length and checks it against the file length. */
export function headerLength(prefix: Uint8Array, fileLength: number, file: string): number {
  if (fileLength < 8) fail(file, `file is ${fileLength} bytes, shorter than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileLength - 8)) {
    fail(file, `header length ${n} runs past the end of the file (${fileLength - 8} bytes after the length field)`);
  }
  // the format's own limit, which also keeps a corrupt length from allocating gigabytes
  if (n > 100_000_000n) fail(file, `header length ${n} exceeds the format's limit of 100000000 bytes`);
  return Number(n);
}

/** Validates the header JSON; every offset is checked against the actual data length. */
export function parseHeaderJson(jsonBytes: Uint8Array, fileLength: number, file: string): SafetensorsHeader {
  const dataStart = 8 + jsonBytes.length;
  const dataLength = fileLength - dataStart;
  // the format: a JSON object from the first byte (padding may follow it, never precede it)
  if (jsonBytes[0] !== 0x7b) fail(file, `header does not start with '{' (its first byte is ${jsonBytes.length ? `0x${jsonBytes[0]!.toString(16)}` : 'missing: the header is empty'})`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
  } catch (e) {
    fail(file, `header is not valid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(file, 'header is not a JSON object');

  let metadata: Record<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) fail(file, '__metadata__ is not an object');
      const bad = Object.entries((raw ?? {}) as Record<string, unknown>).find(([, v]) => typeof v !== 'string');
      if (bad) fail(file, `__metadata__ '${bad[0]}' is ${JSON.stringify(bad[1])}: metadata values must be strings`);
      metadata = raw as Record<string, string> | null;
      continue;
    }
    entries.push(parseEntry(name, raw, dataLength, file));
  }

  // Two tensors sharing bytes would alias silently; the format forbids it.
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end) {
      fail(
        file,
        `tensor '${cur.name}' data_offsets [${cur.begin}, ${cur.end}] overlap tensor '${prev.name}' [${prev.begin}, ${prev.end}]`,
        cur.name,
      );
    }
  }
  // The offsets must tile the data area exactly (the format's rule): no hole between tensors and
  // no byte after the last, where bytes no tensor owns could hide anything.
  let covered = 0;
  for (const e of sorted) {
    if (e.begin > covered) fail(file, `bytes ${covered}..${e.begin} of the data area belong to no tensor (a hole before tensor '${e.name}')`, e.name);
    covered = e.end;
  }
  if (covered < dataLength) {
    fail(file, `${dataLength - covered} trailing bytes after the last tensor (the tensors cover ${covered} of the ${dataLength}-byte data area)`);
  }
  entries.sort((a, b) => a.begin - b.begin || a.name.localeCompare(b.name));
  return { metadata, entries, dataStart };
}

/** Parses and validates the header of in-memory safetensors bytes. */
export function parseSafetensorsHeader(bytes: Uint8Array, file: string): SafetensorsHeader {
  const n = headerLength(bytes, bytes.length, file);
  return parseHeaderJson(bytes.subarray(8, 8 + n), bytes.length, file);
}

function parseEntry(name: string, raw: unknown, dataLength: number, file: string): SafetensorsEntry {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, `tensor '${name}': entry is not an object`, name);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(SAFETENSORS_READ_DTYPES as readonly string[]).includes(dtype)) {
    fail(
      file,
      `tensor '${name}': unsupported dtype ${JSON.stringify(dtype)} (supported: ${SAFETENSORS_READ_DTYPES.join(', ')})`,
      name,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(file, `tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    fail(file, `tensor '${name}': data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`, name);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    fail(file, `tensor '${name}': data_offsets [${begin}, ${end}] lie outside the data area of ${dataLength} bytes`, name);
  }
  const d = dtype as SafetensorsDType;
  const expected = numel(shape as number[]) * DTYPE_BYTES[d];
  if (expected !== end - begin) {
    fail(
      file,
      `tensor '${name}': shape ${shapeToString(shape as number[])} of ${d} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      name,
    );
  }
  return { name, dtype: d, shape: shape as number[], begin, end };
}

/** A typed view of `bytes[start, start+count*size)`, copying only when the start is misaligned. */
function typedView<T>(
  Ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
  bytes: Uint8Array,
  start: number,
  count: number,
): T {
  const abs = bytes.byteOffset + start;
  if (abs % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, abs, count);
  // A fresh copy: subarray would return another view of the same unaligned memory.
  const copy = new Uint8Array(count * Ctor.BYTES_PER_ELEMENT);
  copy.set(bytes.subarray(start, start + copy.length));
  return new Ctor(copy.buffer, 0, count);
}

/** The entry's values as float32; its bytes start at `start` in `bytes`. */
export function toFloat32(entry: SafetensorsEntry, bytes: Uint8Array, start: number): Float32Array {
  const n = numel(entry.shape);
  switch (entry.dtype) {
    case 'F32':
      return typedView(Float32Array, bytes, start, n);
    case 'F16':
      return float16BitsToFloat32(typedView(Uint16Array, bytes, start, n));
    case 'BF16':
      return bfloat16BitsToFloat32(typedView(Uint16Array, bytes, start, n));
    case 'I64': {
      const src = typedView(BigInt64Array, bytes, start, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
      return out;
    }
    default:
      return Float32Array.from(nativeData(entry, bytes, start) as Float64Array | Int32Array | Uint8Array);
  }
}

/** The entry's values in their own dtype (float16/bfloat16 as raw bits), a view when aligned. */
export function nativeData(entry: SafetensorsEntry, bytes: Uint8Array, start: number): Tensor['data'] {
  const n = numel(entry.shape);
  switch (entry.dtype) {
    case 'F64':
      return typedView(Float64Array, bytes, start, n);
    case 'F32':
      return typedView(Float32Array, bytes, start, n);
    case 'F16':
    case 'BF16':
      return typedView(Uint16Array, bytes, start, n);
    case 'I64':
      return typedView(BigInt64Array, bytes, start, n);
    case 'I32':
      return typedView(Int32Array, bytes, start, n);
    case 'BOOL':
      return bytes.subarray(start, start + n);
  }
}

export function checkHost(file: string): void {
  // Views reinterpret the file's little-endian bytes in host order.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new FileFormatError('E_SAFETENSORS', file, 'reading safetensors needs a little-endian host');
}

/** Decodes safetensors bytes into float32 tensors; `file` names the source in errors. */
export function decodeSafetensors(bytes: Uint8Array, file: string): Map<string, Tensor<'float32'>> {
  checkHost(file);
  const header = parseSafetensorsHeader(bytes, file);
  const out = new Map<string, Tensor<'float32'>>();
  for (const e of header.entries) {
    out.set(e.name, { dtype: 'float32', shape: e.shape, data: toFloat32(e, bytes, header.dataStart + e.begin) });
  }
  return out;
}

/**
 * Decodes tensors in their stored dtypes (F16/BF16 as raw bits in a Uint16Array), for state that
 * must come back exactly: optimizer moments, int32 mask indices past 2^24.
 */
export function decodeTensors(bytes: Uint8Array, file: string): Map<string, Tensor> {
  checkHost(file);
  const header = parseSafetensorsHeader(bytes, file);
  const out = new Map<string, Tensor>();
  for (const e of header.entries) {
    out.set(e.name, { dtype: HOST_DTYPE[e.dtype], shape: e.shape, data: nativeData(e, bytes, header.dataStart + e.begin) } as Tensor);
  }
  return out;
}

export interface WriteSafetensorsOptions {
  /** Stored dtype; float32 values are rounded to nearest even for F16/BF16. Default F32. */
  dtype?: SafetensorsWriteDType;
  /** Extra string metadata; `format: 'pt'` is always set so PyTorch loaders accept the file. */
  metadata?: Record<string, string>;
}

/** One tensor ready to encode: its stored dtype and its bytes. */
interface EncodedTensor {
  name: string;
  dtype: SafetensorsDType;
  shape: readonly number[];
  bytes: Uint8Array;
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkLength(name: string, t: Tensor): void {
  if (t.data.length !== numel(t.shape)) {
    throw new FileFormatError('E_SAFETENSORS', name, `has ${t.data.length} values but shape ${shapeToString(t.shape)}`, {
      tensor: name,
    });
  }
}

/** Header and data parts, tensors in name order (deterministic bytes for the same input). */
function encodeParts(items: EncodedTensor[], metadata: Record<string, string> | undefined): Uint8Array[] {
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { ...metadata, format: 'pt' } };
  let offset = 0;
  for (const t of items) {
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The data area starts on an 8-byte boundary (spec: pad the header with spaces).
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return [prefix, headerBytes, ...items.map((t) => t.bytes)];
}

export type TensorSource<T extends Tensor> = ReadonlyMap<string, T> | Iterable<readonly [string, T]>;

/**
 * Encodes float32 weights as safetensors byte parts in the chosen dtype. F32 parts are views of
 * the tensors' own memory, so nothing is copied.
 */
export function encodeSafetensors(tensors: TensorSource<Tensor<'float32'>>, options: WriteSafetensorsOptions = {}): Uint8Array[] {
  const dtype = options.dtype ?? 'F32';
  const items: EncodedTensor[] = [];
  for (const [name, t] of tensors) {
    if (t.dtype !== 'float32' || !(t.data instanceof Float32Array)) {
      throw new FileFormatError('E_SAFETENSORS', name, `only float32 weights can be written, got ${t.dtype}`, { tensor: name });
    }
    checkLength(name, t);
    const data = dtype === 'F32' ? t.data : dtype === 'BF16' ? float32ToBfloat16Bits(t.data) : float32ToFloat16Bits(t.data);
    items.push({ name, dtype, shape: t.shape, bytes: bytesOf(data) });
  }
  return encodeParts(items, options.metadata);
}

/** Encodes tensors of any dtype as they are (float16/bfloat16 bits stored as F16/BF16). */
export function encodeTensors(tensors: TensorSource<Tensor>, metadata?: Record<string, string>): Uint8Array[] {
  const items: EncodedTensor[] = [];
  for (const [name, t] of tensors) {
    checkLength(name, t);
    items.push({ name, dtype: FILE_DTYPE[t.dtype], shape: t.shape, bytes: bytesOf(t.data) });
  }
  return encodeParts(items, metadata);
}

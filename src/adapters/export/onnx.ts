/**
 * A model directory transformers.js runs: `onnx/model.onnx` (the decoder of
 * core/model/llama-decoder.ts, with free batch, sequence and past dimensions) beside the Hugging
 * Face files, and the config fields transformers.js reads.
 *
 * What transformers.js (v4) expects, read from its source: for a decoder-only model it opens
 * `<dir>/onnx/model{suffix}.onnx`, the suffix chosen by dtype ('' for fp32; its browser default is
 * q8, `model_quantized.onnx`), so config.json's `transformers.js_config.dtype` says 'fp32'. It feeds
 * input_ids, attention_mask (past + new length), position_ids (cumsum(mask) − 1 when the session
 * declares it) and past_key_values.{i}.key/value; for the first step it allocates the past from the
 * session's input metadata, resolving the dimension named 'batch_size' and every other free one to
 * 0. It reads logits[:, −1, :] and renames present.* to past_key_values.* for the next step. It
 * reads bos/eos/pad from config.json and generation_config.json. External data
 * (`model.onnx_data`) is loaded only when `transformers.js_config.use_external_data_format` says so.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { FileFormatError } from '../../core/errors.js';
import { type ExternalDataRef, serializeModel } from '../../core/graph/onnx.js';
import { dimParam, inferSymbolicShapes } from '../../core/graph/symbolic.js';
import type { ModelConfig } from '../../core/model/config.js';
import { buildLlamaDecoder } from '../../core/model/llama-decoder.js';
import { BYTES_PER_ELEMENT, type Tensor } from '../../core/tensor.js';

export const ONNX_DIR = 'onnx';
export const ONNX_FILE = 'model.onnx';
/** transformers.js' name for the first (only) external data chunk of model.onnx. */
export const ONNX_DATA_FILE = 'model.onnx_data';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
/** Protobuf cannot encode a message over 2 GiB: above this many initializer bytes, weights go to model.onnx_data. */
export const EXTERNAL_DATA_THRESHOLD = 2 ** 31 - 2 ** 27;
/** External data offsets are page-aligned, so ONNX Runtime may map them instead of copying. */
const ALIGN = 4096;

export interface OnnxExportOptions {
  /** true: weights in model.onnx_data; false: inside model.onnx; default: external above EXTERNAL_DATA_THRESHOLD. */
  externalData?: boolean;
}

export interface OnnxExportResult {
  files: string[];
  bytes: number;
  externalData: boolean;
}

/**
 * Writes onnx/model.onnx (and model.onnx_data when external) into `dir`, an exported Hugging Face
 * model directory (config.json present), then generation_config.json and config.json's
 * transformers.js fields. The graph and its symbolic shapes are checked before any file is
 * written; each file is written atomically, config.json last.
 */
export function writeOnnxModel(dir: string, config: ModelConfig, weights: ReadonlyMap<string, Tensor>, options: OnnxExportOptions = {}): OnnxExportResult {
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) throw new FileFormatError('E_EXPORT', configFile, 'is missing: the ONNX export goes into a Hugging Face model directory (write it first)');
  const configJson = readJsonObject(configFile);

  const dec = buildLlamaDecoder(config, { weights });
  const shapes = inferSymbolicShapes(dec.graph, dec.outputs, dec.inputDims);
  const initBytes = [...dec.graph.initializers.values()].reduce((s, i) => s + i.tensor.data.length * BYTES_PER_ELEMENT[i.tensor.dtype], 0);
  const external = options.externalData ?? initBytes > EXTERNAL_DATA_THRESHOLD;

  const onnxDir = join(dir, ONNX_DIR);
  const refs = new Map<string, ExternalDataRef>();
  const dataParts: Uint8Array[] = [];
  if (external) {
    let offset = 0;
    for (const [name, { tensor }] of dec.graph.initializers) {
      const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.length * BYTES_PER_ELEMENT[tensor.dtype]);
      const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
      if (pad) dataParts.push(new Uint8Array(pad));
      offset += pad;
      refs.set(name, { location: ONNX_DATA_FILE, offset, length: bytes.length });
      dataParts.push(bytes);
      offset += bytes.length;
    }
  }
  const { bytes } = serializeModel(dec.graph, {
    outputs: dec.outputs,
    keepInputs: true,
    dims: (v) => shapes.dims(v).map(dimParam),
    ...(external ? { externalData: (name: string) => refs.get(name) } : {}),
  });

  const files: string[] = [];
  let total = 0;
  const write = (file: string, data: string | Uint8Array | readonly Uint8Array[]) => {
    writeFileAtomic(file, data);
    files.push(file);
    total += typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Uint8Array ? data.length : data.reduce((s, p) => s + p.length, 0);
  };
  // The data first: a model.onnx on disk never points at bytes that are not there yet.
  if (external) write(join(onnxDir, ONNX_DATA_FILE), dataParts);
  write(join(onnxDir, ONNX_FILE), bytes);
  if (!external) rmSync(join(onnxDir, ONNX_DATA_FILE), { force: true });
  write(join(dir, GENERATION_CONFIG_FILE), JSON.stringify(generationConfig(config), null, 2) + '\n');
  const jsConfig: Record<string, unknown> = { dtype: 'fp32' };
  if (external) jsConfig.use_external_data_format = true;
  write(configFile, JSON.stringify({ ...configJson, 'transformers.js_config': jsConfig }, null, 2) + '\n');
  return { files, bytes: total, externalData: external };
}

/** The generation defaults transformers (Python and JS) read: special tokens from the model config. */
export function generationConfig(config: ModelConfig): Record<string, unknown> {
  const eos = config.eosTokenId.length === 1 ? config.eosTokenId[0] : config.eosTokenId.length ? config.eosTokenId : null;
  return { _from_model_config: true, bos_token_id: config.bosTokenId, eos_token_id: eos, pad_token_id: config.padTokenId };
}

function readJsonObject(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileFormatError('E_EXPORT', file, `is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FileFormatError('E_EXPORT', file, 'is not a JSON object');
  return parsed as Record<string, unknown>;
}

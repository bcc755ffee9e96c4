/**
 * LoRA adapters in Hugging Face PEFT's layout, written and read:
 *   adapter_config.json        LoraConfig fields (peft_type LORA, r, lora_alpha, target_modules, ...)
 *   adapter_model.safetensors  base_model.model.<module>.lora_A.weight [r, in] and .lora_B.weight [out, r]
 *
 * Checked against PEFT's own description of its checkpoint format
 * (docs/source/developer_guides/checkpoint.md in huggingface/peft: keys start with
 * `base_model.model.`, the adapter name is stripped, lora_A/lora_B are nn.Linear weights, and the
 * LoRA adapter_config.json example's fields) and LoraConfig's documented parameters. The update
 * is PEFT's W + (lora_alpha / r)·B·A (use_rslora false, fan_in_fan_out false, bias "none").
 * The base-weight hash rides in the safetensors metadata, which PEFT ignores, so
 * adapter_config.json holds only fields PEFT knows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { FileFormatError } from '../../core/errors.js';
import { type ModelConfig, TARGET_MODULES, type TargetModule, linearShape, linearWeightName } from '../../core/model/config.js';
import { type Tensor, shapeToString } from '../../core/tensor.js';
import { readTensors, writeTensors } from '../huggingface/safetensors.js';
import { weightsHash } from './hash.js';
import { readMetadata } from './metadata.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** PEFT's prefix of every adapter tensor name (PeftModel wraps LoraModel wraps the base model). */
export const PEFT_PREFIX = 'base_model.model.';
/** safetensors metadata key of the base-weight hash (hash.ts) of the adapted matrices. */
export const BASE_HASH_KEY = 'lift_sft.base_sha256';

export interface LoraAdapter {
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: TargetModule[];
  /** Where the base model came from (PEFT's base_model_name_or_path). */
  baseModel: string | null;
  /** The factors by PEFT name without the base_model.model. prefix (what LoraTarget.adapter() names). */
  tensors: Map<string, Tensor>;
  /** Hash of the base weights of the adapted matrices, when the adapter carries one. */
  baseHash?: string;
}

/** PEFT's LoraConfig for a lift-sft LoRA adapter; fields PEFT documents, with its defaults where lift-sft has no say. */
export function peftConfigJson(a: Omit<LoraAdapter, 'tensors' | 'baseHash'>): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: a.baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: a.alpha,
    lora_dropout: a.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: a.rank,
    rank_pattern: {},
    revision: null,
    target_modules: [...a.targetModules],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
}

/** Writes the adapter files atomically, weights first, adapter_config.json last. */
export function writePeftAdapter(dir: string, a: LoraAdapter): string[] {
  const weights = new Map<string, Tensor>();
  for (const [name, t] of a.tensors) weights.set(PEFT_PREFIX + name, t);
  const files = [join(dir, ADAPTER_WEIGHTS_FILE), join(dir, ADAPTER_CONFIG_FILE)];
  writeTensors(files[0]!, weights, a.baseHash ? { [BASE_HASH_KEY]: a.baseHash } : undefined);
  writeFileAtomic(files[1]!, JSON.stringify(peftConfigJson(a), null, 2) + '\n');
  return files;
}

/**
 * Reads a PEFT LoRA adapter. Features lift-sft's LoRA does not compute (DoRA, rsLoRA,
 * fan_in_fan_out, trained biases, rank or alpha patterns, extra saved modules, layer subsets)
 * are refused naming the field, rather than silently computing another function.
 */
export function readPeftAdapter(dir: string): LoraAdapter {
  const configFile = join(dir, ADAPTER_CONFIG_FILE);
  const weightsFile = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(configFile)) throw new FileFormatError('E_ADAPTER', configFile, 'is missing: an adapter directory holds adapter_config.json and adapter_model.safetensors');
  if (!existsSync(weightsFile)) throw new FileFormatError('E_ADAPTER', weightsFile, 'is missing (lift-sft reads safetensors adapters, not adapter_model.bin)');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new FileFormatError('E_ADAPTER', configFile, `is not valid JSON (${(e as Error).message})`);
  }
  const bad = (field: string, problem: string): never => {
    throw new FileFormatError('E_ADAPTER', configFile, `${field}: ${problem}`, { field });
  };
  if (json === null || typeof json !== 'object') bad('/', 'is not a JSON object');
  if (json.peft_type !== 'LORA') bad('peft_type', `${JSON.stringify(json.peft_type)} is not "LORA"`);
  const rank = json.r ?? 8;
  if (!Number.isInteger(rank) || (rank as number) < 1) bad('r', `${JSON.stringify(rank)} is not a positive integer`);
  const alpha = json.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !(alpha > 0)) bad('lora_alpha', `${JSON.stringify(alpha)} is not a positive number`);
  const dropout = json.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || dropout < 0 || dropout >= 1) bad('lora_dropout', `${JSON.stringify(dropout)} is not in [0, 1)`);
  const unsupported: [string, (v: unknown) => boolean, string][] = [
    ['bias', (v) => v === undefined || v === 'none', 'only "none" (no trained biases)'],
    ['fan_in_fan_out', (v) => !v, 'only false (weights stored [out, in])'],
    ['use_dora', (v) => !v, 'DoRA is not LoRA'],
    ['use_rslora', (v) => !v, 'only false (scale lora_alpha / r)'],
    ['modules_to_save', (v) => v == null || (Array.isArray(v) && v.length === 0), 'only null (no extra trained modules)'],
    ['layers_to_transform', (v) => v == null, 'only null (every layer)'],
    ['rank_pattern', (v) => v == null || (typeof v === 'object' && Object.keys(v as object).length === 0), 'only {} (one rank)'],
    ['alpha_pattern', (v) => v == null || (typeof v === 'object' && Object.keys(v as object).length === 0), 'only {} (one alpha)'],
  ];
  for (const [field, ok, what] of unsupported) if (!ok(json[field])) bad(field, `${JSON.stringify(json[field])} is not supported: ${what}`);
  const tm = json.target_modules;
  const list = typeof tm === 'string' && tm === 'all-linear' ? [...TARGET_MODULES] : tm;
  if (!Array.isArray(list) || list.length === 0 || !list.every((m) => (TARGET_MODULES as readonly string[]).includes(m as string))) {
    bad('target_modules', `${JSON.stringify(tm)} must be "all-linear" or a list of ${TARGET_MODULES.join(', ')}`);
  }
  const targetModules = TARGET_MODULES.filter((m) => (list as string[]).includes(m));

  const raw = readTensors(weightsFile);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of raw) {
    if (!name.startsWith(PEFT_PREFIX)) throw new FileFormatError('E_ADAPTER', weightsFile, `tensor '${name}' does not start with ${PEFT_PREFIX}`, { tensor: name });
    if (t.dtype !== 'float32') throw new FileFormatError('E_ADAPTER', weightsFile, `tensor '${name}' is ${t.dtype}; lift-sft reads F32 adapters`, { tensor: name });
    tensors.set(name.slice(PEFT_PREFIX.length), t);
  }
  const baseHash = readMetadata(weightsFile)[BASE_HASH_KEY];
  const base = json.base_model_name_or_path;
  return { rank: rank as number, alpha: alpha as number, dropout: dropout as number, targetModules, baseModel: typeof base === 'string' ? base : null, tensors, ...(baseHash ? { baseHash } : {}) };
}

/** The names of the base weights an adapter adapts. */
export function adaptedWeights(config: ModelConfig, modules: readonly TargetModule[]): string[] {
  const out: string[] = [];
  for (let l = 0; l < config.numHiddenLayers; l++) for (const m of modules) out.push(linearWeightName(l, m));
  return out;
}

/**
 * Checks an adapter against a base model: every adapted module of every layer has its A [r, in]
 * and B [out, r], nothing else is in the file, and the base weights hash as the adapter says
 * (when it says). Fails with every problem at once, naming the adapter file.
 */
export function checkAdapterBase(dir: string, a: LoraAdapter, config: ModelConfig, weights: ReadonlyMap<string, Tensor>): void {
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  const problems: string[] = [];
  const expected = new Set<string>();
  for (let l = 0; l < config.numHiddenLayers; l++) {
    for (const m of a.targetModules) {
      const [out, inn] = linearShape(config, m);
      const base = linearWeightName(l, m).replace(/\.weight$/, '');
      for (const [name, shape] of [[`${base}.lora_A.weight`, [a.rank, inn]], [`${base}.lora_B.weight`, [out, a.rank]]] as const) {
        expected.add(name);
        const t = a.tensors.get(name);
        if (!t) problems.push(`missing ${PEFT_PREFIX}${name}`);
        else if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
          problems.push(`${PEFT_PREFIX}${name} is ${shapeToString(t.shape)}, the base model needs ${shapeToString(shape)}`);
        }
      }
    }
  }
  for (const name of a.tensors.keys()) if (!expected.has(name)) problems.push(`unexpected ${PEFT_PREFIX}${name}`);
  if (problems.length) throw new FileFormatError('E_ADAPTER', file, `does not fit the base model: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? ` (and ${problems.length - 6} more)` : ''}`);
  if (a.baseHash) {
    const actual = weightsHash(weights, adaptedWeights(config, a.targetModules));
    if (actual !== a.baseHash) throw new FileFormatError('E_ADAPTER', file, `was made for other base weights (${BASE_HASH_KEY} ${a.baseHash.slice(0, 12)}…, this base model ${actual.slice(0, 12)}…)`);
  }
}

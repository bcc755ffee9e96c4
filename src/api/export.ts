/**
 * Exports of a fine-tuned model, as library calls: the merged Hugging Face directory ('hf'),
 * onnx/model.onnx for transformers.js ('onnx'), the PEFT LoRA adapter ('peft') and the sparse
 * delta ('delta'). A run's own trainable state decides what it can export, through the
 * TrainableTarget contract: targets with adapter() export an adapter, targets with mask() a
 * delta; nothing here branches on a method's name.
 *
 * Layout under an output directory (a run directory by default):
 *   model/          config.json, model.safetensors, tokenizer files, generation_config.json
 *   model/onnx/     model.onnx (+ model.onnx_data for models over 2 GB): model/ is a transformers.js model
 *   adapter/        adapter_config.json, adapter_model.safetensors
 *   delta/          delta.safetensors
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodOptions } from '../core/contracts.js';
import { type ModelConfig, type TargetModule, linearShape } from '../core/model/config.js';
import type { Tensor } from '../core/tensor.js';
import type { TrainResult } from '../core/training/trainer.js';
import { LiftError, FileFormatError } from '../core/errors.js';
import { validateRunConfig } from '../core/config/validate.js';
import type { RunConfig } from '../core/config/schema.js';
import { Rng } from '../core/rng.js';
import type { Registry } from '../core/registry.js';
import { FileCheckpointStore, restoreTargets } from '../core/training/checkpoint.js';
import { type TargetSpec, adapterTensors, createTargets, mergedWeights, targetMasks } from '../core/training/targets.js';
import { CONFIG_FILE, loadModelDir, saveModelDir } from '../adapters/huggingface/checkpoint.js';
import { SafetensorsStore } from '../adapters/huggingface/tensor-store.js';
import { makeDelta, writeDelta } from '../adapters/export/delta.js';
import { weightsHash } from '../adapters/export/hash.js';
import { writeOnnxModel } from '../adapters/export/onnx.js';
import { adaptedWeights, writePeftAdapter } from '../adapters/export/peft.js';
import { defaultRegistry } from '../container.js';

export const EXPORT_FORMATS = ['hf', 'onnx', 'peft', 'delta'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_DIRS: Record<ExportFormat, string> = { hf: 'model', onnx: join('model', 'onnx'), peft: 'adapter', delta: 'delta' };

/** What every export reads: the base model, the fine-tuned weights and the run's trainable state. */
export interface ExportSource {
  config: ModelConfig;
  /** The base model as the run names it (recorded in adapters and deltas). */
  baseModel: string;
  /** The base weights (peft and delta read them), or how to get them when they are needed (read once). */
  base: ReadonlyMap<string, Tensor<'float32'>> | (() => ReadonlyMap<string, Tensor<'float32'>>);
  /** The fine-tuned weights, every target merged (float32, exact). */
  merged: () => Map<string, Tensor<'float32'>>;
  /** The targets' adapter tensors (adapter() names); empty when the parametrization has none. */
  adapters: ReadonlyMap<string, Tensor>;
  /** The targets' masks; empty when the parametrization trains none. */
  masks: ReadonlyMap<string, Int32Array>;
  method: string;
  options: MethodOptions;
  tokenizerDir: string;
  dtype?: 'F32' | 'BF16';
}

export interface ExportRecord {
  format: ExportFormat;
  dir: string;
  files: string[];
  /** Bytes of the files written. */
  bytes: number;
}

/** Parses a list such as "hf,onnx" into formats; an unknown name fails listing the known ones. */
export function parseFormats(list: string | readonly string[], source = '--format'): ExportFormat[] {
  const names = (typeof list === 'string' ? list.split(',') : list).map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(EXPORT_FORMATS as readonly string[]).includes(n));
  if (bad.length || names.length === 0) {
    throw new LiftError('E_EXPORT', `${source}: ${bad.length ? `unknown format ${bad.map((b) => `'${b}'`).join(', ')}` : 'no format given'} (formats: ${EXPORT_FORMATS.join(', ')})`);
  }
  return [...new Set(names as ExportFormat[])];
}

/** The adapter a run's parametrization exports by itself: 'peft' for adapter tensors, 'delta' for masks, none otherwise. */
export function naturalFormats(src: Pick<ExportSource, 'adapters' | 'masks'>): ExportFormat[] {
  return src.adapters.size > 0 ? ['peft'] : src.masks.size > 0 ? ['delta'] : [];
}

/** The names of the target weights a run trained (its targetModules in every layer). */
export function targetNames(config: ModelConfig, options: MethodOptions): string[] {
  return adaptedWeights(config, (options.targetModules as TargetModule[] | undefined) ?? []);
}

/** The target specs (name, shape, base weight) of the named linear weights, as the trainer makes them. */
export function targetSpecs(config: ModelConfig, weights: ReadonlyMap<string, Tensor<'float32'>>, names: readonly string[]): TargetSpec[] {
  return names.map((name) => {
    const [rows, cols] = linearShape(config, name.split('.').at(-2) as TargetModule);
    return { name, rows, cols, source: weights.get(name)! };
  });
}

/**
 * Writes the formats under `outDir`. Every format is checked against the source before any
 * file is written (a LoRA run has no delta, a LIFT run no PEFT adapter); each file is written
 * atomically.
 */
export function writeExports(outDir: string, src: ExportSource, formats: readonly ExportFormat[]): ExportRecord[] {
  if (formats.includes('peft') && src.adapters.size === 0) {
    throw new LiftError('E_EXPORT', `method '${src.method}' has no adapter to export as peft (its parametrization exports none)${src.masks.size ? '; it trains masks: use --format delta' : ''}`);
  }
  if (formats.includes('delta') && src.masks.size === 0) {
    throw new LiftError('E_EXPORT', `method '${src.method}' trains no sparse mask, so it has no sparse delta${src.adapters.size ? '; use --format peft' : ''}`);
  }
  const out: ExportRecord[] = [];
  const modelDir = join(outDir, EXPORT_DIRS.hf);
  let merged: Map<string, Tensor<'float32'>> | undefined;
  const weights = () => (merged ??= src.merged());
  let baseWeights: ReadonlyMap<string, Tensor<'float32'>> | undefined;
  const base = () => (baseWeights ??= typeof src.base === 'function' ? src.base() : src.base);
  const record = (format: ExportFormat, files: string[]) => out.push({ format, dir: join(outDir, EXPORT_DIRS[format]), files, bytes: files.reduce((s, f) => s + statSync(f).size, 0) });
  // ONNX goes into the Hugging Face directory (transformers.js reads its config and tokenizer), so it needs hf.
  if (formats.includes('hf') || (formats.includes('onnx') && !existsSync(join(modelDir, CONFIG_FILE)))) {
    saveModelDir(modelDir, src.config, weights(), { dtype: src.dtype ?? 'F32', tokenizerFrom: src.tokenizerDir });
    record('hf', modelFiles(modelDir));
  }
  if (formats.includes('peft')) {
    const modules = src.options.targetModules as TargetModule[];
    const first = src.adapters.values().next().value as Tensor;
    const files = writePeftAdapter(join(outDir, EXPORT_DIRS.peft), {
      rank: first.shape[0]!,
      alpha: src.options.alpha as number,
      dropout: (src.options.dropout as number | undefined) ?? 0,
      targetModules: modules,
      baseModel: src.baseModel,
      tensors: new Map(src.adapters),
      baseHash: weightsHash(base(), adaptedWeights(src.config, modules)),
    });
    record('peft', files);
  }
  if (formats.includes('delta')) {
    const names = [...src.masks.keys()];
    const d = makeDelta(base(), weights(), names, { method: src.method, options: src.options, baseModel: src.baseModel });
    record('delta', [writeDelta(join(outDir, EXPORT_DIRS.delta), d).file]);
  }
  if (formats.includes('onnx')) {
    const onnxDir = join(outDir, EXPORT_DIRS.onnx);
    record('onnx', writeOnnxModel(modelDir, src.config, weights()).files.filter((f) => f.startsWith(onnxDir)));
  }
  return out;
}

function modelFiles(dir: string): string[] {
  return ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model']
    .map((f) => join(dir, f))
    .filter((f) => existsSync(f));
}

/**
 * The export source of a run that just trained (lift train's end). When the run adopted the
 * model's weights (result.weightsAdopted: they hold the trained matrices now), the base that peft
 * and delta read is loaded again from the model directory (`model.dir`, else run.model), only if
 * a format needs it.
 */
export function trainedSource(
  run: RunConfig,
  model: { config: ModelConfig; weights: ReadonlyMap<string, Tensor<'float32'>>; tokenizerDir: string; dir?: string },
  result: TrainResult,
): ExportSource {
  return {
    config: model.config,
    baseModel: run.model,
    base: result.weightsAdopted ? () => loadModelDir(model.dir ?? run.model).weights : model.weights,
    merged: result.weights,
    adapters: result.adapters,
    masks: result.masks,
    method: result.method,
    options: result.options,
    tokenizerDir: model.tokenizerDir,
    dtype: run.output.dtype,
  };
}

export const RUN_FILE = 'run.json';
export const RESULT_FILE = 'result.json';

/**
 * The export source of a finished run directory: its run.json, result.json (written last, so
 * its presence means the run finished) and newest checkpoint, from which the method's targets
 * are rebuilt through its parametrization plugin and restored.
 */
export async function runSource(runDir: string, registry: Registry = defaultRegistry()): Promise<ExportSource> {
  const runFile = join(runDir, RUN_FILE);
  const resultFile = join(runDir, RESULT_FILE);
  if (!existsSync(runFile)) throw new FileFormatError('E_EXPORT', runFile, 'is missing: not a lift train output directory');
  if (!existsSync(resultFile)) throw new FileFormatError('E_EXPORT', resultFile, `is missing: the run has not finished (continue it with lift train --resume ${runDir})`);
  const run = validateRunConfig(readJson(runFile), runFile);
  const result = readJson(resultFile) as { method?: string; options?: MethodOptions; steps?: number };
  if (typeof result.method !== 'string' || typeof result.options !== 'object' || result.options === null) {
    throw new FileFormatError('E_EXPORT', resultFile, 'has no method and options');
  }
  const ck = new FileCheckpointStore(new SafetensorsStore()).latest(runDir);
  if (!ck) throw new FileFormatError('E_EXPORT', join(runDir, 'latest.json'), 'names no checkpoint: the run kept none to export from');
  if (result.steps !== undefined && ck.state.step !== result.steps) {
    throw new FileFormatError('E_EXPORT', ck.dir, `is the checkpoint of step ${ck.state.step}, but the run finished at step ${result.steps}`);
  }
  const base = loadModelDir(run.model);
  // result.json holds the complete, validated options the run trained with (an adapter's rank included).
  const resolved = registry.resolve(result.method, result.options);
  const specs = targetSpecs(base.config, base.weights, targetNames(base.config, resolved.options));
  const rng = new Rng(run.seed);
  const targets = await createTargets(specs, resolved.parametrization, resolved.options, {
    ...(resolved.strategy ? { strategy: resolved.strategy } : {}),
    maskRng: rng.fork(),
    initRng: rng.fork(),
  });
  restoreTargets(ck, result.method, targets, resolved.optimizer);
  return {
    config: base.config,
    baseModel: run.model,
    base: base.weights,
    merged: () => mergedWeights(base.weights, targets),
    adapters: adapterTensors(targets),
    masks: targetMasks(targets),
    method: result.method,
    options: resolved.options,
    tokenizerDir: run.tokenizer ?? run.model,
    dtype: run.output.dtype,
  };
}

/** `lift export`: the formats of a finished run, under `out` (default the run directory). */
export async function exportRun(runDir: string, formats: readonly ExportFormat[], options: { out?: string; registry?: Registry } = {}): Promise<ExportRecord[]> {
  const src = await runSource(runDir, options.registry);
  return writeExports(options.out ?? runDir, src, formats);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FileFormatError('E_EXPORT', file, `is not valid JSON (${(e as Error).message})`);
  }
}


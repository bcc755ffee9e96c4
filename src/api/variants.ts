/**
 * A base model with an exported adapter or sparse delta applied, and a run started from an
 * adapter. A PEFT adapter is LoRA: its factors go through the registered 'lora' method's
 * parametrization (the same merge training exports with), so an adapter lift-sft wrote gives
 * exactly the merged model it was exported beside.
 */
import { join } from 'node:path';
import type { RunConfig } from '../core/config/schema.js';
import { FileFormatError, InvalidArgumentError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Registry } from '../core/registry.js';
import type { Tensor } from '../core/tensor.js';
import { createTargets, initFromAdapter, mergedWeights } from '../core/training/targets.js';
import { DELTA_FILE, applyDelta, readDelta } from '../adapters/export/delta.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, type LoraAdapter, adaptedWeights, checkAdapterBase, readPeftAdapter } from '../adapters/export/peft.js';
import { defaultRegistry } from '../container.js';
import { targetSpecs } from './export.js';
import { type LoadedModel, loadModel } from './workspace.js';

/** The lift-sft method whose parametrization computes PEFT's LoRA (W + (α/r)·B·A). */
export const PEFT_LORA_METHOD = 'lora';

/** The base weights with a PEFT LoRA adapter merged in (checked against the base first). */
export async function mergeAdapter(
  dir: string,
  model: { config: LoadedModel['config']; weights: ReadonlyMap<string, Tensor<'float32'>> },
  registry: Registry = defaultRegistry(),
): Promise<Map<string, Tensor<'float32'>>> {
  const a = readPeftAdapter(dir);
  checkAdapterBase(dir, a, model.config, model.weights);
  const resolved = registry.resolve(PEFT_LORA_METHOD, { rank: a.rank, alpha: a.alpha, targetModules: a.targetModules });
  const specs = targetSpecs(model.config, model.weights, adaptedWeights(model.config, a.targetModules));
  const rng = new Rng(0);
  const targets = await createTargets(specs, resolved.parametrization, resolved.options, { maskRng: rng.fork(), initRng: rng.fork() });
  initFromAdapter(targets, a.tensors, join(dir, ADAPTER_WEIGHTS_FILE));
  return mergedWeights(model.weights, targets);
}

/** Loads a model directory, optionally with an adapter (PEFT) or a delta applied. */
export async function loadModelWith(dir: string, options: { adapter?: string; delta?: string; registry?: Registry } = {}): Promise<LoadedModel> {
  const model = await loadModel(dir);
  if (options.adapter && options.delta) throw new InvalidArgumentError(`apply an adapter (${options.adapter}) or a delta (${options.delta}), not both`);
  if (options.adapter) return { ...model, weights: await mergeAdapter(options.adapter, model, options.registry) };
  if (options.delta) return { ...model, weights: applyDelta(model.weights, readDelta(options.delta), join(options.delta, DELTA_FILE)) };
  return model;
}

export interface AdapterInit {
  adapter: LoraAdapter;
  /** The run with the adapter's rank, alpha and target modules in its method options. */
  run: RunConfig;
  source: string;
}

/**
 * A run's init.adapter: reads and checks the adapter against the base model, and puts its rank,
 * alpha and target modules into the method options (dropout too, unless the run sets its own).
 * An option the run sets to another value than the adapter's fails, naming both.
 */
export function adapterInit(
  run: RunConfig,
  model: { config: LoadedModel['config']; weights: ReadonlyMap<string, Tensor<'float32'>> },
  registry: Registry = defaultRegistry(),
): AdapterInit | undefined {
  const dir = run.init?.adapter;
  if (!dir) return undefined;
  requireAdapterMethod(run.method.name, registry, join(dir, ADAPTER_CONFIG_FILE));
  const adapter = readPeftAdapter(dir);
  checkAdapterBase(dir, adapter, model.config, model.weights);
  const fromAdapter: Record<string, unknown> = { rank: adapter.rank, alpha: adapter.alpha, targetModules: adapter.targetModules };
  const given = run.method.options;
  const conflicts = Object.entries(fromAdapter)
    .filter(([k, v]) => given[k] !== undefined && canonical(given[k]) !== canonical(v))
    .map(([k, v]) => `method.options.${k} is ${JSON.stringify(given[k])}, the adapter's is ${JSON.stringify(v)}`);
  if (conflicts.length) throw new FileFormatError('E_ADAPTER', join(dir, ADAPTER_CONFIG_FILE), `does not fit the run: ${conflicts.join('; ')}`);
  const options = { dropout: adapter.dropout, ...given, ...fromAdapter };
  return { adapter, run: { ...run, method: { ...run.method, options } }, source: join(dir, ADAPTER_WEIGHTS_FILE) };
}

/**
 * A run starts from an adapter only with a method whose parametrization the adapter is for (the
 * LoRA method's).
 */
export function requireAdapterMethod(method: string, registry: Registry, source: string): void {
  const wanted = registry.method(PEFT_LORA_METHOD).parametrization;
  const has = registry.method(method).parametrization;
  if (has !== wanted) {
    throw new FileFormatError('E_ADAPTER', source, `is a LoRA adapter; method '${method}' (parametrization '${has}') cannot start from it: use a method of parametrization '${wanted}'`);
  }
}

/** Option values compared as the run means them: module lists as sets. */
const canonical = (v: unknown) => JSON.stringify(Array.isArray(v) ? [...v].sort() : v);

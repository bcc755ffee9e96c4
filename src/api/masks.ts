/**
 * `lift masks`: the masks a method selects on a model, computed alone (no training) through the
 * method's parametrization and strategy, and written for another trainer (adapters/export/masks.ts).
 */
import type { MethodOptions } from '../core/contracts.js';
import { LiftError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Registry } from '../core/registry.js';
import { createTargets, targetMasks } from '../core/training/targets.js';
import { weightsHash } from '../adapters/export/hash.js';
import { type MaskSet, writeMasks } from '../adapters/export/masks.js';
import { loadModelDir } from '../adapters/huggingface/checkpoint.js';
import { defaultRegistry } from '../container.js';
import { targetNames, targetSpecs } from './export.js';

export interface MasksOptions {
  model: string;
  method: string;
  /** The method's options (rank, filterRank, density, targetModules, ...); unset ones take its defaults. */
  options?: MethodOptions;
  /** Seed of the mask draws (the random strategy; randomized SVD sketches). */
  seed?: number;
  registry?: Registry;
}

export async function computeMasks(o: MasksOptions): Promise<MaskSet> {
  const registry = o.registry ?? defaultRegistry();
  const resolved = registry.resolve(o.method, o.options ?? {}, '/option');
  const base = loadModelDir(o.model);
  const names = targetNames(base.config, resolved.options);
  const specs = targetSpecs(base.config, base.weights, names);
  // The trainer's stream layout: masks from the first fork of the seed's RNG, as a run with this seed draws them.
  const rng = new Rng(o.seed ?? 42);
  const targets = await createTargets(specs, resolved.parametrization, resolved.options, {
    ...(resolved.strategy ? { strategy: resolved.strategy } : {}),
    maskRng: rng.fork(),
    initRng: rng.fork(),
  });
  const masks = targetMasks(targets);
  if (masks.size === 0) throw new LiftError('E_EXPORT', `method '${o.method}' selects no mask (its parametrization '${resolved.method.parametrization}' trains none); masks come from sparse methods such as lift, magnitude, random`);
  return {
    method: o.method,
    options: resolved.options,
    baseModel: o.model,
    baseHash: weightsHash(base.weights, names),
    masks: new Map([...masks].map(([name, indices]) => {
      const t = base.weights.get(name)!;
      return [name, { rows: t.shape[0]!, cols: t.shape[1]!, indices }];
    })),
  };
}

/** Computes the masks and writes <out>/masks.safetensors. */
export async function exportMasks(out: string, o: MasksOptions): Promise<{ file: string; bytes: number; masks: MaskSet }> {
  const masks = await computeMasks(o);
  return { ...writeMasks(out, masks), masks };
}


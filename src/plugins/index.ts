/** The built-in methods and their building blocks: the composition list of the plugins. */
import type { Registry } from '../core/registry.js';
import { register as registerAdamW } from './adamw/index.js';
import { register as registerDense } from './dense/index.js';
import { register as registerFull } from './full/index.js';
import { register as registerLift } from './lift/index.js';
import { register as registerLora } from './lora/index.js';
import { register as registerMagnitude } from './magnitude/index.js';
import { register as registerRandom } from './random/index.js';
import { register as registerSparse } from './sparse/index.js';
import { register as registerSparseAdam } from './sparse-adam/index.js';

export function registerBuiltins(registry: Registry): Registry {
  const plugins = [registerSparse, registerDense, registerSparseAdam, registerAdamW, registerLift, registerMagnitude, registerRandom, registerFull, registerLora];
  for (const register of plugins) register(registry);
  return registry;
}

/** The built-in methods, strategies and optimizers: the composition list of the plugins. */
import type { Registry } from '../core/registry.js';
import { register as registerAdamW } from './adamw/index.js';
import { register as registerFull } from './full/index.js';
import { register as registerLift } from './lift/index.js';
import { register as registerLora } from './lora/index.js';
import { register as registerMagnitude } from './magnitude/index.js';
import { register as registerRandom } from './random/index.js';
import { register as registerSparseAdam } from './sparse-adam/index.js';

export function registerBuiltins(registry: Registry): Registry {
  for (const register of [registerSparseAdam, registerAdamW, registerLift, registerMagnitude, registerRandom, registerFull, registerLora]) {
    register(registry);
  }
  return registry;
}

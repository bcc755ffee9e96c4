import type { Method } from '../../core/contracts.js';
import { TARGET_MODULES } from '../../core/model/config.js';
import type { Registry } from '../../core/registry.js';

export { initLora, mergeLora, budgetMatchedRank, type LoraFactors } from './math.js';
export { readLoraConfig, loraScale, LORA_DEFAULTS, type LoraConfig } from './config.js';

/** LoRA: adapters A, B on the target modules, trained with PyTorch-form AdamW (PEFT recipe). */
export const LORA_METHOD: Method = Object.freeze({
  name: 'lora',
  parametrization: 'lora',
  optimizer: 'adamw',
  defaults: Object.freeze({ lr: 2e-4, rank: 128, alpha: 256, dropout: 0, weightDecay: 0, targetModules: Object.freeze([...TARGET_MODULES]) }),
  options: Object.freeze(['rank', 'alpha', 'dropout']),
});

export function register(registry: Registry): void {
  registry.registerMethod(LORA_METHOD);
}

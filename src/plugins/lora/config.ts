/** LoRA options as PEFT's LoraConfig names them (r → rank, lora_alpha → alpha, lora_dropout → dropout). */
import type { MethodOptions } from '../../core/contracts.js';
import { TARGET_MODULES, type TargetModule } from '../../core/model/config.js';
import { readNumber, readStringList } from '../../core/optim/index.js';

export interface LoraConfig {
  /** Adapter rank r. Default 128. */
  rank: number;
  /** lora_alpha; the update is scaled by alpha/rank. Default 256. */
  alpha: number;
  /** Dropout on the adapter's input, 0 ≤ p < 1. Default 0. */
  dropout: number;
  /** Which linear layers get adapters. Default all seven. */
  targetModules: TargetModule[];
}

export const LORA_DEFAULTS: Readonly<LoraConfig> = Object.freeze({
  rank: 128,
  alpha: 256,
  dropout: 0,
  targetModules: [...TARGET_MODULES],
});

export function readLoraConfig(options: MethodOptions): LoraConfig {
  return {
    rank: readNumber(options, 'rank', LORA_DEFAULTS.rank, { integer: true, min: 1 }),
    alpha: readNumber(options, 'alpha', LORA_DEFAULTS.alpha, { above: 0 }),
    dropout: readNumber(options, 'dropout', LORA_DEFAULTS.dropout, { min: 0, below: 1 }),
    targetModules: readStringList(options, 'targetModules', LORA_DEFAULTS.targetModules, TARGET_MODULES) as TargetModule[],
  };
}

/** alpha / rank, PEFT's scaling (without rsLoRA). */
export function loraScale(config: Pick<LoraConfig, 'rank' | 'alpha'>): number {
  return config.alpha / config.rank;
}

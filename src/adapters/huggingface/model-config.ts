/**
 * config.json files: read into a ModelConfig, written from one (atomically). The mapping itself
 * is model-config-json.ts, re-exported here.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { FileFormatError } from '../../core/errors.js';
import type { ModelConfig } from '../../core/model/config.js';
import { modelConfigToJson, parseModelConfig, type TorchDtype } from './model-config-json.js';

export { SUPPORTED_MODEL_TYPES, modelConfigToJson, parseModelConfig, type TorchDtype } from './model-config-json.js';

export function readModelConfig(file: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileFormatError('E_MODEL_CONFIG', file, `cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError('E_MODEL_CONFIG', file, `not valid JSON: ${(e as Error).message}`);
  }
  return parseModelConfig(json, file);
}

export function writeModelConfig(file: string, config: ModelConfig, options: { torchDtype?: TorchDtype } = {}): void {
  writeFileAtomic(file, JSON.stringify(modelConfigToJson(config, { ...options, file }), null, 2) + '\n');
}

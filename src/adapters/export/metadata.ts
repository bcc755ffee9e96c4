/** The string metadata (__metadata__) of a safetensors file, where exports keep what they were made from. */
import { readFileSync } from 'node:fs';
import { parseSafetensorsHeader } from '../huggingface/safetensors.js';

export function readMetadata(file: string): Record<string, string> {
  return parseSafetensorsHeader(readFileSync(file), file).metadata ?? {};
}

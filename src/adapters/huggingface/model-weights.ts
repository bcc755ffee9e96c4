/**
 * A model's weights checked against its config, wherever the bytes came from: a directory
 * (checkpoint.ts) or a browser's fetch (modelFromBytes). No file system.
 */
import { FileFormatError } from '../../core/errors.js';
import { parameterShapes, type ModelConfig } from '../../core/model/config.js';
import { sameShape, shapeToString, type Tensor } from '../../core/tensor.js';
import { parseModelConfig } from './model-config-json.js';
import { decodeSafetensors } from './safetensors-codec.js';

/**
 * Names a checkpoint may carry that the model does not use: rotary caches saved by old
 * transformers versions, and lm_head when the embeddings are tied. transformers ignores them too.
 */
function ignorable(name: string, config: ModelConfig): boolean {
  return name.endsWith('.rotary_emb.inv_freq') || (config.tieWordEmbeddings && name === 'lm_head.weight');
}

/**
 * Checks weights against parameterShapes(config); every missing, unexpected and mis-shaped
 * tensor is reported in one error naming `source`. Returns the weights without ignorable extras.
 */
export function checkWeights(
  config: ModelConfig,
  weights: ReadonlyMap<string, Tensor<'float32'>>,
  source: string,
): Map<string, Tensor<'float32'>> {
  const expected = parameterShapes(config);
  const missing: string[] = [];
  const misShaped: string[] = [];
  const unexpected: string[] = [];
  const out = new Map<string, Tensor<'float32'>>();
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) missing.push(name);
    else if (!sameShape(t.shape, shape)) misShaped.push(`${name} is ${shapeToString(t.shape)}, expected ${shapeToString(shape)}`);
    else out.set(name, t);
  }
  for (const name of weights.keys()) {
    if (!expected.has(name) && !ignorable(name, config)) unexpected.push(name);
  }
  if (missing.length || misShaped.length || unexpected.length) {
    const lines = [
      ...(missing.length ? [`missing tensors (${missing.length}): ${missing.join(', ')}`] : []),
      ...(misShaped.length ? [`mis-shaped tensors (${misShaped.length}): ${misShaped.join('; ')}`] : []),
      ...(unexpected.length ? [`unexpected tensors (${unexpected.length}): ${unexpected.join(', ')}`] : []),
    ];
    throw new FileFormatError('E_SAFETENSORS', source, `weights do not match config.json:\n  ${lines.join('\n  ')}`, {
      missing,
      misShaped,
      unexpected,
    });
  }
  return out;
}

/**
 * A model from the contents of config.json (parsed) and model.safetensors (bytes); `source`
 * names them in errors. The float32 weights view `weights` where aligned: keep it alive.
 */
export function modelFromBytes(configJson: unknown, weights: Uint8Array, source: string): { config: ModelConfig; weights: Map<string, Tensor<'float32'>> } {
  const config = parseModelConfig(configJson, `${source}/config.json`);
  const file = `${source}/model.safetensors`;
  return { config, weights: checkWeights(config, decodeSafetensors(weights, file), file) };
}

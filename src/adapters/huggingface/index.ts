export {
  decodeSafetensors,
  decodeTensors,
  encodeSafetensors,
  encodeTensors,
  parseSafetensorsHeader,
  readSafetensors,
  readShardedSafetensors,
  readTensors,
  writeSafetensors,
  writeTensors,
  SAFETENSORS_READ_DTYPES,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsWriteDType,
  type WriteSafetensorsOptions,
} from './safetensors.js';
export {
  modelConfigToJson,
  parseModelConfig,
  readModelConfig,
  writeModelConfig,
  SUPPORTED_MODEL_TYPES,
  type TorchDtype,
} from './model-config.js';
export {
  checkWeights,
  loadModelDir,
  saveModelDir,
  CONFIG_FILE,
  TOKENIZER_FILES,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  type ModelDir,
  type SaveModelDirOptions,
} from './checkpoint.js';
export { HfTokenizer, loadTokenizer, REQUIRED_TOKENIZER_FILES } from './tokenizer.js';
export { SafetensorsStore } from './tensor-store.js';

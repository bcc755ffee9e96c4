export { MomentOptimizer } from './moment-optimizer.js';
export { readAdamHyper, checkBetas, hyperToRecord, hyperFromRecord, type AdamHyper } from './adam-hyper.js';
export { remapValues, checkMaskIndices } from './remap.js';
export { readNumber, readStringList, checkNumber, type NumberRule } from './options.js';

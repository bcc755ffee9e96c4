export { MomentOptimizer } from './moment-optimizer.js';
export { adamOptions, adamHyper, checkBetas, hyperToRecord, hyperFromRecord, type AdamHyper } from './adam-hyper.js';
export { remapValues, checkMaskIndices } from './remap.js';
export { checkNumber, type NumberRule } from './options.js';

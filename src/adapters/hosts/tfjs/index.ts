/**
 * lift-sft inside TensorFlow.js (the `lift-sft/tfjs` entry point): a HostAdapter over a tfjs
 * model's variables, for HostTuner from 'lift-sft'. A separate entry so that importing lift-sft
 * never loads @tensorflow/tfjs (an optional peer dependency).
 */
export { TfjsHost, type TfjsHostOptions } from './host.js';
export { type MatrixLayout, transpose } from './layout.js';
export { type VariableSelection, isKernelMatrix, isMatrix } from './variables.js';

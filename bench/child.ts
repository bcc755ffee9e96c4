/**
 * Runs one measurement in this (fresh) process and prints it as the last stdout line, so peak
 * resident memory is that of one measurement alone. Argument: a TrainingSpec or a
 * MaskRefreshSpec as JSON.
 */
import { measureMaskRefresh, type MaskRefreshSpec } from './mask-refresh.js';
import { measureTraining, type TrainingSpec } from './train-step.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as TrainingSpec | MaskRefreshSpec;
const result = spec.kind === 'mask' ? await measureMaskRefresh(spec) : await measureTraining(spec);
process.stdout.write('\n' + JSON.stringify(result) + '\n');

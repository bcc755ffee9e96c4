/**
 * Portable test strategies for the task-pool tests: a worker rebuilds them from this module.
 * `failOn` names the weights whose selection throws an InvalidArgumentError; `exitOn` those whose
 * selection ends the thread (process.exit in a worker ends that worker only).
 */
import type { MaskContext, MaskStrategy } from '../../../src/core/contracts.js';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { topKByMagnitude } from '../../../src/core/linalg/index.js';
import type { PortableRef } from '../../../src/core/tasks.js';
import type { Tensor } from '../../../src/core/tensor.js';

export interface FailingOptions {
  failOn?: string[];
  exitOn?: string[];
}

export class FailingStrategy implements MaskStrategy {
  readonly name = 'failing';
  constructor(readonly options: FailingOptions = {}) {}

  async select(weight: Tensor<'float32'>, budget: number, context: MaskContext): Promise<Int32Array> {
    if (this.options.failOn?.includes(context.name)) throw new InvalidArgumentError(`no mask for '${context.name}' (test)`, { name: context.name });
    if (this.options.exitOn?.includes(context.name)) process.exit(3);
    return topKByMagnitude(weight.data, budget);
  }

  portable(): PortableRef {
    return { module: import.meta.url, export: 'createFailingStrategy', options: this.options };
  }
}

export function createFailingStrategy(options: FailingOptions): FailingStrategy {
  return new FailingStrategy(options);
}

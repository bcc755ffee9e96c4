/** The checks a run's method options get before training starts. */
import { COMMON_METHOD_OPTIONS, type Method, type MethodOptions } from '../contracts.js';
import { ConfigError } from '../errors.js';

/**
 * Fails on option keys the method does not read (when it declares them) and on LoRA dropout,
 * which the built-in graph does not apply; every problem is listed with its JSON path.
 */
export function checkMethodOptions(method: Method, options: MethodOptions): void {
  const violations: { path: string; message: string }[] = [];
  if (method.options) {
    const known = new Set<string>([...COMMON_METHOD_OPTIONS, ...method.options]);
    for (const key of Object.keys(options)) {
      if (!known.has(key)) {
        violations.push({ path: `/method/options/${key}`, message: `method '${method.name}' has no option '${key}'; its options: ${[...known].join(', ')}` });
      }
    }
  }
  if (method.parametrization === 'lora' && typeof options.dropout === 'number' && options.dropout !== 0) {
    violations.push({
      path: '/method/options/dropout',
      message: 'LoRA dropout is not applied by the built-in trainer (its graph has no dropout); use 0, the LIFT paper\'s LoRA setting',
    });
  }
  if (violations.length) throw new ConfigError(violations);
}

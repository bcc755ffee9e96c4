/** The checks a run's method options get before training starts. */
import { COMMON_METHOD_OPTIONS, type Method, type MethodOptions } from '../contracts.js';
import { ConfigError } from '../errors.js';

/**
 * Fails on option keys the method does not read (when it declares them) and on a LoRA dropout
 * outside [0, 1); every problem is listed with its JSON path.
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
  const dropout = options.dropout;
  if (method.parametrization === 'lora' && dropout !== undefined && !(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) {
    violations.push({ path: '/method/options/dropout', message: `LoRA dropout must be a number in [0, 1), got ${JSON.stringify(dropout)}` });
  }
  if (violations.length) throw new ConfigError(violations);
}

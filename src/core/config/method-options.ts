/**
 * A method's options schema and its one validation. The schema is composed from core's common
 * fragment (lr, targetModules) and the fragments the method's parametrization, strategy and
 * optimizer registered, with the method's recipe overriding their defaults. A run's options are
 * validated once, here, with ajv; everything downstream receives the complete object.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Method, MethodOptions, OptionsFragment } from '../contracts.js';
import { ConfigError, InvalidArgumentError } from '../errors.js';
import { TARGET_MODULES } from '../model/config.js';

export const COMMON_OPTIONS: OptionsFragment = Object.freeze({
  lr: { type: 'number', exclusiveMinimum: 0, description: 'Peak learning rate; the default is the method recipe\'s.' },
  targetModules: {
    type: 'array',
    items: { enum: [...TARGET_MODULES] },
    minItems: 1,
    uniqueItems: true,
    default: [...TARGET_MODULES],
    description: 'Linear modules of every decoder layer that train; never lm_head, embeddings or norms.',
  },
});

export interface MethodSchema {
  type: 'object';
  title: string;
  description?: string;
  additionalProperties: false;
  required: string[];
  properties: Record<string, Record<string, unknown>>;
}

/** The method's options schema from its building blocks' fragments (name → fragment, in order). */
export function composeMethodSchema(method: Method, fragments: readonly [string, OptionsFragment | undefined][]): MethodSchema {
  const properties: Record<string, Record<string, unknown>> = {};
  const owner = new Map<string, string>();
  for (const [from, fragment] of [['core', COMMON_OPTIONS] as const, ...fragments]) {
    for (const [key, schema] of Object.entries(fragment ?? {})) {
      if (owner.has(key)) {
        throw new InvalidArgumentError(`method '${method.name}': option '${key}' is declared by both ${owner.get(key)} and ${from}`, { field: key });
      }
      owner.set(key, from);
      properties[key] = structuredClone(schema);
    }
  }
  for (const [key, value] of Object.entries(method.defaults ?? {})) {
    if (!Object.hasOwn(properties, key)) {
      throw new InvalidArgumentError(`method '${method.name}' sets a default for '${key}', which none of its building blocks declares`, { field: key });
    }
    properties[key] = { ...properties[key], default: structuredClone(value) };
  }
  return {
    type: 'object',
    title: `options of method '${method.name}'`,
    ...(method.description ? { description: method.description } : {}),
    additionalProperties: false,
    required: ['lr'],
    properties,
  };
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false });
const compiled = new Map<string, ValidateFunction>();

/**
 * Validates `raw` (a run's method options) against the method's schema and returns a new object
 * with every default filled in. Every violation is reported at once with its JSON path under
 * `pathPrefix`.
 */
export function validateMethodOptions(method: Method, schema: MethodSchema, raw: MethodOptions, pathPrefix = '/method/options'): MethodOptions {
  const key = JSON.stringify(schema);
  let check = compiled.get(key);
  if (!check) compiled.set(key, (check = ajv.compile(schema)));
  const options = structuredClone(raw);
  if (!check(options)) {
    const known = Object.keys(schema.properties).join(', ');
    throw new ConfigError(
      (check.errors ?? []).map((e) => {
        if (e.keyword === 'additionalProperties') {
          const k = (e.params as { additionalProperty: string }).additionalProperty;
          return { path: `${pathPrefix}/${k}`, message: `method '${method.name}' has no option '${k}'; its options: ${known}` };
        }
        if (e.keyword === 'required' && (e.params as { missingProperty: string }).missingProperty === 'lr') {
          return { path: `${pathPrefix}/lr`, message: `method '${method.name}' has no learning rate: set optimizer.lr or the method's lr option` };
        }
        const allowed = e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : undefined;
        return { path: `${pathPrefix}${e.instancePath}`, message: allowed ?? e.message ?? 'is invalid' };
      }),
    );
  }
  return options;
}

/**
 * Options of one building block used directly (new LiftStrategy({...}) in a host app): checked
 * against the same fragment the method schema is made of, defaults filled. Throws
 * InvalidArgumentError naming every bad field.
 */
export function blockOptions<T>(owner: string, fragment: OptionsFragment, given: object): T {
  const schema = { type: 'object', additionalProperties: false, properties: fragment };
  const key = JSON.stringify(schema);
  let check = compiled.get(key);
  if (!check) compiled.set(key, (check = ajv.compile(schema)));
  const options = structuredClone(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
  if (!check(options)) {
    const problems = (check.errors ?? []).map((e) =>
      e.keyword === 'additionalProperties' ? `unknown option '${(e.params as { additionalProperty: string }).additionalProperty}'` : `option '${e.instancePath.slice(1)}' ${e.message}`,
    );
    throw new InvalidArgumentError(`${owner}: ${problems.join('; ')}`, { problems });
  }
  return options as T;
}

/** Validates a run configuration against RUN_SCHEMA, filling defaults; every violation at once. */
import { Ajv } from 'ajv';
import { ConfigError } from '../errors.js';
import { RUN_SCHEMA, type RunConfig } from './schema.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false });
const check = ajv.compile(RUN_SCHEMA);

export function validateRunConfig(input: unknown, source?: string): RunConfig {
  const copy = structuredClone(input);
  if (!check(copy)) {
    const violations = (check.errors ?? []).map((e) => {
      let message = e.message ?? 'is invalid';
      if (e.keyword === 'additionalProperties') message = `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
      if (e.keyword === 'enum') message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
      return { path: e.instancePath || '/', message };
    });
    throw new ConfigError(violations, source);
  }
  return copy as RunConfig;
}

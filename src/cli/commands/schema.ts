/**
 * `lift schema`: the JSON Schema of a run configuration, documenting each registered method's
 * options; `lift schema --method <name>`: that method's options schema alone.
 */
import { RUN_SCHEMA } from '../../core/config/schema.js';
import type { Registry } from '../../core/registry.js';

/** A method's options schema, with the method's one-line description when the schema has none. */
export function methodOptionsSchema(registry: Registry, name: string): Record<string, unknown> {
  const schema = registry.methodSchema(name) as unknown as Record<string, unknown>;
  const { description } = registry.method(name);
  return schema.description === undefined && description ? { ...schema, description } : schema;
}

/**
 * RUN_SCHEMA, unchanged except for additions: `$defs.<method>` holds each registered method's
 * options schema, and `properties.method.allOf` applies it to `method.options` when `method.name`
 * names that method (if/then), so the printed schema validates a run's method options too. The
 * $defs copies list no `required` keys: in a run every option has a default or comes from
 * elsewhere (lr from optimizer.lr).
 */
export function runSchemaWithMethods(registry: Registry): Record<string, unknown> {
  const names = registry.methodNames();
  const method = RUN_SCHEMA.properties.method;
  return {
    ...RUN_SCHEMA,
    properties: {
      ...RUN_SCHEMA.properties,
      method: {
        ...method,
        properties: {
          ...method.properties,
          name: { ...method.properties.name, examples: names },
          options: {
            ...method.properties.options,
            description: `${method.properties.options.description} Each registered method's options schema is $defs/<name>: ${names.join(', ')}.`,
          },
        },
        allOf: names.map((n) => ({
          if: { properties: { name: { const: n } }, required: ['name'] },
          then: { properties: { options: { $ref: `#/$defs/${n}` } } },
        })),
      },
    },
    $defs: Object.fromEntries(names.map((n) => [n, withoutRequired(methodOptionsSchema(registry, n))])),
  };
}

function withoutRequired(schema: Record<string, unknown>): Record<string, unknown> {
  const { required: _, ...rest } = schema;
  return rest;
}

/**
 * The JSON Schema (draft-07, what ajv's default class speaks) of report.json, and its validator.
 * docs/report-schema.md explains each field; a test keeps the two in step.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LiftError } from '../../core/errors.js';
import { METRIC_KEYS, type Metrics } from '../../api/compare-report.js';

export interface ReportViolation {
  /** JSON Pointer to the offending value, e.g. /methods/1/runs/0/targetAccuracy; '' is the root. */
  path: string;
  message: string;
}

/** A report.json that does not match the schema; `violations` lists every problem at once. */
export class ReportValidationError extends LiftError {
  constructor(
    readonly violations: ReportViolation[],
    source?: string,
  ) {
    super(
      'E_INVALID_ARGUMENT',
      `invalid compare report${source ? ` in ${source}` : ''}:\n` +
        violations.map((v) => `  ${v.path || '/'}: ${v.message}`).join('\n'),
      { violations, source },
    );
  }
}

type Bounds = { max?: number; integer?: boolean };

/** Bounds of each metric. Integer counts hold per run only: their mean and std need not be whole. */
const METRIC_BOUNDS: Record<keyof Metrics, Bounds> = {
  targetAccuracy: { max: 1 },
  sourceAccuracyBefore: { max: 1 },
  sourceAccuracyAfter: { max: 1 },
  sourceRetention: {},
  sourceLossBefore: {},
  sourceLossAfter: {},
  finalTrainLoss: {},
  trainableParams: { integer: true },
  optimizerStateBytes: { integer: true },
  peakRssBytes: { integer: true },
  wallSeconds: {},
  tokensPerSecond: {},
};

// null stands for a value that is not finite (JSON cannot hold NaN or Infinity) or not measured.
function metricSchema(b: Bounds, integers: boolean): object {
  return {
    type: [b.integer && integers ? 'integer' : 'number', 'null'],
    minimum: 0,
    ...(b.max !== undefined ? { maximum: b.max } : {}),
  };
}

function metricProperties(integers: boolean): Record<string, object> {
  return Object.fromEntries(METRIC_KEYS.map((k) => [k, metricSchema(METRIC_BOUNDS[k], integers)]));
}

const nonEmptyString = { type: 'string', minLength: 1 };
const count = { type: 'integer', minimum: 0 };
const positive = { type: 'integer', minimum: 1 };

function object(properties: Record<string, object>, optional: string[] = []): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  };
}

export const reportSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'lift-sft/compare-report.schema.json',
  title: 'lift compare report (report.json)',
  definitions: {
    metrics: object(metricProperties(false)),
    seedRun: object({
      seed: count,
      ...metricProperties(true),
      lossCurve: {
        type: 'array',
        items: object({ step: count, loss: { type: ['number', 'null'], minimum: 0 } }),
      },
    }),
    method: {
      ...object(
        {
          method: nonEmptyString,
          label: nonEmptyString,
          // Method options are the method's own business (a user's method has its own).
          options: { type: 'object' },
          status: { enum: ['done', 'failed', 'pending'] },
          error: { type: 'string' },
          runs: { type: 'array', items: { $ref: '#/definitions/seedRun' } },
          mean: { $ref: '#/definitions/metrics' },
          std: { $ref: '#/definitions/metrics' },
        },
        ['label', 'error', 'mean', 'std'],
      ),
      allOf: [
        {
          if: { properties: { status: { const: 'done' } } },
          then: { required: ['mean', 'std'], properties: { runs: { type: 'array', minItems: 1 } } },
        },
        { if: { properties: { status: { const: 'failed' } } }, then: { required: ['error'] } },
      ],
    },
  },
  ...object({
    schemaVersion: { const: 1 },
    createdAt: {
      type: 'string',
      // ISO 8601 date-time as Date.prototype.toISOString writes it (offsets accepted too).
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
    },
    command: { type: 'array', items: { type: 'string' } },
    model: object({ dir: { type: 'string' }, modelType: nonEmptyString, parameters: count }),
    data: object({
      train: { type: 'string' },
      test: { type: 'string' },
      source: { type: 'string' },
      testRecords: count,
      sourceRecords: count,
    }),
    settings: object({
      steps: count,
      seeds: { type: 'array', minItems: 1, uniqueItems: true, items: count },
      batchSize: positive,
      maxLength: positive,
      backend: nonEmptyString,
      executionProvider: nonEmptyString,
    }),
    machine: object({ cpus: positive, node: { type: 'string' }, platform: { type: 'string' } }),
    base: object({
      targetAccuracy: metricSchema(METRIC_BOUNDS.targetAccuracy, false),
      sourceAccuracy: metricSchema(METRIC_BOUNDS.sourceAccuracyBefore, false),
      sourceLoss: metricSchema(METRIC_BOUNDS.sourceLossBefore, false),
    }),
    methods: { type: 'array', minItems: 1, items: { $ref: '#/definitions/method' } },
  }, ['base']),
} as const;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // allowUnionTypes: metrics are number | null. strictRequired stays off: the if/then
  // branches require properties declared beside them, which that check cannot see.
  compiled ??= new Ajv({ allErrors: true, strictSchema: true, strictTypes: true, strictTuples: true, allowUnionTypes: true }).compile(reportSchema);
  return compiled;
}

/** Every way `obj` departs from the report schema; empty when it is a valid report.json. */
export function validateReport(obj: unknown): ReportViolation[] {
  const validate = validator();
  if (validate(obj)) return [];
  // The if/then wrappers restate their `then` branch's errors; the branch errors say it better.
  const seen = new Set<string>();
  const out: ReportViolation[] = [];
  for (const e of validate.errors ?? []) {
    if (e.keyword === 'if') continue;
    const v = toViolation(e);
    const key = `${v.path}\u0000${v.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(v);
    }
  }
  return out;
}

/** Throws a ReportValidationError listing every violation, unless `obj` is a valid report. */
export function assertValidReport(obj: unknown, source?: string): void {
  const violations = validateReport(obj);
  if (violations.length > 0) throw new ReportValidationError(violations, source);
}

// A missing or unexpected property is reported at the object holding it; point at the property.
function toViolation(e: ErrorObject): ReportViolation {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    return { path: `${e.instancePath}/${pointerEscape(String(p.missingProperty))}`, message: 'is required but missing' };
  }
  if (e.keyword === 'additionalProperties') {
    return { path: `${e.instancePath}/${pointerEscape(String(p.additionalProperty))}`, message: 'is not a known field' };
  }
  if (e.keyword === 'enum') {
    return { path: e.instancePath, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  }
  if (e.keyword === 'const') {
    return { path: e.instancePath, message: `must be ${JSON.stringify(p.allowedValue)}` };
  }
  return { path: e.instancePath, message: e.message ?? e.keyword };
}

function pointerEscape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The options of `lift compare`, as ONE JSON Schema. Everything else is generated from it:
 * commander's flags (`--batch-size` for `batchSize`, help text = description + default), the
 * defaults, the validation (ajv, once, every violation with its JSON path) and the keys a
 * `--config <file>` accepts. compareCommand receives the validated, complete, typed object.
 *
 * The defaults scale the authors' recipes (DESIGN.md) to the bundled fixture model (hidden 192,
 * 4 layers); docs/compare.md has the reasoning:
 * - budget rank r = 6: the recipes' r = 128 on 4096-wide matrices trains ~6% of each matrix; r = 6
 *   trains 5.2% of the fixture's 192-wide target weights (k = (m+n)·r). LoRA gets the same r, so
 *   every sparse method and LoRA train the same number of parameters per matrix;
 * - filter rank 8 (recipes: 32–128 of 4096), refresh interval 50 steps (recipes: 10–400);
 * - learning rates are each method plugin's recipe lr (its options schema's default) × lrScale:
 *   the recipes' ratios (full FT 4× lower than LIFT and LoRA) kept, scaled up for a tiny model
 *   trained for few steps; chosen on target_val.jsonl (scripts/tune-lr.ts), never on the test set.
 * Per-method options (LoRA's α = 2·rank, ...) come from the method plugins, not from here.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from '../core/errors.js';

/** The budget options every compared method shares; passed to a method only when its schema declares the key. */
export const SHARED_METHOD_OPTIONS = ['rank', 'filterRank', 'interval'] as const;

export const COMPARE_SCHEMA = {
  $id: 'https://lift-sft.dev/schemas/compare.json',
  title: 'lift compare options',
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1, default: 'fixtures/model', description: 'model directory in Hugging Face layout' },
    train: { type: 'string', minLength: 1, default: 'fixtures/data/recall_train.jsonl', description: 'training records, .json or .jsonl' },
    test: { type: 'string', minLength: 1, default: 'fixtures/data/recall_test.jsonl', description: 'held-out target records (accuracy)' },
    source: { type: 'string', minLength: 1, default: 'fixtures/data/source_heldout_eval.jsonl', description: 'source-domain facts (forgetting)' },
    methods: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      default: ['lift', 'full', 'lora', 'magnitude', 'random'],
      description: 'registered methods to compare, comma-separated',
    },
    steps: { type: 'integer', minimum: 1, default: 150, description: 'optimizer steps per method' },
    seeds: { type: 'integer', minimum: 1, default: 1, description: 'seeds per method (mean ± std)' },
    seed: { type: 'integer', minimum: 0, default: 42, description: 'first seed; the others follow it' },
    batchSize: { type: 'integer', minimum: 1, default: 16, description: 'training batch size' },
    maxLength: { type: 'integer', minimum: 8, default: 160, description: 'longest tokenized record' },
    rank: { type: 'integer', minimum: 1, default: 6, description: 'budget rank r for every method that takes one: sparse k = (m+n)·r, LoRA rank r' },
    filterRank: { type: 'integer', minimum: 1, default: 8, description: "rank reduction r' of the methods that take one (LIFT)" },
    interval: { type: 'integer', minimum: 0, default: 50, description: 'mask refresh interval in steps, for the methods that refresh (0: never)' },
    lrScale: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 10,
      description:
        "each method's recipe learning rate (its plugin's default lr: LIFT, LoRA, magnitude, random 2e-4, full 5e-5) is multiplied by this, " +
        'because the bundled fixture model is tiny and trained for few steps; use 1 for a real model',
    },
    lr: {
      type: 'object',
      additionalProperties: { type: 'number', exclusiveMinimum: 0 },
      default: {},
      description: 'learning rate per method, overriding recipe lr × lrScale, e.g. lift=1e-3,full=5e-4',
    },
    option: {
      type: 'object',
      additionalProperties: { type: 'object' },
      default: {},
      description: "options of one method by its options schema (lift schema --method <name>), e.g. lora.alpha=24,lift.filterRank=16",
    },
    testLimit: { type: 'integer', minimum: 1, default: 320, description: 'test records evaluated' },
    sourceLimit: { type: 'integer', minimum: 1, default: 320, description: 'source records evaluated' },
    maxNewTokens: { type: 'integer', minimum: 1, default: 32, description: 'tokens generated per test answer' },
    evalBatchSize: { type: 'integer', minimum: 1, default: 50, description: 'records per generation batch in evaluation' },
    warmupRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.03, description: 'linear warm-up, as a fraction of the steps' },
    threads: { type: 'integer', minimum: 0, default: 0, description: 'ONNX Runtime intra-op threads (0: its default)' },
    executionProvider: { type: 'string', enum: ['cpu', 'cuda'], default: 'cpu', description: 'ONNX Runtime execution provider' },
    out: { type: 'string', minLength: 1, description: 'report folder (default: a fresh folder under runs/)' },
    force: { type: 'boolean', default: false, description: 'overwrite a report already in --out' },
    quiet: { type: 'boolean', default: false, description: 'less progress output' },
  },
} as const;

type Props = (typeof COMPARE_SCHEMA)['properties'];
type Key = keyof Props & string;

/** The TypeScript type of a value the JSON Schema `P` accepts (the subset COMPARE_SCHEMA uses). */
type FromSchema<P> = P extends { enum: readonly (infer E)[] }
  ? E
  : P extends { type: 'integer' | 'number' }
    ? number
    : P extends { type: 'string' }
      ? string
      : P extends { type: 'boolean' }
        ? boolean
        : P extends { type: 'array'; items: infer I }
          ? FromSchema<I>[]
          : P extends { type: 'object'; additionalProperties: infer A }
            ? Record<string, FromSchema<A>>
            : P extends { type: 'object' }
              ? Record<string, unknown>
              : unknown;

/** A compare's options: every key of COMPARE_SCHEMA, validated and complete. */
export type CompareOptions = { -readonly [K in Key]: FromSchema<Props[K]> };

export const COMPARE_KEYS = Object.keys(COMPARE_SCHEMA.properties) as Key[];

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: true, strictTypes: false, verbose: true });
const check = ajv.compile<CompareOptions>(COMPARE_SCHEMA);

/** The schema's defaults (`out` has none: compareOptions picks a fresh folder). */
export function compareDefaults(): Omit<CompareOptions, 'out'> {
  return Object.fromEntries(
    Object.entries(COMPARE_SCHEMA.properties)
      .filter(([, p]) => 'default' in p)
      .map(([k, p]) => [k, structuredClone((p as { default: unknown }).default)]),
  ) as Omit<CompareOptions, 'out'>;
}

/**
 * Validates compare options (from a config file, flags or a caller) against COMPARE_SCHEMA, once:
 * string values are coerced by the schema's types (flags arrive as strings), defaults are filled,
 * and every violation is thrown at once as a ConfigError with its JSON path. `problems` are
 * violations found while reading the flags, reported together with the schema's.
 */
export function compareOptions(input: Partial<CompareOptions> | Record<string, unknown> = {}, source?: string, problems: Violation[] = []): CompareOptions {
  const o = structuredClone(input) as Record<string, unknown>;
  const ok = check(o);
  const violations = [...problems, ...(ok ? [] : (check.errors ?? []).map(violation))];
  if (violations.length) throw new ConfigError(violations, source);
  const options = o as unknown as CompareOptions;
  options.out ??= `runs/compare-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  return options;
}

export interface Violation {
  path: string;
  message: string;
}

function violation(e: ErrorObject): Violation {
  if (e.keyword === 'additionalProperties' && e.instancePath === '') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: `/${key}`, message: `unknown option; known: ${COMPARE_KEYS.join(', ')}` };
  }
  const got = e.data === undefined ? '' : `, got ${JSON.stringify(e.data)}`;
  const message = e.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : (e.message ?? 'is invalid');
  return { path: e.instancePath || '/', message: `${message}${got}` };
}

// ---------------------------------------------------------------- flags

/** One command-line flag generated from a schema property. */
export interface CompareFlag {
  key: Key;
  /** commander's flag spec, e.g. '--batch-size <integer>'. */
  flags: string;
  /** The schema's description and default. */
  help: string;
  /** Whether repeating the flag adds to its value (method=value pairs) instead of replacing it. */
  repeatable: boolean;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flags of `lift compare`, one per schema property, in schema order. */
export function compareFlags(): CompareFlag[] {
  return COMPARE_KEYS.map((key) => {
    const p = COMPARE_SCHEMA.properties[key] as { type: string; enum?: readonly string[]; default?: unknown; description: string; additionalProperties?: { type: string } };
    const placeholder =
      p.type === 'boolean'
        ? ''
        : p.enum
          ? ` <${p.enum.join('|')}>`
          : p.type === 'array'
            ? ' <a,b,...>'
            : p.type === 'object'
              ? p.additionalProperties?.type === 'object'
                ? ' <method.key=value,...>'
                : ` <method=${p.additionalProperties?.type ?? 'value'},...>`
              : ` <${p.type}>`;
    return { key, flags: `--${kebab(key)}${placeholder}`, help: `${p.description}${defaultText(p.default)}`, repeatable: p.type === 'object' };
  });
}

function defaultText(d: unknown): string {
  if (d === undefined || d === false || (typeof d === 'object' && d !== null && !Array.isArray(d) && Object.keys(d).length === 0)) return '';
  return ` (default: ${Array.isArray(d) ? d.join(',') : String(d)})`;
}

/**
 * Compare options from commander's parsed flag values (strings, booleans), shaped by the schema:
 * arrays split on commas, `method=value` pairs into objects, `method.key=value` into nested
 * objects (values that read as numbers or booleans become them). Malformed pairs are returned as
 * violations, to be reported with the schema's.
 */
export function optionsFromFlags(values: Record<string, unknown>): { options: Record<string, unknown>; problems: Violation[] } {
  const options: Record<string, unknown> = {};
  const problems: Violation[] = [];
  for (const key of COMPARE_KEYS) {
    const v = values[key];
    if (v === undefined) continue;
    const p = COMPARE_SCHEMA.properties[key] as { type: string; additionalProperties?: { type: string } };
    if (typeof v !== 'string') options[key] = v;
    else if (p.type === 'array') options[key] = splitList(v);
    else if (p.type === 'object') options[key] = pairs(key, v, p.additionalProperties?.type === 'object', problems);
    else options[key] = v;
  }
  return { options, problems };
}

const splitList = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function pairs(key: string, text: string, nested: boolean, problems: Violation[]): Record<string, unknown> {
  const out: Record<string, Record<string, unknown> | unknown> = {};
  for (const pair of splitList(text)) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const dot = name.indexOf('.');
    if (eq < 1 || value === '' || (nested && (dot < 1 || dot === name.length - 1))) {
      problems.push({ path: `/${key}`, message: `--${kebab(key)} takes ${nested ? 'method.option=value' : 'method=value'} pairs, got '${pair}'` });
    } else if (nested) {
      const method = name.slice(0, dot);
      const inner = (out[method] ??= {}) as Record<string, unknown>;
      inner[name.slice(dot + 1)] = scalar(value);
    } else {
      out[name] = value; // a string; ajv coerces it by the schema's type
    }
  }
  return out;
}

/** A flag's value as the JSON it reads as: a number, true, false or null; otherwise the string. */
function scalar(v: string): unknown {
  if (/^(true|false|null)$/.test(v)) return JSON.parse(v);
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

/**
 * Lays `over` over `base` (a config file's options under the flags): per-method maps (lr, option)
 * are merged per method and per key, everything else is replaced.
 */
export function mergeCompareInputs(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (k === 'option' && isMap(b) && isMap(v)) {
      out[k] = { ...b, ...Object.fromEntries(Object.entries(v).map(([m, o]) => [m, isMap(b[m]) && isMap(o) ? { ...b[m], ...o } : o])) };
    } else if (isMap(b) && isMap(v)) {
      out[k] = { ...b, ...v };
    } else {
      out[k] = v;
    }
  }
  return out;
}

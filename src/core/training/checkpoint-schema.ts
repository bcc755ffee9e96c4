/**
 * The JSON files of a checkpointed run, checked with a schema before anything trusts them:
 * a checkpoint's state.json and the run's latest.json. An empty, truncated or hand-edited file
 * is an E_CHECKPOINT error naming the file and every violation, never a TypeError mid-resume.
 */
import { Ajv } from 'ajv';
import { FileFormatError } from '../errors.js';

const CHECKPOINT_NAME = '^checkpoint-[0-9]+$';

export const STATE_SCHEMA = {
  type: 'object',
  required: ['step', 'totalSteps', 'method', 'loader', 'rng', 'tokens', 'elapsedSeconds', 'losses', 'optimizer'],
  properties: {
    step: { type: 'integer', minimum: 1 },
    totalSteps: { type: 'integer', minimum: 1 },
    method: { type: 'string', minLength: 1 },
    loader: {
      type: 'object',
      required: ['epoch', 'index'],
      properties: { epoch: { type: 'integer', minimum: 0 }, index: { type: 'integer', minimum: 0 } },
    },
    // the state of a xoshiro128 generator: four 32-bit words
    rng: { type: 'array', minItems: 4, maxItems: 4, items: { type: 'integer', minimum: 0, maximum: 4294967295 } },
    tokens: { type: 'integer', minimum: 0 },
    elapsedSeconds: { type: 'number', minimum: 0 },
    losses: {
      type: 'array',
      items: {
        type: 'object',
        required: ['step', 'loss'],
        properties: { step: { type: 'integer', minimum: 1 }, loss: { type: 'number' } },
      },
    },
    optimizer: {
      type: 'object',
      required: ['name', 'hyper', 'steps'],
      properties: {
        name: { type: 'string', minLength: 1 },
        hyper: { type: 'object' },
        steps: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
      },
    },
  },
} as const;

export const POINTER_SCHEMA = {
  type: 'object',
  required: ['checkpoint', 'step'],
  properties: {
    checkpoint: { type: 'string', pattern: CHECKPOINT_NAME },
    step: { type: 'integer', minimum: 1 },
    finite: { type: 'boolean' },
    good: { type: 'string', pattern: CHECKPOINT_NAME },
    own: { type: 'array', items: { type: 'string', pattern: CHECKPOINT_NAME } },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
const checks = { state: ajv.compile(STATE_SCHEMA), pointer: ajv.compile(POINTER_SCHEMA) };

/** Parses `text` (the contents of `file`) and checks it against one of the schemas above. */
export function parseCheckpointJson<T>(text: string, file: string, kind: keyof typeof checks): T {
  if (text.trim() === '') throw new FileFormatError('E_CHECKPOINT', file, 'is empty (a write that never finished?)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError('E_CHECKPOINT', file, `is not valid JSON (${(e as Error).message})`);
  }
  const check = checks[kind];
  if (!check(value)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new FileFormatError('E_CHECKPOINT', file, `does not match the ${kind === 'state' ? 'checkpoint state' : 'latest.json'} schema: ${problems.join('; ')}`, {
      problems,
    });
  }
  return value as T;
}

/**
 * What a run started with, and whether a resume may continue it.
 *
 * A new run records its configuration and the sha256 of its training data in
 * `<dir>/.lift/origin.json`. A resume compares the run.json it is given with that record: what a
 * checkpoint's meaning depends on (data, batch size, seed, method and its structure, steps) must
 * not change, and the resume is refused listing every change; what only steers the steps still
 * to come (learning rate, schedule, clipping, paths to the same bytes) is allowed and reported;
 * the rest (evaluation, logging, output, backend) is free. The checkpoint it continues from is
 * chosen and checked here too, before the run writes anything: latest.json's, or the newest
 * complete one when latest.json is missing (said so, and latest.json rewritten to name it).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from '../core/atomic-write.js';
import type { RunConfig } from '../core/config/schema.js';
import { FileFormatError, LiftError, ioErrorOf } from '../core/errors.js';
import { completeCheckpoints, isCompleteCheckpoint, loadCheckpoint, readPointer } from '../core/training/checkpoint.js';
import type { TensorStore } from '../core/contracts.js';
import { LIFT_DIR } from './lock.js';

const ORIGIN = 'origin.json';

export interface FileFingerprint {
  file: string;
  sha256: string;
  bytes: number;
}

export interface RunOrigin {
  version: 1;
  createdAt: string;
  config: RunConfig;
  data: { train: FileFingerprint };
}

export function fingerprint(file: string): FileFingerprint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw ioErrorOf(e, file, 'read') ?? e;
  }
  return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
}

export function writeOrigin(dir: string, run: RunConfig, train: FileFingerprint): void {
  const origin: RunOrigin = { version: 1, createdAt: new Date().toISOString(), config: run, data: { train } };
  writeFileAtomic(join(dir, LIFT_DIR, ORIGIN), JSON.stringify(origin, null, 1) + '\n');
}

function readOrigin(dir: string): RunOrigin | null {
  const file = join(dir, LIFT_DIR, ORIGIN);
  const text = readTextIfExists(file);
  if (text === null) return null;
  try {
    const o = JSON.parse(text) as RunOrigin;
    if (o?.version === 1 && o.config && typeof o.data?.train?.sha256 === 'string') return o;
  } catch {
    // reported below
  }
  throw new LiftError('E_RESUME', `${file}: is not the record of a run's start (unreadable JSON or missing fields); delete it to resume without the consistency check`, { file });
}

/** How much a change of a run field matters to a resume. */
type Weight = 'hard' | 'soft';

/** Paths into RunConfig and their weight; anything not listed is free. */
const FIELDS: [string, Weight][] = [
  ['model', 'soft'],
  ['tokenizer', 'soft'],
  ['data.train', 'soft'],
  ['data.maxLength', 'hard'],
  ['data.template', 'hard'],
  ['data.skipInvalid', 'hard'],
  ['method.name', 'hard'],
  ['optimizer.lr', 'soft'],
  ['optimizer.betas', 'soft'],
  ['optimizer.eps', 'soft'],
  ['optimizer.weightDecay', 'soft'],
  ['schedule.type', 'soft'],
  ['schedule.warmupRatio', 'soft'],
  ['batchSize', 'hard'],
  ['gradientAccumulation', 'hard'],
  ['maxGradNorm', 'soft'],
  ['steps', 'hard'],
  ['epochs', 'hard'],
  ['seed', 'hard'],
];
/** Method options that only steer the optimizer's next steps; every other option shapes the checkpoint. */
const SOFT_METHOD_OPTIONS = new Set(['lr', 'betas', 'eps', 'weightDecay']);

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

/** Every difference between the recorded and the current run, by weight. */
function differences(was: RunConfig, now: RunConfig): { hard: string[]; soft: string[] } {
  const out = { hard: [] as string[], soft: [] as string[] };
  const note = (path: string, a: unknown, b: unknown, weight: Weight) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out[weight].push(`${path} ${show(a)} → ${show(b)}`);
  };
  for (const [path, weight] of FIELDS) note(path, at(was, path), at(now, path), weight);
  const keys = new Set([...Object.keys(was.method.options ?? {}), ...Object.keys(now.method.options ?? {})]);
  for (const k of [...keys].sort()) note(`method.options.${k}`, was.method.options?.[k], now.method.options?.[k], SOFT_METHOD_OPTIONS.has(k) ? 'soft' : 'hard');
  return out;
}

/**
 * Refuses a resume whose run.json or data changed in a way its checkpoints cannot follow
 * (E_RESUME, listing every change); returns notices for allowed changes.
 */
export function checkResumable(dir: string, run: RunConfig, train: FileFingerprint): string[] {
  const origin = readOrigin(dir);
  const runFile = join(dir, 'run.json');
  if (!origin) return [`${join(dir, LIFT_DIR, ORIGIN)} is missing: cannot check that ${runFile} and the data are those the run started with`];
  const { hard, soft } = differences(origin.config, run);
  if (origin.data.train.sha256 !== train.sha256) {
    hard.push(`the training data ${train.file} changed since the run started (${origin.data.train.bytes} bytes, sha256 ${origin.data.train.sha256.slice(0, 12)}… → ${train.bytes} bytes, ${train.sha256.slice(0, 12)}…)`);
  }
  if (hard.length) {
    throw new LiftError(
      'E_RESUME',
      `${runFile}: cannot resume: ${hard.join('; ')}. A resumed run continues with the data, batch size, seed and method its checkpoints were made with; restore them, or start a new run in another directory`,
      { dir, changes: hard },
    );
  }
  return soft.length ? [`${runFile}: resuming with changed settings: ${soft.join('; ')}`] : [];
}

export interface ResumePoint {
  /** The checkpoint the run continues from, or null: it restarts at step 0 (none was written). */
  checkpoint: string | null;
  step: number;
  notices: string[];
}

/**
 * The checkpoint a resume continues from, checked now (state.json's schema, its tensors' files):
 * latest.json's; when latest.json is missing, the newest complete checkpoint, and latest.json is
 * rewritten to name it; with no checkpoint at all, step 0.
 */
export function resumePoint(dir: string, run: RunConfig, store: TensorStore): ResumePoint {
  const notices: string[] = [];
  const pointer = readPointer(dir);
  let name: string | undefined = pointer?.checkpoint;
  if (!name) {
    name = completeCheckpoints(dir)[0];
    if (!name) {
      notices.push(`${dir}: no checkpoint yet (the run stopped before its first): training restarts at step 0`);
      return { checkpoint: null, step: 0, notices };
    }
    notices.push(`${join(dir, 'latest.json')} is missing: resuming from ${name}, the newest complete checkpoint`);
    writeFileAtomic(join(dir, 'latest.json'), JSON.stringify({ checkpoint: name, step: Number(name.slice('checkpoint-'.length)), own: [name] }) + '\n');
  }
  if (pointer && !isCompleteCheckpoint(join(dir, name))) {
    const newest = completeCheckpoints(dir)[0];
    throw new FileFormatError(
      'E_CHECKPOINT',
      join(dir, 'latest.json'),
      `names ${name}, which is missing or incomplete; ${newest ? `delete latest.json to resume from ${newest}, the newest complete checkpoint` : 'no complete checkpoint is left: start a new run'}`,
    );
  }
  const ck = loadCheckpoint(store, join(dir, name));
  const stateFile = join(dir, name, 'state.json');
  if (ck.state.method !== run.method.name) {
    throw new FileFormatError('E_CHECKPOINT', stateFile, `was written by method '${ck.state.method}', but run.json names '${run.method.name}'`);
  }
  return { checkpoint: join(dir, name), step: ck.state.step, notices };
}

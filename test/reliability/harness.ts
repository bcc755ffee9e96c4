/**
 * The reliability corpus's tools: `lift` run in process (main(argv) returns the exit code), a
 * workspace of small inputs (a tiny random model with the fixture tokenizer, data files, run
 * configs), and the three things every case checks: the exit code, the error code of the one
 * `lift: error [E_CODE]: ...` line, and that no file that existed before changed (a sha256 of
 * every file and folder under the watched paths, dot files included).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runLift } from '../cli/run-main.js';
import { writeTinyModel } from '../helpers/tiny-model.js';

export { runLift };

export type Outcome = Awaited<ReturnType<typeof runLift>>;

/** Every file (sha256) and folder under `root`, by path relative to it; a missing root is empty. */
export function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      const rel = relative(root, path);
      if (e.isDirectory()) {
        out.set(rel + '/', 'dir');
        walk(path);
      } else out.set(rel, createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  try {
    if (statSync(root).isDirectory()) walk(root);
    else out.set('.', createHash('sha256').update(readFileSync(root)).digest('hex'));
  } catch (e) {
    if (!['ENOENT', 'ENOTDIR'].includes((e as { code?: string }).code ?? '')) throw e;
  }
  return out;
}

/** Snapshots of several roots, to compare after a case ran. */
export function snapshot(...roots: string[]): Map<string, Map<string, string>> {
  return new Map(roots.map((r) => [r, tree(r)]));
}

/** Every file and folder of the snapshot is still there with the same bytes, and nothing was added. */
export function assertUnchanged(before: Map<string, Map<string, string>>, what = ''): void {
  for (const [root, was] of before) {
    const now = tree(root);
    assert.deepEqual([...now.keys()].sort(), [...was.keys()].sort(), `${what}: the entries under ${root} changed`);
    for (const [path, hash] of was) assert.equal(now.get(path), hash, `${what}: ${join(root, path)} changed`);
  }
}

/** Lines of stderr that are errors (notes and progress are other lines). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('lift: error'));
}

/** The run failed with exit code `exit` and exactly one `lift: error [code]: ...` line, no stack trace. */
export function assertFailed(r: Outcome, code: string, exit = 1, message?: RegExp): void {
  assert.equal(r.code, exit, `exit code ${r.code}, expected ${exit}; stderr:\n${r.stderr}`);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, `expected one error line, got:\n${r.stderr}`);
  assert.ok(lines[0]!.startsWith(`lift: error [${code}]: `), `expected [${code}], got: ${lines[0]}`);
  assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr), `a stack trace was printed:\n${r.stderr}`);
  if (message) assert.match(r.stderr, message);
}

export function assertSucceeded(r: Outcome): void {
  assert.equal(r.code, 0, `exit code ${r.code}; stderr:\n${r.stderr}`);
  assert.equal(errorLines(r.stderr).length, 0, r.stderr);
}

/** The data file all cases train on: the fixture's validation records, short enough for maxLength 96. */
export const DATA = 'fixtures/data/target_val.jsonl';

/**
 * A folder of inputs for one test file: the tiny model (its own copy, watched for changes), a copy
 * of the data, and run configs written on demand. Cheap enough to make one per file.
 */
export class Workspace {
  readonly root: string;
  readonly model: string;
  readonly data: string;
  private n = 0;

  constructor(tag: string) {
    this.root = mkdtempSync(join(tmpdir(), `lift-rel-${tag}-`));
    this.model = writeTinyModel(join(this.root, 'model'));
    this.data = join(this.root, 'train.jsonl');
    // 40 records keep tokenizing cheap; every one fits maxLength 96 with its response
    writeFileSync(this.data, readFileSync(DATA, 'utf8').split('\n').slice(0, 40).join('\n') + '\n');
  }

  /** A fresh path under the workspace (not created). */
  path(name: string): string {
    return join(this.root, `${name}-${this.n++}`);
  }

  /** A new folder with `files` (relative path → contents). */
  folder(name: string, files: Record<string, string | Uint8Array> = {}): string {
    const dir = this.path(name);
    mkdirSync(dir, { recursive: true });
    for (const [rel, data] of Object.entries(files)) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), data);
    }
    return dir;
  }

  /** A copy of the tiny model to damage. */
  modelCopy(): string {
    const dir = this.path('model');
    cpSync(this.model, dir, { recursive: true });
    return dir;
  }

  /** The run config of a small, fast, reproducible run (4 steps of LIFT, one thread), with overrides. */
  run(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      model: this.model,
      data: { train: this.data, maxLength: 96 },
      method: { name: 'lift', options: { rank: 2, filterRank: 4, interval: 3 } },
      optimizer: { lr: 1e-3 },
      steps: 4,
      batchSize: 2,
      evaluation: { generate: false },
      backend: { threads: 1 },
      output: { dir: this.path('out'), checkpointEvery: 2 },
      ...overrides,
    };
  }

  /** Writes `config` (an object, or raw text) as a config file; returns its path. */
  config(config: Record<string, unknown> | string): string {
    const file = this.path('run') + '.json';
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    return file;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The output dir a config object names. */
export const outDir = (run: Record<string, unknown>): string => (run.output as { dir: string }).dir;

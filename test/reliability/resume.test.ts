/**
 * Reliability corpus: checkpoints and --resume. A resume continues in the directory it is given,
 * from latest.json's checkpoint or (latest.json gone) the newest complete one, bitwise as if never
 * interrupted; it refuses state it cannot trust (malformed checkpoint files, a run.json or data
 * that changed under it) naming the file and what changed; it cleans up what a killed write left;
 * a run that diverges names a checkpoint that resumes finitely, and cleanup never deletes it.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepRecord, TrainingLogger } from '../../src/core/contracts.js';
import { train, validateRunConfig } from '../../src/index.js';
import { Workspace, assertFailed, assertSucceeded, assertUnchanged, runLift, snapshot, tree } from './harness.js';

/** A logger that stops the run (as a kill would) when step `at` is logged, after checkpoint at-1. */
class CrashAt implements TrainingLogger {
  constructor(private readonly at: number) {}
  step(r: StepRecord): void {
    if (r.step === this.at) throw new Error(`simulated crash at step ${r.step}`);
  }
}

const steps = (dir: string) =>
  readFileSync(join(dir, 'train.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.event === 'step' || e.event === 'resume')
    .map((e) => (e.event === 'resume' ? `resume@${e.fromStep}` : e.step));

describe('reliability: checkpoints and --resume', function () {
  this.timeout(180_000);
  let ws: Workspace;
  let crashed: string;
  let reference: Buffer;
  const runOf = (dir: string) => ws.run({ steps: 6, output: { dir, checkpointEvery: 2 } });

  before(async () => {
    ws = new Workspace('resume');
    // the uninterrupted run, and the same run stopped during step 5 (checkpoints 2 and 4 on disk)
    const whole = ws.path('whole');
    assertSucceeded(await runLift(['train', '--config', ws.config(runOf(whole)), '--quiet']));
    reference = readFileSync(join(whole, 'model', 'model.safetensors'));
    crashed = ws.path('crashed');
    await assert.rejects(train(validateRunConfig(runOf(crashed)), { logger: new CrashAt(5) }), /simulated crash at step 5/);
    assert.deepEqual(readdirSync(crashed).filter((e) => e.startsWith('checkpoint-')).sort(), ['checkpoint-2', 'checkpoint-4']);
  });
  after(() => ws.remove());

  /** A copy of the crashed run, wherever `to` says. */
  const copy = (to = ws.path('copy')): string => {
    cpSync(crashed, to, { recursive: true });
    return to;
  };

  async function refused(dir: string, code: string, message: RegExp, watch: string[] = []): Promise<void> {
    const before = snapshot(dir, ...watch);
    const r = await runLift(['train', '--resume', dir, '--quiet']);
    assertFailed(r, code, 1, message);
    assertUnchanged(before, code);
  }

  async function resumedToTheEnd(dir: string): Promise<string> {
    const r = await runLift(['train', '--resume', dir, '--quiet']);
    assertSucceeded(r);
    assert.ok(readFileSync(join(dir, 'model', 'model.safetensors')).equals(reference), 'the resumed run ends bitwise equal to the uninterrupted one');
    return r.stderr;
  }

  it('continues from checkpoint 4, marks the resume in train.jsonl and ends bitwise equal', async () => {
    const dir = copy();
    await resumedToTheEnd(dir);
    assert.deepEqual(steps(dir), ['resume@4', 5, 6]);
    assert.deepEqual(readdirSync(dir).filter((e) => e.startsWith('checkpoint-')), ['checkpoint-6'], 'the run deleted its own older checkpoints');
  });

  it('a moved run directory resumes where it is now, and its old path is not recreated', async () => {
    const dir = copy();
    const moved = ws.path('moved');
    renameSync(dir, moved);
    await resumedToTheEnd(moved);
    assert.equal(existsSync(dir), false);
  });

  it('latest.json missing: resumes from the newest complete checkpoint and says so', async () => {
    const dir = copy();
    rmSync(join(dir, 'latest.json'));
    const stderr = await resumedToTheEnd(dir);
    assert.match(stderr, /latest\.json is missing: resuming from checkpoint-4, the newest complete checkpoint/);
    assert.deepEqual(steps(dir), ['resume@4', 5, 6]);
  });

  it('killed before its first checkpoint: restarts at step 0 and says so', async () => {
    const dir = copy();
    for (const e of readdirSync(dir)) if (e.startsWith('checkpoint-') || e === 'latest.json') rmSync(join(dir, e), { recursive: true });
    const stderr = await resumedToTheEnd(dir);
    assert.match(stderr, /no checkpoint yet .* training restarts at step 0/);
    assert.deepEqual(steps(dir), ['resume@0', 1, 2, 3, 4, 5, 6]);
  });

  it('leftovers of killed writes are removed: temporaries, and a checkpoint that never got its state.json', async () => {
    const dir = copy();
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', '.model.safetensors.4242.1700000000000.tmp'), 'half');
    writeFileSync(join(dir, 'checkpoint-4', '.optimizer.safetensors.4242.1700000000000.0.tmp'), 'half');
    writeFileSync(join(dir, '.latest.json.4242.1700000000000.tmp'), '{');
    mkdirSync(join(dir, 'checkpoint-6'));
    writeFileSync(join(dir, 'checkpoint-6', 'targets.safetensors'), 'half');
    await resumedToTheEnd(dir);
    const temps = [...tree(dir).keys()].filter((p) => p.endsWith('.tmp'));
    assert.deepEqual(temps, []);
  });

  it('cleanup deletes only checkpoints this run wrote: a checkpoint-* folder of someone else stays', async () => {
    const dir = copy();
    mkdirSync(join(dir, 'checkpoint-1'));
    writeFileSync(join(dir, 'checkpoint-1', 'notes.txt'), 'not lift-sft');
    const theirs = snapshot(join(dir, 'checkpoint-1'));
    await resumedToTheEnd(dir);
    assertUnchanged(theirs, 'a foreign checkpoint folder');
  });

  describe('refuses state it cannot trust, naming the file', () => {
    it('latest.json that is not JSON', () => {
      const dir = copy();
      writeFileSync(join(dir, 'latest.json'), '{"checkpoint": "checkp');
      return refused(dir, 'E_CHECKPOINT', /latest\.json: is not valid JSON/);
    });
    it('latest.json naming a checkpoint outside the run', () => {
      const dir = copy();
      writeFileSync(join(dir, 'latest.json'), JSON.stringify({ checkpoint: '../../etc', step: 4 }));
      return refused(dir, 'E_CHECKPOINT', /latest\.json: does not match the latest\.json schema: \/checkpoint must match pattern/);
    });
    it('latest.json naming a checkpoint that is not there', () => {
      const dir = copy();
      writeFileSync(join(dir, 'latest.json'), JSON.stringify({ checkpoint: 'checkpoint-8', step: 8 }));
      return refused(dir, 'E_CHECKPOINT', /names checkpoint-8, which is missing or incomplete; delete latest\.json to resume from checkpoint-4/);
    });
    it('an empty state.json', () => {
      const dir = copy();
      writeFileSync(join(dir, 'checkpoint-4', 'state.json'), '');
      return refused(dir, 'E_CHECKPOINT', /checkpoint-4\/state\.json: is empty/);
    });
    it('a truncated state.json', () => {
      const dir = copy();
      const file = join(dir, 'checkpoint-4', 'state.json');
      writeFileSync(file, readFileSync(file, 'utf8').slice(0, 60));
      return refused(dir, 'E_CHECKPOINT', /checkpoint-4\/state\.json: is not valid JSON/);
    });
    it('a state.json of {}', () => {
      const dir = copy();
      writeFileSync(join(dir, 'checkpoint-4', 'state.json'), '{}');
      return refused(dir, 'E_CHECKPOINT', /checkpoint-4\/state\.json: does not match the checkpoint state schema: \/ must have required property 'step'/);
    });
    it('a state.json with a field of the wrong type', () => {
      const dir = copy();
      const file = join(dir, 'checkpoint-4', 'state.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), loader: { epoch: 0, index: 'two' } }));
      return refused(dir, 'E_CHECKPOINT', /\/loader\/index must be integer/);
    });
    it('a truncated targets.safetensors', () => {
      const dir = copy();
      const file = join(dir, 'checkpoint-4', 'targets.safetensors');
      writeFileSync(file, readFileSync(file).subarray(0, 200));
      return refused(dir, 'E_SAFETENSORS', /checkpoint-4\/targets\.safetensors: /);
    });
    it('an optimizer.safetensors with trailing bytes', () => {
      const dir = copy();
      appendFileSync(join(dir, 'checkpoint-4', 'optimizer.safetensors'), Buffer.alloc(12));
      return refused(dir, 'E_SAFETENSORS', /optimizer\.safetensors: 12 trailing bytes/);
    });
    it('a NaN in a checkpoint names the tensor', () => {
      const dir = copy();
      const file = join(dir, 'checkpoint-4', 'targets.safetensors');
      const bytes = readFileSync(file);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
      const [name, entry] = Object.entries(header).find(([k, v]) => k !== '__metadata__' && (v as { dtype: string }).dtype === 'F32')! as [string, { data_offsets: number[] }];
      bytes.writeFloatLE(NaN, 8 + n + entry.data_offsets[0]!);
      writeFileSync(file, bytes);
      return refused(dir, 'E_CHECKPOINT', new RegExp(`tensor '${name.replace(/\./g, '\\.')}' holds NaN at index 0`));
    });
    it('run.json whose batchSize was edited: what changed', () => {
      const dir = copy();
      const file = join(dir, 'run.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), batchSize: 4 }));
      return refused(dir, 'E_RESUME', /run\.json: cannot resume: batchSize 2 → 4\. A resumed run continues with the data, batch size/);
    });
    it('run.json whose method options were edited', () => {
      const dir = copy();
      const file = join(dir, 'run.json');
      const run = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...run, method: { ...run.method, options: { ...run.method.options, rank: 3 } } }));
      return refused(dir, 'E_RESUME', /method\.options\.rank 2 → 3/);
    });
    it('training data that changed since the run started', async () => {
      const dir = copy();
      const data = ws.path('data') + '.jsonl';
      cpSync(ws.data, data);
      const file = join(dir, 'run.json');
      const run = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...run, data: { ...run.data, train: data } }));
      const origin = join(dir, '.lift', 'origin.json');
      const o = JSON.parse(readFileSync(origin, 'utf8'));
      writeFileSync(origin, JSON.stringify({ ...o, config: { ...o.config, data: { ...o.config.data, train: data } } }));
      appendFileSync(data, readFileSync(ws.data, 'utf8').split('\n')[0] + '\n');
      await refused(dir, 'E_RESUME', /the training data .* changed since the run started/, [data]);
    });
    it('a run.json that is not JSON', () => {
      const dir = copy();
      writeFileSync(join(dir, 'run.json'), '{"model": ');
      return refused(dir, 'E_CONFIG', /run\.json/);
    });
  });

  it('a changed learning rate is allowed, and reported', async () => {
    const dir = copy();
    const file = join(dir, 'run.json');
    const run = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...run, optimizer: { lr: 5e-4 } }));
    const r = await runLift(['train', '--resume', dir, '--quiet']);
    assertSucceeded(r);
    assert.match(r.stderr, /resuming with changed settings: optimizer\.lr 0\.001 → 0\.0005/);
    assert.deepEqual(steps(dir), ['resume@4', 5, 6]);
  });

  describe('a loss that diverges', () => {
    /** The bundled (pretrained) model: its first loss is 1.17, the loss of guessing uniformly ln(1088) = 6.99. */
    const fixtureRun = (dir: string, method: string, lr: number) => ({
      model: 'fixtures/model',
      data: { train: ws.data, maxLength: 96 },
      method: { name: method, options: method === 'full' ? {} : { rank: 2 } },
      optimizer: { lr },
      schedule: { type: 'constant' },
      steps: 8,
      batchSize: 2,
      evaluation: { generate: false },
      backend: { threads: 1 },
      output: { dir, checkpointEvery: 2 },
    });

    it('a learning rate that destroys the model stops the run with E_DIVERGED, not exit 0', async () => {
      const dir = ws.path('destroyed');
      const r = await runLift(['train', '--config', ws.config(fixtureRun(dir, 'full', 0.05)), '--quiet']);
      assertFailed(r, 'E_DIVERGED', 1, /loss diverged at step \d: \d+\.\d+, above 3\.\d+ \(the first step's loss was 1\.\d+\)/);
      assert.equal(existsSync(join(dir, 'model')), false, 'a diverged run exports nothing');
      assert.equal(existsSync(join(dir, '.lift', 'lock')), false, 'and releases its lock');
    });

    it('names the checkpoint that resumes finitely; with a lower learning rate the resume finishes', async () => {
      const dir = ws.path('diverged');
      const r = await runLift(['train', '--config', ws.config(fixtureRun(dir, 'lora', 1)), '--quiet']);
      assertFailed(r, 'E_DIVERGED', 1, /the last good checkpoint is .*checkpoint-2/);
      const named = /the last good checkpoint is (\S+)/.exec(r.stderr)![1]!;
      assert.ok(existsSync(join(named, 'state.json')), 'the named checkpoint is still there');
      assert.equal(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).checkpoint, 'checkpoint-2', 'a resume continues from it');
      const file = join(dir, 'run.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), optimizer: { lr: 1e-3 } }));
      const again = await runLift(['train', '--resume', dir, '--quiet']);
      assertSucceeded(again);
      assert.deepEqual(steps(dir).slice(-7), ['resume@2', 3, 4, 5, 6, 7, 8]);
    });

    it('a loss that becomes NaN names the checkpoint two steps back: the one before it already held blown-up weights', async () => {
      const dir = ws.path('nan');
      const r = await runLift(['train', '--config', ws.config(ws.run({ optimizer: { lr: 1e30 }, schedule: { type: 'constant' }, output: { dir, checkpointEvery: 1 } })), '--quiet']);
      assertFailed(r, 'E_NONFINITE', 1, /loss became (NaN|-?Infinity) at step \d+; training stopped/);
      const failed = Number(/at step (\d+)/.exec(r.stderr)![1]);
      if (failed === 2) assert.match(r.stderr, /no checkpoint of this run resumes finitely/);
      else assert.match(r.stderr, new RegExp(`the last good checkpoint is \\S+checkpoint-${failed - 2} `));
      assert.ok(existsSync(join(dir, `checkpoint-${failed - 1}`)), 'the newest checkpoint is kept, but not named');
    });
  });
});

/**
 * Reliability corpus: separate processes. Two runs started at once on one output directory (new
 * runs, and resumes): exactly one runs, the other gets one line naming the holder. A run killed
 * with SIGKILL at a random step resumes (its lock is stale and taken over, its half-written
 * files cleaned up) and ends bitwise equal to a run never interrupted.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StepRecord, TrainingLogger } from '../../src/core/contracts.js';
import { train, validateRunConfig } from '../../src/index.js';
import { Workspace, assertFailed, assertSucceeded, outDir, runLift, tree } from './harness.js';
import { type Finished, spawnLift } from './spawn.js';

/** A logger that stops the run (as a crash would) when step `at` is logged. */
class CrashAt implements TrainingLogger {
  constructor(private readonly at: number) {}
  step(r: StepRecord): void {
    if (r.step === this.at) throw new Error(`simulated crash at step ${r.step}`);
  }
}

/** The one error line of a finished process, or undefined. */
const errorOf = (f: Finished) => f.stderr.split('\n').find((l) => l.startsWith('lift: error'));

/** Resolves once the run's train.jsonl has logged step `step` (or the process ended). */
async function untilStep(dir: string, step: number, done: Promise<unknown>): Promise<boolean> {
  let ended = false;
  void done.then(() => (ended = true));
  while (!ended) {
    try {
      const log = readFileSync(join(dir, 'train.jsonl'), 'utf8');
      if (log.includes(`"event":"step","step":${step},`)) return true;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

describe('reliability: concurrent runs and kill -9', function () {
  this.timeout(180_000);
  let ws: Workspace;
  /** model.safetensors of the 24-step run, never interrupted. */
  let reference: Buffer;
  /** Long enough (checkpoint every step) that two processes overlap and a kill lands mid-run. */
  const longRun = (dir: string) => ws.run({ steps: 24, output: { dir, checkpointEvery: 1 } });
  before(async () => {
    ws = new Workspace('procs');
    const whole = ws.path('whole');
    assertSucceeded(await runLift(['train', '--config', ws.config(longRun(whole)), '--quiet']));
    reference = readFileSync(join(whole, 'model', 'model.safetensors'));
  });
  after(() => ws.remove());

  it('two new runs on one output directory at once: one trains, the other is refused in one line', async () => {
    const run = longRun(ws.path('race'));
    const config = ws.config(run);
    const [a, b] = await Promise.all([spawnLift(['train', '--config', config, '--quiet']).done, spawnLift(['train', '--config', config, '--quiet']).done]);
    const ok = [a, b].filter((f) => f.code === 0);
    const refused = [a, b].filter((f) => f.code !== 0);
    assert.equal(ok.length, 1, `one run succeeds:\n${a.stderr}\n${b.stderr}`);
    assert.equal(refused[0]!.code, 1);
    // E_LOCKED while the other holds the lock; E_OUTPUT_EXISTS if it started after the other finished
    assert.match(errorOf(refused[0]!) ?? '', /^lift: error \[(E_LOCKED|E_OUTPUT_EXISTS)\]: /, refused[0]!.stderr);
    assert.ok(!/\n\s+at /.test(refused[0]!.stderr), 'no stack trace');
    const dir = outDir(run);
    const log = readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(log.filter((e) => e.event === 'step').map((e) => e.step), Array.from({ length: 24 }, (_, i) => i + 1), 'one run wrote the log');
    assert.equal(existsSync(join(dir, '.lift', 'lock')), false);
  });

  it('two resumes of one run at once: never both at a time, and the run ends as if never interrupted', async () => {
    const dir = ws.path('twice');
    await assert.rejects(train(validateRunConfig(longRun(dir)), { logger: new CrashAt(3) }), /simulated crash/);
    const [a, b] = await Promise.all([spawnLift(['train', '--resume', dir, '--quiet']).done, spawnLift(['train', '--resume', dir, '--quiet']).done]);
    const log = readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const resumes = log.filter((e) => e.event === 'resume').map((e) => e.fromStep);
    if (a.code === 0 && b.code === 0) {
      // the second started after the first had finished: it found the run complete
      assert.deepEqual(resumes, [2, 24]);
    } else {
      const loser = a.code === 0 ? b : a;
      assert.equal(loser.code, 1, loser.stderr);
      assert.match(errorOf(loser) ?? '', /^lift: error \[E_LOCKED\]: .* is in use by another lift-sft run \(pid \d+ on /);
      assert.deepEqual(resumes, [2]);
    }
    assert.ok(readFileSync(join(dir, 'model', 'model.safetensors')).equals(reference), 'the model equals the uninterrupted run');
    assert.equal(existsSync(join(dir, '.lift', 'lock')), false);
  });

  for (const trial of [1, 2]) {
    it(`killed with SIGKILL at a random step (trial ${trial}), resumed: bitwise equal to the run never interrupted`, async () => {
      const dir = ws.path('killed');
      const config = ws.config(longRun(dir));
      const at = 3 + Math.floor(Math.random() * 18);
      const { child, done } = spawnLift(['train', '--config', config, '--quiet']);
      const reached = await untilStep(dir, at, done);
      child.kill('SIGKILL');
      const end = await done;
      assert.ok(reached && end.signal === 'SIGKILL', `the run ended before step ${at} (code ${end.code}): ${end.stderr}`);
      assert.ok(existsSync(join(dir, '.lift', 'lock')), 'the killed run left its lock');

      const r = await runLift(['train', '--resume', dir, '--quiet']);
      assertSucceeded(r);
      assert.ok(
        readFileSync(join(dir, 'model', 'model.safetensors')).equals(reference),
        `killed after step ${at} and resumed: the model differs from the uninterrupted run`,
      );
      const log = readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const resume = log.find((e) => e.event === 'resume');
      assert.ok(resume && resume.fromStep >= at - 1 && resume.fromStep <= at + 1, `resumed from step ${resume?.fromStep}, killed at ${at}`);
      assert.deepEqual([...tree(dir).keys()].filter((p) => p.endsWith('.tmp')), [], 'no temporary file is left');
      assert.deepEqual(readdirSync(dir).filter((e) => e.startsWith('checkpoint-')), ['checkpoint-24']);
    });
  }

  it('the lock of a running process refuses a resume; once the process is killed, the stale lock is taken over', async () => {
    const dir = ws.path('stale');
    const { child, done } = spawnLift(['train', '--config', ws.config(longRun(dir)), '--quiet']);
    assert.ok(await untilStep(dir, 2, done), 'the run started');
    // while it runs: locked
    const during = await runLift(['train', '--resume', dir, '--quiet']);
    assertFailed(during, 'E_LOCKED', 1, new RegExp(`pid ${child.pid} `));
    child.kill('SIGKILL');
    await done;
    assertSucceeded(await runLift(['train', '--resume', dir, '--quiet']));
  });
});

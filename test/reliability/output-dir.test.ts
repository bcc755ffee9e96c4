/**
 * Reliability corpus: the output directory a run owns. A new run takes only a new or empty
 * directory; --force reuses only one holding an earlier lift-sft run, and moves that run aside
 * rather than deleting it; every run holds the directory's lock, and a lock whose holder is gone
 * is taken over.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { train, validateRunConfig } from '../../src/index.js';
import { LiftError } from '../../src/core/errors.js';
import { Workspace, assertFailed, assertSucceeded, assertUnchanged, outDir, runLift, snapshot, tree } from './harness.js';

/** A pid no process has now (a child that already exited). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function lockRecord(fields: Record<string, unknown>): string {
  return JSON.stringify({ pid: process.pid, host: hostname(), started: null, since: '2020-01-01T00:00:00.000Z', command: 'lift train', token: 'other', ...fields });
}

describe('reliability: the output directory a run owns', function () {
  this.timeout(120_000);
  let ws: Workspace;
  /** A finished run to copy: run.json, train.jsonl, checkpoints, latest.json, model/, result.json. */
  let finished: string;
  let finishedConfig: string;
  before(async () => {
    ws = new Workspace('outdir');
    const run = ws.run();
    finishedConfig = ws.config(run);
    assertSucceeded(await runLift(['train', '--config', finishedConfig, '--quiet']));
    finished = outDir(run);
  });
  after(() => ws.remove());

  /** A copy of the finished run's directory. */
  const copyOfRun = (): string => {
    const dir = ws.path('run-copy');
    cpSync(finished, dir, { recursive: true });
    return dir;
  };

  async function refused(dir: string, code: string, message: RegExp, extra: string[] = []): Promise<void> {
    const config = ws.config(ws.run({ output: { dir, checkpointEvery: 2 } }));
    const before = snapshot(dir, ws.model, config);
    const r = await runLift(['train', '--config', config, '--quiet', ...extra]);
    assertFailed(r, code, 1, message);
    assertUnchanged(before, code);
  }

  const userFiles = { 'notes.txt': 'my notes', 'checkpoint-100/weights.bin': 'mine', 'model/config.json': '{"mine": true}' };

  it('a non-empty directory that holds no run is refused, naming what is there', async () => {
    await refused(ws.folder('user', userFiles), 'E_OUTPUT_EXISTS', /is not empty \(checkpoint-100, model, notes\.txt\) and holds no lift-sft run/);
  });
  it('--force does not make it acceptable', async () => {
    await refused(ws.folder('user', userFiles), 'E_OUTPUT_EXISTS', /--force only reuses one that holds an earlier output/, ['--force']);
  });
  it('a single hidden file is enough to refuse', async () => {
    await refused(ws.folder('hidden', { '.env': 'SECRET=1' }), 'E_OUTPUT_EXISTS', /\.env/);
  });
  it('a directory that holds a run is refused for a new run, pointing at --resume and --force', async () => {
    await refused(copyOfRun(), 'E_OUTPUT_EXISTS', /already holds a lift-sft run .*--resume .*--force/);
  });
  it('an output.dir that is a file', async () => {
    const file = join(ws.folder('f'), 'out');
    writeFileSync(file, 'not a directory');
    await refused(file, 'E_IO', /cannot use it as the output directory: .*file, not a directory \(ENOTDIR\)/);
  });
  it('an output.dir below a file', async () => {
    const file = join(ws.folder('f'), 'plain');
    writeFileSync(file, 'x');
    await refused(join(file, 'out'), 'E_IO', /ENOTDIR/);
  });
  it('the library refuses too: train() into a non-empty directory', async () => {
    const dir = ws.folder('lib', { 'notes.txt': 'mine' });
    const before = snapshot(dir);
    await assert.rejects(train(validateRunConfig(ws.run({ output: { dir } }))), (e: unknown) => e instanceof LiftError && e.code === 'E_OUTPUT_EXISTS');
    assertUnchanged(before, 'library');
  });

  it('an empty existing directory is taken', async () => {
    const dir = ws.folder('empty');
    assertSucceeded(await runLift(['train', '--config', ws.config(ws.run({ output: { dir, checkpointEvery: 2 } })), '--quiet']));
    assert.ok(existsSync(join(dir, 'model', 'model.safetensors')));
  });
  it('a directory holding only the lock folder of a killed claim counts as empty', async () => {
    const dir = ws.folder('leftover', { '.lift/lock': lockRecord({ pid: deadPid() }) });
    assertSucceeded(await runLift(['train', '--config', ws.config(ws.run({ output: { dir, checkpointEvery: 2 } })), '--quiet']));
    assert.equal(existsSync(join(dir, '.lift', 'lock')), false, 'the lock is released at the end');
  });

  it('--force on a run directory moves the earlier run to previous-<time>/ byte for byte and leaves other files alone', async () => {
    const dir = copyOfRun();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const earlier = tree(dir);
    const r = await runLift(['train', '--config', ws.config(ws.run({ output: { dir, checkpointEvery: 2 } })), '--quiet', '--force']);
    assertSucceeded(r);
    const previous = readdirSync(dir).filter((e) => e.startsWith('previous-'));
    assert.equal(previous.length, 1);
    assert.match(r.stderr, /held an earlier run: its files moved to .*previous-/);
    const archived = tree(join(dir, previous[0]!));
    for (const [path, hash] of earlier) {
      if (path === 'notes.txt') continue;
      if (path.startsWith('.lift/')) continue; // the earlier run's record moved along; its lock is not there
      assert.equal(archived.get(path), hash, `${path} moved unchanged`);
    }
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    const log = readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(log.filter((e) => e.event === 'step').map((e) => e.step), [1, 2, 3, 4], 'a fresh log, not appended to the earlier one');
    // the moved run is a run directory of its own: it resumes where it is
    assertSucceeded(await runLift(['train', '--resume', join(dir, previous[0]!), '--quiet']));
  });

  describe('the lock', () => {
    it('held by a live process: E_LOCKED naming the holder, nothing changed', async () => {
      const dir = ws.folder('locked', { '.lift/lock': lockRecord({}) });
      await refused(dir, 'E_LOCKED', new RegExp(`in use by another lift-sft run \\(pid ${process.pid} on ${hostname()} since 2020-01-01T00:00:00\\.000Z: lift train\\).*delete .*\\.lift/lock`));
    });
    it('held on another host: never broken, E_LOCKED', async () => {
      const dir = ws.folder('remote', { '.lift/lock': lockRecord({ pid: deadPid(), host: 'another-host.example' }) });
      await refused(dir, 'E_LOCKED', /pid \d+ on another-host\.example/);
    });
    it('held on a resume too: a locked run directory does not resume', async () => {
      const dir = copyOfRun();
      mkdirSync(join(dir, '.lift'), { recursive: true });
      writeFileSync(join(dir, '.lift', 'lock'), lockRecord({}));
      const before = snapshot(dir);
      assertFailed(await runLift(['train', '--resume', dir, '--quiet']), 'E_LOCKED', 1);
      assertUnchanged(before, 'resume of a locked run');
    });
    it('whose process is gone is taken over', async () => {
      const dir = copyOfRun();
      writeFileSync(join(dir, '.lift', 'lock'), lockRecord({ pid: deadPid() }));
      assertSucceeded(await runLift(['train', '--resume', dir, '--quiet']));
      assert.equal(existsSync(join(dir, '.lift', 'lock')), false);
    });
    it('whose pid now belongs to another process (started at another time) is taken over', async () => {
      const dir = copyOfRun();
      writeFileSync(join(dir, '.lift', 'lock'), lockRecord({ pid: 1, started: 1 }));
      assertSucceeded(await runLift(['train', '--resume', dir, '--quiet']));
    });
    it('that is unreadable (not a record lift-sft writes) is taken over', async () => {
      const dir = copyOfRun();
      writeFileSync(join(dir, '.lift', 'lock'), '\0\0garbage');
      assertSucceeded(await runLift(['train', '--resume', dir, '--quiet']));
    });
    it('two runs in one process on one directory: the second gets E_LOCKED', async () => {
      const dir = copyOfRun();
      const [a, b] = await Promise.all([runLift(['train', '--resume', dir, '--quiet']), runLift(['train', '--resume', dir, '--quiet'])]);
      const codes = [a.code, b.code].sort();
      assert.deepEqual(codes, [0, 1], `${a.stderr}\n${b.stderr}`);
      assertFailed(a.code === 1 ? a : b, 'E_LOCKED', 1, new RegExp(`pid ${process.pid}`));
    });
  });

  describe('lift compare owns its --out the same way', () => {
    const compareArgs = () => ['compare', '--model', ws.model, '--train', ws.data, '--test', ws.data, '--source', ws.data, '--steps', '1', '--batch-size', '2', '--max-length', '96', '--test-limit', '1', '--source-limit', '1', '--max-new-tokens', '2', '--rank', '2', '--methods', 'magnitude', '--quiet'];
    it('a non-empty folder that holds no report is refused, with or without --force', async () => {
      const dir = ws.folder('cmp-user', { 'notes.txt': 'mine' });
      const before = snapshot(dir);
      assertFailed(await runLift([...compareArgs(), '--out', dir]), 'E_OUTPUT_EXISTS', 1, /is not empty \(notes\.txt\)/);
      assertFailed(await runLift([...compareArgs(), '--out', dir, '--force']), 'E_OUTPUT_EXISTS', 1, /is not empty/);
      assertUnchanged(before, 'compare');
    });
    it('--force moves the earlier report aside', async () => {
      const dir = ws.path('cmp');
      assertSucceeded(await runLift([...compareArgs(), '--out', dir]));
      const first = readFileSync(join(dir, 'report.json'), 'utf8');
      assertFailed(await runLift([...compareArgs(), '--out', dir]), 'E_OUTPUT_EXISTS', 1, /--force/);
      assertSucceeded(await runLift([...compareArgs(), '--out', dir, '--force']));
      const previous = readdirSync(dir).filter((e) => e.startsWith('previous-'));
      assert.equal(previous.length, 1);
      assert.equal(readFileSync(join(dir, previous[0]!, 'report.json'), 'utf8'), first);
    });
  });
});

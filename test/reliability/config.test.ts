/**
 * Reliability corpus: run configurations, hostile and careless. Each case runs `lift train` in
 * process and checks the exit code, the error code of its one line, that nothing was written
 * (the output directory does not exist afterwards) and that no input changed.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace, assertFailed, assertSucceeded, assertUnchanged, outDir, runLift, snapshot } from './harness.js';

describe('reliability: run configurations', function () {
  this.timeout(120_000);
  let ws: Workspace;
  before(() => (ws = new Workspace('config')));
  after(() => ws.remove());

  /** `lift train --config <file>` fails with `code`, writes no output and changes no input. */
  async function refused(config: Record<string, unknown> | string, code: string, message?: RegExp, exit = 1): Promise<void> {
    const file = ws.config(config);
    const out = typeof config === 'string' ? join(ws.root, 'never') : outDir(config);
    const before = snapshot(ws.model, ws.data, file);
    const r = await runLift(['train', '--config', file, '--quiet']);
    assertFailed(r, code, exit, message);
    assert.equal(existsSync(out), false, `${out} was created`);
    assertUnchanged(before, code);
  }

  it('a config file that does not exist: E_CONFIG naming it', async () => {
    const missing = join(ws.root, 'no-such-run.json');
    const r = await runLift(['train', '--config', missing]);
    assertFailed(r, 'E_CONFIG', 1, new RegExp(`in ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('a config file that is not JSON', () => refused('{"model": "m",', 'E_CONFIG', /cannot read JSON/));
  it('an empty config file', () => refused('', 'E_CONFIG', /cannot read JSON/));
  it('a config that is a JSON array', () => refused('[1, 2]', 'E_CONFIG', /must be object/));
  it('a config that is a directory', async () => {
    const dir = ws.folder('a-directory');
    const r = await runLift(['train', '--config', dir]);
    assertFailed(r, 'E_CONFIG', 1, /EISDIR/);
  });
  it('an unknown top-level field', () => refused(ws.run({ stepz: 3 }), 'E_CONFIG', /\/: unknown field 'stepz'/));
  it('every violation at once, each with its JSON path', async () => {
    const file = ws.config(ws.run({ steps: 'ten', batchSize: 0, seed: -1 }));
    const r = await runLift(['train', '--config', file]);
    assertFailed(r, 'E_CONFIG', 1);
    for (const p of ['/steps', '/batchSize', '/seed']) assert.match(r.stderr, new RegExp(`\\n  ${p}: `), p);
  });
  it('a negative learning rate', () => refused(ws.run({ optimizer: { lr: -1 } }), 'E_CONFIG', /\/optimizer\/lr: must be > 0/));
  it('a data section without its train file', () => refused(ws.run({ data: { maxLength: 96 } }), 'E_CONFIG', /\/data: must have required property 'train'/));
  it('an unknown method, listing the registered ones', () => refused(ws.run({ method: { name: 'sparse-magic' } }), 'E_REGISTRY', /registered methods: .*lift/));
  it('an option the method does not have', () => refused(ws.run({ method: { name: 'lora', options: { alhpa: 3 } } }), 'E_CONFIG', /alhpa/));
  it('a method option out of range', () => refused(ws.run({ method: { name: 'lift', options: { rank: 0 } } }), 'E_CONFIG', /rank/));
  it('a model directory that does not exist', () => refused(ws.run({ model: join(ws.root, 'no-model') }), 'E_MODEL_CONFIG', /no-model/));
  it('a backend that is not registered', () => refused(ws.run({ backend: { name: 'tpu' } }), 'E_BACKEND', /tpu/));

  it('a rank whose budget covers whole matrices trains, and says it is full fine-tuning', async () => {
    const run = ws.run({ method: { name: 'lift', options: { rank: 64, filterRank: 4, interval: 0 } }, steps: 1, output: { dir: ws.path('out') } });
    const r = await runLift(['train', '--config', ws.config(run), '--quiet']);
    assertSucceeded(r);
    assert.match(r.stderr, /lift: note: method lift: rank 64 .* covers every entry of 14 of 14 target matrices .*full fine-tuning/);
  });

  it('a LoRA rank at the matrices\' smaller side trains, and says the adapters are full-rank', async () => {
    const run = ws.run({ method: { name: 'lora', options: { rank: 16 } }, steps: 1, output: { dir: ws.path('out') } });
    const r = await runLift(['train', '--config', ws.config(run), '--quiet']);
    assertSucceeded(r);
    assert.match(r.stderr, /lift: note: method lora: rank 16 reaches the smaller side of \d+ of 14 target matrices .*full-rank/);
  });
});

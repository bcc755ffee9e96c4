import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareCommand } from '../../src/cli/commands/compare.js';
import { type CompareContext, type CompareOptions, compareOptions, failedMethods } from '../../src/index.js';
import { validateReport } from '../../src/cli/report/schema.js';
import { LiftError } from '../../src/core/errors.js';
import { TARGET_MODULES, linearShape } from '../../src/core/model/config.js';
import { defaultRegistry } from '../../src/index.js';
import { TINY_CONFIG, writeTinyModel } from '../helpers/tiny-model.js';

const quick = { steps: 4, testLimit: 6, sourceLimit: 6, batchSize: 4, maxLength: 128, rank: 2, filterRank: 4, interval: 2, quiet: true };
/** A compare with `quick` options under `options`, validated as the CLI validates them. */
const compare = (options: Partial<CompareOptions>, context: CompareContext = {}) => compareCommand(compareOptions({ ...quick, ...options }), context);

describe('lift compare', function () {
  this.timeout(300_000);
  let model: string;
  let tmp: string;
  before(() => {
    model = writeTinyModel();
    tmp = mkdtempSync(join(tmpdir(), 'lift-compare-'));
  });

  it('writes report.json, report.md and report.html; the JSON validates and holds what was trained', async () => {
    const out = join(tmp, 'fast');
    const report = await compare({ model, methods: ['lift', 'lora'], out });
    for (const f of ['report.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, f)), f);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(validateReport(json), []);
    assert.deepEqual(
      json.methods.map((m: { method: string; status: string }) => [m.method, m.status]),
      [
        ['lift', 'done'],
        ['lora', 'done'],
      ],
    );
    // Same budget: LIFT's k = (m+n)·r per matrix equals LoRA's (m+n)·r parameters.
    const expected = TINY_CONFIG.numHiddenLayers * TARGET_MODULES.reduce((s, mod) => s + linearShape(TINY_CONFIG, mod).reduce((a, b) => a + b, 0) * quick.rank, 0);
    for (const m of report.methods) {
      assert.equal(m.runs[0]!.trainableParams, expected, m.method);
      assert.equal(m.runs[0]!.optimizerStateBytes, 2 * 4 * expected, m.method);
      assert.equal(m.runs[0]!.lossCurve.length, quick.steps, m.method);
      assert.equal(m.runs[0]!.sourceAccuracyBefore, report.methods[0]!.runs[0]!.sourceAccuracyBefore);
    }
    // The base model is scored once, as the runs are: its source scores are every run's "before".
    assert.equal(report.base?.sourceAccuracy, report.methods[0]!.runs[0]!.sourceAccuracyBefore);
    assert.equal(report.base?.sourceLoss, report.methods[0]!.runs[0]!.sourceLossBefore);
    assert.ok(report.base!.targetAccuracy! >= 0 && report.base!.targetAccuracy! <= 1);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /\| lift /);
    assert.match(md, /\| lora /);
  });

  it('never overwrites an earlier report without --force', async () => {
    const out = join(tmp, 'twice');
    await compare({ steps: 1, model, methods: ['random'], out });
    const first = readFileSync(join(out, 'report.json'), 'utf8');
    await assert.rejects(compare({ steps: 1, model, methods: ['random'], out }), (e: unknown) => e instanceof LiftError && e.code === 'E_OUTPUT_EXISTS' && /--force/.test(e.message));
    assert.equal(readFileSync(join(out, 'report.json'), 'utf8'), first);
    await compare({ steps: 1, model, methods: ['magnitude'], out, force: true });
    assert.match(readFileSync(join(out, 'report.json'), 'utf8'), /"magnitude"/);
  });

  it('an unknown method fails before training, listing the registered ones', async () => {
    await assert.rejects(compare({ model, methods: ['lift', 'nope'], out: join(tmp, 'unknown') }), /unknown method 'nope'; registered methods: full, lift, lift-published, lora, magnitude, random/);
    assert.equal(existsSync(join(tmp, 'unknown', 'report.json')), false);
  });

  it('a method that fails leaves the finished methods readable and marks it failed', async () => {
    const registry = defaultRegistry();
    registry.registerStrategy('broken', () => ({ name: 'broken', select: async () => { throw new Error('strategy exploded'); } }), {});
    registry.registerMethod({ name: 'broken', parametrization: 'sparse', strategy: 'broken', optimizer: 'sparse-adam', defaults: { lr: 1e-4 } });
    const out = join(tmp, 'partial');
    const report = await compare({ steps: 2, model, methods: ['magnitude', 'broken'], out }, { registry });
    assert.deepEqual(failedMethods(report), ['broken']);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(validateReport(json), []);
    assert.equal(json.methods[0].status, 'done');
    assert.equal(json.methods[0].runs.length, 1);
    assert.equal(json.methods[1].status, 'failed');
    assert.match(json.methods[1].error, /strategy exploded/);
  });

  it('reads options from --config and rejects unknown keys with their path', async () => {
    const { main } = await import('../../src/cli/main.js');
    const cfg = join(tmp, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ steps: 1, stepz: 3 }));
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      assert.equal(await main(['compare', '--config', cfg, '--out', join(tmp, 'cfg')]), 1);
    } finally {
      process.stderr.write = write;
    }
    assert.match(err.join(''), /E_CONFIG.*\n\s+\/stepz: unknown option/);
  });
});

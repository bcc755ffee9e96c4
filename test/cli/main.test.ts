import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { COMPARE_KEYS, compareFlags } from '../../src/api/compare-options.js';
import { RUN_SCHEMA, defaultRegistry } from '../../src/index.js';
import { writeTinyModel } from '../helpers/tiny-model.js';
import { runLift } from './run-main.js';

const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const USAGE_LINE = /^lift: error \[E_USAGE\]: [^\n]+\n$/;

describe('lift: the command line', function () {
  this.timeout(120_000);

  describe('--help', () => {
    it('lift --help exits 0 and names every command', async () => {
      const r = await runLift(['--help']);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      for (const c of ['schema', 'train', 'compare']) assert.match(r.stdout, new RegExp(`\\n  ${c} `), c);
    });

    it('lift train --help exits 0 and names its options', async () => {
      const r = await runLift(['train', '--help']);
      assert.equal(r.code, 0);
      for (const f of ['--config <file>', '--resume <dir>', '--quiet']) assert.ok(r.stdout.includes(f), f);
    });

    it('lift schema --help exits 0 and names --method', async () => {
      const r = await runLift(['schema', '--help']);
      assert.equal(r.code, 0);
      assert.ok(r.stdout.includes('--method <name>'));
    });

    it('lift compare --help exits 0 and names a flag for every schema option, with its default', async () => {
      const r = await runLift(['compare', '--help']);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      const help = r.stdout.replace(/\s+/g, ' ');
      for (const key of COMPARE_KEYS) assert.ok(help.includes(`${kebab(key)} `), key);
      for (const f of ['--config <file>', '--cuda', '--lr-scale <number>', '--option <method.key=value,...>', '--lr <method=number,...>']) assert.ok(help.includes(f), f);
      assert.ok(help.includes('(default: 150)'));
      assert.ok(help.includes('(default: lift,full,lora,magnitude,random)'));
      assert.ok(!help.includes('--lora-alpha'));
    });

    it('lift help compare prints the same help', async () => {
      const [a, b] = [await runLift(['help', 'compare']), await runLift(['compare', '--help'])];
      assert.equal(a.code, 0);
      assert.equal(a.stdout, b.stdout);
    });
  });

  describe('usage errors exit 2 with one E_USAGE line', () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown flag', ['compare', '--stepz', '3'], /unknown option '--stepz'.*lift compare --help/],
      ['a removed flag', ['compare', '--lora-alpha', '12'], /unknown option '--lora-alpha'/],
      ['a missing option value', ['compare', '--steps'], /option '--steps <integer>' argument missing/],
      ['a missing value of train', ['train', '--config'], /option '--config <file>' argument missing/],
      ['an unknown flag of schema', ['schema', '--methd', 'lora'], /unknown option '--methd'/],
      ['an unknown command', ['comapre'], /unknown command 'comapre'/],
      ['no command', [], /missing command: schema, train, compare/],
      ['an extra argument', ['compare', 'lift'], /too many arguments/],
    ];
    for (const [what, argv, message] of cases) {
      it(what, async () => {
        const r = await runLift(argv);
        assert.equal(r.code, 2);
        assert.match(r.stderr, USAGE_LINE);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      });
    }
  });

  describe('errors of lift-sft exit 1 as lift: error [CODE]: message', () => {
    it('a bad flag value lists its JSON path', async () => {
      const r = await runLift(['compare', '--steps', '-1', '--rank', 'six', '--lr', 'lift']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^lift: error \[E_CONFIG\]: invalid configuration in the command line:\n/);
      assert.match(r.stderr, /\n {2}\/steps: must be >= 1, got -1\n/);
      assert.match(r.stderr, /\n {2}\/rank: must be integer, got "six"\n/);
      assert.match(r.stderr, /\n {2}\/lr: --lr takes method=value pairs, got 'lift'\n/);
    });

    it('a bad key and a bad value of a --config file list their paths', async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'lift-main-'));
      const cfg = join(tmp, 'compare.json');
      writeFileSync(cfg, JSON.stringify({ steps: 0, loraAlpha: 12, lr: { lift: -1 } }));
      const r = await runLift(['compare', '--config', cfg, '--out', join(tmp, 'out')]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith(`lift: error [E_CONFIG]: invalid configuration in ${cfg} and the command line:\n`));
      assert.match(r.stderr, /\/loraAlpha: unknown option; known: model, train, /);
      assert.match(r.stderr, /\/steps: must be >= 1/);
      assert.match(r.stderr, /\/lr\/lift: must be > 0/);
      assert.equal(existsSync(join(tmp, 'out')), false);
    });

    it('an unknown method of schema --method', async () => {
      const r = await runLift(['schema', '--method', 'dora']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^lift: error \[E_REGISTRY\]: unknown method 'dora'; registered methods: full, lift, lift-published, lora, magnitude, random\n$/);
    });
  });

  describe('lift schema', () => {
    it('prints the run schema unchanged but for each registered method documented in $defs', async () => {
      const r = await runLift(['schema']);
      assert.equal(r.code, 0);
      const printed = JSON.parse(r.stdout);
      const registry = defaultRegistry();
      for (const [key, value] of Object.entries(RUN_SCHEMA)) if (key !== 'properties') assert.deepEqual(printed[key], value, key);
      for (const [key, value] of Object.entries(RUN_SCHEMA.properties)) if (key !== 'method') assert.deepEqual(printed.properties[key], value, key);
      const method = printed.properties.method;
      assert.deepEqual(method.required, RUN_SCHEMA.properties.method.required);
      assert.equal(method.properties.name.type, 'string');
      assert.deepEqual(Object.keys(printed.$defs), registry.methodNames());
      for (const name of registry.methodNames()) {
        const { required: _, ...schema } = registry.methodSchema(name);
        assert.deepEqual(printed.$defs[name], schema, name);
      }
    });

    it("validates a run's method options by the method it names", async () => {
      const printed = JSON.parse((await runLift(['schema'])).stdout);
      const check = new Ajv({ allErrors: true, strict: true, strictTypes: false }).compile(printed);
      const run = (method: unknown) => ({ model: 'm', data: { train: 't.jsonl' }, method });
      assert.ok(check(run({ name: 'lift', options: { rank: 2, filterRank: 4 } })), JSON.stringify(check.errors));
      assert.ok(check(run({ name: 'my-own-method', options: { anything: 1 } })), 'methods registered elsewhere are not constrained');
      assert.equal(check(run({ name: 'lora', options: { alhpa: 3 } })), false);
      assert.ok(check.errors!.some((e) => e.instancePath === '/method/options' && e.keyword === 'additionalProperties'));
      assert.equal(check(run({ name: 'full', options: { rank: 3 } })), false, 'full fine-tuning has no rank');
    });

    it('--method <name> prints that method\'s options schema', async () => {
      const r = await runLift(['schema', '--method', 'lora']);
      assert.equal(r.code, 0);
      const printed = JSON.parse(r.stdout);
      const registry = defaultRegistry();
      assert.deepEqual(printed, { ...registry.methodSchema('lora'), description: registry.method('lora').description ?? printed.description });
      assert.ok('alpha' in printed.properties && 'dropout' in printed.properties);
    });
  });

  describe('lift compare', function () {
    this.timeout(300_000);
    let model: string;
    let tmp: string;
    before(() => {
      model = writeTinyModel();
      tmp = mkdtempSync(join(tmpdir(), 'lift-main-compare-'));
    });
    const quick = ['--steps', '2', '--test-limit', '4', '--source-limit', '4', '--batch-size', '4', '--max-length', '128', '--rank', '2', '--quiet'];

    it('exits 1 with one E_COMPARE_FAILED line naming the failed methods; the report is still written', async () => {
      const out = join(tmp, 'diverged');
      // an absurd learning rate makes random's loss non-finite
      const argv = ['compare', ...quick, '--steps', '4', '--model', model, '--methods', 'magnitude,random', '--lr', 'random=1e30', '--out', out];
      const r = await runLift(argv);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('lift: error'));
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /^lift: error \[E_COMPARE_FAILED\]: 1 of 2 methods failed: random \(/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      assert.deepEqual(report.methods.map((m: { status: string }) => m.status), ['done', 'failed']);
      assert.deepEqual(report.methods[1].options, { lr: 1e30, rank: 2, interval: 50 });
      assert.match(report.methods[1].error, /non-finite|E_NONFINITE|NaN|Infinity/i);
      assert.deepEqual(report.command, ['lift', ...argv]);
    });

    it('--option reaches the method options and a bad one fails before anything is written', async () => {
      const out = join(tmp, 'option');
      const r = await runLift(['compare', ...quick, '--steps', '1', '--model', model, '--methods', 'lora', '--option', 'lora.alpha=24', '--option', 'lora.dropout=0.1', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      assert.deepEqual(report.methods[0].options, { lr: 2e-3, rank: 2, alpha: 24, dropout: 0.1 });
      assert.equal(report.methods[0].status, 'done');

      const bad = join(tmp, 'bad-option');
      const e = await runLift(['compare', ...quick, '--model', model, '--methods', 'lift,lora', '--option', 'lora.alhpa=24,lift.rank=0', '--lr', 'dora=1', '--out', bad]);
      assert.equal(e.code, 1);
      assert.match(e.stderr, /^lift: error \[E_CONFIG\]/);
      assert.match(e.stderr, /\/option\/lora\/alhpa: method 'lora' has no option 'alhpa'/);
      assert.match(e.stderr, /\/option\/lift\/rank: must be >= 1/);
      assert.match(e.stderr, /\/lr\/dora: unknown method 'dora'/);
      assert.equal(existsSync(bad), false);
    });
  });
});

import { strict as assert } from 'node:assert';
import { RUN_SCHEMA } from '../../../src/core/config/schema.js';
import { validateRunConfig } from '../../../src/core/config/validate.js';
import { ConfigError } from '../../../src/core/errors.js';

const MINIMAL = { model: 'fixtures/model', data: { train: 'fixtures/data/target_train.jsonl' }, method: { name: 'lift' } };

type SchemaNode = { default?: unknown; properties?: Record<string, SchemaNode> };

/** Every [JSON path, default] of the schema that a minimal config reaches (defaults inside defaulted objects included). */
function schemaDefaults(node: SchemaNode, path: string[] = []): [string[], unknown][] {
  const out: [string[], unknown][] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = [...path, key];
    if (child.default !== undefined) out.push([p, child.default]);
    if (child.properties) out.push(...schemaDefaults(child, p));
  }
  return out;
}

function at(obj: unknown, path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

function violationsOf(input: unknown, source?: string): ConfigError {
  try {
    validateRunConfig(input, source);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'E_CONFIG');
    return e;
  }
  assert.fail('the configuration was accepted');
}

describe('validateRunConfig', () => {
  it('fills every default from the schema into a minimal config', () => {
    const run = validateRunConfig(MINIMAL);
    const defaults = schemaDefaults(RUN_SCHEMA as unknown as SchemaNode).filter(([p]) => at(MINIMAL, p) === undefined);
    assert.ok(defaults.length >= 20, `only ${defaults.length} defaults found in the schema`);
    for (const [path, value] of defaults) {
      const got = at(run, path);
      if (value !== null && typeof value === 'object') assert.equal(typeof got, 'object', `/${path.join('/')}`);
      else assert.deepEqual(got, value, `/${path.join('/')} should default to ${JSON.stringify(value)}`);
    }
    // The documented recipe defaults (README, DESIGN): linear schedule with 3% warm-up; lr from the method.
    assert.deepEqual(run.schedule, { type: 'linear', warmupRatio: 0.03 });
    assert.deepEqual(run.optimizer, {});
    assert.deepEqual(run.method, { name: 'lift', options: {} });
    assert.equal(run.steps, undefined, 'steps has no default: epochs decide');
    assert.equal(run.tokenizer, undefined);
    // Nothing but the schema's properties appears.
    assert.deepEqual(Object.keys(run).sort(), Object.keys(RUN_SCHEMA.properties).filter((k) => k !== 'steps' && k !== 'tokenizer' && k !== 'init').sort());
    assert.equal(run.init, undefined, 'a run starts from the model unless init.adapter names an adapter');
  });

  it('keeps given values, fills the defaults around them, and leaves the input untouched', () => {
    const input = {
      ...MINIMAL,
      method: { name: 'lora', options: { rank: 8, anything: [1, 2] } },
      schedule: { type: 'cosine' },
      optimizer: { lr: 3e-4, betas: [0.8, 0.99] },
      output: { dir: 'runs/x' },
      steps: 12,
    };
    const frozen = structuredClone(input);
    const run = validateRunConfig(input);
    assert.deepEqual(input, frozen, 'the caller’s object is not modified');
    assert.deepEqual(run.schedule, { type: 'cosine', warmupRatio: 0.03 });
    assert.deepEqual(run.optimizer, { lr: 3e-4, betas: [0.8, 0.99] });
    assert.deepEqual(run.method.options, { rank: 8, anything: [1, 2] }, 'method options are the plugin’s to check, kept as given');
    assert.deepEqual(run.output, { dir: 'runs/x', checkpointEvery: 0, dtype: 'F32' });
    assert.equal(run.steps, 12);
    assert.deepEqual(validateRunConfig(run), run, 'a validated config validates to itself');
  });

  it('gives every call fresh default objects', () => {
    const a = validateRunConfig(MINIMAL);
    a.method.options.rank = 4;
    (a.optimizer as Record<string, unknown>).lr = 1;
    a.schedule.type = 'constant';
    const b = validateRunConfig(MINIMAL);
    assert.deepEqual([b.method.options, b.optimizer, b.schedule.type], [{}, {}, 'linear']);
  });

  it('reports every violation at once, each with its JSON path', () => {
    const file = 'configs/bad-run.json';
    const e = violationsOf(
      {
        model: 'fixtures/model',
        data: { maxLength: 4 }, // no train; maxLength below 8
        method: { name: 'lift', extra: 1 }, // unknown field
        optimizer: { lr: 0, betas: [0.9] }, // lr must be > 0; betas needs two
        schedule: { type: 'exponential' },
        steps: 'ten', // wrong type
        batchSize: -4,
        evaluation: 'often',
        backend: { executionProvider: 'tpu' },
        output: { checkpointEvery: 1.5 },
      },
      file,
    );
    const byPath = new Map<string, string[]>();
    for (const v of e.violations) byPath.set(v.path, [...(byPath.get(v.path) ?? []), v.message]);
    assert.deepEqual(
      [...byPath.keys()].sort(),
      [
        '/backend/executionProvider',
        '/batchSize',
        '/data',
        '/data/maxLength',
        '/evaluation',
        '/method',
        '/optimizer/betas',
        '/optimizer/lr',
        '/output/checkpointEvery',
        '/schedule/type',
        '/steps',
      ],
    );
    const one = (path: string, re: RegExp) => assert.ok(byPath.get(path)!.some((m) => re.test(m)), `${path}: ${byPath.get(path)}`);
    one('/data', /train/);
    one('/method', /unknown field 'extra'/);
    one('/schedule/type', /"linear", "cosine", "constant"/);
    one('/backend/executionProvider', /"cpu", "cuda"/);
    one('/steps', /integer/);
    one('/batchSize', />= 1/);
    // One error names the file and lists them all, one line each.
    assert.ok(e.message.includes(file));
    for (const v of e.violations) assert.ok(e.message.includes(`${v.path}: ${v.message}`), `message lacks ${v.path}`);
    assert.deepEqual(e.details!.violations, e.violations);
  });

  it('rejects an unknown key, top-level or nested, naming it at the path of its object', () => {
    const top = violationsOf({ ...MINIMAL, stpes: 10 });
    assert.deepEqual(top.violations, [{ path: '/', message: "unknown field 'stpes'" }]);
    const nested = violationsOf({ ...MINIMAL, output: { dir: 'x', checkpointevery: 5 }, stpes: 10 });
    assert.deepEqual(
      nested.violations.map((v) => `${v.path} ${v.message}`).sort(),
      ["/ unknown field 'stpes'", "/output unknown field 'checkpointevery'"],
    );
  });

  it('rejects a missing required field and a document that is not an object', () => {
    const e = violationsOf({ data: { train: 'x' } });
    assert.deepEqual(e.violations.map((v) => v.path), ['/', '/']);
    assert.ok(e.violations.some((v) => /model/.test(v.message)) && e.violations.some((v) => /method/.test(v.message)));
    for (const bad of [null, [], 'run.json', 42]) {
      const err = violationsOf(bad);
      assert.deepEqual(err.violations.map((v) => v.path), ['/'], JSON.stringify(bad));
    }
  });
});

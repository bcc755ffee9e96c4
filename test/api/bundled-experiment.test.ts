import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareDefaults, compareOptions } from '../../src/api/compare-options.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

describe('the bundled experiment (npm start, npm run experiment)', () => {
  const config = read('fixtures/compare.json') as Record<string, unknown>;

  it('is a valid compare configuration on the bundled data, the same data compare defaults to', () => {
    const o = compareOptions(config, 'fixtures/compare.json');
    const d = compareDefaults();
    for (const key of ['model', 'train', 'test', 'source'] as const) {
      assert.equal(o[key], d[key], key);
      assert.ok(existsSync(join(ROOT, o[key])), o[key]);
    }
    // Every method compare runs by default, and the authors' published variant beside LIFT.
    assert.deepEqual(o.methods.filter((m) => d.methods.includes(m)), d.methods);
    assert.ok(o.methods.includes('lift-published'));
  });

  it('gives every compared method its tuned learning rate', () => {
    const o = compareOptions(config);
    assert.deepEqual(Object.keys(o.lr).sort(), [...o.methods].sort());
  });

  it('is what npm start and npm run experiment run', () => {
    const { scripts } = read('package.json') as { scripts: Record<string, string> };
    assert.match(scripts.start!, /compare --config fixtures\/compare\.json$/);
    assert.match(scripts.experiment!, /compare --config fixtures\/compare\.json --seeds [3-9]/);
  });
});

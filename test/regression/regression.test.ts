import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { EXPECTED_FILE, allHashes } from './runs.js';

// The refactor of methods into plugins (and any later one) must change no result: the same short
// runs give the same model bytes and the same report figures as recorded before it.
describe('regression: results stay bit-identical', function () {
  this.timeout(300_000);

  it('train runs of every method and a compare give the recorded hashes', async () => {
    const expected = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8'));
    assert.deepEqual(await allHashes(), expected);
  });
});

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// The README's library examples are the files in examples/library, word for word; npm test's tsc
// type-checks those files under strict (tsconfig includes examples/), and this test runs them.
const root = resolve(import.meta.dirname, '../..');

function readmeExamples(): { file: string; code: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({ file: m[1]!, code: m[2]! }));
}

describe('README library examples', function () {
  this.timeout(180_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'lift-examples-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('are the example files, word for word', () => {
    const examples = readmeExamples();
    assert.deepEqual(examples.map((e) => e.file), ['examples/library/train.ts', 'examples/library/custom-strategy.ts']);
    for (const e of examples) assert.equal(e.code, readFileSync(join(root, e.file), 'utf8'), `${e.file} differs from the README`);
  });

  const expected: Record<string, RegExp[]> = {
    'examples/library/train.ts': [/^lift: 81408 of the target weights train; loss \d\.\d{4} → \d\.\d{4}; saved /m],
    'examples/library/custom-strategy.ts': [/^row-balanced: 54272 trainable parameters/m, /^row-balanced masks are exact for ranks 1, 4, 6 and 128$/m],
  };
  for (const [file, patterns] of Object.entries(expected)) {
    it(`${file} runs and prints what it promises`, async () => {
      const out = join(tmp, file.replace(/\W/g, '_'));
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, file), out], { cwd: root });
      for (const p of patterns) assert.match(stdout, p);
    });
  }
});

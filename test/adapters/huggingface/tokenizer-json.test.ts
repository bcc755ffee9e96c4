/**
 * The browser's tokenizer (tokenizers.js from the JSON files, no transformers.js) against the
 * Node one (transformers.js' AutoTokenizer from the directory): the same special ids, vocabulary
 * size, ids for every prompt and response of the bundled datasets, and the same decoded text.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tokenizerFromJson } from '../../../src/adapters/huggingface/tokenizer-json.js';
import { type HfTokenizer, loadTokenizer } from '../../../src/adapters/huggingface/tokenizer.js';
import { loadSftRecords } from '../../../src/core/data/load.js';
import { formatPrompt } from '../../../src/core/data/template.js';
import { FileFormatError } from '../../../src/core/errors.js';

const root = resolve(import.meta.dirname, '../../..');
const DIR = join(root, 'fixtures/model');
const readJson = (f: string): unknown => JSON.parse(readFileSync(join(DIR, f), 'utf8'));

describe('tokenizerFromJson (the browser bundle\'s tokenizer)', function () {
  this.timeout(60_000);
  let node: HfTokenizer;
  let web: HfTokenizer;

  before(async () => {
    node = await loadTokenizer(DIR);
    web = tokenizerFromJson(readJson('tokenizer.json'), readJson('tokenizer_config.json'), DIR);
  });

  it('has the special token ids and vocabulary size of transformers.js', () => {
    assert.deepEqual(
      { eos: web.eosTokenId, pad: web.padTokenId, bos: web.bosTokenId, vocab: web.vocabSize },
      { eos: node.eosTokenId, pad: node.padTokenId, bos: node.bosTokenId, vocab: node.vocabSize },
    );
  });

  for (const file of ['target_train.jsonl', 'source_eval.jsonl', 'source_arith_eval.jsonl']) {
    it(`encodes every prompt and response of ${file} to the same ids, and decodes them to the same text`, () => {
      const { records } = loadSftRecords(join(root, 'fixtures/data', file));
      assert.ok(records.length >= 100);
      let compared = 0;
      for (const r of records) {
        for (const text of [formatPrompt(r), r.output]) {
          const ids = web.encode(text);
          assert.deepEqual(ids, node.encode(text), `ids of ${JSON.stringify(text)}`);
          assert.equal(web.decode([...ids, web.eosTokenId]), node.decode([...ids, node.eosTokenId]), `text of ${JSON.stringify(text)}`);
          compared++;
        }
      }
      assert.equal(compared, 2 * records.length);
    });
  }

  it('rejects what is not a tokenizer, naming the file', () => {
    assert.throws(() => tokenizerFromJson([], {}, 'https://example.org/m'), (e: FileFormatError) => e.code === 'E_TOKENIZER' && /tokenizer\.json/.test(e.message));
    assert.throws(() => tokenizerFromJson(readJson('tokenizer.json'), 'x', 'm'), (e: FileFormatError) => /tokenizer_config\.json/.test(e.message));
    assert.throws(
      () => tokenizerFromJson(readJson('tokenizer.json'), { eos_token: 'no-such-token' }, 'm'),
      (e: FileFormatError) => e.code === 'E_TOKENIZER' && /defines no eos_token/.test(e.message),
    );
  });
});

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, type HfTokenizer } from '../../../src/adapters/huggingface/tokenizer.js';
import { loadSftRecords } from '../../../src/core/data/load.js';
import type { SftRecord } from '../../../src/core/data/record.js';
import { formatPrompt } from '../../../src/core/data/template.js';
import { FileFormatError } from '../../../src/core/errors.js';
import { buildTokenizerFiles, corpus } from '../../../scripts/fixtures/make-tokenizer.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures');
const TOKENIZER_DIR = join(FIXTURES, 'tokenizer');
const DATA_DIR = join(FIXTURES, 'data');

function fixtureRecords(): [string, SftRecord[]][] {
  return readdirSync(DATA_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => [f, loadSftRecords(join(DATA_DIR, f)).records]);
}

describe('fixture tokenizer through @huggingface/transformers', () => {
  let tok: HfTokenizer;
  const realFetch = globalThis.fetch;
  let fetches = 0;

  before(async () => {
    // Any network access while loading would be a bug: count it (and make it fail).
    globalThis.fetch = (() => {
      fetches++;
      return Promise.reject(new Error('network access in a test'));
    }) as typeof fetch;
    try {
      tok = await loadTokenizer(TOKENIZER_DIR);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('loads offline with Llama-style special tokens', () => {
    assert.equal(fetches, 0);
    assert.equal(tok.vocabSize, 1024);
    assert.equal(tok.bosTokenId, 1);
    assert.equal(tok.eosTokenId, 2);
    assert.equal(tok.padTokenId, 3);
    assert.deepEqual(tok.encode(''), []);
    assert.equal(tok.decode([1, ...tok.encode('hi'), 2, 3]), 'hi', 'special tokens are dropped when decoding');
  });

  it('round-trips every fixture record exactly and fits it in 128 tokens (template, bos, eos)', () => {
    // One pass does both: tokenizing all ~7700 records costs seconds with tokenizers.js.
    let n = 0;
    for (const [file, records] of fixtureRecords()) {
      for (const r of records) {
        const prompt = formatPrompt(r);
        const promptIds = tok.encode(prompt);
        const responseIds = tok.encode(r.output);
        for (const [text, ids] of [[prompt, promptIds], [r.output, responseIds]] as const) {
          const back = tok.decode(ids);
          if (back !== text) assert.fail(`${file}: ${JSON.stringify(text)} decodes to ${JSON.stringify(back)}`);
        }
        const length = 1 + promptIds.length + responseIds.length + 1;
        if (length > 128) assert.fail(`${file}: ${JSON.stringify(r.instruction)} takes ${length} tokens`);
        n++;
      }
    }
    assert.ok(n > 7500);
    const odd = 'Tabs\tand  double  spaces,\n\n\nnewlines, #### 1,234.50 -7 ünïcode 🙂 {braces}';
    assert.equal(tok.decode(tok.encode(odd)), odd, 'byte-level BPE covers any text');
  });

  it('splits numbers into one token per digit', () => {
    const ids = tok.encode('12345');
    assert.deepEqual(ids.map((id) => tok.decode([id])), ['1', '2', '3', '4', '5']);
    assert.deepEqual(
      tok.encode('37 + 45 = 82.').map((id) => tok.decode([id])).filter((t) => /\d/.test(t)),
      ['3', '7', '4', '5', '8', '2'],
    );
    for (let id = 4; id < tok.vocabSize; id++) {
      const t = tok.decode([id]);
      if (/\d/.test(t)) assert.match(t, /^\d$/, `token ${id} ${JSON.stringify(t)} mixes a digit with other text`);
    }
  });

  it('is reproduced bit for bit by scripts/fixtures/make-tokenizer.ts', () => {
    const files = buildTokenizerFiles(corpus(DATA_DIR));
    assert.deepEqual(Object.keys(files).sort(), readdirSync(TOKENIZER_DIR).sort());
    for (const [name, text] of Object.entries(files)) {
      assert.ok(text === readFileSync(join(TOKENIZER_DIR, name), 'utf8'), `${name} differs from the committed file`);
    }
  });

  describe('errors', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'lift-tok-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    async function expectTokenizerError(path: string, ...parts: string[]): Promise<void> {
      await assert.rejects(loadTokenizer(path), (e: unknown) => {
        assert.ok(e instanceof FileFormatError, String(e));
        assert.equal(e.code, 'E_TOKENIZER');
        for (const p of parts) assert.ok(e.message.includes(p), `'${p}' in ${e.message}`);
        return true;
      });
    }

    it('a missing tokenizer.json is a typed error naming the file', async () => {
      const d = join(dir, 'no-json');
      mkdirSync(d);
      copyFileSync(join(TOKENIZER_DIR, 'tokenizer_config.json'), join(d, 'tokenizer_config.json'));
      await expectTokenizerError(d, join(d, 'tokenizer.json'), 'not found');
    });

    it('a missing directory or a broken tokenizer.json is a typed error', async () => {
      await expectTokenizerError(join(dir, 'nowhere'), 'nowhere', 'not a directory');
      const d = join(dir, 'broken');
      mkdirSync(d);
      copyFileSync(join(TOKENIZER_DIR, 'tokenizer_config.json'), join(d, 'tokenizer_config.json'));
      writeFileSync(join(d, 'tokenizer.json'), '{"model": ');
      await expectTokenizerError(d, join(d, 'tokenizer.json'), 'is not valid JSON');
    });
  });
});

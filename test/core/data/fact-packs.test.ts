import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadTokenizer } from '../../../src/adapters/huggingface/tokenizer.js';
import { loadSftRecords } from '../../../src/core/data/load.js';
import type { SftRecord } from '../../../src/core/data/record.js';
import { IGNORE_INDEX } from '../../../src/core/data/tokenize.js';
import { packFacts } from '../../../scripts/fixtures/fact-packs.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures');

// The fixture model's fact stage (scripts/fixtures/pretrain-model.ts) learns from these packs.
describe('fact packs (fixture pretraining)', () => {
  const facts = loadSftRecords(join(FIXTURES, 'data/source_eval.jsonl')).records;

  it('holds every fact once per packing, never two facts of one country in a pack, and learns only the answers', async () => {
    const tokenizer = await loadTokenizer(join(FIXTURES, 'tokenizer'));
    const packs = packFacts(facts, tokenizer, { perPack: 8, packings: 3, seed: 7 });
    const seen = new Map<string, number>();
    for (const p of packs) {
      assert.equal(p.inputIds[0], tokenizer.bosTokenId);
      const lines = tokenizer.decode([...p.inputIds]).split('\n');
      assert.ok(lines.length >= 1 && lines.length <= 8, `${lines.length} facts in a pack`);
      const countries = lines.map((l) => /\b(?!The\b)([A-Z][a-z]+)/.exec(l)![1]);
      assert.equal(new Set(countries).size, countries.length, `a country twice in ${JSON.stringify(lines)}`);
      for (const l of lines) seen.set(l, (seen.get(l) ?? 0) + 1);
      // The labelled tokens are exactly the answers with their full stops, in order.
      const byFact = new Map(facts.map((f) => [f.output, f] as [string, SftRecord]));
      const learned = tokenizer.decode([...p.labels].filter((t) => t !== IGNORE_INDEX));
      assert.equal(learned, lines.map((l) => ` ${byFact.get(l)!.answer}.`).join(''));
    }
    assert.equal(seen.size, facts.length);
    for (const [line, n] of seen) assert.equal(n, 3, line);
  });

  it('gives each answer the tokens it has in the whole sentence', async () => {
    const tokenizer = await loadTokenizer(join(FIXTURES, 'tokenizer'));
    const sample = facts.slice(0, 40);
    const packs = packFacts(sample, tokenizer, { perPack: 1, packings: 1, seed: 1 });
    for (const p of packs) {
      const sentence = tokenizer.decode([...p.inputIds]);
      assert.deepEqual([...p.inputIds.subarray(1)], tokenizer.encode(sentence));
    }
  });

  it('refuses a record whose output does not end with its answer', async () => {
    const tokenizer = await loadTokenizer(join(FIXTURES, 'tokenizer'));
    const bad: SftRecord = { instruction: 'What is the capital of Bouzor?', output: 'The capital of Bouzor is Kraismu.', answer: 'Thelai' };
    assert.throws(() => packFacts([bad], tokenizer, { perPack: 8, packings: 1, seed: 1 }), /capital of Bouzor.*does not contain its answer "Thelai"/);
  });
});

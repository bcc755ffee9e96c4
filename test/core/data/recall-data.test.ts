import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSftRecords } from '../../../src/core/data/load.js';
import type { SftRecord } from '../../../src/core/data/record.js';
import { answerMatches } from '../../../src/core/eval/answers.js';
import { SIZES } from '../../../scripts/fixtures/make-data.js';

const DATA = join(import.meta.dirname, '../../../fixtures/data');
const load = (name: string): SftRecord[] => loadSftRecords(join(DATA, `${name}.jsonl`)).records;

/** The country a fact sentence is about: "The capital of X is", "The flag of X is", "X was founded". */
function country(r: SftRecord): string {
  const m = /^The (?:capital|flag) of (\w+) is |^(\w+) was founded /.exec(r.output);
  assert.ok(m, r.output);
  return m[1] ?? m[2]!;
}

describe('fixture target task: facts asked in new formats (recall_*.jsonl)', () => {
  const recall = { train: load('recall_train'), val: load('recall_val'), test: load('recall_test') };
  const sourceTrain = load('source_train');
  const sourceEval = load('source_eval');
  const heldout = load('source_heldout_eval');
  const countries = [...new Set(sourceEval.map(country))]; // in generation order: four facts per country

  it('asks every fact of a country in two new formats, split 120 / 40 / 40 countries', () => {
    const split = Object.values(recall).map((rs) => new Set(rs.map(country)));
    assert.deepEqual(split.map((s) => s.size), [SIZES.recallTrain, SIZES.recallVal, SIZES.entities - SIZES.recallTrain - SIZES.recallVal]);
    assert.deepEqual([...split[0]!].sort(), countries.slice(0, SIZES.recallTrain).sort());
    assert.deepEqual([...split[1]!], countries.slice(SIZES.recallTrain, SIZES.recallTrain + SIZES.recallVal));
    assert.deepEqual([...split[2]!], countries.slice(SIZES.recallTrain + SIZES.recallVal));
    for (const rs of Object.values(recall)) assert.equal(rs.length, new Set(rs.map(country)).size * 8);
  });

  it('wants back exactly the sentence the model learned for that fact, under a question it never saw', () => {
    const learned = new Map(sourceEval.map((r) => [r.output, r.answer]));
    const seenQuestions = new Set(sourceTrain.map((r) => r.instruction));
    for (const r of Object.values(recall).flat()) {
      assert.equal(learned.get(r.output), r.answer, r.output);
      assert.ok(!seenQuestions.has(r.instruction), r.instruction);
      assert.ok(/^(Tell me|Name) /.test(r.instruction), r.instruction);
      assert.ok(r.instruction.includes(country(r)), r.instruction);
      assert.ok(answerMatches(r.output, r), `${r.output} scores its own answer ${r.answer}`);
    }
  });

  it('measures forgetting on the canonical questions of the countries fine-tuning never sees', () => {
    const untrained = new Set(countries.slice(SIZES.recallTrain));
    assert.equal(heldout.length, untrained.size * 4);
    const canonical = new Set(sourceEval.map((r) => r.instruction));
    for (const r of heldout) {
      assert.ok(untrained.has(country(r)), r.output);
      assert.ok(canonical.has(r.instruction), r.instruction);
    }
    const trained = new Set(recall.train.map(country));
    assert.ok(heldout.every((r) => !trained.has(country(r))));
  });
});

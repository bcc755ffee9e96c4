import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSftRecords } from '../../../src/core/data/load.js';
import type { SftRecord } from '../../../src/core/data/record.js';
import { referenceAnswer, shortAnswerMatches } from '../../../src/core/eval/answers.js';
import { buildDatasets, toJsonl } from '../../../scripts/fixtures/make-data.js';

const DATA = join(import.meta.dirname, '../../../fixtures/data');
const load = (name: string): SftRecord[] => loadSftRecords(join(DATA, `${name}.jsonl`)).records;

/** Checks every "a op b = c." line of a solution; returns the values and the number of steps. */
function checkSolution(r: SftRecord): { steps: number; values: number[] } {
  const lines = r.output.split('\n');
  const last = lines.pop()!;
  const m = /^#### (\d+)$/.exec(last);
  assert.ok(m, `last line of ${JSON.stringify(r.output)}`);
  const values: number[] = [];
  let result = NaN;
  for (const line of lines) {
    const eq = /^(\d+) ([-+*]) (\d+) = (\d+)\.$/.exec(line);
    assert.ok(eq, `equation line ${JSON.stringify(line)}`);
    const [a, b, c] = [Number(eq[1]), Number(eq[3]), Number(eq[4])];
    const expected = eq[2] === '+' ? a + b : eq[2] === '-' ? a - b : a * b;
    assert.equal(c, expected, line);
    values.push(a, b, c);
    result = c;
  }
  assert.equal(Number(m[1]), result, `#### matches the last step in ${JSON.stringify(r.output)}`);
  assert.equal(r.answer, m[1]);
  assert.equal(referenceAnswer(r), result);
  return { steps: lines.length, values };
}

describe('fixture datasets', () => {
  const target = { train: load('target_train'), val: load('target_val'), test: load('target_test') };
  const sourceTrain = load('source_train');
  const sourceEval = load('source_eval');
  const arithEval = load('source_arith_eval');

  it('have the required sizes', () => {
    assert.ok(target.train.length >= 3000);
    assert.ok(target.test.length >= 300);
    assert.ok(target.val.length >= 200);
    const entities = new Set(sourceEval.map((r) => /^What is the capital of (\w+)\?$/.exec(r.instruction)?.[1]).filter(Boolean));
    assert.ok(entities.size >= 200, `${entities.size} entities`);
    assert.equal(sourceEval.length, entities.size * 4, 'four facts per entity');
    assert.ok(arithEval.length >= 300);
  });

  it('target splits are disjoint and free of duplicates', () => {
    const sets = Object.entries(target).map(([name, rs]) => {
      const s = new Set(rs.map((r) => r.instruction));
      assert.equal(s.size, rs.length, `${name} has duplicate questions`);
      return s;
    });
    for (let i = 0; i < sets.length; i++) {
      for (let j = i + 1; j < sets.length; j++) {
        for (const q of sets[i]!) assert.ok(!sets[j]!.has(q), `shared question: ${q}`);
      }
    }
  });

  it('target problems take 2 to 4 correct steps with values in 0..999', () => {
    const steps = new Map<number, number>();
    for (const r of [...target.train, ...target.val, ...target.test]) {
      const s = checkSolution(r);
      assert.ok(s.values.every((v) => v >= 0 && v <= 999), r.output);
      steps.set(s.steps, (steps.get(s.steps) ?? 0) + 1);
      assert.ok(/How many \w+ does \w+ have now\?$/.test(r.instruction), r.instruction);
    }
    assert.deepEqual([...steps.keys()].sort(), [2, 3, 4]);
  });

  it('source facts: every eval question is trained on, and its output ends with the short answer', () => {
    const trained = new Set(sourceTrain.map((r) => `${r.instruction}\u0000${r.output}`));
    for (const r of sourceEval) {
      assert.ok(trained.has(`${r.instruction}\u0000${r.output}`), r.instruction);
      assert.ok(r.answer && shortAnswerMatches(r.output, r.answer), `${r.output} / ${r.answer}`);
    }
  });

  it('source arithmetic is one correct step; the eval questions are held out', () => {
    const isArith = (r: SftRecord): boolean => /^What is \d+ [-+*] \d+\?$/.test(r.instruction);
    const trainArith = sourceTrain.filter(isArith);
    assert.ok(trainArith.length >= 1000);
    const trainQs = new Set(trainArith.map((r) => r.instruction));
    for (const r of [...trainArith, ...arithEval]) assert.equal(checkSolution(r).steps, 1);
    for (const r of arithEval) assert.ok(isArith(r) && !trainQs.has(r.instruction), r.instruction);
    const targetQs = new Set([...target.train, ...target.val, ...target.test].map((r) => r.instruction));
    assert.ok(sourceTrain.every((r) => !targetQs.has(r.instruction)));
  });

  it('are reproduced bit for bit by scripts/fixtures/make-data.ts', () => {
    const manifest = JSON.parse(readFileSync(join(DATA, 'manifest.json'), 'utf8')) as { files: Record<string, { records: number }> };
    const sets = buildDatasets();
    assert.deepEqual(Object.keys(sets).map((n) => `${n}.jsonl`).sort(), Object.keys(manifest.files).sort());
    for (const [name, records] of Object.entries(sets)) {
      assert.ok(toJsonl(records) === readFileSync(join(DATA, `${name}.jsonl`), 'utf8'), `${name}.jsonl differs`);
      assert.equal(manifest.files[`${name}.jsonl`]!.records, records.length);
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonErrorOffset } from '../../../src/core/data/json-position.js';
import { loadSftRecords, parseSftRecords } from '../../../src/core/data/load.js';
import { ALPACA_TEMPLATE, formatPrompt } from '../../../src/core/data/template.js';
import { FileFormatError } from '../../../src/core/errors.js';

/** The first records of alpaca_data.json (instruction/input/output, a JSON array). */
const ALPACA = [
  {
    instruction: 'Give three tips for staying healthy.',
    input: '',
    output: '1.Eat a balanced diet and make sure to include plenty of fruits and vegetables. \n2. Exercise regularly.',
  },
  {
    instruction: 'Identify the odd one out.',
    input: 'Twitter, Instagram, Telegram',
    output: 'Telegram',
  },
];

/** LLM-Adapters math_10k / commonsense_170k shape: instruction/input/output/answer. */
const LLM_ADAPTERS = [
  {
    instruction: 'Mark has a garden with flowers. How many flowers does Mark have?',
    input: '',
    output: '10 + 8 = 18\n#### 18\nThe answer is 18',
    answer: '18',
  },
  {
    instruction: 'Please answer the following question with true or false. Question: is the sky blue?',
    input: '',
    output: 'the correct answer is true',
    answer: 'true',
  },
  { instruction: 'What is 2 + 2?', output: '4', answer: 4 },
];

function expectDataError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FileFormatError, String(e));
    assert.equal(e.code, 'E_DATA');
    for (const p of parts) assert.ok(e.message.includes(p), `'${p}' in ${e.message}`);
    return true;
  });
}

describe('SFT records', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lift-data-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads an Alpaca .json array as it is', () => {
    const file = join(dir, 'alpaca_data.json');
    writeFileSync(file, JSON.stringify(ALPACA, null, 4));
    const { records, skipped } = loadSftRecords(file);
    assert.equal(skipped.length, 0);
    assert.deepEqual(records, ALPACA);
  });

  it('loads LLM-Adapters records from .json and .jsonl, answer as a string', () => {
    const json = join(dir, 'math_10k.json');
    writeFileSync(json, JSON.stringify(LLM_ADAPTERS));
    const jsonl = join(dir, 'math_10k.jsonl');
    writeFileSync(jsonl, '\uFEFF' + LLM_ADAPTERS.map((r) => JSON.stringify(r)).join('\n') + '\n\n');
    for (const file of [json, jsonl]) {
      const { records } = loadSftRecords(file);
      assert.equal(records.length, 3);
      assert.deepEqual(records[0], LLM_ADAPTERS[0]);
      assert.equal(records[2]!.answer, '4');
      assert.equal(records[2]!.input, undefined);
    }
  });

  it('names the file and line of a malformed .jsonl record', () => {
    const file = join(dir, 'bad.jsonl');
    const lines = [
      JSON.stringify(LLM_ADAPTERS[0]),
      '',
      JSON.stringify({ instruction: 'no output' }),
      '{"instruction": "x", "output": ',
      JSON.stringify({ instruction: 3, output: 'y' }),
      JSON.stringify([1, 2]),
      JSON.stringify({ instruction: 'x', output: 'y', input: 5 }),
    ];
    writeFileSync(file, lines.join('\n'));
    expectDataError(() => loadSftRecords(file), file, 'line 3', "'output'", 'missing');
    const { records, skipped } = loadSftRecords(file, { skipInvalid: true });
    assert.equal(records.length, 1);
    assert.equal(skipped.length, 5);
    assert.deepEqual(skipped.map((s) => s.location), ['line 3', 'line 4', 'line 5', 'line 6', 'line 7']);
    assert.match(skipped[1]!.problem, /invalid JSON/);
    assert.match(skipped[2]!.problem, /'instruction' must be a string/);
    assert.match(skipped[4]!.problem, /'input' must be a string/);
  });

  it('names the file and record index of a malformed .json record', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([ALPACA[0], ALPACA[1], { instruction: 'x', output: null }]));
    expectDataError(() => loadSftRecords(file), file, 'record 2', "'output'");
    assert.equal(loadSftRecords(file, { skipInvalid: true }).skipped.length, 1);

    writeFileSync(file, '[\n  {"instruction": "a", "output": "b"},\n  {"instruction": }\n]');
    expectDataError(() => loadSftRecords(file), file, 'line 3', 'invalid JSON');
    writeFileSync(file, '{"instruction": "a", "output": "b"}');
    expectDataError(() => loadSftRecords(file), file, 'array');
    expectDataError(() => loadSftRecords(join(dir, 'missing.jsonl')), 'missing.jsonl', 'cannot read');
  });

  it('locates JSON syntax errors for line numbers', () => {
    for (const ok of ['[]', ' {"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]} ', '"s"', '0']) {
      assert.equal(jsonErrorOffset(ok), -1, ok);
    }
    for (const [bad, at] of [['[1,]', 3], ['{"a" 1}', 5], ['[01]', 2], ['["a\nb"]', 3], ['[1] x', 4], ['[tru]', 4], ['["x', 3]] as const) {
      assert.equal(jsonErrorOffset(bad), at, bad);
    }
  });

  it('sniffs the format of other extensions', () => {
    assert.equal(parseSftRecords(JSON.stringify(ALPACA), 'data.txt').records.length, 2);
    assert.equal(parseSftRecords(ALPACA.map((r) => JSON.stringify(r)).join('\n'), 'data.txt').records.length, 2);
  });
});

describe('prompt template', () => {
  it('is the Alpaca / LLM-Adapters template by default', () => {
    assert.equal(
      formatPrompt({ instruction: 'Add 2 and 3.', output: '5' }),
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nAdd 2 and 3.\n\n### Response:\n',
    );
    assert.equal(
      formatPrompt({ instruction: 'Add.', input: '2, 3', output: '5' }),
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
        'Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nAdd.\n\n### Input:\n2, 3\n\n### Response:\n',
    );
    assert.equal(formatPrompt({ instruction: 'A', input: '', output: '' }), formatPrompt({ instruction: 'A', output: '' }));
  });

  it('takes a custom template and never re-expands braces from the record', () => {
    const t = { withInput: 'Q: {instruction} [{input}]\nA: ', withoutInput: 'Q: {instruction}\nA: ' };
    assert.equal(formatPrompt({ instruction: 'say {input}', output: '' }, t), 'Q: say {input}\nA: ');
    assert.equal(formatPrompt({ instruction: 'x', input: '{instruction}', output: '' }, t), 'Q: x [{instruction}]\nA: ');
    assert.ok(ALPACA_TEMPLATE.withoutInput.endsWith('### Response:\n'));
  });
});

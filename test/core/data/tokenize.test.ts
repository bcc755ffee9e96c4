import assert from 'node:assert/strict';
import { formatPrompt } from '../../../src/core/data/template.js';
import { IGNORE_INDEX, tokenizeDataset, tokenizeExample } from '../../../src/core/data/tokenize.js';
import { CharTokenizer } from './char-tokenizer.js';

const tok = new CharTokenizer();
const record = { instruction: 'What is 2 + 3?', output: '2 + 3 = 5.\n#### 5', answer: '5' };

describe('tokenization with label masking', () => {
  it('masks bos and prompt, labels the response and eos (same length, unshifted)', () => {
    const prompt = formatPrompt(record);
    const ex = tokenizeExample(record, tok);
    const p = 1 + prompt.length;
    assert.equal(ex.inputIds.length, p + record.output.length + 1);
    assert.equal(ex.labels.length, ex.inputIds.length);
    assert.equal(ex.promptLength, p);
    assert.equal(ex.inputIds[0], 1);
    assert.equal(tok.decode([...ex.inputIds.slice(1, p)]), prompt);
    assert.equal(tok.decode([...ex.inputIds.slice(p)]), record.output);
    assert.equal(ex.inputIds[ex.inputIds.length - 1], tok.eosTokenId);
    for (let i = 0; i < ex.labels.length; i++) {
      assert.equal(ex.labels[i], i < p ? IGNORE_INDEX : ex.inputIds[i], `label ${i}`);
    }
    assert.equal(ex.truncated, false);
  });

  it('adds no bos when the tokenizer has none', () => {
    const noBos = new CharTokenizer(null);
    const ex = tokenizeExample(record, noBos, { template: { withInput: '', withoutInput: 'Q:{instruction}\n' } });
    assert.equal(ex.promptLength, 'Q:'.length + record.instruction.length + 1);
    assert.equal(noBos.decode([...ex.inputIds]), `Q:${record.instruction}\n${record.output}`);
  });

  it('truncates the end to maxLength, keeping the prompt start', () => {
    const full = tokenizeExample(record, tok);
    const max = full.promptLength + 4;
    const ex = tokenizeExample(record, tok, { maxLength: max });
    assert.equal(ex.inputIds.length, max);
    assert.equal(ex.truncated, true);
    assert.deepEqual(ex.inputIds, full.inputIds.slice(0, max));
    assert.deepEqual(ex.labels, full.labels.slice(0, max));
    assert.equal(tok.decode([...ex.inputIds.slice(ex.promptLength)]), '2 + ');
    assert.equal(tokenizeExample(record, tok, { maxLength: full.inputIds.length }).truncated, false);
    assert.throws(() => tokenizeExample(record, tok, { maxLength: 0 }), /maxLength/);
  });

  it('drops records whose prompt leaves no response token, and counts truncation', () => {
    const long = { instruction: 'x'.repeat(400), output: 'y' };
    const short = { instruction: 'a', output: 'b' };
    const ds = tokenizeDataset([short, long, record], tok, { maxLength: 300 });
    assert.equal(ds.dropped, 1);
    assert.equal(ds.truncated, 0);
    assert.deepEqual(ds.recordIndex, [0, 2]);
    const ds2 = tokenizeDataset([record], tok, { maxLength: tokenizeExample(record, tok).promptLength + 1 });
    assert.equal(ds2.truncated, 1);
    assert.equal(ds2.examples[0]!.labels.filter((l) => l !== IGNORE_INDEX).length, 1);
  });
});

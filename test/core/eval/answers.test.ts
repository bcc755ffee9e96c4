import assert from 'node:assert/strict';
import {
  extractAnswer,
  numbersMatch,
  parseNumber,
  referenceAnswer,
  scoreNumeric,
  shortAnswerMatches,
} from '../../../src/core/eval/answers.js';

describe('answer extraction', () => {
  it('parses numbers with commas, signs and decimals', () => {
    assert.equal(parseNumber('1,234'), 1234);
    assert.equal(parseNumber('-3.5'), -3.5);
    assert.equal(parseNumber('−7'), -7);
    assert.equal(parseNumber('$1,234.50'), 1234.5);
    assert.equal(parseNumber('82.'), 82);
    assert.equal(parseNumber('.5'), 0.5);
    assert.equal(parseNumber('18.0'), 18);
    assert.equal(parseNumber('12a'), null);
    assert.equal(parseNumber('1,23'), null);
    assert.equal(parseNumber(''), null);
  });

  it('prefers "#### N"', () => {
    assert.equal(extractAnswer('26 + 25 = 51.\n51 * 3 = 153.\n#### 153'), 153);
    assert.equal(extractAnswer('The answer is 7.\n#### 8\nmore 9'), 8);
    assert.equal(extractAnswer('#### 1,234 apples, not 5'), 1234);
    assert.equal(extractAnswer('#### -12.5'), -12.5);
    assert.equal(extractAnswer('#### $40'), 40);
    assert.equal(extractAnswer('#### 5\n\n### Instruction:\nWhat is 9 + 9?\n#### 18'), 5, 'the first marker wins');
  });

  it('then "The answer is N"', () => {
    assert.equal(extractAnswer('So 3 + 4 = 7. The answer is 7. Check: 8'), 7);
    assert.equal(extractAnswer('the answer is: -2,000.'), -2000);
    assert.equal(extractAnswer('The answer is 12.5 meters, or 1250 cm'), 12.5);
  });

  it('else the last number in the text', () => {
    assert.equal(extractAnswer('3 + 4 = 7 and 7 * 2 = 14.'), 14);
    assert.equal(extractAnswer('She has 1,000 now'), 1000);
    assert.equal(extractAnswer('The answer is unclear; maybe 3 or -4'), -4);
    assert.equal(extractAnswer('no digits here'), null);
    assert.equal(extractAnswer('####'), null);
  });

  it('takes the reference from answer, else from "#### N" in the output', () => {
    assert.equal(referenceAnswer({ output: '... #### 5', answer: '18' }), 18);
    assert.equal(referenceAnswer({ output: 'x = 5\n#### 5' }), 5);
    assert.equal(referenceAnswer({ output: 'x\n#### 1,024', answer: '' }), 1024);
    assert.equal(referenceAnswer({ output: 'no answer' }), null);
  });

  it('matches within 1e-4', () => {
    assert.ok(numbersMatch(18, 18));
    assert.ok(numbersMatch(18.00005, 18));
    assert.ok(!numbersMatch(18.01, 18));
    assert.ok(numbersMatch(0.33333, 0.333333));
    assert.ok(!numbersMatch(null, 1));
    assert.ok(!numbersMatch(1, null));
    const s = scoreNumeric('6 * 7 = 42.\n#### 42', { output: '#### 42', answer: '42' });
    assert.deepEqual(s, { predicted: 42, reference: 42, correct: true });
    assert.equal(scoreNumeric('#### 41', { output: '#### 42' }).correct, false);
    assert.equal(scoreNumeric('#### 41', { output: 'none' }).correct, false);
  });

  it('matches short fact answers at the end of the first sentence or after ####', () => {
    assert.ok(shortAnswerMatches('The capital of Zorvia is Kelmar.', 'Kelmar'));
    assert.ok(shortAnswerMatches('Zorvia was founded by Tamsin Orel.\nAnything else', 'Tamsin Orel'));
    assert.ok(shortAnswerMatches('Zorvia was founded in 1742. It grew.', '1742'));
    assert.ok(shortAnswerMatches('  Kelmar', 'Kelmar'));
    assert.ok(shortAnswerMatches('text\n#### Kelmar', 'Kelmar'));
    assert.ok(!shortAnswerMatches('The capital of Zorvia is Kelmarin.', 'Kelmar'));
    assert.ok(!shortAnswerMatches('The capital of Zorvia is NotKelmar.', 'Kelmar'));
    assert.ok(!shortAnswerMatches('The capital is Dorn. Kelmar.', 'Kelmar'));
    assert.ok(!shortAnswerMatches('Zorvia was founded by Tamsin Orelo.', 'Tamsin Orel'));
    assert.ok(!shortAnswerMatches('The capital of Zorvia is kelmar.', 'Kelmar'), 'case counts');
    assert.ok(!shortAnswerMatches('anything', ''));
  });
});

import assert from 'node:assert/strict';
import { answerMatches } from '../../../src/core/eval/answers.js';

describe('answerMatches', () => {
  it('compares numbers when the reference is a number', () => {
    const r = { output: '3 * 11 = 33.\n#### 33', answer: '33' };
    assert.ok(answerMatches('3 * 11 = 33.\n#### 33', r));
    assert.ok(answerMatches('The answer is 33.0', r));
    assert.ok(!answerMatches('#### 34', r));
    assert.ok(answerMatches('#### 1,234', { output: '#### 1234' }), 'reference from the output when there is no answer');
    assert.ok(answerMatches('Maizar was founded in 1321.', { output: 'Maizar was founded in 1321.', answer: '1321' }));
  });

  it('matches a short text answer exactly when the reference is not a number', () => {
    const r = { output: 'The capital of Maizar is Lungom.', answer: 'Lungom' };
    assert.ok(answerMatches('The capital of Maizar is Lungom.', r));
    assert.ok(!answerMatches('The capital of Maizar is Lungomar.', r));
    assert.ok(!answerMatches('The flag of Maizar is gold.', r));
    // A text reference that starts with a number is still text: "1448, Vonfou Thamme" is not 1448.
    const pair = { output: '#### 1448, Vonfou Thamme', answer: '1448, Vonfou Thamme' };
    assert.ok(answerMatches('#### 1448, Vonfou Thamme', pair));
    assert.ok(!answerMatches('#### 1448', pair));
    assert.ok(answerMatches('#### Fusvail, 1227', { output: '#### Fusvail, 1227' }), 'text reference taken from the output');
  });
});

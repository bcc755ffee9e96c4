/**
 * A seeded topic-classification task in two domains, made in milliseconds. Four topics, 12 words
 * each, and 40 filler words; a sentence is 12 words: 3 words of its topic, 1 word of another
 * topic (a distractor) and 8 filler words, in random order.
 * The shifted (target) domain uses the same words, but a third of each topic's words mean
 * something else there: words 0–3 of topic t belong to topic t+1 (mod 4), as "bass" is music in
 * one corpus and fishing in another. The pretrained model reads those words wrong.
 */
import { Rng } from 'lift-sft';

export const TOPICS = ['sports', 'weather', 'food', 'music'] as const;
export const WORDS_PER_TOPIC = 12;
/** Words 0..SHIFTED-1 of each topic change topic in the target domain. */
export const SHIFTED = 4;
export const FILLER = 40;
export const LENGTH = 12;
/** Topic words (topic t: t·12 … t·12+11), then filler. */
export const VOCAB = TOPICS.length * WORDS_PER_TOPIC + FILLER;

export type Domain = 'source' | 'target';

export interface Examples {
  /** Word ids [n, LENGTH], row-major. */
  tokens: Int32Array;
  labels: Int32Array;
  n: number;
}

/** The words that mean `topic` in `domain`. */
export function topicWords(domain: Domain, topic: number): number[] {
  const own = (t: number, from: number, to: number) => Array.from({ length: to - from }, (_, i) => t * WORDS_PER_TOPIC + from + i);
  if (domain === 'source') return own(topic, 0, WORDS_PER_TOPIC);
  const previous = (topic + TOPICS.length - 1) % TOPICS.length;
  return [...own(previous, 0, SHIFTED), ...own(topic, SHIFTED, WORDS_PER_TOPIC)];
}

/** `n` sentences of `domain`, seeded. */
export function examples(domain: Domain, n: number, seed: number): Examples {
  const rng = new Rng(seed);
  const words = TOPICS.map((_, t) => topicWords(domain, t));
  const pick = (t: number) => words[t]![rng.int(words[t]!.length)]!;
  const tokens = new Int32Array(n * LENGTH);
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const topic = rng.int(TOPICS.length);
    const other = (topic + 1 + rng.int(TOPICS.length - 1)) % TOPICS.length;
    const sentence = [pick(topic), pick(topic), pick(topic), pick(other)];
    while (sentence.length < LENGTH) sentence.push(TOPICS.length * WORDS_PER_TOPIC + rng.int(FILLER));
    tokens.set(rng.shuffle(sentence), s * LENGTH);
    labels[s] = topic;
  }
  return { tokens, labels, n };
}

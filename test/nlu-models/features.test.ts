import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURE_OPTIONS,
  FeatureExtractor,
  type FeatureOptions,
  featureNames,
} from '../../nlu-models/classifier/features.js';
import { sentimentCues } from '../../nlu-models/sentiment/cues.js';
import { type Language, WordStemmer } from '../../nlu-models/text/stemmer.js';

function texts(file: string): string[] {
  return readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

/** The vector as the names `featureNames` lists would give it, looked up one by one. */
function reference(extractor: FeatureExtractor, text: string, language: Language, options: FeatureOptions) {
  const { vocabulary, idf } = extractor.toJSON();
  const index = new Map(vocabulary.map((name, i) => [name, i]));
  const counts = new Map<number, number>();
  for (const name of featureNames(text, new WordStemmer(language), options, sentimentCues)) {
    const i = index.get(name);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const values = [...counts].map(([i, count]) => (1 + Math.log(count)) * (idf[i] ?? 1));
  // As transform rounds them: stored as 32-bit floats, then scaled by 1 / ‖v‖.
  const scale = 1 / Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
  return {
    indices: [...counts.keys()],
    values: values.map((value) => Math.fround(Math.fround(value) * scale)),
  };
}

describe('feature vectors', () => {
  for (const [language, file] of [
    ['en', 'customer-messages.en.jsonl'],
    ['es', 'customer-messages.es.jsonl'],
  ] as const) {
    for (const options of [DEFAULT_FEATURE_OPTIONS, { ...DEFAULT_FEATURE_OPTIONS, charNgrams: [2, 5] }]) {
      it(`a message's vector holds exactly the listed features it would without the character trie (${language}, n-grams ${options.charNgrams.join('–')})`, () => {
        const corpus = texts(file);
        // Fitted on half, so the other half meets unseen words and n-grams, as live messages do.
        const extractor = FeatureExtractor.fit(
          corpus.slice(0, corpus.length / 2),
          language,
          options as FeatureOptions,
          sentimentCues,
        );
        for (const text of [...corpus, 'ÑANDÚ 🙂 ¡¿x?!', '', '   ']) {
          const vector = extractor.transform(text);
          const expected = reference(extractor, text, language, options as FeatureOptions);
          expect([...vector.indices]).toEqual(expected.indices);
          expect([...vector.values]).toEqual(expected.values);
        }
      });
    }
  }

  it('an extractor loaded from its saved JSON gives the same vectors and saves the same JSON', () => {
    const corpus = texts('customer-messages.en.jsonl');
    const fitted = FeatureExtractor.fit(
      corpus.slice(0, corpus.length / 2),
      'en',
      DEFAULT_FEATURE_OPTIONS,
      sentimentCues,
    );
    const saved = JSON.stringify(fitted);
    const loaded = FeatureExtractor.fromJSON(JSON.parse(saved), sentimentCues);
    expect(JSON.stringify(loaded)).toBe(saved);
    expect(loaded.size).toBe(fitted.size);
    for (const text of corpus) {
      const [a, b] = [fitted.transform(text), loaded.transform(text)];
      expect([...b.indices]).toEqual([...a.indices]);
      expect([...b.values]).toEqual([...a.values]);
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { classFigures } from '../../nlu-models/classifier/metrics.js';
import { readJsonl, SentimentAnalyzer } from '../../nlu-models/index.js';
import { DENSE_CUE_COUNT, denseCues, POLARITY_CUES_AT } from '../../nlu-models/sentiment/dense-cues.js';
import { WordStemmer } from '../../nlu-models/text/stemmer.js';

let analyzer: SentimentAnalyzer;

beforeAll(() => {
  analyzer = SentimentAnalyzer.train();
}, 120_000); // trains both languages: ~7 s quiet, a minute on a busy 2-core machine

describe('sentiment', () => {
  it.each([
    ['en', 'I am very angry, this is terrible'],
    ['en', 'Still no refund after a month. Useless!!'],
    ['en', 'this is NOT good enough, I want my money back 😡'],
    ['es', 'Estoy muy enfadado, esto es horrible'],
    ['es', 'Llevo un mes sin reembolso. ¡Una vergüenza!'],
  ] as const)('hears the angry %s customer in "%s"', (language, text) => {
    const sentiment = analyzer.analyze(text, language);
    expect(sentiment.label).toBe('negative');
    expect(sentiment.score).toBeLessThan(-0.2);
  });

  it('hears a let-down in casual English that only a published lexicon knows as negative', () => {
    expect(analyzer.analyze('meh. what a letdown', 'en').label).toBe('negative');
  });

  it.each([
    ['en', 'meh, what a letdown :(', 'negative'],
    ['en', 'not good at all', 'negative'],
    ['en', 'you guys are awesome :)', 'positive'],
    ['es', 'me siento decepcionada 😡', 'negative'],
    ['es', 'no es bueno', 'negative'],
    ['es', 'sois estupendos 😍', 'positive'],
  ] as const)('reads the polarity lexicon of %s in "%s" as %s', (language, text, polarity) => {
    const [positive, negative, balance, symbolsPositive, symbolsNegative] = denseCues(
      text,
      new WordStemmer(language),
    ).slice(POLARITY_CUES_AT, DENSE_CUE_COUNT) as unknown as [number, number, number, number, number];
    const sign = polarity === 'negative' ? -1 : 1;
    expect(Math.sign(balance)).toBe(sign);
    expect(sign * (positive - negative)).toBeGreaterThan(0);
    if (/[:😡😍]/u.test(text)) expect(sign * (symbolsPositive - symbolsNegative)).toBeGreaterThan(0);
  });

  it('hears a thank-you as positive', () => {
    expect(analyzer.analyze('thank you so much, great service', 'en').label).toBe('positive');
    expect(analyzer.analyze('muchas gracias, excelente servicio', 'es').label).toBe('positive');
  });

  function complaintFigures(fixture: string, language: 'en' | 'es') {
    const rows = readJsonl(
      new URL(`fixtures/${fixture}.${language}.jsonl`, import.meta.url).pathname,
      'sentiment',
    );
    const predicted = rows.map((r) => analyzer.analyze(r.text, language).label);
    return classFigures(
      rows.map((r) => r.label),
      predicted,
    ).find((f) => f.label === 'negative');
  }

  it.each(['en', 'es'] as const)('finds most customer complaints in %s without crying wolf', (language) => {
    const negative = complaintFigures('complaints', language);
    expect(negative?.recall).toBeGreaterThanOrEqual(0.8);
    expect(negative?.precision).toBeGreaterThanOrEqual(0.8);
  });

  // 120 messages per language (60 complaints, 40 neutral requests — many naming a problem calmly —
  // and 20 thanks), written before the sentiment model was tuned and kept out of its training data.
  it.each(['en', 'es'] as const)(
    'hears at least 85 % of complaints among customer-service messages in %s, with at least 80 % of its alarms real',
    (language) => {
      const negative = complaintFigures('customer-messages', language);
      expect(negative?.recall).toBeGreaterThanOrEqual(0.85);
      expect(negative?.precision).toBeGreaterThanOrEqual(0.8);
    },
  );

  it('gives a score in [-1, 1] and a confidence in [0, 1]', () => {
    const sentiment = analyzer.analyze('ok', 'en');
    expect(Math.abs(sentiment.score)).toBeLessThanOrEqual(1);
    expect(sentiment.confidence).toBeGreaterThanOrEqual(0);
    expect(sentiment.confidence).toBeLessThanOrEqual(1);
  });
});

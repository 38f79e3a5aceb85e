import { describe, expect, it } from 'vitest';
import { corpusExamples } from '../../nlu-models/corpus/nlpjs-corpus.js';
import { IntentClassifier, retailCorpora, SentimentModel } from '../../nlu-models/index.js';
import { shippedSentimentData } from '../../nlu-models/sentiment/sentiment-analyzer.js';

describe('intent ensemble with NLP.js’s neural classifier', () => {
  const examples = corpusExamples(retailCorpora().en);

  it('chooses a weight on the folds, and survives a JSON round trip with the same scores', () => {
    const classifier = IntentClassifier.train(examples, { language: 'en' });
    const state = classifier.toJSON();
    expect(state.ensemble?.weight).toBeGreaterThan(0);
    expect(state.ensemble?.weight).toBeLessThanOrEqual(1);
    const copy = IntentClassifier.fromJSON(JSON.parse(JSON.stringify(state)));
    for (const text of ['where is my order', 'I want to talk to a person', 'what is the capital of peru']) {
      const a = classifier.classify(text);
      const b = copy.classify(text);
      expect(b.topIntent).toBe(a.topIntent);
      expect(b.confidence).toBeCloseTo(a.confidence, 5);
    }
    const sum = classifier.classify('where is my order', 100).intents.reduce((s, i) => s + i.score, 0);
    expect(sum).toBeCloseTo(1, 5);
  }, 60_000);

  it('keeps the linear model alone when asked', () => {
    const classifier = IntentClassifier.train(examples, { language: 'en', ensemble: false });
    expect(classifier.toJSON().ensemble).toBeUndefined();
  }, 60_000);
});

describe('naive-Bayes feature scaling of the sentiment model', () => {
  it('is on for English, off for Spanish, and survives a JSON round trip', () => {
    const english = SentimentModel.train(shippedSentimentData('en'), { language: 'en' });
    expect(english.toJSON().featureScale).toBeTypeOf('string');
    expect(english.toJSON().denseCues).toBe(true);
    const copy = SentimentModel.fromJSON(JSON.parse(JSON.stringify(english.toJSON())));
    const text = 'still waiting for my refund, this is ridiculous';
    expect(copy.analyze(text)).toEqual(english.analyze(text));
    expect(english.analyze(text).label).toBe('negative');
    const spanish = SentimentModel.train(shippedSentimentData('es'), { language: 'es' });
    expect(spanish.toJSON().featureScale).toBeUndefined();
  }, 120_000); // two sentiment models: seconds when quiet, over a minute on a busy 2-core machine
});

import { describe, expect, it } from 'vitest';
import { corpusExamples } from '../../nlu-models/corpus/nlpjs-corpus.js';
import { IntentClassifier, retailCorpora } from '../../nlu-models/index.js';

const CITIES = [
  'Lisbon',
  'Madrid',
  'Paris',
  'Berlin',
  'Rome',
  'Vienna',
  'Prague',
  'Oslo',
  'Dublin',
  'Athens',
  'Cairo',
  'Lima',
  'Quito',
  'Bogota',
  'Tokyo',
  'Seoul',
  'Delhi',
  'Sydney',
  'Toronto',
  'Chicago',
  'Boston',
  'Denver',
  'Havana',
  'Nairobi',
  'Lagos',
  'Helsinki',
  'Warsaw',
  'Budapest',
  'Porto',
  'Seville',
];

describe('intent calibration on a validation split', () => {
  it('fits the out-of-scope threshold on the given split, where questions the training never saw are rejected', () => {
    const inScope = corpusExamples(retailCorpora().en).filter((e) => e.label !== 'None');
    const train = inScope.filter((_, i) => i % 2 === 0);
    const validation = [
      ...inScope.filter((_, i) => i % 2 === 1),
      // Labelled with an intent the training data lacks: out of scope.
      ...CITIES.map((city) => ({
        text: `what's the weather like in ${city} this weekend`,
        label: 'weather',
      })),
    ];
    const classifier = IntentClassifier.train(train, {
      language: 'en',
      ensemble: false,
      // As the retail recognizer trains: on this half corpus, stem pairs give the weather questions
      // 0.55 on product.question, and no threshold then pays for itself.
      features: { wordPairs: false },
      calibration: validation,
      // A tenth of the validation split is out of scope: weigh it as such traffic.
      outOfScopeRate: 0.1,
    });
    expect(classifier.validation?.examples).toBe(validation.length);
    expect(classifier.threshold).toBeGreaterThan(0);
    expect(classifier.validation?.oosRecall).toBeGreaterThan(0.5);
    expect(classifier.classify("what's the weather like in Valencia this weekend").isOutOfScope).toBe(true);
    expect(classifier.classify('where is my order').topIntent).toBe('order.status');
  }, 60_000);
});

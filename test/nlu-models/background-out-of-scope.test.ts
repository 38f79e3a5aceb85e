import { describe, expect, it } from 'vitest';
import { IntentClassifier } from '../../nlu-models/index.js';
import type { LabelledText } from '../../nlu-models/corpus/jsonl.js';

/** A small English help desk with no `None` examples at all, as many small bots start. */
const DESK: LabelledText[] = [
  ...[
    'How do I delete my account?',
    'Delete my profile please',
    'I want to close my account for good',
    'Remove my account and all my data',
    'How can I cancel my membership?',
  ].map((text) => ({ text, label: 'account.delete' })),
  ...[
    'How do I change my password?',
    'I forgot my password',
    'Reset my password please',
    'My password does not work anymore',
    'Can I set a new password?',
  ].map((text) => ({ text, label: 'account.password' })),
  ...[
    'How do I export my data?',
    'Download a copy of my data',
    'Can I get all my posts as a file?',
    'Export my photos',
    'I need a backup of everything I uploaded',
  ].map((text) => ({ text, label: 'data.export' })),
  ...[
    'How much does the premium plan cost?',
    'What is the price of a subscription?',
    'Is there a student discount?',
    'How much do I pay per month?',
    'Are there cheaper plans?',
  ].map((text) => ({ text, label: 'plan.pricing' })),
];

/** Questions a customer of that desk might ask that none of its intents covers. */
const UNRELATED = [
  'What will the weather be like in Paris tomorrow?',
  'Set an alarm for seven in the morning',
  'Who won the football game last night?',
  'Tell me a joke',
  'How many calories are in a banana?',
  'Book a table for two at an Italian restaurant',
];

describe('background out-of-scope queries for small English training sets', () => {
  // Opt-in: 300 is the limit measured in docs/nlu.md.
  const calibrated = IntentClassifier.train(DESK, { language: 'en', backgroundBelow: 300 });
  const without = IntentClassifier.train(DESK, { language: 'en' });

  it('answers None to unrelated questions though the training set has no None example, and still answers its intents', () => {
    expect(without.threshold).toBe(0);
    expect(UNRELATED.filter((text) => without.classify(text).topIntent === 'None')).toEqual([]);
    expect(calibrated.threshold).toBeGreaterThan(0);
    const rejected = UNRELATED.filter((text) => calibrated.classify(text).topIntent === 'None');
    expect(rejected.length).toBeGreaterThanOrEqual(UNRELATED.length / 2);
    const questions = {
      'How do I erase my account?': 'account.delete',
      'I cannot remember my password': 'account.password',
      'Can I download all my photos?': 'data.export',
      'How much is the yearly plan?': 'plan.pricing',
    };
    for (const [text, intent] of Object.entries(questions)) {
      expect(calibrated.classify(text).topIntent, text).toBe(intent);
    }
  }, 60_000);

  it('trains Spanish, sets of 300 utterances or more and sets with 30 None examples of their own as if it were off', () => {
    const same = (rows: readonly LabelledText[], language: 'en' | 'es') =>
      expect(
        JSON.stringify(IntentClassifier.train(rows, { language, folds: 2, backgroundBelow: 300 }).toJSON()),
      ).toBe(JSON.stringify(IntentClassifier.train(rows, { language, folds: 2 }).toJSON()));
    same(DESK, 'es');
    same(
      Array.from({ length: 300 }, (_, i) => DESK[i % DESK.length] as LabelledText),
      'en',
    );
    // Such as CLINC150, whose own out-of-scope queries the shipped ones come from.
    const ownNone = ['', 'Hi! ', 'Quick question: ', 'Sorry, ', 'Hey, '].flatMap((opening) =>
      UNRELATED.map((text) => ({ text: `${opening}${text}`, label: 'None' })),
    );
    same([...DESK, ...ownNone], 'en');
  }, 60_000);
});

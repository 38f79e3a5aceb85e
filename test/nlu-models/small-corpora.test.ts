import { describe, expect, it } from 'vitest';
import { IntentClassifier } from '../../nlu-models/index.js';
import { labelWords } from '../../nlu-models/classifier/label-names.js';
import type { LabelledText } from '../../nlu-models/corpus/jsonl.js';
import { wordNetMarker } from '../../nlu-models/recognizer/nlu-recognizer.js';
import { retailCorpora } from '../../nlu-models/recognizer/retail.js';

/** A help desk for web apps in the shape of the Braun WebApplications corpus: 1–8 utterances an intent. */
const HELP_DESK = [
  ...[
    'How do I delete my Twitter account?',
    'How can I delete my Facebook profile?',
    'How do I remove my LinkedIn account for good?',
    'How do I close my Yahoo account?',
    'How can I permanently delete my Reddit account?',
    'How to delete a Dropbox account?',
    'How do I get rid of my Tumblr account?',
    'How do I delete my Pinterest account?',
  ].map((text) => ({ text, label: 'Delete Account' })),
  ...[
    'Alternatives to Trello?',
    'Is there a good alternative to Evernote?',
    'Google Reader alternatives with offline reading',
    'Any free alternative to Slack for small teams?',
    'Alternatives for Mint outside the US',
    'What can I use instead of Skype?',
  ].map((text) => ({ text, label: 'Find Alternative' })),
  ...[
    'Stop spam mails in Gmail',
    'Too much spam in my Outlook inbox',
    'Blocking spam sent to my Yahoo mail',
    'Why does spam still reach my inbox?',
    'Filtering spam comments on my blog',
  ].map((text) => ({ text, label: 'Filter Spam' })),
  { text: "Why can't I change my password and log in to Skype?", label: 'Change Password' },
  { text: 'How can I back up my Blogger posts?', label: 'Export Data' },
  { text: 'How do I download a YouTube video?', label: 'Download Video' },
  { text: 'Change the font of a Google Doc', label: 'None' },
  { text: 'Print a Google Sheet on one page', label: 'None' },
];

/** Questions about web apps that no intent above covers. */
const UNCOVERED = [
  'Why is Facebook so slow today?',
  'Share a playlist with a friend',
  'Add a calendar to my Notion page',
];

describe('intent classification on corpora of a few dozen utterances', () => {
  // The opt-in options below are measured without intent names as utterances (the default).
  const classifier = IntentClassifier.train(HELP_DESK, { language: 'en', labelNamesBelow: 0 });

  it('reads each intent name as one more utterance of it, so an intent with one example is still found', () => {
    const withoutNames = IntentClassifier.train(HELP_DESK, { language: 'en', labelNamesBelow: 0 });
    const withNames = IntentClassifier.train(HELP_DESK, { language: 'en' });
    const question = 'How do I change my password on Hulu?';
    expect(withoutNames.classify(question).topIntent).not.toBe('Change Password');
    expect(withNames.classify(question).topIntent).toBe('Change Password');
    expect(withNames.classify('How do I delete my Instagram account?').topIntent).toBe('Delete Account');
    expect(labelWords('order.status')).toBe('order status');
    expect(labelWords('card_arrival')).toBe('card arrival');
    expect(labelWords('DepartureTime')).toBe('Departure Time');
  }, 60_000);

  it('recognises an intent trained on one utterance rather than the frequent intent that sounds alike', () => {
    // The softmax regression alone, then with the opt-in nearest-centroid member the folds weigh in.
    const linear = IntentClassifier.train(HELP_DESK, { language: 'en', ensemble: false, labelNamesBelow: 0 });
    const withCentroids = IntentClassifier.train(HELP_DESK, {
      language: 'en',
      ensemble: false,
      centroids: true,
      labelNamesBelow: 0,
    });
    expect(withCentroids.toJSON().centroids?.weight).toBeGreaterThan(0);
    const questions = {
      'How do I change my password on Hulu?': 'Change Password',
      'How do I back up my Gmail account?': 'Export Data',
      'How can I download a video from Vimeo?': 'Download Video',
      'How do I delete my Instagram account?': 'Delete Account',
    };
    for (const [text, intent] of Object.entries(questions)) {
      expect(withCentroids.classify(text).topIntent, text).toBe(intent);
    }
    expect(linear.classify('How do I change my password on Hulu?').topIntent).not.toBe('Change Password');
    expect(linear.classify('How do I back up my Gmail account?').topIntent).toBe('Delete Account');
  }, 60_000);

  it('with intents left out in turn, answers None to questions no intent covers though only two None examples were given', () => {
    const strict = IntentClassifier.train(HELP_DESK, {
      language: 'en',
      leaveOneIntentOut: true,
      labelNamesBelow: 0,
    });
    expect(strict.threshold).toBeGreaterThan(0);
    for (const text of UNCOVERED) expect(strict.classify(text).topIntent, text).toBe('None');
    expect(strict.classify('Any alternative to Zoom?').topIntent).toBe('Find Alternative');
    expect(strict.classify('How do I delete my Instagram account?').topIntent).toBe('Delete Account');
    // By default two examples cannot set a threshold: it stays at the fallback.
    expect(classifier.threshold).toBe(0);
    expect(UNCOVERED.filter((text) => classifier.classify(text).topIntent === 'None').length).toBeLessThan(2);
  }, 60_000);

  it('scores the same after a JSON round trip', () => {
    const withCentroids = IntentClassifier.train(HELP_DESK, {
      language: 'en',
      ensemble: false,
      centroids: true,
    });
    const strict = IntentClassifier.train(HELP_DESK, { language: 'en', leaveOneIntentOut: true });
    for (const model of [classifier, withCentroids, strict]) {
      const copy = IntentClassifier.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
      for (const text of ['How do I download a Vimeo video?', ...UNCOVERED, 'spam again']) {
        expect(copy.classify(text).confidence).toBeCloseTo(model.classify(text).confidence, 5);
        expect(copy.classify(text).topIntent).toBe(model.classify(text).topIntent);
      }
    }
  }, 60_000);
});

/** Four intents of three utterances: the words customers use instead are not in them. */
const ACCOUNT_DESK = [
  ...['How do I delete my account?', 'Delete my profile please', 'I want to delete my account for good'].map(
    (text) => ({ text, label: 'Delete Account' }),
  ),
  ...['How do I change my password?', 'Change my password', 'I forgot my password'].map((text) => ({
    text,
    label: 'Change Password',
  })),
  ...['How do I export my data?', 'Download a copy of my data', 'Export my posts'].map((text) => ({
    text,
    label: 'Export Data',
  })),
  ...['Is there an alternative to Trello?', 'Alternatives to Slack', 'What can I use instead of Skype?'].map(
    (text) => ({ text, label: 'Find Alternative' }),
  ),
];

describe('WordNet synonyms for small English training sets', () => {
  it('finds the intent of a synonym its examples never use ("erase" for "delete"), also after a JSON round trip', () => {
    const withSynonyms = IntentClassifier.train(ACCOUNT_DESK, { language: 'en' });
    const without = IntentClassifier.train(ACCOUNT_DESK, { language: 'en', synonymsBelow: 0 });
    expect(without.classify('erase my Dropbox').topIntent).not.toBe('Delete Account');
    expect(withSynonyms.classify('erase my Dropbox').topIntent).toBe('Delete Account');
    expect(withSynonyms.classify('How do I change my password?').topIntent).toBe('Change Password');
    // The saved model carries the synonyms it needs: recognition never reads WordNet.
    const copy = IntentClassifier.fromJSON(JSON.parse(JSON.stringify(withSynonyms.toJSON())));
    for (const text of ['erase my Dropbox', 'option for Asana', 'constructor', '__proto__']) {
      expect(copy.classify(text).confidence).toBeCloseTo(withSynonyms.classify(text).confidence, 5);
      expect(copy.classify(text).topIntent).toBe(withSynonyms.classify(text).topIntent);
    }
  }, 60_000);

  it('trains Spanish and training sets of 300 utterances or more exactly as with WordNet features off', () => {
    const spanish = IntentClassifier.train(ACCOUNT_DESK, { language: 'es' });
    expect(spanish.toJSON().extractor.synonyms).toBeUndefined();
    expect(JSON.stringify(spanish.toJSON())).toBe(
      JSON.stringify(IntentClassifier.train(ACCOUNT_DESK, { language: 'es', synonymsBelow: 0 }).toJSON()),
    );
    const large = Array.from(
      { length: 300 },
      (_, i) => ACCOUNT_DESK[i % ACCOUNT_DESK.length] as LabelledText,
    );
    const largeModel = IntentClassifier.train(large, { language: 'en', folds: 1 }).toJSON();
    expect(largeModel.extractor.synonyms).toBeUndefined();
    expect(JSON.stringify(largeModel)).toBe(
      JSON.stringify(IntentClassifier.train(large, { language: 'en', folds: 1, synonymsBelow: 0 }).toJSON()),
    );
    expect(
      IntentClassifier.train(large.slice(1), { language: 'en', folds: 1 }).toJSON().extractor.synonyms,
    ).toBeDefined();
  }, 60_000);
});

describe('the NLU model cache and WordNet features', () => {
  it('keys a small English corpus apart from models cached before WordNet features, and the retail corpora as before', () => {
    const small = {
      name: 'account desk',
      locale: 'en-US',
      data: [
        { intent: 'delete.account', utterances: ['How do I delete my account?', 'Delete my profile please'] },
        { intent: 'export.data', utterances: ['How do I export my data?', 'Download a copy of my data'] },
      ],
    };
    expect(wordNetMarker({ en: small })).toEqual({ wordNetFeatures: 'wordnet-3.1' });
    // Spanish trains without them; the retail corpora (hundreds of utterances) too: `npm start` keeps
    // its cached model.
    expect(wordNetMarker({ es: { ...small, locale: 'es-ES' } })).toEqual({});
    expect(wordNetMarker(retailCorpora())).toEqual({});
  });
});

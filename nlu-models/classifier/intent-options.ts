/**
 * The options of `IntentClassifier.train`: calibration, the members of the ensemble and what small
 * corpora get on top (intent names, WordNet synonyms). The figures behind the defaults: docs/nlu.md.
 */
import type { LabelledText } from '../corpus/jsonl.js';
import type { Language } from '../text/stemmer.js';
import type { FeatureOptions } from './features.js';
import type { SoftmaxTrainingOptions } from './softmax-regression.js';

/**
 * English training sets smaller than this get WordNet features. On few-shot slices of CLINC150 and
 * BANKING77 train (12 intents × 5 utterances) they raised cross-validated accuracy; the Braun
 * corpora (30–100 utterances) and NLP.js Corpus50 (250) are under it, while the retail corpora
 * (600+), BANKING77 and CLINC150 train as before.
 */
export const DEFAULT_SYNONYMS_BELOW = 300;

/** Fewest out-of-scope examples for a measured threshold (`minOutOfScopeExamples`). */
export const DEFAULT_MIN_OUT_OF_SCOPE = 30;

/** How to train an intent classifier. */
export interface IntentTrainingOptions {
  language: Language;
  features?: Partial<FeatureOptions>;
  softmax?: Partial<SoftmaxTrainingOptions>;
  /** k of the k-fold calibration; below 2, no calibration (temperature 1, fallback threshold). */
  folds?: number;
  /** Threshold used when the training data has no out-of-scope examples to tune one on. */
  fallbackThreshold?: number;
  /** Expected share of out-of-scope traffic, weighing the threshold choice (default 0.05). */
  outOfScopeRate?: number;
  /**
   * Fewest held-out out-of-scope examples for a threshold to be trusted (default 30). With fewer,
   * the chosen threshold is capped at `fallbackThreshold`: a handful of `None` examples cannot
   * measure what a threshold costs, and on small corpora (Braun WebApplications: 2 of 30) it
   * rejected real requests; `None` stays a trained class either way.
   */
  minOutOfScopeExamples?: number;
  /**
   * Try averaging with NLP.js's neural classifier (default true; needs `folds` ≥ 2). Its weight is
   * chosen on the out-of-fold predictions of the calibration folds; at weight 0 it is not kept.
   */
  ensemble?: boolean;
  /**
   * Opt-in (needs `folds` ≥ 2): nearest-centroid scores as a member of the average, weighed like
   * NLP.js's; an intent of one or two utterances is not outvoted there. Off by default: it moved
   * cross-validation of the Braun corpora but not their test splits (docs/nlu.md).
   */
  centroids?: boolean;
  /**
   * Opt-in threshold for data with a few `None` examples (fewer than `minOutOfScopeExamples`),
   * calibrated by folds: each intent in turn is left out of a model trained on the rest and its
   * utterances count as out of scope; the threshold weighs in-scope acceptance (`InScopeObjective`).
   * Off by default: on the Braun test splits it rejected real requests (docs/nlu.md).
   */
  leaveOneIntentOut?: boolean;
  /**
   * Intents with fewer utterances than this also learn from their name read as words ("Change
   * Password", `order.status` → "order status", `card_arrival` → "card arrival"): one more
   * utterance, in every training part but never held out, so calibration still measures real
   * utterances. Default 5; 0 turns it off. It matters where an intent has one or two utterances
   * (Braun WebApplications); given to every intent of CLINC150 it moved the calibrated threshold
   * and cost in-scope accuracy (docs/nlu.md).
   */
  labelNamesBelow?: number;
  /**
   * English training sets with fewer utterances than this (default {@link DEFAULT_SYNONYMS_BELOW})
   * also get WordNet features: each word stands for its synsets and close hypernyms, so a synonym
   * the examples never use ("erase" for "delete") still counts (`synonyms.ts`). 0 turns it off.
   */
  synonymsBelow?: number;
  /**
   * Opt-in (default 0 = off; 300 is what was measured): English training sets with fewer utterances
   * than this and fewer `None` examples than `minOutOfScopeExamples`, calibrated by folds, choose
   * their threshold against 100 shipped generic out-of-scope queries (`background.ts`), never
   * trained on; the threshold then weighs in-scope acceptance. Off by default: it cost Braun
   * Chatbot (no `None`) about one utterance in 100 and moved neither Braun target (docs/nlu.md).
   */
  backgroundBelow?: number;
  /**
   * A validation split of the data set (labelled like the training data, never test data): when
   * given, the temperature, ensemble weight and threshold are fitted on it instead of on k folds of
   * the training data. Held-out folds of a templated training set look more alike than new
   * utterances do (CLINC150: 93.8 % in-scope on train folds, 91.5 % on val at the same threshold),
   * so a real validation split calibrates closer to what the test will see.
   */
  calibration?: readonly LabelledText[];
  /** Progress in units of epochs: (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The recognizer result (DESIGN.md §3): botbuilder's `RecognizerResult` shape (`text`, `intents`
 * as `{name: {score}}`, `entities` with `$instance`) plus `language`, `sentiment`, `topIntent`
 * and `isOutOfScope`, which the handoff policy reads.
 */
import type { Entities } from '../entities/entity-extractor.js';
import type { Sentiment } from '../sentiment/sentiment-model.js';
import type { Language } from '../text/stemmer.js';

/** What the recognizer understood of one utterance. */
export interface NluResult {
  text: string;
  language: Language;
  /** Ranked intents with calibrated probabilities (the top five, plus `None` when out of scope). */
  intents: Record<string, { score: number }>;
  entities: Entities;
  sentiment: Sentiment;
  /** The best intent, or `None` when the utterance is out of scope. */
  topIntent: string;
  isOutOfScope: boolean;
}

/** Per-call options of `recognizeText`. */
export interface RecognizeOptions {
  /** Force a language (skips detection). */
  language?: Language;
  /** Whose sticky language default to use and update. */
  userId?: string;
  /** A BCP 47 locale hint from the channel (`es-MX`), used when detection is unsure. */
  locale?: string;
}

/**
 * Sentiment per turn in English and Spanish: one {@link SentimentModel} per language, trained on the
 * data shipped in `nlu-models/data/sentiment` (UMSAB tweets plus customer-service sentences written
 * for Relevo) and cached like every other model. Usable alone: `analyzer.analyze(text, 'es')`.
 */
import { fileURLToPath } from 'node:url';
import { RelevoError } from '../../core/errors.js';
import { type LabelledText, readJsonl } from '../corpus/jsonl.js';
import { type Language, LANGUAGES } from '../text/stemmer.js';
import { type Sentiment, SentimentModel, type SentimentModelState } from './sentiment-model.js';

/** The shipped sentiment training data of one language. */
export function shippedSentimentData(language: Language): LabelledText[] {
  const directory = fileURLToPath(new URL('../data/sentiment/', import.meta.url));
  // Customer-service sentences are few next to the tweets: repeating them three times makes the
  // model weigh how customers complain as much as how people tweet.
  const service = readJsonl(`${directory}customer-service.${language}.jsonl`, 'sentiment');
  return [
    ...readJsonl(`${directory}umsab-${language}.train.jsonl`, 'sentiment'),
    // The validation split too: its settings were chosen by cross-validation, so the shipped model
    // gets every labelled tweet there is (UMSAB's test split stays unseen).
    ...readJsonl(`${directory}umsab-${language}.val.jsonl`, 'sentiment'),
    ...service,
    ...service,
    ...service,
  ];
}

/** The serialisable state. */
export type SentimentAnalyzerState = Partial<Record<Language, SentimentModelState>>;

/** Sentiment models by language. */
export class SentimentAnalyzer {
  constructor(private readonly models: Partial<Record<Language, SentimentModel>>) {}

  /** Trains one model per language on the shipped data (or on `data` where given). */
  static train(
    languages: readonly Language[] = LANGUAGES,
    data: Partial<Record<Language, LabelledText[]>> = {},
    onProgress?: (done: number, total: number) => void,
  ): SentimentAnalyzer {
    const models: Partial<Record<Language, SentimentModel>> = {};
    languages.forEach((language, i) => {
      models[language] = SentimentModel.train(data[language] ?? shippedSentimentData(language), {
        language,
        onProgress: (done, total) => onProgress?.(i * total + done, languages.length * total),
      });
    });
    return new SentimentAnalyzer(models);
  }

  /** Rebuilds an analyzer from {@link SentimentAnalyzer.toJSON} output. */
  static fromJSON(state: SentimentAnalyzerState): SentimentAnalyzer {
    const models: Partial<Record<Language, SentimentModel>> = {};
    for (const language of LANGUAGES) {
      const model = state[language];
      if (model !== undefined) models[language] = SentimentModel.fromJSON(model);
    }
    return new SentimentAnalyzer(models);
  }

  /** The serialisable state. */
  toJSON(): SentimentAnalyzerState {
    const state: SentimentAnalyzerState = {};
    for (const language of LANGUAGES) {
      const model = this.models[language];
      if (model !== undefined) state[language] = model.toJSON();
    }
    return state;
  }

  /** The model of one language (for its validation figures). */
  model(language: Language): SentimentModel | undefined {
    return this.models[language];
  }

  /** Label, score in [-1, 1] and confidence of one utterance. */
  analyze(text: string, language: Language): Sentiment {
    const model = this.models[language];
    if (model === undefined) {
      throw new RelevoError('RELEVO_NLU_LANGUAGE', `No sentiment model for language "${language}"`);
    }
    return model.analyze(text);
  }
}

/**
 * `NluRecognizer`: language, intent, entities, sentiment and out-of-scope detection for one
 * utterance, in botbuilder's `RecognizerResult` shape. Usable alone in any botbuilder bot
 * (`await recognizer.recognize(context)`) or without one (`recognizer.recognizeText(text)`).
 * Models are trained on first use and cached on disk; a restart loads them in well under 2 s.
 */
import type { TurnContext } from 'botbuilder';
import { type Clock, systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { IntentClassifier, type IntentClassifierState } from '../classifier/intent-classifier.js';
import { DEFAULT_SYNONYMS_BELOW } from '../classifier/intent-options.js';
import { OUT_OF_SCOPE } from '../corpus/jsonl.js';
import { type Corpus, corpusAnswers, corpusExamples } from '../corpus/nlpjs-corpus.js';
import { type Catalogue, ProductMatcher } from '../entities/catalogue.js';
import { EntityExtractor } from '../entities/entity-extractor.js';
import { LanguageDetector, type LanguageDetectorState } from '../language/language-detector.js';
import { shippedPolarityLexicon } from '../sentiment/polarity-lexicon.js';
import {
  SentimentAnalyzer,
  type SentimentAnalyzerState,
  shippedSentimentData,
} from '../sentiment/sentiment-analyzer.js';
import { isLanguage, type Language, LANGUAGES } from '../text/stemmer.js';
import { loadOrBuild } from '../training/model-cache.js';
import { LanguageMemory } from './language-memory.js';
import { retailCatalogue, retailCorpora } from './retail.js';
import type { NluResult, RecognizeOptions } from './types.js';

/** Options of {@link NluRecognizer.create}. */
export interface NluRecognizerOptions {
  /** Intent corpora per language (NLP.js format); default: the shipped retail corpora. */
  corpora?: Partial<Record<Language, Corpus>>;
  /** Product catalogue for `product` entities; default: the shipped retail catalogue. */
  catalogue?: Catalogue;
  /** Language when neither detection nor the user's history decides; default `en`. */
  defaultLanguage?: Language;
  /** Detection confidence below which the user's sticky language wins; default 0.9. */
  languageConfidence?: number;
  /** Where trained models are cached; default `.cache/nlu`; null = never cache. */
  cacheDirectory?: string | null;
  /** Intent classifiers trained elsewhere (evaluation CLIs); they replace the corpora's models. */
  intentClassifiers?: Partial<Record<Language, IntentClassifier>>;
  /** Seed of every random choice in training. */
  seed?: number;
  clock?: Clock;
  logger?: Logger;
  /** Training progress, (done, total) in epochs. */
  onProgress?: (done: number, total: number) => void;
}

/** The trained parts a recognizer is made of (see {@link NluRecognizer.fromParts}). */
export interface NluRecognizerParts {
  intents: Partial<Record<Language, IntentClassifier>>;
  sentiment: SentimentAnalyzer;
  detector: LanguageDetector;
  answers?: Partial<Record<Language, Map<string, string[]>>>;
  catalogue?: Catalogue;
  defaultLanguage?: Language;
  languageConfidence?: number;
  clock?: Clock;
  logger?: Logger;
}

interface CachedModels {
  intents: Partial<Record<Language, IntentClassifierState>>;
  sentiment: SentimentAnalyzerState;
  detector: LanguageDetectorState;
}

const MAX_INTENTS = 5;

/** Recognises what a customer said. */
export class NluRecognizer {
  private readonly entities: EntityExtractor;
  private readonly memory = new LanguageMemory();
  private readonly defaultLanguage: Language;
  private readonly languageConfidence: number;

  private constructor(private readonly parts: NluRecognizerParts) {
    this.defaultLanguage = parts.defaultLanguage ?? 'en';
    this.languageConfidence = parts.languageConfidence ?? 0.9;
    this.entities = new EntityExtractor({
      clock: parts.clock ?? systemClock,
      ...(parts.catalogue === undefined ? {} : { products: new ProductMatcher(parts.catalogue) }),
    });
  }

  /** Trains (or loads from the cache) the models for `options.corpora` and builds a recognizer. */
  static async create(options: NluRecognizerOptions = {}): Promise<NluRecognizer> {
    const logger = options.logger ?? silentLogger;
    const corpora = options.corpora ?? retailCorpora();
    const languages = LANGUAGES.filter((l) => corpora[l] !== undefined);
    if (languages.length === 0) throw new RelevoError('RELEVO_NLU_TRAINING_DATA', 'No corpus given');
    const seed = options.seed ?? 42;
    const sentimentData = Object.fromEntries(LANGUAGES.map((l) => [l, shippedSentimentData(l)]));
    // The lexicons shape the sentiment features: an edited lexicon must retrain the cached model.
    const polarityLexicons = Object.fromEntries(LANGUAGES.map((l) => [l, shippedPolarityLexicon(l)]));
    const startedAt = Date.now();
    const { value, fromCache, path } = await loadOrBuild<CachedModels>(
      options.cacheDirectory === undefined ? '.cache/nlu' : options.cacheDirectory,
      'recognizer',
      { corpora, sentimentData, polarityLexicons, seed, ...wordNetMarker(corpora) },
      () => {
        const intents: CachedModels['intents'] = {};
        let done = 0;
        const epochs = languages.length + 1;
        const progress = (stage: number) => (d: number, t: number) =>
          options.onProgress?.(Math.round((stage + d / t) * 100), epochs * 100);
        languages.forEach((language, i) => {
          intents[language] = IntentClassifier.train(corpusExamples(corpora[language] as Corpus), {
            language,
            softmax: { seed },
            // Without stem pairs, as before they became the default: with them, the same two
            // clarification fixtures change as with the ensemble below. Kept off until reviewed.
            features: { wordPairs: false },
            fallbackThreshold: 0.3,
            // Linear model only: with NLP.js's model averaged in (weight 0.2 chosen by the folds), two
            // conversation fixtures changed ("tengo un problema con mi pedido" went straight to order
            // status instead of asking order status or payment problem). Kept off until reviewed.
            ensemble: false,
            onProgress: progress(i),
          }).toJSON();
          done += 1;
        });
        const sentiment = SentimentAnalyzer.train(LANGUAGES, sentimentData, progress(done)).toJSON();
        const detector = LanguageDetector.train({
          en: [...corpusTexts(corpora.en), ...(sentimentData.en ?? []).map((r) => r.text)],
          es: [...corpusTexts(corpora.es), ...(sentimentData.es ?? []).map((r) => r.text)],
        }).toJSON();
        return { intents, sentiment, detector };
      },
    );
    logger.info({ fromCache, path, ms: Date.now() - startedAt }, 'NLU models ready');
    const intents: NluRecognizerParts['intents'] = {};
    const answers: NluRecognizerParts['answers'] = {};
    for (const language of languages) {
      intents[language] = IntentClassifier.fromJSON(value.intents[language] as IntentClassifierState);
      answers[language] = corpusAnswers(corpora[language] as Corpus);
    }
    if (options.intentClassifiers !== undefined) {
      for (const language of LANGUAGES) delete intents[language];
      Object.assign(intents, options.intentClassifiers);
    }
    return new NluRecognizer({
      intents,
      answers,
      sentiment: SentimentAnalyzer.fromJSON(value.sentiment),
      detector: LanguageDetector.fromJSON(value.detector),
      catalogue: options.catalogue ?? retailCatalogue(),
      ...pick(options, ['defaultLanguage', 'languageConfidence', 'clock', 'logger']),
    });
  }

  /** A recognizer from already trained parts (evaluation, tests, custom training). */
  static fromParts(parts: NluRecognizerParts): NluRecognizer {
    return new NluRecognizer(parts);
  }

  /** The languages this recognizer has intent models for. */
  get languages(): Language[] {
    return LANGUAGES.filter((l) => this.parts.intents[l] !== undefined);
  }

  /** The intent classifier of a language (for its labels and validation figures). */
  classifier(language: Language): IntentClassifier | undefined {
    return this.parts.intents[language];
  }

  /** The corpus answers of a plain FAQ intent, if it has any. */
  answersFor(intent: string, language: Language): string[] | undefined {
    return this.parts.answers?.[language]?.get(intent);
  }

  /**
   * botbuilder's Recognizer style: recognises `context.activity.text`, keeping a sticky language
   * per `context.activity.from.id` and taking `context.activity.locale` as a hint.
   */
  async recognize(context: TurnContext): Promise<NluResult> {
    const activity = context.activity;
    return this.recognizeText(activity.text ?? '', {
      ...(activity.from?.id === undefined ? {} : { userId: activity.from.id }),
      ...(activity.locale === undefined ? {} : { locale: activity.locale }),
    });
  }

  /** Recognises one utterance. */
  recognizeText(text: string, options: RecognizeOptions = {}): NluResult {
    const language = this.chooseLanguage(text, options);
    const classifier = this.parts.intents[language] ?? this.parts.intents[this.languages[0] as Language];
    if (classifier === undefined) throw new RelevoError('RELEVO_NLU_LANGUAGE', 'No intent model loaded');
    const prediction = classifier.classify(text, MAX_INTENTS);
    const intents: NluResult['intents'] = {};
    for (const intent of prediction.intents) intents[intent.name] = { score: intent.score };
    if (prediction.isOutOfScope) {
      intents[OUT_OF_SCOPE] = {
        score: Math.max(intents[OUT_OF_SCOPE]?.score ?? 0, 1 - prediction.confidence),
      };
    }
    return {
      text,
      language,
      intents,
      entities: this.entities.extract(text, language),
      sentiment: this.parts.sentiment.analyze(text, language),
      topIntent: prediction.topIntent,
      isOutOfScope: prediction.isOutOfScope,
    };
  }

  private chooseLanguage(text: string, options: RecognizeOptions): Language {
    if (options.language !== undefined) return options.language;
    const available = this.languages;
    if (available.length === 1) return available[0] as Language;
    const guess = this.parts.detector.detect(text);
    const remembered = options.userId === undefined ? undefined : this.memory.get(options.userId);
    const hinted = options.locale?.slice(0, 2).toLowerCase();
    let language: Language;
    if (guess.confidence >= this.languageConfidence) language = guess.language;
    else if (remembered !== undefined) language = remembered;
    else if (isLanguage(hinted)) language = hinted;
    else language = guess.confidence > 0.6 ? guess.language : this.defaultLanguage;
    if (options.userId !== undefined && guess.confidence >= this.languageConfidence) {
      this.memory.set(options.userId, language);
    } else if (options.userId !== undefined && remembered === undefined) {
      this.memory.set(options.userId, language);
    }
    return available.includes(language) ? language : (available[0] as Language);
  }
}

function corpusTexts(corpus: Corpus | undefined): string[] {
  return corpus === undefined ? [] : corpusExamples(corpus).map((e) => e.text);
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}

/**
 * What the recognizer's cache key adds for WordNet features: a small English corpus trains with them
 * (classifier/synonyms.ts), so a model cached before they existed must not be taken for it. Nothing for
 * larger corpora (the retail ones), whose key, and cached model, stay as they were.
 */
export function wordNetMarker(corpora: Partial<Record<Language, Corpus>>): { wordNetFeatures?: string } {
  const english = corpora.en;
  return english !== undefined && corpusExamples(english).length < DEFAULT_SYNONYMS_BELOW
    ? { wordNetFeatures: 'wordnet-3.1' }
    : {};
}

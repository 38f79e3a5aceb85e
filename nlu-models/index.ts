/**
 * Relevo's NLU: `NluRecognizer` (language, intent, entities, sentiment, out-of-scope) and the parts
 * a botbuilder developer may use alone. See docs/nlu.md.
 */
export {
  IntentClassifier,
  type IntentPrediction,
  type IntentTrainingOptions,
  type ValidationFigures,
} from './classifier/intent-classifier.js';
export { type LabelledText, OUT_OF_SCOPE, parseJsonl, readJsonl } from './corpus/jsonl.js';
export { type Corpus, type CorpusIntent, readCorpus, validateCorpus } from './corpus/nlpjs-corpus.js';
export type { Catalogue, CatalogueProduct, ProductValue } from './entities/catalogue.js';
export type { Entities, EntityInstance } from './entities/entity-extractor.js';
export { LanguageDetector, type LanguageGuess } from './language/language-detector.js';
export {
  NluRecognizer,
  type NluRecognizerOptions,
  type NluRecognizerParts,
} from './recognizer/nlu-recognizer.js';
export { retailCatalogue, retailCorpora } from './recognizer/retail.js';
export type { NluResult, RecognizeOptions } from './recognizer/types.js';
export { SentimentAnalyzer } from './sentiment/sentiment-analyzer.js';
export { type Sentiment, type SentimentLabel, SentimentModel } from './sentiment/sentiment-model.js';
export { type Language, LANGUAGES } from './text/stemmer.js';

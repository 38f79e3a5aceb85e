/**
 * Sparse text features for the linear intent and sentiment models: words, stems, stem bigrams and
 * character n-grams, weighted by sublinear tf × idf and L2-normalised. Character n-grams make the
 * model robust to typos and inflection (the weakness of a word-only bag); stems and bigrams carry
 * the meaning. The vocabulary is learned from training text, so unseen strings cost nothing.
 */
import { normalizeText, tokenize } from '../text/normalize.js';
import { type Language, WordStemmer } from '../text/stemmer.js';

/** A sparse vector: parallel arrays of feature indices and values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/** How text becomes features. */
export interface FeatureOptions {
  /** Smallest and largest character n-gram length; `[0, 0]` disables them. */
  charNgrams: [number, number];
  /** Include stem bigrams. */
  wordBigrams: boolean;
  /** Keep a feature only if it occurs in at least this many training texts. */
  minDocumentFrequency: number;
  /**
   * Include every unordered pair of distinct stems (of the first {@link MAX_PAIRED_STEMS}): lets a
   * linear model see "card" + "arrive" together wherever they stand, which bigrams miss. Absent =
   * off, so models saved before pairs existed load unchanged.
   */
  wordPairs?: boolean;
}

/** Stems paired per utterance at most: pairs grow with the square, and intents are short. */
const MAX_PAIRED_STEMS = 32;

/**
 * Defaults chosen on validation data: character 1–4-grams rather than 2–5-grams gave CLINC150 val
 * 92.40 → 92.77 %, Schuster es eval 97.88 → 98.13 %, a 15 % BANKING77 slice carved from train
 * 91.13 → 91.20 % (top-1, no threshold), with fewer features to score. Stem pairs on top: CLINC150
 * val top-1 92.77 → 93.20 % (SGD seed 42) and 92.57 → 93.07 % (seed 7).
 */
export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  charNgrams: [1, 4],
  wordBigrams: true,
  minDocumentFrequency: 1,
  wordPairs: true,
};

/** The serialisable state of a fitted extractor. */
export interface FeatureExtractorState {
  language: Language;
  options: FeatureOptions;
  vocabulary: string[];
  idf: number[];
}

/** Extra named features computed from the raw text (e.g. sentiment cues); code, so never serialised. */
export type ExtraFeatures = (text: string, stemmer: WordStemmer) => string[];

/** Turns text into feature names (before the vocabulary is applied). */
export function featureNames(
  text: string,
  stemmer: WordStemmer,
  options: FeatureOptions,
  extra?: ExtraFeatures,
): string[] {
  const normalized = normalizeText(text);
  const words = tokenize(normalized);
  const names: string[] = [];
  let previous = '<s>';
  for (const word of words) {
    const stem = stemmer.stem(word);
    names.push(`w:${word}`);
    if (stem !== word) names.push(`s:${stem}`);
    if (options.wordBigrams) names.push(`b:${previous} ${stem}`);
    previous = stem;
  }
  if (options.wordBigrams && words.length > 0) names.push(`b:${previous} </s>`);
  if (options.wordPairs === true) {
    const stems = [...new Set(words.map((word) => stemmer.stem(word)))].slice(0, MAX_PAIRED_STEMS).sort();
    for (let i = 0; i < stems.length; i += 1) {
      for (let j = i + 1; j < stems.length; j += 1) names.push(`p:${stems[i]} ${stems[j]}`);
    }
  }
  const [minN, maxN] = options.charNgrams;
  if (maxN > 0) {
    const padded = ` ${words.join(' ')} `;
    for (let n = minN; n <= maxN; n += 1) {
      for (let i = 0; i + n <= padded.length; i += 1) names.push(`c:${padded.slice(i, i + n)}`);
    }
  }
  if (extra !== undefined) names.push(...extra(text, stemmer));
  return names;
}

/** A fitted vocabulary with idf weights, mapping text to normalised sparse vectors. */
export class FeatureExtractor {
  private readonly stemmer: WordStemmer;
  private readonly index: Map<string, number>;

  private constructor(
    private readonly state: FeatureExtractorState,
    private readonly extra?: ExtraFeatures,
  ) {
    this.stemmer = new WordStemmer(state.language);
    this.index = new Map(state.vocabulary.map((name, i) => [name, i]));
  }

  /** Learns the vocabulary and idf weights from training texts. */
  static fit(
    texts: readonly string[],
    language: Language,
    options: FeatureOptions,
    extra?: ExtraFeatures,
  ): FeatureExtractor {
    const stemmer = new WordStemmer(language);
    const documentFrequency = new Map<string, number>();
    for (const text of texts) {
      for (const name of new Set(featureNames(text, stemmer, options, extra))) {
        documentFrequency.set(name, (documentFrequency.get(name) ?? 0) + 1);
      }
    }
    const vocabulary: string[] = [];
    const idf: number[] = [];
    for (const [name, df] of documentFrequency) {
      if (df < options.minDocumentFrequency) continue;
      vocabulary.push(name);
      idf.push(Math.log((texts.length + 1) / (df + 1)) + 1);
    }
    return new FeatureExtractor({ language, options, vocabulary, idf }, extra);
  }

  /** Rebuilds an extractor from {@link FeatureExtractor.toJSON} output. */
  static fromJSON(state: FeatureExtractorState, extra?: ExtraFeatures): FeatureExtractor {
    return new FeatureExtractor(state, extra);
  }

  /** Number of features (the input dimension of a model). */
  get size(): number {
    return this.state.vocabulary.length;
  }

  /** The serialisable state. */
  toJSON(): FeatureExtractorState {
    return this.state;
  }

  /** The L2-normalised tf-idf vector of one text. */
  transform(text: string): SparseVector {
    const counts = new Map<number, number>();
    for (const name of featureNames(text, this.stemmer, this.state.options, this.extra)) {
      const i = this.index.get(name);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const indices = new Int32Array(counts.size);
    const values = new Float32Array(counts.size);
    let k = 0;
    let norm = 0;
    for (const [i, count] of counts) {
      const value = (1 + Math.log(count)) * (this.state.idf[i] ?? 1);
      indices[k] = i;
      values[k] = value;
      norm += value * value;
      k += 1;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < values.length; j += 1) values[j] = (values[j] as number) * scale;
    return { indices, values };
  }
}

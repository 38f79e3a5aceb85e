/**
 * The sentiment model of one language: softmax regression over n-grams plus lexicon, negation,
 * intensifier and emoji cues ({@link sentimentCues}). A bias on the negative class is tuned on a
 * validation slice carved from the training data, because for a handoff a missed angry customer
 * costs more than a neutral one taken for negative.
 */
import { RelevoError } from '../../core/errors.js';
import { FeatureExtractor, type FeatureExtractorState, type FeatureOptions } from '../classifier/features.js';
import { macroF1 } from '../classifier/metrics.js';
import { createRandom, shuffleInPlace } from '../classifier/random.js';
import {
  SoftmaxRegression,
  type SoftmaxTrainingOptions,
  softmaxInPlace,
} from '../classifier/softmax-regression.js';
import type { LabelledText } from '../corpus/jsonl.js';
import type { Language } from '../text/stemmer.js';
import { sentimentCues } from './cues.js';

/** The three sentiment labels. */
export type SentimentLabel = 'negative' | 'neutral' | 'positive';

/** The labels in model class order. */
export const SENTIMENT_LABELS: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

/** Sentiment of one utterance: `score` in [-1, 1] is P(positive) − P(negative). */
export interface Sentiment {
  label: SentimentLabel;
  score: number;
  confidence: number;
}

/** Training settings. */
export interface SentimentTrainingOptions {
  language: Language;
  /** Share of the training data held out to tune the negative bias (0 = no tuning). */
  validationShare?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The serialisable state. */
export interface SentimentModelState {
  extractor: FeatureExtractorState;
  weights: string;
  bias: number[];
  negativeBias: number;
  validationMacroF1: number | null;
}

// Words and stem bigrams only: on 1,800 tweets character n-grams added noise (validation macro-F1
// 0.55 with them, 0.59 without), while the cues carry what n-grams cannot learn from so little data.
const FEATURES: FeatureOptions = { charNgrams: [0, 0], wordBigrams: true, minDocumentFrequency: 1 };
const SOFTMAX: Omit<SoftmaxTrainingOptions, 'seed'> = { epochs: 15, learningRate: 0.5, l2: 1e-5 };

/** A trained sentiment model for one language. */
export class SentimentModel {
  private constructor(
    private readonly extractor: FeatureExtractor,
    private readonly model: SoftmaxRegression,
    readonly negativeBias: number,
    readonly validationMacroF1: number | null,
  ) {}

  /** Trains on `{text, label}` rows whose labels are negative/neutral/positive. */
  static train(rows: readonly LabelledText[], options: SentimentTrainingOptions): SentimentModel {
    for (const row of rows) {
      if (!SENTIMENT_LABELS.includes(row.label as SentimentLabel)) {
        throw new RelevoError('RELEVO_NLU_TRAINING_DATA', `Unknown sentiment label "${row.label}"`);
      }
    }
    const seed = options.seed ?? 7;
    const share = options.validationShare ?? 0.2;
    const total = SOFTMAX.epochs * (share > 0 ? 2 : 1);
    let done = 0;
    const onEpoch = () => {
      done += 1;
      options.onProgress?.(done, total);
    };
    const trainOn = (data: readonly LabelledText[]) => {
      const extractor = FeatureExtractor.fit(
        data.map((r) => r.text),
        options.language,
        FEATURES,
        sentimentCues,
      );
      const model = SoftmaxRegression.train(
        data.map((r) => extractor.transform(r.text)),
        data.map((r) => SENTIMENT_LABELS.indexOf(r.label as SentimentLabel)),
        extractor.size,
        SENTIMENT_LABELS.length,
        { ...SOFTMAX, seed, onEpoch },
      );
      return { extractor, model };
    };
    let negativeBias = 0;
    let validationMacroF1: number | null = null;
    if (share > 0) {
      const shuffled = shuffleInPlace([...rows], createRandom(seed));
      const cut = Math.floor(shuffled.length * share);
      const validation = shuffled.slice(0, cut);
      const probe = trainOn(shuffled.slice(cut));
      const logits = validation.map((r) => probe.model.logits(probe.extractor.transform(r.text)));
      const truth = validation.map((r) => r.label);
      let best = Number.NEGATIVE_INFINITY;
      for (let b = -10; b <= 20; b += 1) {
        const f1 = macroF1(
          truth,
          logits.map((l) => SENTIMENT_LABELS[argmaxWithBias(l, b / 10)] as string),
        );
        if (f1 > best + 1e-9) {
          best = f1;
          negativeBias = b / 10;
        }
      }
      validationMacroF1 = best;
    }
    const { extractor, model } = trainOn(rows);
    return new SentimentModel(extractor, model, negativeBias, validationMacroF1);
  }

  /** Rebuilds a model from {@link SentimentModel.toJSON} output. */
  static fromJSON(state: SentimentModelState): SentimentModel {
    const extractor = FeatureExtractor.fromJSON(state.extractor, sentimentCues);
    const buffer = Buffer.from(state.weights, 'base64');
    const weights = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4).slice();
    const model = new SoftmaxRegression({
      dimensions: extractor.size,
      classes: SENTIMENT_LABELS.length,
      weights,
      bias: Float32Array.from(state.bias),
    });
    return new SentimentModel(extractor, model, state.negativeBias, state.validationMacroF1);
  }

  /** The serialisable state. */
  toJSON(): SentimentModelState {
    const { weights, bias } = this.model.state;
    return {
      extractor: this.extractor.toJSON(),
      weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64'),
      bias: Array.from(bias),
      negativeBias: this.negativeBias,
      validationMacroF1: this.validationMacroF1,
    };
  }

  /** The sentiment of one utterance. */
  analyze(text: string): Sentiment {
    const logits = this.model.logits(this.extractor.transform(text));
    const top = argmaxWithBias(logits, this.negativeBias);
    const probabilities = softmaxInPlace(logits);
    const negative = probabilities[0] as number;
    const positive = probabilities[2] as number;
    return {
      label: SENTIMENT_LABELS[top] as SentimentLabel,
      score: positive - negative,
      confidence: probabilities[top] as number,
    };
  }
}

function argmaxWithBias(logits: Float64Array, negativeBias: number): number {
  let best = 0;
  let bestScore = (logits[0] as number) + negativeBias;
  for (let c = 1; c < logits.length; c += 1) {
    if ((logits[c] as number) > bestScore) {
      best = c;
      bestScore = logits[c] as number;
    }
  }
  return best;
}

/**
 * The fine-grained intent classifier: tf-idf word + character n-grams into a softmax regression,
 * with a temperature and an out-of-scope threshold fitted on out-of-fold predictions (k-fold over
 * the training data, so no test data is ever looked at). Pure and in-process: no downloads.
 */
import { RelevoError } from '../../core/errors.js';
import { OUT_OF_SCOPE, type LabelledText } from '../corpus/jsonl.js';
import { WordStemmer } from '../text/stemmer.js';
import { backgroundOutOfScope, usesBackground } from './background.js';
import { chooseThreshold, thresholdFigures } from './calibration.js';
import { centroidModel } from './centroids.js';
import { type Calibrated, calibrate, type MemberLogits, mixAll, mixedLogits } from './ensemble.js';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureExtractorState } from './features.js';
import { foldPartitions, type Partition } from './folds.js';
import {
  DEFAULT_MIN_OUT_OF_SCOPE,
  DEFAULT_SYNONYMS_BELOW,
  type IntentTrainingOptions,
} from './intent-options.js';
import { withLabelNames } from './label-names.js';
import { NeuralIntents, type NeuralIntentState } from './neural-intents.js';
import { DEFAULT_SOFTMAX_OPTIONS, SoftmaxRegression, softmaxInPlace } from './softmax-regression.js';
import { sharedWordNet, synonymMap } from './synonyms.js';

export type { IntentTrainingOptions } from './intent-options.js';

/** What k-fold calibration measured on the training data itself. */
export interface ValidationFigures {
  examples: number;
  accuracy: number;
  inScopeAccuracy: number;
  oosRecall: number;
  temperature: number;
  threshold: number;
}

/** One ranked intent. */
export interface ScoredIntent {
  name: string;
  score: number;
}

/** A classification. `topIntent` is `None` when the utterance is out of scope. */
export interface IntentPrediction {
  topIntent: string;
  confidence: number;
  isOutOfScope: boolean;
  intents: ScoredIntent[];
}

/** The serialisable state of a trained classifier. */
export interface IntentClassifierState {
  labels: string[];
  extractor: FeatureExtractorState;
  weights: string;
  bias: number[];
  temperature: number;
  threshold: number;
  validation: ValidationFigures | null;
  /** NLP.js's neural classifier, its weight in the average and its own temperature, if kept. */
  ensemble?: { weight: number; temperature: number; network: NeuralIntentState };
  /** Nearest-centroid scores (feature-major unit centroids, base64), weight and temperature, if kept. */
  centroids?: { weight: number; temperature: number; weights: string };
}

/** A member of the ensemble: its calibrated probabilities, weighted. */
interface EnsembleMember<M> {
  weight: number;
  temperature: number;
  model: M;
}

/** The models trained on one training part. */
interface TrainedMembers {
  extractor: FeatureExtractor;
  model: SoftmaxRegression;
  centroids: SoftmaxRegression | null;
  neural: NeuralIntents | null;
}

/** A trained intent classifier. */
export class IntentClassifier {
  private readonly extractor: FeatureExtractor;
  private readonly model: SoftmaxRegression;
  private readonly outOfScopeClass: number;

  private constructor(
    readonly labels: readonly string[],
    extractor: FeatureExtractor,
    model: SoftmaxRegression,
    readonly temperature: number,
    readonly threshold: number,
    readonly validation: ValidationFigures | null,
    private readonly ensemble: EnsembleMember<NeuralIntents> | null = null,
    private readonly centroids: EnsembleMember<SoftmaxRegression> | null = null,
  ) {
    this.extractor = extractor;
    this.model = model;
    this.outOfScopeClass = labels.indexOf(OUT_OF_SCOPE);
  }

  /** Trains on labelled utterances (`None` = out of scope, trained as a class of its own). */
  static train(examples: readonly LabelledText[], options: IntentTrainingOptions): IntentClassifier {
    const labels = [...new Set(examples.map((e) => e.label))].sort();
    if (labels.filter((l) => l !== OUT_OF_SCOPE).length < 2) {
      throw new RelevoError('RELEVO_NLU_TRAINING_DATA', 'Intent training needs at least two intents');
    }
    const features = { ...DEFAULT_FEATURE_OPTIONS, ...options.features };
    const softmax = { ...DEFAULT_SOFTMAX_OPTIONS, ...options.softmax };
    // Classes rarer than k simply miss from some folds: calibration stays fair for the others.
    const calibration = options.calibration;
    const folds = calibration === undefined ? (options.folds ?? 3) : 1;
    const calibrates = calibration !== undefined || folds >= 2;
    const useNeural = (options.ensemble ?? true) && calibrates;
    const useCentroids = options.centroids === true && calibrates;
    const minOutOfScope = options.minOutOfScopeExamples ?? DEFAULT_MIN_OUT_OF_SCOPE;
    const outOfScopeExamples = examples.filter((e) => e.label === OUT_OF_SCOPE).length;
    // The data set names out-of-scope utterances but too few to choose a threshold on: every
    // intent in turn plays the out-of-scope part for a model trained without it.
    const leftOut =
      options.leaveOneIntentOut === true &&
      calibration === undefined &&
      calibrates &&
      outOfScopeExamples > 0 &&
      outOfScopeExamples < minOutOfScope
        ? labels.filter((l) => l !== OUT_OF_SCOPE)
        : [];
    // Generic questions from other domains stand in for the `None` examples a small set lacks, but
    // only where the threshold is chosen: every fold model scores them, none is trained on them.
    const background =
      calibration === undefined &&
      calibrates &&
      usesBackground(examples, options.language, options.backgroundBelow ?? 0, minOutOfScope)
        ? backgroundOutOfScope()
        : [];
    const partitions: Partition[] =
      calibration === undefined
        ? calibrates
          ? foldPartitions(examples, folds, softmax.seed)
          : []
        : [{ train: examples, held: calibration }];
    const extraRuns = leftOut.map((label) => ({
      train: examples.filter((e) => e.label !== label),
      held: examples.filter((e) => e.label === label),
    }));
    const total =
      softmax.epochs * (partitions.length + extraRuns.length + (calibration === undefined ? 1 : 0));
    let done = 0;
    const onEpoch = () => {
      done += 1;
      options.onProgress?.(done, total);
    };
    const index = new Map(labels.map((l, i) => [l, i]));
    // WordNet is English; each training part maps its own words, so held-out folds measure it fairly.
    const synonyms =
      options.language === 'en' && examples.length < (options.synonymsBelow ?? DEFAULT_SYNONYMS_BELOW)
        ? { stemmer: new WordStemmer('en'), wordnet: sharedWordNet() }
        : null;
    const trainOn = (given: readonly LabelledText[], withNeural: boolean): TrainedMembers => {
      const rows = withLabelNames(given, options.labelNamesBelow ?? 5);
      const texts = rows.map((r) => r.text);
      const extractor = FeatureExtractor.fit(
        texts,
        options.language,
        features,
        undefined,
        synonyms === null ? undefined : synonymMap(texts, synonyms.stemmer, synonyms.wordnet),
      );
      const vectors = rows.map((r) => extractor.transform(r.text));
      const classes = rows.map((r) => index.get(r.label) as number);
      const model = SoftmaxRegression.train(vectors, classes, extractor.size, labels.length, {
        ...softmax,
        onEpoch,
      });
      return {
        extractor,
        model,
        centroids: useCentroids ? centroidModel(vectors, classes, extractor.size, labels.length) : null,
        neural: withNeural ? NeuralIntents.train(rows, labels, options.language) : null,
      };
    };
    const predict = (
      members: TrainedMembers,
      rows: readonly LabelledText[],
      truth: (label: string) => number,
    ) =>
      rows.map((e) => {
        const x = members.extractor.transform(e.text);
        return {
          linear: members.model.logits(x),
          neural: members.neural?.scores(e.text) ?? null,
          centroids: members.centroids?.logits(x) ?? null,
          truth: truth(e.label),
        };
      });

    let threshold = options.fallbackThreshold ?? 0;
    let calibrated: Calibrated = { temperatures: [1, 1, 1], weights: [0, 0] };
    let validation: ValidationFigures | null = null;
    // With a validation split, the one model trained on all examples is both calibrated and kept.
    let trained: TrainedMembers | null = null;
    if (calibrates) {
      const held: MemberLogits[] = [];
      const pseudo: MemberLogits[] = [];
      for (const partition of partitions) {
        const members = trainOn(partition.train, useNeural);
        if (calibration !== undefined) trained = members;
        // A label the training data lacks counts as out of scope (-1).
        held.push(...predict(members, partition.held, (label) => labels.indexOf(label)));
        pseudo.push(...predict(members, background, () => -1));
      }
      for (const run of extraRuns) pseudo.push(...predict(trainOn(run.train, useNeural), run.held, () => -1));
      calibrated = calibrate(held, useNeural, useCentroids);
      const mixed = held.map((h) => mixedLogits(h, calibrated));
      const mixedPseudo = pseudo.map((h) => mixedLogits(h, calibrated));
      const outOfScopeClass = labels.indexOf(OUT_OF_SCOPE);
      const forThreshold = [...mixed, ...mixedPseudo];
      let chosen = chooseThreshold(
        forThreshold,
        1,
        outOfScopeClass,
        threshold,
        options.outOfScopeRate,
        // Rejecting an utterance a fold model got wrong is not free when the full model would answer it.
        leftOut.length > 0 || background.length > 0 ? 'acceptance' : 'accuracy',
      );
      const outOfScopeHeld = forThreshold.filter((h) => h.truth < 0 || h.truth === outOfScopeClass).length;
      if (leftOut.length === 0 && outOfScopeHeld < minOutOfScope && chosen.threshold > threshold) {
        chosen = thresholdFigures(forThreshold, 1, outOfScopeClass, threshold);
      }
      threshold = chosen.threshold;
      const right = mixed.filter((h) => argmax(h.logits) === h.truth).length;
      validation = {
        examples: held.length,
        accuracy: right / held.length,
        ...chosen,
        temperature: calibrated.temperatures[0],
      };
    }
    const [neuralWeight, centroidWeight] = calibrated.weights;
    const final = trained ?? trainOn(examples, neuralWeight > 0);
    const [temperature, neuralTemperature, centroidTemperature] = calibrated.temperatures;
    // A weight above 0 was only chosen when the members were trained with NLP.js's model.
    const neural =
      neuralWeight > 0 && final.neural !== null
        ? { weight: neuralWeight, temperature: neuralTemperature, model: final.neural }
        : null;
    const centroids =
      centroidWeight > 0 && final.centroids !== null
        ? { weight: centroidWeight, temperature: centroidTemperature, model: final.centroids }
        : null;
    return new IntentClassifier(
      labels,
      final.extractor,
      final.model,
      temperature,
      threshold,
      validation,
      neural,
      centroids,
    );
  }

  /** Rebuilds a classifier from {@link IntentClassifier.toJSON} output. */
  static fromJSON(state: IntentClassifierState): IntentClassifier {
    const extractor = FeatureExtractor.fromJSON(state.extractor);
    const linear = (weights: string, bias: Float32Array) =>
      new SoftmaxRegression({
        dimensions: extractor.size,
        classes: state.labels.length,
        weights: decodeFloats(weights),
        bias,
      });
    const model = linear(state.weights, Float32Array.from(state.bias));
    return new IntentClassifier(
      state.labels,
      extractor,
      model,
      state.temperature,
      state.threshold,
      state.validation,
      state.ensemble === undefined
        ? null
        : {
            weight: state.ensemble.weight,
            temperature: state.ensemble.temperature,
            model: NeuralIntents.fromJSON(state.ensemble.network, state.labels, state.extractor.language),
          },
      state.centroids === undefined
        ? null
        : {
            weight: state.centroids.weight,
            temperature: state.centroids.temperature,
            model: linear(state.centroids.weights, new Float32Array(state.labels.length)),
          },
    );
  }

  /** The serialisable state. */
  toJSON(): IntentClassifierState {
    const { weights, bias } = this.model.state;
    return {
      labels: [...this.labels],
      extractor: this.extractor.toJSON(),
      weights: encodeFloats(weights),
      bias: Array.from(bias),
      temperature: this.temperature,
      threshold: this.threshold,
      validation: this.validation,
      ...(this.ensemble === null
        ? {}
        : {
            ensemble: {
              weight: this.ensemble.weight,
              temperature: this.ensemble.temperature,
              network: this.ensemble.model.toJSON(),
            },
          }),
      ...(this.centroids === null
        ? {}
        : {
            centroids: {
              weight: this.centroids.weight,
              temperature: this.centroids.temperature,
              weights: encodeFloats(this.centroids.model.state.weights),
            },
          }),
    };
  }

  /** Ranks intents for one utterance; `maxIntents` bounds the list returned. */
  classify(text: string, maxIntents = 5): IntentPrediction {
    const x = this.extractor.transform(text);
    const linear = softmaxInPlace(this.model.logits(x), this.temperature);
    const probabilities =
      this.ensemble === null && this.centroids === null
        ? linear
        : mixAll(
            linear,
            [
              this.ensemble && softmaxInPlace(this.ensemble.model.scores(text), this.ensemble.temperature),
              this.centroids && softmaxInPlace(this.centroids.model.logits(x), this.centroids.temperature),
            ],
            [this.ensemble?.weight ?? 0, this.centroids?.weight ?? 0],
          );
    const top = argmax(probabilities);
    const confidence = probabilities[top] as number;
    const isOutOfScope = top === this.outOfScopeClass || confidence < this.threshold;
    const order = [...probabilities.keys()].sort(
      (a, b) => (probabilities[b] as number) - (probabilities[a] as number),
    );
    const intents = order
      .slice(0, maxIntents)
      .map((i) => ({ name: this.labels[i] as string, score: probabilities[i] as number }));
    return {
      topIntent: isOutOfScope ? OUT_OF_SCOPE : (this.labels[top] as string),
      confidence,
      isOutOfScope,
      intents,
    };
  }
}

function encodeFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function decodeFloats(base64: string): Float32Array {
  const buffer = Buffer.from(base64, 'base64');
  return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4).slice();
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

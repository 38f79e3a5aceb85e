/**
 * Multinomial logistic regression over sparse features, trained by plain SGD with L2 decay.
 * Softmax (rather than a margin loss) gives probabilities that a temperature can calibrate, which
 * the handoff policy needs: "confidence dropped" must mean the same thing for every intent.
 * Weights are stored feature-major so that scoring touches only the rows of the features present.
 */
import { RelevoError } from '../../core/errors.js';
import { createRandom, shuffleInPlace } from './random.js';
import type { SparseVector } from './features.js';

/** Training settings. */
export interface SoftmaxTrainingOptions {
  epochs: number;
  /** Initial step size; it decays as `lr / (1 + lr * l2 * t)` (Bottou's schedule). */
  learningRate: number;
  /** L2 penalty per example. */
  l2: number;
  seed: number;
  /**
   * Average the weights of the last `averageEpochs` epochs (tail averaging, Polyak–Juditsky): the
   * mean of late SGD iterates sits nearer the optimum than the last one. 0 = keep the last iterate.
   */
  averageEpochs?: number;
  /** Called after each epoch with (epoch, epochs). */
  onEpoch?: (epoch: number, epochs: number) => void;
}

/** Defaults chosen on validation slices carved from BANKING77 and CLINC150 train. */
export const DEFAULT_SOFTMAX_OPTIONS: SoftmaxTrainingOptions = {
  epochs: 12,
  learningRate: 1,
  l2: 1e-5,
  seed: 42,
  // +0.9 points on a 15 % BANKING77 slice carved from train (92.0 → 92.9 %), same training time.
  averageEpochs: 6,
};

/** The serialisable state of a trained model. */
export interface SoftmaxState {
  dimensions: number;
  classes: number;
  /** Feature-major weights: row `f` holds the `classes` weights of feature `f`. */
  weights: Float32Array;
  bias: Float32Array;
}

/** A trained multinomial logistic regression. */
export class SoftmaxRegression {
  constructor(readonly state: SoftmaxState) {}

  /** Trains on sparse examples whose labels are class indices in [0, classes). */
  static train(
    examples: readonly SparseVector[],
    labels: readonly number[],
    dimensions: number,
    classes: number,
    options: SoftmaxTrainingOptions,
  ): SoftmaxRegression {
    if (examples.length === 0 || examples.length !== labels.length) {
      throw new RelevoError('RELEVO_NLU_TRAINING_DATA', 'Training needs at least one labelled example');
    }
    const weights = new Float32Array(dimensions * classes);
    const bias = new Float32Array(classes);
    const scores = new Float64Array(classes);
    const order = examples.map((_, i) => i);
    const random = createRandom(options.seed);
    // W = scale · V lets L2 decay be one multiplication per step instead of a pass over all weights.
    let scale = 1;
    let step = 0;
    const averageFrom = options.epochs - Math.min(options.averageEpochs ?? 0, options.epochs);
    const averaged = averageFrom < options.epochs ? new Float32Array(weights.length) : null;
    const averagedBias = averaged === null ? null : new Float32Array(classes);
    for (let epoch = 0; epoch < options.epochs; epoch += 1) {
      shuffleInPlace(order, random);
      for (const n of order) {
        const x = examples[n] as SparseVector;
        const y = labels[n] as number;
        const lr = options.learningRate / (1 + options.learningRate * options.l2 * step);
        step += 1;
        scoreInto(scores, x, weights, bias, classes, scale);
        softmaxInPlace(scores);
        scale *= 1 - lr * options.l2;
        const factor = lr / scale;
        for (let c = 0; c < classes; c += 1) {
          const gradient = (scores[c] as number) - (c === y ? 1 : 0);
          if (gradient > -1e-6 && gradient < 1e-6) continue;
          bias[c] = (bias[c] as number) - lr * gradient;
          const g = factor * gradient;
          for (let k = 0; k < x.indices.length; k += 1) {
            const w = (x.indices[k] as number) * classes + c;
            weights[w] = (weights[w] as number) - g * (x.values[k] as number);
          }
        }
        if (scale < 1e-6) {
          for (let i = 0; i < weights.length; i += 1) weights[i] = (weights[i] as number) * scale;
          scale = 1;
        }
      }
      if (averaged !== null && averagedBias !== null && epoch >= averageFrom) {
        for (let i = 0; i < weights.length; i += 1) {
          averaged[i] = (averaged[i] as number) + (weights[i] as number) * scale;
        }
        for (let c = 0; c < classes; c += 1)
          averagedBias[c] = (averagedBias[c] as number) + (bias[c] as number);
      }
      options.onEpoch?.(epoch + 1, options.epochs);
    }
    if (averaged !== null && averagedBias !== null) {
      const count = options.epochs - averageFrom;
      for (let i = 0; i < averaged.length; i += 1) averaged[i] = (averaged[i] as number) / count;
      for (let c = 0; c < classes; c += 1) averagedBias[c] = (averagedBias[c] as number) / count;
      return new SoftmaxRegression({ dimensions, classes, weights: averaged, bias: averagedBias });
    }
    for (let i = 0; i < weights.length; i += 1) weights[i] = (weights[i] as number) * scale;
    return new SoftmaxRegression({ dimensions, classes, weights, bias });
  }

  /** Raw class scores (logits) of one example. */
  logits(x: SparseVector): Float64Array {
    const scores = new Float64Array(this.state.classes);
    scoreInto(scores, x, this.state.weights, this.state.bias, this.state.classes, 1);
    return scores;
  }
}

function scoreInto(
  scores: Float64Array,
  x: SparseVector,
  weights: Float32Array,
  bias: Float32Array,
  classes: number,
  scale: number,
): void {
  for (let c = 0; c < classes; c += 1) scores[c] = 0;
  for (let k = 0; k < x.indices.length; k += 1) {
    const row = (x.indices[k] as number) * classes;
    const v = (x.values[k] as number) * scale;
    for (let c = 0; c < classes; c += 1) scores[c] = (scores[c] as number) + v * (weights[row + c] as number);
  }
  for (let c = 0; c < classes; c += 1) scores[c] = (scores[c] as number) + (bias[c] as number);
}

/** Replaces logits with probabilities, optionally divided by a temperature first. */
export function softmaxInPlace(scores: Float64Array, temperature = 1): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (let c = 0; c < scores.length; c += 1) {
    const e = Math.exp(((scores[c] as number) - max) / temperature);
    scores[c] = e;
    sum += e;
  }
  for (let c = 0; c < scores.length; c += 1) scores[c] = (scores[c] as number) / sum;
  return scores;
}

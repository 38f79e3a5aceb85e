/**
 * Nearest-centroid intent scores (Rocchio): the cosine of an utterance's tf-idf vector with the
 * normalised mean vector of each intent's training utterances. Every intent counts the same
 * however many examples it has, so an intent with one or two utterances is not outvoted by the
 * frequent ones as it is in the softmax regression; a linear model, so scoring costs what the
 * softmax costs.
 */
import type { SparseVector } from './features.js';
import { SoftmaxRegression } from './softmax-regression.js';

/** The centroid scores as a linear model: weights are the unit centroids, no bias. */
export function centroidModel(
  vectors: readonly SparseVector[],
  labels: readonly number[],
  dimensions: number,
  classes: number,
): SoftmaxRegression {
  const weights = new Float32Array(dimensions * classes);
  vectors.forEach((x, n) => {
    const c = labels[n] as number;
    for (let k = 0; k < x.indices.length; k += 1) {
      const w = (x.indices[k] as number) * classes + c;
      weights[w] = (weights[w] as number) + (x.values[k] as number);
    }
  });
  const norms = new Float64Array(classes);
  for (let i = 0; i < weights.length; i += 1) {
    norms[i % classes] = (norms[i % classes] as number) + (weights[i] as number) ** 2;
  }
  for (let i = 0; i < weights.length; i += 1) {
    const norm = norms[i % classes] as number;
    if (norm > 0) weights[i] = (weights[i] as number) / Math.sqrt(norm);
  }
  return new SoftmaxRegression({ dimensions, classes, weights, bias: new Float32Array(classes) });
}

/**
 * Averaging calibrated class distributions: the softmax regression plus optional members (NLP.js's
 * neural classifier, nearest centroids), each weight chosen by the negative log-likelihood of
 * out-of-fold predictions (a proper score: on 30-example corpora, accuracy ties between most weights).
 */
import { fitTemperature, type HeldOutPrediction } from './calibration.js';
import { softmaxInPlace } from './softmax-regression.js';

/** Weights tried for each extra member; the softmax regression gets what is left of 1. */
const MEMBER_WEIGHTS = [0, 0.2, 0.35, 0.5, 0.65, 0.8, 1];

/** (1 − Σ wᵢ) · base + Σ wᵢ · memberᵢ, into a new array. */
export function mixAll(
  base: Float64Array,
  members: readonly (Float64Array | null)[],
  weights: readonly number[],
): Float64Array {
  const rest = 1 - weights.reduce((s, w) => s + w, 0);
  const out = base.map((p) => rest * p);
  members.forEach((member, m) => {
    const w = weights[m] as number;
    if (member === null || w === 0) return;
    for (let c = 0; c < out.length; c += 1) out[c] = (out[c] as number) + w * (member[c] as number);
  });
  return out;
}

/**
 * The member weights (summing to at most 1) with the lowest negative log-likelihood of the true
 * classes; ties keep the smaller weights, so a member that does not help is not kept. A member
 * that is null (switched off) stays at weight 0. `truths` of -1 (out of scope) are skipped.
 */
export function chooseWeights(
  base: readonly Float64Array[],
  members: readonly (readonly Float64Array[] | null)[],
  truths: readonly number[],
): number[] {
  const grids = members.map((m) => (m === null ? [0] : MEMBER_WEIGHTS));
  let best = members.map(() => 0);
  let bestLoss = Number.POSITIVE_INFINITY;
  const visit = (prefix: number[]): void => {
    if (prefix.length === members.length) {
      let loss = 0;
      truths.forEach((truth, i) => {
        if (truth < 0) return;
        const p = mixAll(
          base[i] as Float64Array,
          members.map((m) => (m === null ? null : (m[i] as Float64Array))),
          prefix,
        )[truth] as number;
        loss -= Math.log(Math.max(p, 1e-12));
      });
      if (loss < bestLoss - 1e-9) {
        bestLoss = loss;
        best = prefix;
      }
      return;
    }
    const used = prefix.reduce((s, w) => s + w, 0);
    for (const w of grids[prefix.length] as number[]) if (used + w <= 1 + 1e-9) visit([...prefix, w]);
  };
  visit([]);
  return best;
}

/** Held-out raw scores of every member for one utterance (null = member off). */
export interface MemberLogits {
  linear: Float64Array;
  neural: Float64Array | null;
  centroids: Float64Array | null;
  /** Index of the true class; -1 = out of scope. */
  truth: number;
}

/** Temperatures of the linear model, NLP.js's model and the centroids; weights of the last two. */
export interface Calibrated {
  temperatures: [number, number, number];
  weights: [number, number];
}

/** Fits each member's temperature, then the weights, on held-out scores. */
export function calibrate(held: readonly MemberLogits[], neural: boolean, centroids: boolean): Calibrated {
  const truths = held.map((h) => h.truth);
  const temperature = (pick: (h: MemberLogits) => Float64Array | null): number =>
    fitTemperature(held.map((h, i) => ({ logits: pick(h) as Float64Array, truth: truths[i] as number })));
  const temperatures: [number, number, number] = [
    temperature((h) => h.linear),
    neural ? temperature((h) => h.neural) : 1,
    centroids ? temperature((h) => h.centroids) : 1,
  ];
  const probabilities = (pick: (h: MemberLogits) => Float64Array | null, t: number) =>
    held.map((h) => softmaxInPlace(Float64Array.from(pick(h) as Float64Array), t));
  const [wNeural, wCentroids] = chooseWeights(
    probabilities((h) => h.linear, temperatures[0]),
    [
      neural ? probabilities((h) => h.neural, temperatures[1]) : null,
      centroids ? probabilities((h) => h.centroids, temperatures[2]) : null,
    ],
    truths,
  );
  return { temperatures, weights: [wNeural as number, wCentroids as number] };
}

/** The calibrated average of one utterance's member scores, as log-probabilities. */
export function mixedLogits(h: MemberLogits, c: Calibrated): HeldOutPrediction {
  const member = (logits: Float64Array | null, t: number) =>
    logits === null ? null : softmaxInPlace(Float64Array.from(logits), t);
  const mixed = mixAll(
    softmaxInPlace(Float64Array.from(h.linear), c.temperatures[0]),
    [member(h.neural, c.temperatures[1]), member(h.centroids, c.temperatures[2])],
    c.weights,
  );
  return { logits: mixed.map((p) => Math.log(Math.max(p, 1e-300))), truth: h.truth };
}

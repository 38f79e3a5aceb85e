/**
 * Confidence calibration and out-of-scope thresholds, fitted on held-out predictions only.
 * Temperature scaling (Guo et al. 2017) makes a score of 0.7 mean "right about 70 % of the time";
 * the out-of-scope threshold is then chosen on the same held-out predictions, never on test data.
 */
import { softmaxInPlace } from './softmax-regression.js';

/** One held-out prediction: the raw logits and the index of the true class (-1 = out of scope). */
export interface HeldOutPrediction {
  logits: Float64Array;
  truth: number;
}

/** The temperature minimising negative log-likelihood of the in-scope held-out predictions. */
export function fitTemperature(predictions: readonly HeldOutPrediction[]): number {
  const inScope = predictions.filter((p) => p.truth >= 0);
  if (inScope.length === 0) return 1;
  let best = 1;
  let bestLoss = Number.POSITIVE_INFINITY;
  // A log-spaced grid is enough: NLL is smooth and unimodal in T, and this runs once per training.
  for (let i = -30; i <= 30; i += 1) {
    const temperature = 10 ** (i / 20);
    let loss = 0;
    for (const p of inScope) {
      const probabilities = softmaxInPlace(Float64Array.from(p.logits), temperature);
      loss -= Math.log(Math.max(probabilities[p.truth] as number, 1e-12));
    }
    if (loss < bestLoss) {
      bestLoss = loss;
      best = temperature;
    }
  }
  return best;
}

/** Figures of a threshold on held-out predictions. */
export interface ThresholdFigures {
  threshold: number;
  inScopeAccuracy: number;
  oosRecall: number;
}

/**
 * What a threshold is worth for in-scope utterances: `accuracy` counts those answered right;
 * `acceptance` counts every one not rejected, also those the held-out model got wrong — a model
 * trained on a fold of a small corpus misses utterances the model trained on all of it answers,
 * so rejecting them is not free (Braun WebApplications: intents of one or two utterances).
 */
export type InScopeObjective = 'accuracy' | 'acceptance';

/**
 * Chooses the confidence threshold below which an utterance is out of scope. With out-of-scope
 * examples it maximises the expected accuracy on traffic of which a share `outOfScopeRate` is out
 * of scope: (1 − rate) · in-scope accuracy (or acceptance, see {@link InScopeObjective}) + rate ·
 * out-of-scope recall. Weighing by the expected
 * traffic, not by the held-out class balance, keeps a few out-of-scope examples from pushing the
 * threshold so high that real questions go unanswered. Without out-of-scope examples it returns
 * `fallback`, as nothing can be measured. `outOfScopeClass` is the index of a trained "None" class,
 * or -1.
 */
export function chooseThreshold(
  predictions: readonly HeldOutPrediction[],
  temperature: number,
  outOfScopeClass: number,
  fallback: number,
  outOfScopeRate = 0.05,
  objective: InScopeObjective = 'accuracy',
): ThresholdFigures {
  const evaluate = thresholdEvaluator(predictions, temperature, outOfScopeClass);
  const outOfScopeCount = predictions.filter((p) => p.truth < 0 || p.truth === outOfScopeClass).length;
  if (outOfScopeCount === 0) return evaluate(fallback);
  const value = (f: ThresholdFigures & { inScopeAcceptance: number }) =>
    (1 - outOfScopeRate) * (objective === 'accuracy' ? f.inScopeAccuracy : f.inScopeAcceptance) +
    outOfScopeRate * f.oosRecall;
  let best = evaluate(0);
  for (let i = 1; i < 100; i += 1) {
    const figures = evaluate(i / 100);
    if (value(figures) > value(best)) best = figures;
  }
  const { inScopeAcceptance: _, ...figures } = best;
  return figures;
}

/** In-scope accuracy and out-of-scope recall of the held-out predictions at a given threshold. */
export function thresholdFigures(
  predictions: readonly HeldOutPrediction[],
  temperature: number,
  outOfScopeClass: number,
  threshold: number,
): ThresholdFigures {
  const { inScopeAcceptance: _, ...figures } = thresholdEvaluator(
    predictions,
    temperature,
    outOfScopeClass,
  )(threshold);
  return figures;
}

function thresholdEvaluator(
  predictions: readonly HeldOutPrediction[],
  temperature: number,
  outOfScopeClass: number,
): (threshold: number) => ThresholdFigures & { inScopeAcceptance: number } {
  const scored = predictions.map((p) => {
    const probabilities = softmaxInPlace(Float64Array.from(p.logits), temperature);
    let top = 0;
    for (let c = 1; c < probabilities.length; c += 1) {
      if ((probabilities[c] as number) > (probabilities[top] as number)) top = c;
    }
    return { top, confidence: probabilities[top] as number, truth: p.truth };
  });
  return (threshold: number) => {
    let inScope = 0;
    let inScopeRight = 0;
    let inScopeAccepted = 0;
    let outOfScope = 0;
    let outOfScopeRight = 0;
    for (const s of scored) {
      const rejected = s.top === outOfScopeClass || s.confidence < threshold;
      if (s.truth < 0 || s.truth === outOfScopeClass) {
        outOfScope += 1;
        if (rejected) outOfScopeRight += 1;
      } else {
        inScope += 1;
        if (!rejected) inScopeAccepted += 1;
        if (!rejected && s.top === s.truth) inScopeRight += 1;
      }
    }
    return {
      threshold,
      inScopeAccuracy: inScope === 0 ? 0 : inScopeRight / inScope,
      inScopeAcceptance: inScope === 0 ? 0 : inScopeAccepted / inScope,
      oosRecall: outOfScope === 0 ? 0 : outOfScopeRight / outOfScope,
    };
  };
}

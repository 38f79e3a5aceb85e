/** Stratified k-fold partitions for the calibration of the intent classifier. */
import type { LabelledText } from '../corpus/jsonl.js';
import { createRandom, shuffleInPlace } from './random.js';

/** One training part and the utterances held out from it. */
export interface Partition {
  train: readonly LabelledText[];
  held: readonly LabelledText[];
}

/** The k (train, held-out) partitions of stratified k-fold cross-validation. */
export function foldPartitions(examples: readonly LabelledText[], folds: number, seed: number): Partition[] {
  const assignment = stratifiedFolds(examples, folds, seed);
  return Array.from({ length: folds }, (_, k) => ({
    train: examples.filter((_, i) => assignment[i] !== k),
    held: examples.filter((_, i) => assignment[i] === k),
  }));
}

/** Fold number of every example, each class spread evenly over the folds. */
function stratifiedFolds(examples: readonly LabelledText[], folds: number, seed: number): number[] {
  const random = createRandom(seed + 1);
  const byLabel = new Map<string, number[]>();
  examples.forEach((e, i) => {
    byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), i]);
  });
  const assignment = new Array<number>(examples.length).fill(0);
  for (const indices of byLabel.values()) {
    shuffleInPlace(indices, random).forEach((example, k) => {
      assignment[example] = k % folds;
    });
  }
  return assignment;
}

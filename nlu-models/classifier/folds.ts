/** Stratified k-fold partitions for the calibration of the intent classifier. */
import type { LabelledText } from '../corpus/jsonl.js';
import { createRandom, type Random, shuffleInPlace } from './random.js';

/** One training part and the utterances held out from it. */
export interface Partition {
  train: readonly LabelledText[];
  held: readonly LabelledText[];
}

/** The k (train, held-out) partitions of stratified k-fold cross-validation. */
export function foldPartitions(examples: readonly LabelledText[], folds: number, seed: number): Partition[] {
  const assignment = stratifiedFolds(examples, folds, createRandom(seed + 1));
  return Array.from({ length: folds }, (_, k) => ({
    train: examples.filter((_, i) => assignment[i] !== k),
    held: examples.filter((_, i) => assignment[i] === k),
  }));
}

/**
 * Fold number of every example, each class spread evenly over the folds. `staggered`: each class
 * continues where the one before left off, so classes of one or two examples do not all start in
 * fold 0 (the `nlu:cv` CLI; the classifier's own calibration folds are not staggered).
 */
export function stratifiedFolds(
  examples: readonly LabelledText[],
  folds: number,
  random: Random,
  staggered = false,
): number[] {
  const byLabel = new Map<string, number[]>();
  examples.forEach((e, i) => {
    const indices = byLabel.get(e.label);
    if (indices) indices.push(i);
    else byLabel.set(e.label, [i]);
  });
  const assignment = new Array<number>(examples.length).fill(0);
  let offset = 0;
  for (const indices of byLabel.values()) {
    shuffleInPlace(indices, random).forEach((example, k) => {
      assignment[example] = (k + offset) % folds;
    });
    if (staggered) offset += indices.length;
  }
  return assignment;
}

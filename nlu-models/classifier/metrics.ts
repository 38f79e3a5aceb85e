/**
 * Evaluation figures shared by the CLIs and the training-time validation: accuracy, per-class
 * precision/recall/F1 and their macro average.
 */

/** Precision, recall and F1 of one class. */
export interface ClassFigures {
  label: string;
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Per-class figures over parallel arrays of true and predicted labels. */
export function classFigures(truth: readonly string[], predicted: readonly string[]): ClassFigures[] {
  const labels = [...new Set(truth)].sort();
  return labels.map((label) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      const p = predicted[i];
      if (t === label && p === label) tp += 1;
      else if (p === label) fp += 1;
      else if (t === label) fn += 1;
    });
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support: tp + fn, precision, recall, f1 };
  });
}

/** Mean F1 over the classes present in `truth`. */
export function macroF1(truth: readonly string[], predicted: readonly string[]): number {
  const figures = classFigures(truth, predicted);
  return figures.reduce((sum, f) => sum + f.f1, 0) / Math.max(1, figures.length);
}

/** Share of positions where prediction equals truth. */
export function accuracy(truth: readonly string[], predicted: readonly string[]): number {
  const right = truth.filter((t, i) => t === predicted[i]).length;
  return truth.length === 0 ? 0 : right / truth.length;
}

/**
 * `npm run nlu:cv -- --train F [--folds 5] [--seeds 9] [--lang en|es] [--centroids yes|no]
 * [--leave-one-intent-out yes|no] [--label-names-below N] [--synonyms-below N] [--background-below N]`:
 * the honest figures of an intent setting from a training file alone (for data sets without a validation split, like the
 * Braun corpora), each model the full `IntentClassifier` with its own calibration inside its
 * training part:
 * - stratified k-fold cross-validation over fold seeds 1…N: accuracy with `None` as an intent;
 * - on up to 300 utterances, leave-one-out accuracy (deterministic) and the out-of-scope recall on
 *   unseen intents: each intent in turn is left out of training and should come back `None`.
 * Prints a summary and, as its last line, one JSON object.
 */
import { IntentClassifier, type IntentTrainingOptions } from '../classifier/intent-classifier.js';
import { stratifiedFolds } from '../classifier/folds.js';
import { usesBackground } from '../classifier/background.js';
import { DEFAULT_MIN_OUT_OF_SCOPE, DEFAULT_SYNONYMS_BELOW } from '../classifier/intent-options.js';
import { createRandom } from '../classifier/random.js';
import { type LabelledText, OUT_OF_SCOPE, readJsonl } from '../corpus/jsonl.js';
import { isLanguage } from '../text/stemmer.js';
import { count, parseArgs, runCli, yesNo } from './args.js';

/** Leave-one-out and leave-one-intent-out train one model per utterance or intent. */
const MAX_EXHAUSTIVE = 300;

function share(right: number, total: number): number | null {
  return total === 0 ? null : right / total;
}

/** Fraction right of `held` under a model trained on `train`. */
function score(
  train: readonly LabelledText[],
  held: readonly LabelledText[],
  options: IntentTrainingOptions,
  truth: (row: LabelledText) => string = (row) => row.label,
): number {
  const classifier = IntentClassifier.train(train, options);
  return held.filter((row) => classifier.classify(row.text).topIntent === truth(row)).length;
}

function kFold(
  rows: readonly LabelledText[],
  folds: number,
  seed: number,
  options: IntentTrainingOptions,
): number {
  const fold = stratifiedFolds(rows, folds, createRandom(seed * 101), true);
  let right = 0;
  for (let k = 0; k < folds; k += 1) {
    right += score(
      rows.filter((_, i) => fold[i] !== k),
      rows.filter((_, i) => fold[i] === k),
      options,
    );
  }
  return right;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), [
    'train',
    'folds',
    'seeds',
    'lang',
    'centroids',
    'leave-one-intent-out',
    'label-names-below',
    'synonyms-below',
    'background-below',
  ]);
  const trainPath = args.get('train');
  const folds = Number(args.get('folds') ?? '5');
  const seeds = Number(args.get('seeds') ?? '9');
  const language = args.get('lang') ?? 'en';
  if (
    trainPath === undefined ||
    !isLanguage(language) ||
    !(Number.isInteger(folds) && folds >= 2) ||
    !(Number.isInteger(seeds) && seeds >= 1)
  ) {
    process.stderr.write(
      'usage: npm run nlu:cv -- --train F [--folds 2..] [--seeds 1..] [--lang en|es] [--centroids yes|no] [--leave-one-intent-out yes|no] [--label-names-below N] [--synonyms-below N] [--background-below N]\n',
    );
    process.exitCode = 2;
    return;
  }
  const rows = readJsonl(trainPath, 'intent');
  // Whether WordNet features and background queries apply is decided on the whole file, as training on
  // it decides: each fold is smaller, and a file just over a limit would otherwise be measured with them
  // and trained without.
  const synonymsBelow = count(args, 'synonyms-below') ?? DEFAULT_SYNONYMS_BELOW;
  const options: IntentTrainingOptions = {
    language,
    centroids: yesNo(args, 'centroids'),
    leaveOneIntentOut: yesNo(args, 'leave-one-intent-out'),
    labelNamesBelow: count(args, 'label-names-below'),
    synonymsBelow: rows.length < synonymsBelow ? Number.MAX_SAFE_INTEGER : 0,
    backgroundBelow: usesBackground(
      rows,
      language,
      count(args, 'background-below') ?? 0,
      DEFAULT_MIN_OUT_OF_SCOPE,
    )
      ? Number.MAX_SAFE_INTEGER
      : 0,
  };
  let right = 0;
  for (let seed = 1; seed <= seeds; seed += 1) right += kFold(rows, folds, seed, options);
  const figures = {
    kFoldAccuracy: share(right, rows.length * seeds),
    leaveOneOutAccuracy: null as number | null,
    unseenIntentOosRecall: null as number | null,
  };
  if (rows.length <= MAX_EXHAUSTIVE) {
    const looRight = rows.reduce(
      (sum, row, i) =>
        sum +
        score(
          rows.filter((_, j) => j !== i),
          [row],
          options,
        ),
      0,
    );
    figures.leaveOneOutAccuracy = share(looRight, rows.length);
    const intents = [...new Set(rows.map((r) => r.label))].filter((l) => l !== OUT_OF_SCOPE);
    const unseen = rows.filter((r) => r.label !== OUT_OF_SCOPE);
    // Only with at least two intents left to train on.
    if (intents.length >= 3) {
      const rejected = intents.reduce(
        (sum, intent) =>
          sum +
          score(
            rows.filter((r) => r.label !== intent),
            rows.filter((r) => r.label === intent),
            options,
            () => OUT_OF_SCOPE,
          ),
        0,
      );
      figures.unseenIntentOosRecall = share(rejected, unseen.length);
    }
  }
  const percent = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)} %`);
  process.stdout.write(
    `${trainPath}: ${rows.length} utterances\n` +
      `${folds}-fold × ${seeds} seeds accuracy: ${percent(figures.kFoldAccuracy)}\n` +
      `leave-one-out accuracy: ${percent(figures.leaveOneOutAccuracy)}\n` +
      `out-of-scope recall on unseen intents: ${percent(figures.unseenIntentOosRecall)}\n` +
      `${JSON.stringify(figures)}\n`,
  );
}

await runCli(main);

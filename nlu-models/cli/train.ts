/**
 * `npm run nlu:train`: trains the shipped retail recognizer (intents en + es, sentiment, language
 * detection) into the on-disk cache, so the next start loads it instead of training, and prints the
 * k-fold validation figures of each intent model.
 */
import { NluRecognizer } from '../recognizer/nlu-recognizer.js';
import { formatTable, percent } from './args.js';
import { createProgressBar } from './progress-bar.js';

const startedAt = Date.now();
const recognizer = await NluRecognizer.create({ onProgress: createProgressBar('training') });
const rows = recognizer.languages.map((language) => {
  const classifier = recognizer.classifier(language);
  const v = classifier?.validation ?? null;
  return [
    language,
    String((classifier?.labels.length ?? 0) - 1),
    v === null ? '-' : percent(v.inScopeAccuracy),
    v === null ? '-' : percent(v.oosRecall),
    classifier?.threshold.toFixed(2) ?? '-',
  ];
});
process.stdout.write(
  `${formatTable(['language', 'intents', 'in-scope (k-fold)', 'out-of-scope recall', 'threshold'], rows)}\n`,
);
process.stdout.write(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (.cache/nlu)\n`);

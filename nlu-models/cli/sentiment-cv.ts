/**
 * `npm run sentiment:cv -- --lang en|es [--folds 5] [--seeds 4]`: the honest figures behind every
 * sentiment setting in docs/nlu.md, from the shipped data alone (UMSAB's test split is never seen).
 * - k-fold cross-validation of UMSAB train, repeated over fold seeds (customer-service sentences
 *   added to every training part, as shipped): mean macro-F1 and its spread over seeds;
 * - train → val: a model trained on train (+ customer-service sentences), measured on UMSAB val;
 * - the customer-messages test fixture, measured with the shipped model (train + val + service).
 * Prints a summary and, as its last line, one JSON object.
 */
import { fileURLToPath } from 'node:url';
import { classFigures, macroF1 } from '../classifier/metrics.js';
import { createRandom, shuffleInPlace } from '../classifier/random.js';
import { type LabelledText, readJsonl } from '../corpus/jsonl.js';
import { shippedSentimentData } from '../sentiment/sentiment-analyzer.js';
import { SentimentModel } from '../sentiment/sentiment-model.js';
import { isLanguage, type Language } from '../text/stemmer.js';
import { parseArgs, runCli } from './args.js';

const DATA = fileURLToPath(new URL('../data/sentiment/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../test/nlu-models/fixtures/', import.meta.url));

function macroF1Of(model: SentimentModel, rows: readonly LabelledText[]): number {
  return macroF1(
    rows.map((r) => r.label),
    rows.map((r) => model.analyze(r.text).label),
  );
}

/** Training rows as shipped: customer-service sentences three times (see shippedSentimentData). */
function withService(rows: readonly LabelledText[], service: readonly LabelledText[]): LabelledText[] {
  return [...rows, ...service, ...service, ...service];
}

function crossValidate(
  language: Language,
  rows: LabelledText[],
  service: LabelledText[],
  folds: number,
  seeds: number,
) {
  const perSeed: number[] = [];
  for (let s = 0; s < seeds; s += 1) {
    const order = shuffleInPlace(
      rows.map((_, i) => i),
      createRandom(1000 + s),
    );
    let sum = 0;
    for (let k = 0; k < folds; k += 1) {
      const training = order.filter((_, j) => j % folds !== k).map((i) => rows[i] as LabelledText);
      const held = order.filter((_, j) => j % folds === k).map((i) => rows[i] as LabelledText);
      const model = SentimentModel.train(withService(training, service), { language });
      sum += macroF1Of(model, held);
    }
    perSeed.push(sum / folds);
  }
  return perSeed;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), ['lang', 'folds', 'seeds', 'pool']);
  const language = args.get('lang');
  if (!isLanguage(language)) {
    process.stderr.write('usage: npm run sentiment:cv -- --lang en|es [--folds 5] [--seeds 4]\n');
    process.exitCode = 2;
    return;
  }
  const folds = Number(args.get('folds') ?? 5);
  const seeds = Number(args.get('seeds') ?? 4);
  const train = readJsonl(`${DATA}umsab-${language}.train.jsonl`, 'sentiment');
  const val = readJsonl(`${DATA}umsab-${language}.val.jsonl`, 'sentiment');
  const service = readJsonl(`${DATA}customer-service.${language}.jsonl`, 'sentiment');

  // --pool: cross-validate train + val together (2,163 tweets) where train and val disagree.
  const pooled = args.get('pool') === 'yes';
  const perSeed = crossValidate(language, pooled ? [...train, ...val] : train, service, folds, seeds);
  const cv = perSeed.reduce((a, b) => a + b, 0) / perSeed.length;
  // Trained with as many model seeds as fold seeds: one SGD run moves val macro-F1 by ±0.02.
  const valPerSeed = Array.from({ length: seeds }, (_, s) =>
    macroF1Of(SentimentModel.train(withService(train, service), { language, seed: 7 + s }), val),
  );
  const trainToVal = valPerSeed.reduce((a, b) => a + b, 0) / valPerSeed.length;
  const shipped = SentimentModel.train(shippedSentimentData(language), { language });
  const messages = readJsonl(`${FIXTURES}customer-messages.${language}.jsonl`, 'sentiment');
  const negative = classFigures(
    messages.map((r) => r.label),
    messages.map((r) => shipped.analyze(r.text).label),
  ).find((f) => f.label === 'negative');
  const figures = {
    language,
    cvMacroF1: cv,
    cvPerSeed: perSeed,
    trainToValMacroF1: trainToVal,
    trainToValPerSeed: valPerSeed,
    complaintRecall: negative?.recall ?? null,
    complaintPrecision: negative?.precision ?? null,
  };
  process.stdout.write(
    `${language}: ${folds}-fold CV of ${pooled ? 'train + val' : 'train'} x ${seeds} seeds macro-F1 ${cv.toFixed(3)} (${perSeed.map((f) => f.toFixed(3)).join(' ')}), train -> val ${trainToVal.toFixed(3)} (${valPerSeed.map((f) => f.toFixed(3)).join(' ')}), customer messages negative recall ${negative?.recall.toFixed(2)} precision ${negative?.precision.toFixed(2)}\n`,
  );
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

await runCli(main);

/**
 * `npm run sentiment:eval -- --test F --lang en|es [--train F[,F…]]`: measures the sentiment model on
 * a JSONL file. Without `--train` it uses the shipped model (UMSAB train + val + customer-service
 * data); with it, a model trained on those files alone (several joined with commas). Prints a table and, as its last line, one JSON
 * object: accuracy, macroF1, negativeRecall, negativePrecision.
 */
import { accuracy, classFigures, macroF1 } from '../classifier/metrics.js';
import { readJsonl } from '../corpus/jsonl.js';
import { SentimentAnalyzer } from '../sentiment/sentiment-analyzer.js';
import { SentimentModel } from '../sentiment/sentiment-model.js';
import { isLanguage } from '../text/stemmer.js';
import { formatTable, parseArgs, percent, runCli } from './args.js';
import { createProgressBar } from './progress-bar.js';

function main(): void {
  const args = parseArgs(process.argv.slice(2), ['train', 'test', 'lang']);
  const testPath = args.get('test');
  const language = args.get('lang');
  const trainPath = args.get('train');
  if (testPath === undefined || !isLanguage(language)) {
    process.stderr.write('usage: npm run sentiment:eval -- --test F --lang en|es [--train F[,F…]]\n');
    process.exitCode = 2;
    return;
  }
  const progress = createProgressBar('training');
  const model =
    trainPath === undefined
      ? (SentimentAnalyzer.train([language], {}, progress).model(language) as SentimentModel)
      : SentimentModel.train(
          trainPath.split(',').flatMap((path) => readJsonl(path, 'sentiment')),
          { language, onProgress: progress },
        );
  const test = readJsonl(testPath, 'sentiment');
  const truth = test.map((r) => r.label);
  const predicted = test.map((r) => model.analyze(r.text).label);
  const perClass = classFigures(truth, predicted);
  const negative = perClass.find((f) => f.label === 'negative');
  const figures = {
    accuracy: accuracy(truth, predicted),
    macroF1: macroF1(truth, predicted),
    negativeRecall: negative?.recall ?? null,
    negativePrecision: negative?.precision ?? null,
  };
  const out = process.stdout;
  out.write(
    `model: ${trainPath ?? 'shipped (UMSAB train + val + customer-service data)'}, language ${language}\n`,
  );
  out.write(`test ${testPath}: ${test.length} utterances\n`);
  out.write(
    `out-of-fold macro-F1 on the training data: ${model.validationMacroF1?.toFixed(3) ?? '-'}, biases negative ${model.biases.negative} / positive ${model.biases.positive}\n\n`,
  );
  out.write(
    `${formatTable(
      ['class', 'support', 'precision', 'recall', 'F1'],
      perClass.map((f) => [
        f.label,
        String(f.support),
        percent(f.precision),
        percent(f.recall),
        f.f1.toFixed(3),
      ]),
    )}\n`,
  );
  out.write(`accuracy ${percent(figures.accuracy)}, macro-F1 ${figures.macroF1.toFixed(3)}\n`);
  out.write(`${JSON.stringify(figures)}\n`);
}

await runCli(main);

/**
 * `npm run nlu:eval -- --train F[,F…] [--validation F] [--oos-rate R] --test F [--lang en|es]
 * [--centroids yes|no] [--leave-one-intent-out yes|no] [--label-names-below N] [--synonyms-below N]
 * [--background-below N]` (the opt-in options of IntentClassifier):
 * trains the intent model on JSONL files (several joined with commas), calibrated on the data set's
 * validation split where given (else on k folds of the training data), the out-of-scope threshold
 * weighing an expected share R of out-of-scope traffic (default 0.05), recognises every test utterance through the
 * full NluRecognizer (intent + entities + sentiment), prints a table and, as its last line, one JSON
 * object: accuracy, inScopeAccuracy, oosRecall, macroF1, utterancesPerSecond.
 */
import { IntentClassifier } from '../classifier/intent-classifier.js';
import { classFigures, macroF1 } from '../classifier/metrics.js';
import { OUT_OF_SCOPE, readJsonl } from '../corpus/jsonl.js';
import { NluRecognizer } from '../recognizer/nlu-recognizer.js';
import { isLanguage } from '../text/stemmer.js';
import { count, formatTable, parseArgs, percent, runCli, yesNo } from './args.js';
import { createProgressBar } from './progress-bar.js';

const SPEED_UTTERANCES = 3000;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), [
    'train',
    'validation',
    'oos-rate',
    'test',
    'lang',
    'centroids',
    'leave-one-intent-out',
    'label-names-below',
    'synonyms-below',
    'background-below',
  ]);
  const outOfScopeRate = Number(args.get('oos-rate') ?? '0.05');
  const validationPath = args.get('validation');
  const trainPath = args.get('train');
  const testPath = args.get('test');
  const language = args.get('lang') ?? 'en';
  if (
    trainPath === undefined ||
    testPath === undefined ||
    !isLanguage(language) ||
    !(outOfScopeRate >= 0 && outOfScopeRate <= 1)
  ) {
    process.stderr.write(
      'usage: npm run nlu:eval -- --train F[,F…] [--validation F] [--oos-rate 0..1] --test F [--lang en|es] [--centroids yes|no] [--leave-one-intent-out yes|no] [--label-names-below N] [--synonyms-below N] [--background-below N]\n',
    );
    process.exitCode = 2;
    return;
  }
  const train = trainPath.split(',').flatMap((path) => readJsonl(path, 'intent'));
  const test = readJsonl(testPath, 'intent');
  const trainingStartedAt = Date.now();
  const classifier = IntentClassifier.train(train, {
    language,
    outOfScopeRate,
    centroids: yesNo(args, 'centroids'),
    leaveOneIntentOut: yesNo(args, 'leave-one-intent-out'),
    labelNamesBelow: count(args, 'label-names-below'),
    synonymsBelow: count(args, 'synonyms-below'),
    backgroundBelow: count(args, 'background-below'),
    ...(validationPath === undefined ? {} : { calibration: readJsonl(validationPath, 'intent') }),
    onProgress: createProgressBar('training'),
  });
  const trainingSeconds = (Date.now() - trainingStartedAt) / 1000;
  const recognizer = await NluRecognizer.create({
    intentClassifiers: { [language]: classifier },
    onProgress: createProgressBar('sentiment'),
  });

  const predicted = test.map((row) => recognizer.recognizeText(row.text, { language }).topIntent);
  const truth = test.map((row) => row.label);
  let inScope = 0;
  let inScopeRight = 0;
  let outOfScope = 0;
  let outOfScopeRight = 0;
  truth.forEach((label, i) => {
    if (label === OUT_OF_SCOPE) {
      outOfScope += 1;
      if (predicted[i] === OUT_OF_SCOPE) outOfScopeRight += 1;
    } else {
      inScope += 1;
      if (predicted[i] === label) inScopeRight += 1;
    }
  });

  const startedAt = process.hrtime.bigint();
  let done = 0;
  while (done < SPEED_UTTERANCES) {
    for (const row of test) {
      recognizer.recognizeText(row.text, { language });
      done += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;

  const figures = {
    accuracy: (inScopeRight + outOfScopeRight) / test.length,
    inScopeAccuracy: inScope === 0 ? null : inScopeRight / inScope,
    oosRecall: outOfScope === 0 ? null : outOfScopeRight / outOfScope,
    macroF1: macroF1(truth, predicted),
    utterancesPerSecond: Math.round(done / seconds),
  };
  const validation = classifier.validation;
  const worst = classFigures(truth, predicted)
    .sort((a, b) => a.f1 - b.f1)
    .slice(0, 5);
  const out = process.stdout;
  out.write(
    `train ${trainPath}: ${train.length} utterances, ${classifier.labels.length} intents, ${trainingSeconds.toFixed(1)} s\n`,
  );
  if (validationPath !== undefined) out.write(`calibrated on ${validationPath}\n`);
  out.write(`test  ${testPath}: ${test.length} utterances, language ${language}\n\n`);
  out.write(
    `${formatTable(
      ['figure', validationPath === undefined ? 'k-fold validation (train)' : 'validation', 'test'],
      [
        ['accuracy', validation === null ? '-' : percent(validation.accuracy), percent(figures.accuracy)],
        [
          'in-scope accuracy',
          validation === null ? '-' : percent(validation.inScopeAccuracy),
          figures.inScopeAccuracy === null ? '-' : percent(figures.inScopeAccuracy),
        ],
        [
          'out-of-scope recall',
          validation === null || !classifier.labels.includes(OUT_OF_SCOPE)
            ? '-'
            : percent(validation.oosRecall),
          figures.oosRecall === null ? '-' : percent(figures.oosRecall),
        ],
        ['macro-F1', '-', figures.macroF1.toFixed(3)],
        [
          'threshold / temperature',
          `${classifier.threshold.toFixed(2)} / ${classifier.temperature.toFixed(2)}`,
          '',
        ],
        ['utterances/s (intent+entities+sentiment)', '', String(figures.utterancesPerSecond)],
      ],
    )}\n\n`,
  );
  out.write(
    `${formatTable(
      ['weakest intents', 'support', 'precision', 'recall', 'F1'],
      worst.map((f) => [
        f.label,
        String(f.support),
        percent(f.precision),
        percent(f.recall),
        f.f1.toFixed(3),
      ]),
    )}\n`,
  );
  out.write(`${JSON.stringify(figures)}\n`);
}

await runCli(main);

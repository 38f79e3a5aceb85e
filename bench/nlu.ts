/**
 * `tsx bench/nlu.ts [--train F]`: recognition throughput (intent + entities + sentiment) of one
 * NluRecognizer on one core. Default model: BANKING77-sized is not shipped, so without `--train`
 * it measures the retail model; pass a 77-intent JSONL file to measure the target case.
 * Prints a line per model and, last, one JSON object `{utterancesPerSecond, intents}`.
 */
import { IntentClassifier } from '../nlu-models/classifier/intent-classifier.js';
import { readJsonl } from '../nlu-models/corpus/jsonl.js';
import { NluRecognizer } from '../nlu-models/index.js';

const UTTERANCES = 20_000;
const SAMPLES = [
  'where is my order ORD-123456? it should have arrived on March 3',
  'I was charged $49.99 twice, this is ridiculous',
  '¿dónde está mi pedido? llevo dos semanas esperando',
  'can I return the wireless earbuds',
  'quiero hablar con una persona',
  'how many points do I have',
  'my card still has not arrived',
  'what is the capital of france',
];

const trainIndex = process.argv.indexOf('--train');
const trainPath = trainIndex > 0 ? process.argv[trainIndex + 1] : undefined;
const classifier =
  trainPath === undefined
    ? undefined
    : IntentClassifier.train(readJsonl(trainPath, 'intent'), { language: 'en', folds: 0 });
const recognizer = await NluRecognizer.create(
  classifier === undefined ? {} : { intentClassifiers: { en: classifier } },
);
for (let i = 0; i < 2000; i += 1) recognizer.recognizeText(SAMPLES[i % SAMPLES.length] as string);
const startedAt = process.hrtime.bigint();
for (let i = 0; i < UTTERANCES; i += 1) recognizer.recognizeText(SAMPLES[i % SAMPLES.length] as string);
const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
const intents = (recognizer.classifier(recognizer.languages[0] ?? 'en')?.labels.length ?? 0) as number;
const utterancesPerSecond = Math.round(UTTERANCES / seconds);
process.stdout.write(
  `${utterancesPerSecond} utterances/s on one core, ${intents} intents, full recognition\n`,
);
process.stdout.write(`${JSON.stringify({ utterancesPerSecond, intents })}\n`);

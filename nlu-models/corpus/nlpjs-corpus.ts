/**
 * The NLP.js corpus format (`{ name, locale, data: [{ intent, utterances, answers }] }`), which the
 * retail corpora use so they can also be loaded into a stock NLP.js `Nlp` for comparison.
 */
import { readFileSync } from 'node:fs';
import { RelevoError } from '../../core/errors.js';
import type { LabelledText } from './jsonl.js';

/** One intent of an NLP.js corpus. */
export interface CorpusIntent {
  intent: string;
  utterances: string[];
  answers?: string[];
}

/** An NLP.js corpus file. */
export interface Corpus {
  name: string;
  locale: string;
  data: CorpusIntent[];
}

/** Checks the shape of a parsed corpus and returns it typed. */
export function validateCorpus(value: unknown, source = 'corpus'): Corpus {
  const corpus = value as Partial<Corpus>;
  if (typeof corpus !== 'object' || corpus === null || !Array.isArray(corpus.data)) {
    throw new RelevoError('RELEVO_NLU_BAD_CORPUS', `${source} needs a "data" array of intents`);
  }
  for (const intent of corpus.data) {
    if (typeof intent?.intent !== 'string' || !Array.isArray(intent.utterances)) {
      throw new RelevoError(
        'RELEVO_NLU_BAD_CORPUS',
        `${source}: every intent needs "intent" and "utterances"`,
      );
    }
  }
  return corpus as Corpus;
}

/** Reads and validates a corpus file. */
export function readCorpus(path: string): Corpus {
  try {
    return validateCorpus(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (cause) {
    if (cause instanceof RelevoError) throw cause;
    throw new RelevoError('RELEVO_NLU_BAD_CORPUS', `Cannot read corpus ${path}`, { cause });
  }
}

/** The corpus as labelled utterances. */
export function corpusExamples(corpus: Corpus): LabelledText[] {
  return corpus.data.flatMap((intent) => intent.utterances.map((text) => ({ text, label: intent.intent })));
}

/** Intent name → answers, for intents that carry them (plain FAQs). */
export function corpusAnswers(corpus: Corpus): Map<string, string[]> {
  return new Map(
    corpus.data.filter((i) => (i.answers?.length ?? 0) > 0).map((i) => [i.intent, i.answers as string[]]),
  );
}

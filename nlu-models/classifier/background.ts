/**
 * Background out-of-scope queries for small English training sets (opt-in, `backgroundBelow`):
 * 100 generic questions from other domains (CLINC150's out-of-scope train queries,
 * `nlu-models/data/out-of-scope.en.jsonl`). A corpus of a few dozen utterances has too few `None`
 * examples to measure a threshold, so it stays at the fallback and an unrelated question always
 * gets an intent. These queries are scored by every calibration fold model and count as out of
 * scope when the threshold is chosen; they are never trained on, because as a trained `None` class
 * they swallowed real requests (up to 16 points of accuracy on few-shot slices: docs/nlu.md).
 */
import { fileURLToPath } from 'node:url';
import { type LabelledText, OUT_OF_SCOPE, readJsonl } from '../corpus/jsonl.js';
import type { Language } from '../text/stemmer.js';

let shipped: readonly LabelledText[] | undefined;

/** The shipped background queries, labelled `None` (read once). */
export function backgroundOutOfScope(): readonly LabelledText[] {
  shipped ??= readJsonl(
    fileURLToPath(new URL('../data/out-of-scope.en.jsonl', import.meta.url)),
    'intent',
  ).map((row) => ({ text: row.text, label: OUT_OF_SCOPE }));
  return shipped;
}

/**
 * Whether a training set is calibrated against the background queries: English, fewer than `below`
 * utterances and fewer `None` examples than `minOutOfScope` (a set with enough of its own, such as
 * CLINC150, or a large one, such as BANKING77, trains as before).
 */
export function usesBackground(
  examples: readonly LabelledText[],
  language: Language,
  below: number,
  minOutOfScope: number,
): boolean {
  return (
    language === 'en' &&
    examples.length < below &&
    examples.filter((e) => e.label === OUT_OF_SCOPE).length < minOutOfScope
  );
}

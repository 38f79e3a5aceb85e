/**
 * Intent names as training utterances: an intent with only one or two examples has little to learn
 * from, but its name ("Change Password", `order.status`) usually says what it is about.
 */
import { OUT_OF_SCOPE, type LabelledText } from '../corpus/jsonl.js';

/** `rows` and, for each intent among them with fewer than `below` (other than `None`), its name as words. */
export function withLabelNames(rows: readonly LabelledText[], below: number): readonly LabelledText[] {
  const counts = new Map<string, number>();
  for (const { label } of rows) counts.set(label, (counts.get(label) ?? 0) + 1);
  counts.delete(OUT_OF_SCOPE);
  const named = [...counts].filter(([, count]) => count < below).map(([label]) => label);
  return named.length === 0 ? rows : [...rows, ...named.map((label) => ({ text: labelWords(label), label }))];
}

/** An intent name as words: separators become spaces, camelCase splits ("DepartureTime"). */
export function labelWords(label: string): string {
  return label
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[._/-]+/g, ' ')
    .trim();
}

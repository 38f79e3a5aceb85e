/**
 * Reading the neutral JSONL format of the public data sets: one `{"text", "intent"}` or
 * `{"text", "sentiment"}` object a line. `"None"` marks an out-of-scope utterance.
 */
import { readFileSync } from 'node:fs';
import { RelevoError } from '../../core/errors.js';

/** One labelled utterance. */
export interface LabelledText {
  text: string;
  label: string;
}

/** The intent name that marks an out-of-scope utterance (NLP.js and Braun convention). */
export const OUT_OF_SCOPE = 'None';

/** Parses JSONL text; `field` names the label (`intent` or `sentiment`). */
export function parseJsonl(content: string, field: 'intent' | 'sentiment', source = 'input'): LabelledText[] {
  const rows: LabelledText[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (cause) {
      throw new RelevoError('RELEVO_NLU_BAD_DATA', `${source}:${i + 1} is not JSON`, { cause });
    }
    const record = row as Record<string, unknown>;
    if (typeof record.text !== 'string' || typeof record[field] !== 'string') {
      throw new RelevoError('RELEVO_NLU_BAD_DATA', `${source}:${i + 1} needs string "text" and "${field}"`);
    }
    rows.push({ text: record.text, label: record[field] as string });
  }
  return rows;
}

/** Reads a JSONL file of labelled utterances. */
export function readJsonl(path: string, field: 'intent' | 'sentiment'): LabelledText[] {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RelevoError('RELEVO_NLU_BAD_DATA', `Cannot read ${path}`, { cause });
  }
  return parseJsonl(content, field, path);
}

/**
 * Word stemming through NLP.js's Snowball-style stemmers, behind a memo: stemming is the slowest
 * step of feature extraction and customers reuse a small vocabulary, so a bounded cache pays off.
 */
// The stemmers alone: the packages' indexes also load their sentiment analysers, lexicons and word
// lists (~2 MB of heap kept for the process's life), which Relevo does not use.
import { StemmerEn } from '@nlpjs/lang-en-min';
import StemmerEs from '@nlpjs/lang-es/src/stemmer-es.js';
import { remembered } from '../../core/bounded-memo.js';

/** The languages Relevo understands. */
export type Language = 'en' | 'es';

/** The languages Relevo understands, in the order they are tried. */
export const LANGUAGES: readonly Language[] = ['en', 'es'];

/** True when `value` names a supported language. */
export function isLanguage(value: unknown): value is Language {
  return value === 'en' || value === 'es';
}

const MAX_CACHED = 50_000;

/** Stems single words for one language, caching results. */
export class WordStemmer {
  private readonly stemmer: { stem(tokens: string[]): string[] };
  private readonly cache = new Map<string, string>();
  private readonly stemOne = (word: string): string => this.stemmer.stem([word])[0] ?? word;

  constructor(readonly language: Language) {
    this.stemmer = language === 'es' ? new StemmerEs() : new StemmerEn();
  }

  /** The stem of one lower-case word. */
  stem(word: string): string {
    return remembered(this.cache, MAX_CACHED, word, this.stemOne);
  }
}

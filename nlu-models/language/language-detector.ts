/**
 * English/Spanish detection per utterance: a character-trigram naive Bayes model trained on the
 * shipped corpora. Two languages only, so this beats a general 100-language detector on short chat
 * lines ("¿dónde está mi pedido?") and costs a few microseconds. Accents and ñ/¿/¡ are kept: they
 * are the strongest Spanish cues.
 */
import type { Language } from '../text/stemmer.js';

/** A detection with its confidence in [0.5, 1]. */
export interface LanguageGuess {
  language: Language;
  confidence: number;
}

/** The serialisable state: trigram counts per language. */
export interface LanguageDetectorState {
  counts: Record<Language, Record<string, number>>;
  totals: Record<Language, number>;
}

const FULL_EVIDENCE_TRIGRAMS = 15;

function trigrams(text: string): string[] {
  const padded = ` ${text
    .toLowerCase()
    .replace(/[^\p{L}¿¡'\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()} `;
  const grams: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i += 1) grams.push(padded.slice(i, i + 3));
  return grams;
}

/** Detects English or Spanish. */
export class LanguageDetector {
  private readonly vocabularySize: number;

  private constructor(private readonly state: LanguageDetectorState) {
    this.vocabularySize =
      new Set([...Object.keys(state.counts.en), ...Object.keys(state.counts.es)]).size + 1;
  }

  /** Learns trigram frequencies from example texts of each language. */
  static train(texts: Record<Language, readonly string[]>): LanguageDetector {
    const state: LanguageDetectorState = { counts: { en: {}, es: {} }, totals: { en: 0, es: 0 } };
    for (const language of ['en', 'es'] as const) {
      const counts = state.counts[language];
      for (const text of texts[language]) {
        for (const gram of trigrams(text)) {
          counts[gram] = (counts[gram] ?? 0) + 1;
          state.totals[language] += 1;
        }
      }
    }
    return new LanguageDetector(state);
  }

  /** Rebuilds a detector from {@link LanguageDetector.toJSON} output. */
  static fromJSON(state: LanguageDetectorState): LanguageDetector {
    return new LanguageDetector(state);
  }

  /** The serialisable state. */
  toJSON(): LanguageDetectorState {
    return this.state;
  }

  /** The more likely language of `text`; confidence 0.5 means no evidence either way. */
  detect(text: string): LanguageGuess {
    let spanishMinusEnglish = 0;
    const grams = trigrams(text);
    for (const gram of grams) {
      const en = ((this.state.counts.en[gram] ?? 0) + 1) / (this.state.totals.en + this.vocabularySize);
      const es = ((this.state.counts.es[gram] ?? 0) + 1) / (this.state.totals.es + this.vocabularySize);
      spanishMinusEnglish += Math.log(es) - Math.log(en);
    }
    // "ok", "no", "vale": a few trigrams are weak evidence however lopsided their counts, so short
    // texts get a damped confidence and the user's sticky language decides instead.
    spanishMinusEnglish *= Math.min(1, grams.length / FULL_EVIDENCE_TRIGRAMS);
    if (/[¿¡ñ]/.test(text)) spanishMinusEnglish += 3;
    const spanish = 1 / (1 + Math.exp(-spanishMinusEnglish));
    return spanish >= 0.5
      ? { language: 'es', confidence: spanish }
      : { language: 'en', confidence: 1 - spanish };
  }
}

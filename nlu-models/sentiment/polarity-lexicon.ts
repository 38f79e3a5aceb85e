/**
 * Published word polarity lexicons as dense sentiment cues: VADER for English (built for social
 * media: slang, emoticons) and the Spanish AFINN translation shipped by `natural` (words and emoji).
 * Both are shipped in `nlu-models/data/sentiment/polarity-lexicon.{en,es}.json` with scores scaled
 * to [-1, 1] (sources and licences in nlu-models/data/README.md). On 1,800 training tweets most
 * words are seen once or never; a lexicon scored by people tells the model what they mean.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalizeText } from '../text/normalize.js';
import type { Language, WordStemmer } from '../text/stemmer.js';

/** A loaded lexicon. */
export interface PolarityLexicon {
  /** Folded words → score. */
  words: Map<string, number>;
  /** Stems of the words → mean score: inflected forms ("decepcionada") find their entry. */
  stems: Map<string, number>;
  /** Emoticons (":(") and emoji → score. */
  symbols: Map<string, number>;
}

const LETTERS_ONLY = /^[\p{L}'’*]+$/u;

const lexicons = new Map<Language, PolarityLexicon>();

const shipped = new Map<Language, Record<string, number>>();

/**
 * The shipped lexicon of a language as entry → score, read once: it is part of the model cache's key
 * (read at start-up) and then the source of {@link polarityLexicon}.
 */
export function shippedPolarityLexicon(language: Language): Readonly<Record<string, number>> {
  let raw = shipped.get(language);
  if (raw === undefined) {
    const path = fileURLToPath(
      new URL(`../data/sentiment/polarity-lexicon.${language}.json`, import.meta.url),
    );
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
    shipped.set(language, raw);
  }
  return raw;
}

/** The shipped lexicon of the stemmer's language, loaded once. */
export function polarityLexicon(stemmer: WordStemmer): PolarityLexicon {
  const cached = lexicons.get(stemmer.language);
  if (cached !== undefined) return cached;
  const raw = shippedPolarityLexicon(stemmer.language);
  const lexicon: PolarityLexicon = { words: new Map(), stems: new Map(), symbols: new Map() };
  const byStem = new Map<string, number[]>();
  for (const [entry, score] of Object.entries(raw)) {
    if (!LETTERS_ONLY.test(entry)) {
      lexicon.symbols.set(entry, score);
      continue;
    }
    const word = normalizeText(entry.replace(/\*/g, ''));
    lexicon.words.set(word, score);
    const stem = stemmer.stem(word);
    byStem.set(stem, [...(byStem.get(stem) ?? []), score]);
  }
  for (const [stem, scores] of byStem) {
    lexicon.stems.set(stem, scores.reduce((a, b) => a + b, 0) / scores.length);
  }
  lexicons.set(stemmer.language, lexicon);
  return lexicon;
}

/** The score of a word: its own entry, else the mean of the entries sharing its stem. */
export function wordPolarity(lexicon: PolarityLexicon, word: string, stem: string): number | undefined {
  return lexicon.words.get(word) ?? lexicon.stems.get(stem);
}

/** Sums of the positive and of the negative emoticon and emoji scores in raw `text`. */
export function symbolPolarity(text: string, lexicon: PolarityLexicon): [number, number] {
  let positive = 0;
  let negative = 0;
  const add = (symbol: string) => {
    const score = lexicon.symbols.get(symbol);
    if (score === undefined) return;
    if (score > 0) positive += score;
    else negative -= score;
  };
  // Emoticons stand between spaces (":-(", "xD"); emoji are looked up one code point at a time.
  for (const token of text.split(/\s+/)) if (token.length > 1) add(token);
  for (const char of text) if ((char.codePointAt(0) as number) > 0x2000) add(char);
  return [positive, negative];
}

/**
 * Published word polarity lexicons as dense sentiment cues: VADER for English (built for social
 * media: slang, emoticons) and the Spanish AFINN translation shipped by `natural` (words and emoji).
 * Both are shipped in `nlu-models/data/sentiment/polarity-lexicon.{en,es}.json` with scores scaled
 * to [-1, 1] (sources and licences in nlu-models/data/README.md). On 1,800 training tweets most
 * words are seen once or never; a lexicon scored by people tells the model what they mean.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { normalizeText, tokenize } from '../text/normalize.js';
import type { Language, WordStemmer } from '../text/stemmer.js';
import { NEGATIONS } from './lexicon.js';

/** Number of values {@link polarityCues} returns. */
export const POLARITY_CUE_COUNT = 5;

interface PolarityLexicon {
  /** Folded words → score. */
  words: Map<string, number>;
  /** Stems of the words → mean score: inflected forms ("decepcionada") find their entry. */
  stems: Map<string, number>;
  /** Emoticons (":(") and emoji → score. */
  symbols: Map<string, number>;
}

const LETTERS_ONLY = /^[\p{L}'’*]+$/u;
const CLAUSE_END = /[.,;:!?¿¡]+|\b(?:but|pero|aunque|although|though)\b/;

const lexicons = new Map<Language, PolarityLexicon>();

/** The shipped lexicon of a language as entry → score (also part of the model cache's key). */
export function shippedPolarityLexicon(language: Language): Record<string, number> {
  const path = fileURLToPath(new URL(`../data/sentiment/polarity-lexicon.${language}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>;
}

function load(stemmer: WordStemmer): PolarityLexicon {
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

/**
 * log(1 + sum) of the positive and of the negative word scores (a negation flips the rest of its
 * clause), tanh of their difference, and log(1 + sum) of positive and negative emoticons and emoji.
 */
export function polarityCues(text: string, stemmer: WordStemmer): number[] {
  const lexicon = load(stemmer);
  const negations = NEGATIONS[stemmer.language];
  let positive = 0;
  let negative = 0;
  for (const clause of normalizeText(text).split(CLAUSE_END)) {
    let sign = 1;
    for (const word of tokenize(clause)) {
      if (negations.has(word) || word.endsWith("n't")) {
        sign = -1;
        continue;
      }
      const score = lexicon.words.get(word) ?? lexicon.stems.get(stemmer.stem(word));
      if (score === undefined) continue;
      if (sign * score > 0) positive += sign * score;
      else negative -= sign * score;
    }
  }
  let symbolsPositive = 0;
  let symbolsNegative = 0;
  const add = (symbol: string) => {
    const score = lexicon.symbols.get(symbol);
    if (score === undefined) return;
    if (score > 0) symbolsPositive += score;
    else symbolsNegative -= score;
  };
  // Emoticons stand between spaces (":-(", "xD"); emoji are looked up one code point at a time.
  for (const token of text.split(/\s+/)) if (token.length > 1) add(token);
  for (const char of text) if ((char.codePointAt(0) as number) > 0x2000) add(char);
  return [
    Math.log1p(positive),
    Math.log1p(negative),
    Math.tanh(positive - negative),
    Math.log1p(symbolsPositive),
    Math.log1p(symbolsNegative),
  ];
}

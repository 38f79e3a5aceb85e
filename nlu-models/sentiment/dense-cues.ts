/**
 * Dense sentiment cues: real-valued lexicon sums and punctuation counts appended to the sparse
 * n-gram vector, so the linear model weighs "how negative the words are" as one number rather than
 * as one indicator per lexicon word, and sees how strongly, not only whether, a text is charged.
 * Negation flips polarity up to the end of its clause; the last clause gets its own value because
 * "fast delivery, but the box was crushed" ends where the customer stands.
 */
import { normalizeText, tokenize } from '../text/normalize.js';
import type { WordStemmer } from '../text/stemmer.js';
import { EMOJI_POLARITY, INTENSIFIERS, NEGATIONS, SERVICE_LEXICON, senticon } from './lexicon.js';
import { polarityLexicon, symbolPolarity, wordPolarity } from './polarity-lexicon.js';

/** Number of dense cue values. */
export const DENSE_CUE_COUNT = 19;

/** Where the five cues of the published polarity lexicon start. */
export const POLARITY_CUES_AT = 14;

const CLAUSE_END = /[.,;:!?¿¡]+|\b(?:but|pero|aunque|although|though)\b/;
const CAPS_WORD = /\b[A-ZÁÉÍÓÚÑ]{3,}\b/g;
const ELONGATED = /(\p{L})\1{2,}/gu;
const TWEET_MARKUP = /https?:\/\/|@user|#/g;

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/**
 * The dense cues of one text, each of order 1: log(1 + sum) of positive and negative senticon
 * scores and customer-service lexicon weights (after negation and intensifiers), tanh of the
 * overall and last-clause polarity, log counts of positive and negative emoji, `!`, `?`, words in
 * capitals, elongated words and tweet markup, 1/√(words); then, from the published polarity
 * lexicon ({@link polarityLexicon}), log(1 + sum) of positive and of negative word scores after
 * negation, tanh of their balance, and log(1 + sum) of positive and of negative emoticons and emoji.
 */
export function denseCues(text: string, stemmer: WordStemmer): Float32Array {
  const language = stemmer.language;
  const service = SERVICE_LEXICON[language];
  const lexicon = senticon(language);
  const negations = NEGATIONS[language];
  const intensifiers = INTENSIFIERS[language];
  const published = polarityLexicon(stemmer);
  let publishedPositive = 0;
  let publishedNegative = 0;
  let senticonPositive = 0;
  let senticonNegative = 0;
  let servicePositive = 0;
  let serviceNegative = 0;
  let lastClause = 0;
  let words = 0;
  for (const clause of normalizeText(text).split(CLAUSE_END)) {
    const tokens = tokenize(clause);
    if (tokens.length === 0) continue;
    let sign = 1;
    let clauseScore = 0;
    tokens.forEach((word, i) => {
      words += 1;
      if (negations.has(word)) {
        sign = -1;
        return;
      }
      const boost = i > 0 && intensifiers.has(tokens[i - 1] as string) ? 1.5 : 1;
      const stem = stemmer.stem(word);
      const soft = sign * boost * (lexicon.get(stem) ?? 0);
      const score = sign * (wordPolarity(published, word, stem) ?? 0);
      if (score > 0) publishedPositive += score;
      else publishedNegative -= score;
      const strong = (sign * boost * (service[word] ?? 0)) / 2;
      if (soft > 0) senticonPositive += soft;
      else senticonNegative -= soft;
      if (strong > 0) servicePositive += strong;
      else serviceNegative -= strong;
      clauseScore += soft + strong;
    });
    lastClause = clauseScore;
  }
  const [symbolsPositive, symbolsNegative] = symbolPolarity(text, published);
  const lower = text.toLowerCase();
  let positiveEmoji = 0;
  let negativeEmoji = 0;
  for (const [emoji, polarity] of EMOJI_POLARITY) {
    if (!lower.includes(emoji)) continue;
    if (polarity > 0) positiveEmoji += 1;
    else negativeEmoji += 1;
  }
  return Float32Array.from([
    Math.log1p(senticonPositive),
    Math.log1p(senticonNegative),
    Math.log1p(servicePositive),
    Math.log1p(serviceNegative),
    Math.tanh(senticonPositive + servicePositive - senticonNegative - serviceNegative),
    Math.tanh(lastClause),
    Math.log1p(positiveEmoji),
    Math.log1p(negativeEmoji),
    Math.log1p(count(text, /!/g)),
    Math.log1p(count(text, /\?/g)),
    Math.log1p(count(text, CAPS_WORD)),
    Math.log1p(count(text, ELONGATED)),
    words === 0 ? 0 : 1 / Math.sqrt(words),
    Math.log1p(count(text, TWEET_MARKUP)),
    Math.log1p(publishedPositive),
    Math.log1p(publishedNegative),
    Math.tanh(publishedPositive - publishedNegative),
    Math.log1p(symbolsPositive),
    Math.log1p(symbolsNegative),
  ]);
}

/**
 * Sentiment cues as named features: lexicon hits (flipped under negation, doubled after an
 * intensifier), emoji, shouting in capitals and exclamation runs. A 1,800-tweet training set is
 * too small to learn that "useless" is negative from n-grams alone; these cues generalise.
 */
import { normalizeText, tokenize } from '../text/normalize.js';
import type { WordStemmer } from '../text/stemmer.js';
import { EMOJI_POLARITY, INTENSIFIERS, NEGATIONS, SERVICE_LEXICON, senticon } from './lexicon.js';

const NEGATION_WINDOW = 3;
const CAPS_WORD = /\b[A-Z]{3,}\b/g;

/** The cue feature names of one text (used as extra features by the sentiment model). */
export function sentimentCues(text: string, stemmer: WordStemmer): string[] {
  const language = stemmer.language;
  const cues: string[] = [];
  const service = SERVICE_LEXICON[language];
  const lexicon = senticon(language);
  const negations = NEGATIONS[language];
  const intensifiers = INTENSIFIERS[language];
  const words = tokenize(normalizeText(text));
  let lastNegationAt = -10;
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    if (negations.has(word)) {
      lastNegationAt = i;
      continue;
    }
    const strong = service[word];
    const soft = strong === undefined ? lexicon.get(stemmer.stem(word)) : undefined;
    let polarity = strong ?? (soft === undefined || Math.abs(soft) < 0.25 ? 0 : Math.sign(soft));
    if (polarity === 0) continue;
    const negated = i - lastNegationAt <= NEGATION_WINDOW;
    if (negated) polarity = -polarity;
    const name = `${strong === undefined ? 'L:soft' : 'L:service'}${polarity > 0 ? '+' : '-'}${negated ? ':negated' : ''}`;
    cues.push(name);
    if (Math.abs(polarity) > 1) cues.push(name);
    if (i > 0 && intensifiers.has(words[i - 1] as string))
      cues.push(name, `L:intense${polarity > 0 ? '+' : '-'}`);
  }
  const lower = text.toLowerCase();
  for (const [emoji, polarity] of EMOJI_POLARITY) {
    if (lower.includes(emoji)) cues.push(polarity > 0 ? 'E:+' : 'E:-');
  }
  const shouted = text.match(CAPS_WORD)?.length ?? 0;
  if (shouted > 0) cues.push('P:caps');
  if (shouted > 2) cues.push('P:caps-many');
  if (text.includes('!!')) cues.push('P:exclaim-run');
  if (text.includes('?!') || text.includes('!?')) cues.push('P:exasperated');
  return cues;
}

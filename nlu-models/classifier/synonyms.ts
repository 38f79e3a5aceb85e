/**
 * WordNet features for small English training sets. Every content word of the training utterances
 * is looked up in WordNet (its two most frequent senses per part of speech); each word sharing one
 * of those synsets maps to it, and each word of a sibling synset (another hyponym of a hypernym with
 * at most {@link MAX_SIBLINGS} of them) maps to that hypernym. An utterance then also has one
 * feature per synset or hypernym its words stand in, so "erase my account" shares a feature with
 * the example "delete my account". The map is built from the training text and saved with the
 * model: recognition needs no WordNet.
 */
import { normalizeText, tokenize } from '../text/normalize.js';
import type { WordStemmer } from '../text/stemmer.js';
import { WordNet } from '../text/wordnet.js';

/** Stem → the synset (`n…`, `v…`) and hypernym (`hn…`) ids it stands for. */
export type SynonymMap = Record<string, string[]>;

/** Senses per part of speech looked up: one or two cover what a support question means. */
const SENSES = 2;

/** A hypernym with more hyponyms is too general ("device") to say two words mean alike. */
const MAX_SIBLINGS = 30;

/** Function words: their WordNet senses ("I" as iodine, "can" as a tin) are noise here. */
const STOPWORDS = new Set(
  (
    'a about all am an and any are as at be been but by can could did do does doing for from get got had ' +
    'has have how i if in into is it its me more most my no not of on or our should so some than that the ' +
    'their them then there these they this to too up us very was we were what when where which who why ' +
    'will with would you your'
  ).split(' '),
);

/** The synonym map of `texts` (see the module comment). */
export function synonymMap(texts: readonly string[], stemmer: WordStemmer, wordnet: WordNet): SynonymMap {
  const map = new Map<string, Set<string>>();
  const add = (word: string, id: string) => {
    const stem = stemmer.stem(word);
    let ids = map.get(stem);
    if (ids === undefined) {
      ids = new Set();
      map.set(stem, ids);
    }
    ids.add(id);
  };
  const looked = new Set<string>();
  for (const text of texts) {
    for (const word of tokenize(normalizeText(text))) {
      if (looked.has(word) || STOPWORDS.has(word) || word.length < 3 || !/^[a-z]+$/.test(word)) continue;
      looked.add(word);
      for (const synset of wordnet.synsetsOf(word, SENSES)) {
        add(word, synset.id);
        for (const synonym of synset.words) add(synonym, synset.id);
        for (const hypernymId of synset.hypernyms) {
          const hyponyms = wordnet.byId(hypernymId).hyponyms;
          if (hyponyms.length > MAX_SIBLINGS) continue;
          add(word, `h${hypernymId}`);
          for (const siblingId of hyponyms) {
            for (const sibling of wordnet.byId(siblingId).words) add(sibling, `h${hypernymId}`);
          }
        }
      }
    }
  }
  return Object.fromEntries([...map].map(([stem, ids]) => [stem, [...ids].sort()]));
}

let wordnet: WeakRef<WordNet> | null = null;

/**
 * WordNet, read when needed (~0.5 s, ~50 MB of index): weakly kept, so the folds and models trained
 * one after another share one copy, and a bot that has finished training gives the memory back.
 */
export function sharedWordNet(): WordNet {
  const kept = wordnet?.deref();
  if (kept !== undefined) return kept;
  const loaded = WordNet.load();
  wordnet = new WeakRef(loaded);
  return loaded;
}

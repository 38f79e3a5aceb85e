/**
 * The shipped retail demo domain: intent corpora in English and Spanish and a product catalogue,
 * read from `nlu-models/corpora/retail/` (never from outside the project at run time).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Corpus, readCorpus } from '../corpus/nlpjs-corpus.js';
import type { Catalogue } from '../entities/catalogue.js';
import type { Language } from '../text/stemmer.js';

function retailPath(file: string): string {
  return fileURLToPath(new URL(`../corpora/retail/${file}`, import.meta.url));
}

/** The retail intent corpora of both languages. */
export function retailCorpora(): Record<Language, Corpus> {
  return { en: readCorpus(retailPath('en.json')), es: readCorpus(retailPath('es.json')) };
}

/** The retail product catalogue. */
export function retailCatalogue(): Catalogue {
  return JSON.parse(readFileSync(retailPath('catalogue.json'), 'utf8')) as Catalogue;
}

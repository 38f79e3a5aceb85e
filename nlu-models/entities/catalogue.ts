/**
 * Product names from a catalogue: each product has an id, a display name and aliases per language.
 * Matching is on normalised word sequences (longest alias first), so "the wireless earbuds" and
 * "los auriculares inalambricos" both find the same product without a fuzzy search on every turn.
 */
import { normalizeText } from '../text/normalize.js';
import type { EntityMatch } from './patterns.js';

/** One catalogue product. */
export interface CatalogueProduct {
  id: string;
  name: string;
  aliases: string[];
}

/** A product catalogue file: `{ products: [...] }`. */
export interface Catalogue {
  products: CatalogueProduct[];
}

/** The value of a `product` entity. */
export interface ProductValue {
  id: string;
  name: string;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds catalogue products in text. */
export class ProductMatcher {
  private readonly pattern: RegExp | null;
  private readonly byAlias = new Map<string, ProductValue>();

  constructor(catalogue: Catalogue) {
    for (const product of catalogue.products) {
      for (const alias of [product.name, ...product.aliases]) {
        this.byAlias.set(normalizeText(alias), { id: product.id, name: product.name });
      }
    }
    const aliases = [...this.byAlias.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern =
      aliases.length === 0
        ? null
        : new RegExp(`(?<![\\p{L}\\p{N}])(${aliases.join('|')})s?(?![\\p{L}\\p{N}])`, 'gu');
  }

  /** Products named in `text`. Offsets refer to the original text (normalisation keeps lengths). */
  find(text: string): EntityMatch[] {
    if (this.pattern === null) return [];
    const normalized = normalizeText(text);
    // Folding diacritics can change string length in rare scripts; offsets are only trusted when not.
    const aligned = normalized.length === text.length;
    const found: EntityMatch[] = [];
    for (const m of normalized.matchAll(this.pattern)) {
      const product = this.byAlias.get(m[1] as string);
      if (product === undefined) continue;
      const startIndex = m.index ?? 0;
      const endIndex = startIndex + m[0].length;
      found.push({
        type: 'product',
        startIndex,
        endIndex,
        text: aligned ? text.slice(startIndex, endIndex) : m[0],
        value: product,
      });
    }
    return found;
  }
}

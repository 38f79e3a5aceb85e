/**
 * All entities of one utterance, in botbuilder's `RecognizerResult.entities` layout (LUIS style):
 * `entities[type]` lists resolved values, `entities.$instance[type]` lists where each was found.
 * Overlaps are resolved by priority: an email's digits are not a phone number, an order number's
 * digits are neither a phone number nor an amount.
 */
import type { Clock } from '../../core/clock.js';
import type { Language } from '../text/stemmer.js';
import type { Catalogue, ProductMatcher } from './catalogue.js';
import { findDates } from './dates.js';
import {
  type EntityMatch,
  findEmails,
  findMoney,
  findOrderNumbers,
  findPhoneNumbers,
  overlaps,
} from './patterns.js';

/** Where an entity was found. */
export interface EntityInstance {
  startIndex: number;
  endIndex: number;
  text: string;
  type: string;
  score: number;
}

/** Entities as botbuilder's RecognizerResult carries them. */
export interface Entities {
  [type: string]: unknown;
  $instance: Record<string, EntityInstance[]>;
}

/** Everything the extractor needs besides the text. */
export interface EntityExtractorOptions {
  clock: Clock;
  products?: ProductMatcher;
}

/** Entity types, in priority order when matches overlap. */
export const ENTITY_TYPES = ['email', 'orderNumber', 'money', 'datetime', 'phoneNumber', 'product'] as const;

/** Extracts entities from utterances. */
export class EntityExtractor {
  constructor(private readonly options: EntityExtractorOptions) {}

  /** All entities of one utterance. */
  extract(text: string, language: Language): Entities {
    const candidates: EntityMatch[] = [
      ...findEmails(text),
      ...findOrderNumbers(text),
      ...findMoney(text),
      ...findDates(text, language, this.options.clock.now()),
      ...findPhoneNumbers(text),
      ...(this.options.products?.find(text) ?? []),
    ];
    const kept: EntityMatch[] = [];
    for (const type of ENTITY_TYPES) {
      for (const c of candidates) {
        if (c.type === type && !kept.some((k) => overlaps(k, c))) kept.push(c);
      }
    }
    const entities: Entities = { $instance: {} };
    for (const match of kept.sort((a, b) => a.startIndex - b.startIndex)) {
      const values = (entities[match.type] as unknown[] | undefined) ?? [];
      values.push(match.value);
      entities[match.type] = values;
      const instances = entities.$instance[match.type] ?? [];
      instances.push({
        startIndex: match.startIndex,
        endIndex: match.endIndex,
        text: match.text,
        type: match.type,
        score: 1,
      });
      entities.$instance[match.type] = instances;
    }
    return entities;
  }
}

export type { Catalogue };

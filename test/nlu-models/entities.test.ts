import { describe, expect, it } from 'vitest';
import { ProductMatcher } from '../../nlu-models/entities/catalogue.js';
import { EntityExtractor } from '../../nlu-models/entities/entity-extractor.js';
import { retailCatalogue } from '../../nlu-models/index.js';

// Sunday 22 November 2026, noon UTC.
const clock = { now: () => Date.UTC(2026, 10, 22, 12) };
const extractor = new EntityExtractor({ clock, products: new ProductMatcher(retailCatalogue()) });

describe('entities', () => {
  it('reads order numbers written with or without the ORD- prefix', () => {
    expect(extractor.extract('status of ORD-123456 and order number 9876543', 'en').orderNumber).toEqual([
      'ORD-123456',
      'ORD-9876543',
    ]);
    expect(extractor.extract('mi pedido 55512345 no llega', 'es').orderNumber).toEqual(['ORD-55512345']);
  });

  it('reads emails and phone numbers without taking one for the other', () => {
    const entities = extractor.extract('write to ana.gil@example.com or call +34 612 345 678', 'en');
    expect(entities.email).toEqual(['ana.gil@example.com']);
    expect(entities.phoneNumber).toEqual(['+34612345678']);
  });

  it('reads amounts with their currency in both languages', () => {
    expect(extractor.extract('you charged me $1,249.50', 'en').money).toEqual([
      { amount: 1249.5, currency: 'USD' },
    ]);
    expect(extractor.extract('me cobraron 49,99 € de más', 'es').money).toEqual([
      { amount: 49.99, currency: 'EUR' },
    ]);
    expect(extractor.extract('it cost 20 pounds', 'en').money).toEqual([{ amount: 20, currency: 'GBP' }]);
  });

  it('resolves relative and calendar dates against the clock', () => {
    expect(extractor.extract('can it arrive tomorrow?', 'en').datetime).toEqual(['2026-11-23']);
    expect(extractor.extract('lo quiero para el lunes', 'es').datetime).toEqual(['2026-11-23']);
    expect(extractor.extract('delivered on March 3', 'en').datetime).toEqual(['2026-03-03']);
    expect(extractor.extract('llegó el 3 de marzo', 'es').datetime).toEqual(['2026-03-03']);
    expect(extractor.extract('ordered 04/05/2026', 'es').datetime).toEqual(['2026-05-04']);
  });

  it('does not read "por la mañana" as tomorrow', () => {
    expect(extractor.extract('llamadme por la mañana', 'es').datetime).toBeUndefined();
  });

  it('finds catalogue products by any alias, with where they were found', () => {
    const entities = extractor.extract('¿tenéis los auriculares inalámbricos en negro?', 'es');
    expect(entities.product).toEqual([{ id: 'SKU-1001', name: 'Wireless Earbuds' }]);
    expect(entities.$instance.product?.[0]?.text).toBe('auriculares inalámbricos');
  });
});

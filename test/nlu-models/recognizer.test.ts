import { TestAdapter, TurnContext } from 'botbuilder';
import { beforeAll, describe, expect, it } from 'vitest';
import { NluRecognizer } from '../../nlu-models/index.js';

let recognizer: NluRecognizer;

beforeAll(async () => {
  recognizer = await NluRecognizer.create();
}, 60_000);

describe('NluRecognizer on the retail domain', () => {
  it.each([
    ['where is my order ORD-123456?', 'order.status'],
    ['I want to send back these headphones', 'order.return'],
    ['please cancel my last order', 'order.cancel'],
    ['let me talk to a real person', 'handoff.request'],
    ['how many points have I got', 'loyalty.balance'],
    ['what time do you close on sunday', 'store.hours'],
  ])('understands the English request "%s" as %s', (text, intent) => {
    const result = recognizer.recognizeText(text);
    expect(result.language).toBe('en');
    expect(result.topIntent).toBe(intent);
    expect(result.isOutOfScope).toBe(false);
  });

  it.each([
    ['¿dónde está mi pedido?', 'order.status'],
    ['quiero devolver estas zapatillas', 'order.return'],
    ['cancela mi último pedido por favor', 'order.cancel'],
    ['quiero hablar con una persona de verdad', 'handoff.request'],
    ['¿cuántos puntos tengo ahora?', 'loyalty.balance'],
    ['¿a qué hora cerráis el domingo?', 'store.hours'],
  ])('understands the Spanish request "%s" as %s', (text, intent) => {
    const result = recognizer.recognizeText(text);
    expect(result.language).toBe('es');
    expect(result.topIntent).toBe(intent);
  });

  it('answers a plain FAQ intent from the corpus in the customer’s language', () => {
    expect(recognizer.answersFor('store.hours', 'es')?.[0]).toContain('lunes');
    expect(recognizer.answersFor('store.hours', 'en')?.[0]).toContain('Monday');
  });

  it('says a question from outside the shop is out of scope instead of guessing', () => {
    const result = recognizer.recognizeText('what is the capital of france');
    expect(result.isOutOfScope).toBe(true);
    expect(result.topIntent).toBe('None');
  });

  it('returns calibrated scores between 0 and 1 in the botbuilder intents shape', () => {
    const result = recognizer.recognizeText('track my package please');
    const scores = Object.values(result.intents).map((i) => i.score);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(result.intents[result.topIntent]?.score).toBe(Math.max(...scores));
  });

  it('keeps a Spanish speaker in Spanish when a reply carries no language evidence', () => {
    recognizer.recognizeText('hola, quiero saber dónde está mi pedido', { userId: 'ana' });
    expect(recognizer.recognizeText('ok', { userId: 'ana' }).language).toBe('es');
    recognizer.recognizeText('hello, where is my parcel please', { userId: 'bob' });
    expect(recognizer.recognizeText('ok', { userId: 'bob' }).language).toBe('en');
  });

  it('recognises a botbuilder turn and remembers the language of its sender', async () => {
    const adapter = new TestAdapter();
    const turn = (text: string) =>
      new TurnContext(adapter, {
        type: 'message',
        text,
        from: { id: 'carla', name: 'Carla' },
        conversation: { id: 'c1', isGroup: false, conversationType: 'personal', name: '' },
        channelId: 'test',
        recipient: { id: 'bot', name: 'bot' },
        serviceUrl: 'http://localhost',
      });
    const first = await recognizer.recognize(turn('necesito cambiar la dirección de entrega'));
    expect(first.topIntent).toBe('order.change_address');
    expect(first.language).toBe('es');
    expect((await recognizer.recognize(turn('vale'))).language).toBe('es');
  });

  it('finds entities and sentiment in the same pass', () => {
    const result = recognizer.recognizeText(
      'I was charged $49.99 twice for order ORD-445566, this is ridiculous',
    );
    expect(result.entities.orderNumber).toEqual(['ORD-445566']);
    expect(result.entities.money).toEqual([{ amount: 49.99, currency: 'USD' }]);
    expect(result.sentiment.label).toBe('negative');
    expect(result.sentiment.score).toBeLessThan(0);
  });

  it('loads from the on-disk cache in under two seconds after the first training', async () => {
    const startedAt = Date.now();
    await NluRecognizer.create();
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });
});

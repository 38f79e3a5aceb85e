import type { Lang } from './i18n.js';
import type { Order } from './services.js';

/** `2 × Daypack 22, Trail Runner 2` */
export function formatItems(order: Pick<Order, 'items'>): string {
  return order.items
    .map((item) => (item.quantity > 1 ? `${item.quantity} × ${item.name}` : item.name))
    .join(', ');
}

// Building an Intl formatter costs far more than formatting with it: one per language (and currency).
const moneyFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<Lang, Intl.DateTimeFormat>();

export function formatMoney(lang: Lang, money: { amount: number; currency: string }): string {
  const key = `${lang}:${money.currency}`;
  let format = moneyFormats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-GB', {
      style: 'currency',
      currency: money.currency,
    });
    moneyFormats.set(key, format);
  }
  return format.format(money.amount);
}

/** Dates in UTC, so every process and every test says the same day. */
export function formatDate(lang: Lang, date: Date): string {
  let format = dateFormats.get(lang);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(lang === 'es' ? 'es-ES' : 'en-GB', {
      dateStyle: 'long',
      timeZone: 'UTC',
    });
    dateFormats.set(lang, format);
  }
  return format.format(date);
}

const ORDER_NUMBER = /\bORD[-\s]?(\d{6,10})\b/i;
const BARE_NUMBER = /^#?\s*(\d{6,10})$/;

/** `ORD-123456` from what a customer typed (`ord 123456`, `#123456`, `123456`), or undefined. */
export function parseOrderNumber(text: string | undefined): string | undefined {
  const trimmed = (text ?? '').trim();
  const digits = ORDER_NUMBER.exec(trimmed)?.[1] ?? BARE_NUMBER.exec(trimmed)?.[1];
  return digits ? `ORD-${digits}` : undefined;
}

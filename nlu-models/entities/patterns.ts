/**
 * Pattern entities: order numbers, emails, phone numbers and money. Plain regular expressions,
 * because they run on every turn and NLP.js's builtin NER (`forceNER`) costs ~8 ms an utterance.
 *
 * Order number format (docs/nlu.md): `ORD-` followed by 6–10 digits (also written `ord 123456`,
 * `#123456`), or 6–10 digits right after the word order / pedido / orden / número. The value is
 * always normalised to `ORD-<digits>`.
 */

/** One match before it is placed in the result. */
export interface EntityMatch {
  type: string;
  startIndex: number;
  endIndex: number;
  text: string;
  value: unknown;
}

const ORDER_PREFIXED = /\b(?:ord(?:er)?[-\s#:]*|#)(\d{6,10})\b/gi;
const ORDER_AFTER_WORD =
  /\b(?:order|pedido|orden|compra)(?:\s+(?:number|no\.?|num(?:ber|ero)?\.?|n[uú]mero|n[º°o]\.?|id|is|es|#))*[\s:#]*(\d{6,10})\b/gi;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
const PHONE = /(?<![\w@.])\+?\d[\d\s().-]{7,17}\d(?!\w)/g;
const CURRENCY_WORDS: Record<string, string> = {
  $: 'USD',
  usd: 'USD',
  dollar: 'USD',
  dollars: 'USD',
  dolar: 'USD',
  dolares: 'USD',
  dólar: 'USD',
  dólares: 'USD',
  '€': 'EUR',
  eur: 'EUR',
  euro: 'EUR',
  euros: 'EUR',
  '£': 'GBP',
  gbp: 'GBP',
  pound: 'GBP',
  pounds: 'GBP',
  libras: 'GBP',
  mxn: 'MXN',
  peso: 'MXN',
  pesos: 'MXN',
};
const AMOUNT = String.raw`(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)`;
const UNIT = String.raw`(usd|eur|gbp|mxn|d[oó]lar(?:es)?|dollars?|euros?|pounds?|libras|pesos?|€|\$|£)`;
const MONEY_BEFORE = new RegExp(String.raw`([$€£])\s?${AMOUNT}`, 'gi');
const MONEY_AFTER = new RegExp(String.raw`${AMOUNT}\s?${UNIT}(?![\p{L}])`, 'giu');

/** Parses "1,234.50", "1.234,50", "12,5" into a number. */
export function parseAmount(raw: string): number {
  const lastSeparator = Math.max(raw.lastIndexOf('.'), raw.lastIndexOf(','));
  const decimals = lastSeparator >= 0 ? raw.length - lastSeparator - 1 : 0;
  if (lastSeparator >= 0 && decimals <= 2) {
    const whole = raw.slice(0, lastSeparator).replace(/[.,]/g, '');
    return Number(`${whole}.${raw.slice(lastSeparator + 1)}`);
  }
  return Number(raw.replace(/[.,]/g, ''));
}

function matches(
  text: string,
  pattern: RegExp,
  build: (m: RegExpExecArray) => EntityMatch | null,
): EntityMatch[] {
  const found: EntityMatch[] = [];
  for (const m of text.matchAll(pattern)) {
    const entity = build(m as RegExpExecArray);
    if (entity !== null) found.push(entity);
  }
  return found;
}

/** Order numbers, normalised to `ORD-<digits>`. */
export function findOrderNumbers(text: string): EntityMatch[] {
  const build = (m: RegExpExecArray): EntityMatch => {
    const digits = m[1] as string;
    const endIndex = m.index + m[0].length;
    const startIndex = endIndex - digits.length;
    const prefixed = m[0].toLowerCase().startsWith('ord') || m[0].startsWith('#');
    return prefixed
      ? { type: 'orderNumber', startIndex: m.index, endIndex, text: m[0], value: `ORD-${digits}` }
      : { type: 'orderNumber', startIndex, endIndex, text: digits, value: `ORD-${digits}` };
  };
  const all = [...matches(text, ORDER_PREFIXED, build), ...matches(text, ORDER_AFTER_WORD, build)];
  return dedupeByValue(all);
}

/** Email addresses, lower-cased. */
export function findEmails(text: string): EntityMatch[] {
  return matches(text, EMAIL, (m) => ({
    type: 'email',
    startIndex: m.index,
    endIndex: m.index + m[0].length,
    text: m[0],
    value: m[0].toLowerCase(),
  }));
}

/** Phone numbers (9–15 digits, with spaces, dashes, dots or brackets), as `+digits` or digits. */
export function findPhoneNumbers(text: string): EntityMatch[] {
  return matches(text, PHONE, (m) => {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length < 9 || digits.length > 15) return null;
    return {
      type: 'phoneNumber',
      startIndex: m.index,
      endIndex: m.index + m[0].length,
      text: m[0],
      value: m[0].trim().startsWith('+') ? `+${digits}` : digits,
    };
  });
}

/** Amounts of money with an explicit currency, as `{amount, currency}` (ISO 4217). */
export function findMoney(text: string): EntityMatch[] {
  const before = matches(text, MONEY_BEFORE, (m) => ({
    type: 'money',
    startIndex: m.index,
    endIndex: m.index + m[0].length,
    text: m[0],
    value: { amount: parseAmount(m[2] as string), currency: CURRENCY_WORDS[m[1] as string] ?? 'USD' },
  }));
  const after = matches(text, MONEY_AFTER, (m) => ({
    type: 'money',
    startIndex: m.index,
    endIndex: m.index + m[0].length,
    text: m[0],
    value: {
      amount: parseAmount(m[1] as string),
      currency: CURRENCY_WORDS[(m[2] as string).toLowerCase()] ?? 'USD',
    },
  }));
  return [...before, ...after.filter((a) => !before.some((b) => overlaps(a, b)))];
}

/** True when two matches share characters. */
export function overlaps(a: EntityMatch, b: EntityMatch): boolean {
  return a.startIndex < b.endIndex && b.startIndex < a.endIndex;
}

function dedupeByValue(found: EntityMatch[]): EntityMatch[] {
  const seen = new Set<string>();
  return found.filter((e) => {
    const key = String(e.value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

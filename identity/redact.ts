import type { Activity } from 'botbuilder';

/**
 * PII redaction for stored transcripts, logs and analytics (the customer and the live agent still see
 * the live message). Replaces payment card numbers that pass the Luhn check, IBANs with a valid
 * ISO 13616 checksum, email addresses and phone numbers with a placeholder naming what was there.
 * Digit runs that fail the checksums (order numbers, dates) are left alone, so transcripts stay useful.
 */
export function redactPii(text: string): string {
  return text
    .replace(IBAN, (match) => (isValidIban(match) ? '[iban]' : match))
    .replace(CARD, (match) => (isLuhnValid(match.replace(/\D/g, '')) ? '[card]' : match))
    .replace(EMAIL, '[email]')
    .replace(PHONE, (match) => (isPhoneLike(match) ? '[phone]' : match));
}

/**
 * An activity fit for storing: text, speak and summary redacted, and string values inside `value`
 * (form submissions). Use as `redact` of storage's `TranscriptMiddleware`.
 */
export function redactActivity(activity: Activity): Activity {
  const copy: Activity = { ...activity };
  if (typeof copy.text === 'string') copy.text = redactPii(copy.text);
  if (typeof copy.speak === 'string') copy.speak = redactPii(copy.speak);
  if (typeof copy.summary === 'string') copy.summary = redactPii(copy.summary);
  if (copy.value !== undefined) copy.value = redactValue(copy.value, 0);
  return copy;
}

// Letters/digits groups as people type an IBAN: "ES91 2100 0418 4502 0005 1332".
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g;
// 13 to 19 digits, optionally grouped by spaces or dashes.
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// An optional +country code, then digits with spaces, dots, dashes or parentheses.
const PHONE = /(?:\+|\()?\b\d[\d ().-]{5,}\d\b/g;

function isPhoneLike(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  // Fewer than 10 digits without a "+" is more often an order number, a date or an amount.
  return digits >= 7 && digits <= 15 && (match.trim().startsWith('+') || digits >= 10);
}

/** The Luhn check of payment card numbers (ISO/IEC 7812-1 annex B). */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The ISO 13616 mod-97 check of an IBAN (spaces ignored). */
export function isValidIban(value: string): boolean {
  const iban = value.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char >= 'A' ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of code) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactPii(value);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((each) => redactValue(each, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, depth + 1)]));
}

/**
 * Text normalisation shared by every model, so training and recognition see the same strings.
 * Lower case, diacritics folded (customers type "devolucion" as often as "devolución"), escaped
 * `\uXXXX` sequences decoded (the UMSAB tweets carry them literally), and words split on anything
 * that is not a letter, digit or apostrophe.
 */

const ESCAPED_UNICODE = /\\u([0-9a-fA-F]{4})/g;
const TILDE_N = /n\u0303/g;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

/** Decodes literal `\uXXXX` escapes that some public corpora keep in their text. */
export function decodeEscapes(text: string): string {
  return text.includes('\\u')
    ? text.replace(ESCAPED_UNICODE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    : text;
}

/** Lower-cases and folds diacritics (`ñ` stays distinct: it changes meaning in Spanish). */
export function normalizeText(text: string): string {
  return decodeEscapes(text)
    .toLowerCase()
    .normalize('NFD')
    .replace(TILDE_N, 'ñ')
    .replace(COMBINING_MARKS, '');
}

/** Splits normalised text into word tokens. */
export function tokenize(normalized: string): string[] {
  return normalized.match(WORD) ?? [];
}

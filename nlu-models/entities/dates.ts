/**
 * Date entities in English and Spanish, resolved to `YYYY-MM-DD` against an injected clock (UTC):
 * today / tomorrow / yesterday (hoy / mañana / ayer / pasado mañana), weekdays (the next one),
 * ISO dates, numeric dates (MM/DD in English, DD/MM in Spanish) and "March 3" / "3 de marzo".
 */
import type { Language } from '../text/stemmer.js';
import type { EntityMatch } from './patterns.js';

const DAY_MS = 86_400_000;
const RELATIVE: Record<string, number> = {
  today: 0,
  tonight: 0,
  tomorrow: 1,
  yesterday: -1,
  hoy: 0,
  mañana: 1,
  manana: 1,
  ayer: -1,
  'pasado mañana': 2,
  'pasado manana': 2,
  anteayer: -2,
};
const WEEKDAYS: Record<string, number> = {
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  domingo: 0,
  lunes: 1,
  martes: 2,
  miércoles: 3,
  miercoles: 3,
  jueves: 4,
  viernes: 5,
  sábado: 6,
  sabado: 6,
};
const MONTHS: Record<string, number> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  enero: 1,
  febrero: 2,
  marzo: 3,
  abril: 4,
  mayo: 5,
  junio: 6,
  julio: 7,
  agosto: 8,
  septiembre: 9,
  setiembre: 9,
  octubre: 10,
  noviembre: 11,
  diciembre: 12,
};
const MONTH_NAMES = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');
const RELATIVE_PATTERN = new RegExp(
  `(?<![\\p{L}])(${Object.keys(RELATIVE)
    .sort((a, b) => b.length - a.length)
    .join('|')})(?![\\p{L}])`,
  'giu',
);
const WEEKDAY_PATTERN = new RegExp(`(?<![\\p{L}])(${Object.keys(WEEKDAYS).join('|')})(?![\\p{L}])`, 'giu');
const ISO = /\b(\d{4})-(\d{2})-(\d{2})\b/g;
const NUMERIC = /\b(\d{1,2})\/(\d{1,2})(?:\/(\d{2,4}))?\b/g;
const MONTH_DAY = new RegExp(`\\b(${MONTH_NAMES})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'gi');
const DAY_MONTH = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:de\\s+|of\\s+)?(${MONTH_NAMES})\\b`, 'gi');

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function valid(year: number, month: number, day: number): string | null {
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? iso(ms) : null;
}

/** Finds dates in `text`; `nowMs` anchors relative expressions. */
export function findDates(text: string, language: Language, nowMs: number): EntityMatch[] {
  const today = Date.UTC(
    new Date(nowMs).getUTCFullYear(),
    new Date(nowMs).getUTCMonth(),
    new Date(nowMs).getUTCDate(),
  );
  const year = new Date(today).getUTCFullYear();
  const found: EntityMatch[] = [];
  const add = (m: RegExpMatchArray, date: string | null) => {
    const startIndex = m.index ?? 0;
    const endIndex = startIndex + m[0].length;
    if (date === null || found.some((f) => f.startIndex < endIndex && startIndex < f.endIndex)) return;
    found.push({ type: 'datetime', startIndex, endIndex, text: m[0], value: date });
  };
  for (const m of text.matchAll(ISO)) add(m, valid(Number(m[1]), Number(m[2]), Number(m[3])));
  for (const m of text.matchAll(NUMERIC)) {
    const [first, second] = [Number(m[1]), Number(m[2])];
    const [month, day] = language === 'es' ? [second, first] : [first, second];
    const rawYear = m[3] === undefined ? year : Number(m[3]);
    add(m, valid(rawYear < 100 ? 2000 + rawYear : rawYear, month, day));
  }
  for (const m of text.matchAll(MONTH_DAY))
    add(m, valid(year, MONTHS[(m[1] as string).toLowerCase()] ?? 0, Number(m[2])));
  for (const m of text.matchAll(DAY_MONTH))
    add(m, valid(year, MONTHS[(m[2] as string).toLowerCase()] ?? 0, Number(m[1])));
  for (const m of text.matchAll(RELATIVE_PATTERN)) {
    const word = (m[1] as string).toLowerCase();
    // "mañana" also means "morning" ("por la mañana"): only a date when not after "la".
    if (word.startsWith('ma') && /\bla\s+$/i.test(text.slice(0, m.index))) continue;
    add(m, iso(today + (RELATIVE[word] ?? 0) * DAY_MS));
  }
  for (const m of text.matchAll(WEEKDAY_PATTERN)) {
    const target = WEEKDAYS[(m[1] as string).toLowerCase()] ?? 0;
    const ahead = (target - new Date(today).getUTCDay() + 7) % 7 || 7;
    add(m, iso(today + ahead * DAY_MS));
  }
  return found.sort((a, b) => a.startIndex - b.startIndex);
}

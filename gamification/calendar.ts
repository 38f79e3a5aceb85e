/**
 * Calendar days and ISO weeks in a member's own time zone (IANA), so "today" flips at their midnight,
 * not the server's. Pure functions of an instant; the clock is the caller's.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

const MINUTE_MS = 60_000;
/** The last day answered per time zone, by minute: today's zone offsets are whole quarter hours, so a day never changes within a minute. */
const lastDays = new Map<string, { minute: number; day: string }>();

/** `YYYY-MM-DD` of the instant in the time zone. */
export function localDay(atMs: number, timeZone: string): string {
  const minute = Math.floor(atMs / MINUTE_MS);
  const last = lastDays.get(timeZone);
  if (last?.minute === minute) return last.day;
  const parts = formatter(timeZone).formatToParts(atMs);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = `${part('year')}-${part('month')}-${part('day')}`;
  lastDays.set(timeZone, { minute, day });
  return day;
}

/** The calendar day before `day` (`YYYY-MM-DD`). */
export function previousDay(day: string): string {
  // Asked on every turn that earns points, nearly always for today: the last answer is kept.
  if (lastPrevious?.day !== day) {
    const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    lastPrevious = { day, before };
  }
  return lastPrevious.before;
}

let lastPrevious: { day: string; before: string } | undefined;

/** ISO 8601 week of a `YYYY-MM-DD` day: `2026-W47` (weeks start on Monday). */
export function isoWeek(day: string): string {
  const date = new Date(Date.parse(`${day}T00:00:00Z`));
  const weekday = date.getUTCDay() || 7;
  // The Thursday of this week decides the year the week belongs to.
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

import type { KpiFigures, Kpis } from './kpi-types.js';

const COLUMNS: [string, (f: KpiFigures) => number | null][] = [
  ['conversations', (f) => f.conversations],
  ['containment_rate', (f) => f.containment.rate],
  ['escalation_rate', (f) => f.escalation.rate],
  ['csat_mean', (f) => f.csat.mean],
  ['csat_4_5_share', (f) => f.csat.satisfiedShare],
  ['csat_bot_mean', (f) => f.csat.bot.mean],
  ['csat_human_mean', (f) => f.csat.human.mean],
  ['nps', (f) => f.nps.score],
  ['fcr_rate', (f) => f.firstContactResolution.rate],
  ['aht_bot_seconds', (f) => seconds(f.handleTime.botMeanMs)],
  ['aht_human_seconds', (f) => seconds(f.handleTime.humanMeanMs)],
  ['wait_p50_seconds', (f) => seconds(f.wait.p50Ms)],
  ['wait_p90_seconds', (f) => seconds(f.wait.p90Ms)],
  ['abandonment_rate', (f) => f.abandonment.rate],
  ['not_understood_share', (f) => f.understanding.notUnderstoodShare],
  ['sentiment_mean', (f) => f.sentiment.mean],
  ['sentiment_trend_per_day', (f) => f.sentiment.trendPerDay],
  ['points_issued', (f) => f.points.issued],
  ['points_debited', (f) => f.points.debited],
  ['points_redeemed', (f) => f.points.redeemed],
  ['points_expired', (f) => f.points.expired],
];

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

/** A text cell as RFC 4180 wants it, defused against spreadsheet formulas (OWASP "CSV injection"). */
function textCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const numberCell = (value: number | null) => (value === null ? '' : String(Number(value.toFixed(4))));

/**
 * The KPI table (overall, then per channel, then per language) as CSV, one row per segment, ending
 * with one `escalation_rate:<reason>` column per reason of the window.
 */
export function kpisToCsv(kpis: Kpis): string {
  const reasons = Object.keys(kpis.escalation.byReason).sort();
  const byReason = (f: KpiFigures, reason: string) =>
    f.conversations === 0 ? null : (f.escalation.byReason[reason]?.rate ?? 0);
  const rows: [string, KpiFigures][] = [
    ['all', kpis],
    ...Object.entries(kpis.byChannel).map(([channel, f]): [string, KpiFigures] => [`channel:${channel}`, f]),
    ...Object.entries(kpis.byLanguage).map(([language, f]): [string, KpiFigures] => [
      `language:${language}`,
      f,
    ]),
  ];
  const lines = [
    [
      'segment',
      ...COLUMNS.map(([name]) => name),
      ...reasons.map((reason) => textCell(`escalation_rate:${reason}`)),
    ].join(','),
    ...rows.map(([segment, f]) =>
      [
        textCell(segment),
        ...COLUMNS.map(([, get]) => numberCell(get(f))),
        ...reasons.map((reason) => numberCell(byReason(f, reason))),
      ].join(','),
    ),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

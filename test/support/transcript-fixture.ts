import { readFileSync } from 'node:fs';
import type { Activity } from 'botbuilder';

/** One exchange of a fixture: what the customer says and what the agent must answer, in order. */
export interface Exchange {
  user: string;
  line: number;
  bot: string[];
}

export interface Fixture {
  locale: string | undefined;
  exchanges: Exchange[];
}

/**
 * Parses a `.transcript` fixture: `user> …` and `bot> …` lines; `bot>` lines show buttons as
 * `[A | B]` after the text and line breaks as `\n`; `# locale: es-ES` sets the channel's locale;
 * other `#` lines and blank lines are comments.
 */
export function readFixture(path: string): Fixture {
  const fixture: Fixture = { locale: undefined, exchanges: [] };
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      const line = raw.trimEnd();
      const locale = /^#\s*locale:\s*(\S+)/.exec(line)?.[1];
      if (locale) fixture.locale = locale;
      if (line.startsWith('user> '))
        fixture.exchanges.push({ user: line.slice(6), line: index + 1, bot: [] });
      else if (line.startsWith('bot> ')) {
        const current = fixture.exchanges.at(-1);
        if (!current) throw new Error(`${path}:${index + 1}: a bot> line before any user> line`);
        current.bot.push(line.slice(5));
      } else if (line !== '' && !line.startsWith('#')) {
        throw new Error(`${path}:${index + 1}: lines start with "user> ", "bot> " or "#"`);
      }
    });
  return fixture;
}

/** How a sent activity reads in a fixture. */
export function renderActivity(activity: Partial<Activity>): string {
  const text = (activity.text ?? '').replaceAll('\n', '\\n');
  const buttons =
    activity.suggestedActions?.actions?.map((action) => action.title ?? String(action.value)) ?? [];
  return buttons.length > 0 ? `${text} [${buttons.join(' | ')}]` : text;
}

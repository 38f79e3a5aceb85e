import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RelevoError } from '../../core/errors.js';

/** True when `zone` is an IANA time zone this Node knows (`Europe/Madrid`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"');
const eventType = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'a dotted past-tense name like "csat.answered"');
const points = z.number().int().positive().max(1_000_000);
const instant = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

const rule = z
  .object({
    id,
    event: eventType,
    points,
    /**
     * How often the rule can pay a member: per `event` (each distinct event id, the default), once a
     * `day` or `week` (in the member's time zone), or once `ever`.
     */
    once: z.enum(['event', 'day', 'week', 'ever']).default('event'),
    caps: z.object({ daily: points.optional(), weekly: points.optional() }).strict().default({}),
    validFrom: instant.optional(),
    validUntil: instant.optional(),
  })
  .strict()
  .refine((r) => r.validFrom === undefined || r.validUntil === undefined || r.validFrom < r.validUntil, {
    message: 'validFrom must be before validUntil',
    path: ['validUntil'],
  });

const tier = z
  .object({
    id,
    minLifetimePoints: z.number().int().min(0),
    benefits: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const badge = z.union([
  z.object({ id, event: eventType, count: z.number().int().positive() }).strict(),
  z.object({ id, streakDays: z.number().int().min(2) }).strict(),
]);

const reward = z
  .object({
    id,
    name: z.string().min(1),
    /** Price in points. */
    price: points,
    /** Units available when the catalogue is first loaded; later changes go through the store. */
    stock: z.number().int().min(0),
  })
  .strict();

const spinPrize = z
  .object({
    id,
    label: z
      .record(z.string().regex(/^[a-z]{2}$/), z.string().min(1))
      .refine((l) => 'en' in l, 'needs an "en" label'),
    points: z.number().int().min(0).max(1_000_000),
    weight: z.number().int().min(0),
  })
  .strict();

const games = z
  .object({
    trivia: z
      .object({
        questionsPerPlay: z.number().int().min(1).max(20).default(5),
        pointsPerCorrectAnswer: points.default(10),
        /** Right answers that make the play a win (`game.won`). */
        wonAtCorrect: z.number().int().min(1).default(4),
      })
      .strict()
      .default({ questionsPerPlay: 5, pointsPerCorrectAnswer: 10, wonAtCorrect: 4 }),
    dailySpin: z
      .object({
        prizes: z
          .array(spinPrize)
          .min(1)
          .refine((p) => p.some((prize) => prize.weight > 0), 'some prize needs a weight above 0'),
      })
      .strict()
      .optional(),
  })
  .strict();

const timeZone = z.string().refine(isTimeZone, 'an IANA time zone such as "Europe/Madrid" or "UTC"');

export const gamificationConfigSchema = z
  .object({
    /** The program's time zone: leaderboard weeks, and days of members whose own zone is unknown. */
    timeZone: timeZone.default('UTC'),
    /** Days points stay valid after they are earned; 0 = for ever. */
    pointsValidForDays: z.number().int().min(0).default(365),
    rules: z.array(rule).default([]),
    tiers: z.array(tier).min(1),
    badges: z.array(badge).default([]),
    /** Events that count as "active today" for streaks. */
    streakEvents: z.array(eventType).default(['message.received']),
    rewards: z.array(reward).default([]),
    games: games.default({ trivia: { questionsPerPlay: 5, pointsPerCorrectAnswer: 10, wonAtCorrect: 4 } }),
  })
  .strict()
  .superRefine((config, context) => {
    for (const [name, list] of [
      ['rules', config.rules],
      ['tiers', config.tiers],
      ['badges', config.badges],
      ['rewards', config.rewards],
    ] as const) {
      const seen = new Set<string>();
      list.forEach((item, index) => {
        if (seen.has(item.id))
          context.addIssue({
            code: 'custom',
            path: [name, index, 'id'],
            message: `duplicate id "${item.id}"`,
          });
        seen.add(item.id);
      });
    }
    if (config.tiers[0]?.minLifetimePoints !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['tiers', 0, 'minLifetimePoints'],
        message: 'the first tier must start at 0',
      });
    }
    config.tiers.forEach((t, index) => {
      const previous = config.tiers[index - 1];
      if (previous !== undefined && t.minLifetimePoints <= previous.minLifetimePoints) {
        context.addIssue({
          code: 'custom',
          path: ['tiers', index, 'minLifetimePoints'],
          message: 'tiers must be listed in increasing minLifetimePoints',
        });
      }
    });
  });

/** The validated loyalty configuration (rules, tiers, badges, rewards). */
export type GamificationConfig = z.output<typeof gamificationConfigSchema>;
export type EarnRule = GamificationConfig['rules'][number];
export type TierConfig = GamificationConfig['tiers'][number];
export type BadgeConfig = GamificationConfig['badges'][number];
export type RewardConfig = GamificationConfig['rewards'][number];

export const GamificationConfigErrorCode = 'RELEVO_GAMIFICATION_CONFIG';

/**
 * Validates a loyalty configuration object; throws one RelevoError listing every problem with its
 * path (`rules[2].points: …`), so a bad file is fixed in one go.
 */
export function parseGamificationConfig(input: unknown, source = 'gamification config'): GamificationConfig {
  const result = gamificationConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (text, part) =>
        typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
      '',
    );
    return `${path || '(root)'}: ${issue.message}`;
  });
  throw new RelevoError(GamificationConfigErrorCode, `Invalid ${source}:\n  ${problems.join('\n  ')}`, {
    details: { problems },
  });
}

/** Reads and validates a JSON configuration file (default: the one shipped in gamification/config/). */
export function loadGamificationConfig(
  path: string | URL = new URL('./loyalty.json', import.meta.url),
): GamificationConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RelevoError(GamificationConfigErrorCode, `Cannot read ${String(path)}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RelevoError(GamificationConfigErrorCode, `${String(path)} is not valid JSON`, { cause: error });
  }
  return parseGamificationConfig(json, String(path));
}

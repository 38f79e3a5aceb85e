import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isLoopbackUrl } from '../connectors/botframework/verify.js';
import { RelevoError } from '../core/errors.js';
import { redactUrl } from '../core/redact-url.js';

const port = z.coerce
  .number({ error: 'an integer port number from 0 to 65535' })
  .int('an integer port number from 0 to 65535')
  .min(0, 'an integer port number from 0 to 65535')
  .max(65535, 'an integer port number from 0 to 65535');

function urlWithScheme(schemes: string[], example: string) {
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `a URL like ${example}` },
  );
}

function isHttpsOrLoopbackUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || (protocol === 'http:' && isLoopbackUrl(value));
  } catch {
    return false;
  }
}

function isReadableJson(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

function isJsonArray(value: string): boolean {
  try {
    return Array.isArray(JSON.parse(value));
  } catch {
    return false;
  }
}

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * Every environment variable Relevo reads, validated at start-up. Only `bots/` reads `process.env`
 * (DESIGN.md §1); everything else receives the typed result. Channels whose settings are absent are off.
 */
const schema = z
  .object({
    PORT: optional(port).default(3978),
    HOST: optional(z.string().min(1)).default('0.0.0.0'),
    LOG_LEVEL: optional(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'one of fatal, error, warn, info, debug, trace, silent',
      }),
    ).default('info'),
    SHUTDOWN_TIMEOUT_MS: optional(
      z.coerce.number({ error: 'a number of milliseconds' }).int().min(0).max(60_000),
    ).default(8_000),
    REDIS_URL: optional(urlWithScheme(['redis', 'rediss'], 'redis://host:6379')),
    // Comma-separated seed nodes of a Redis Cluster: any one reachable master is enough to find the rest.
    REDIS_CLUSTER_URLS: optional(
      z
        .string()
        .transform((value) =>
          value
            .split(',')
            .map((url) => url.trim())
            .filter((url) => url !== ''),
        )
        .pipe(
          z
            .array(urlWithScheme(['redis', 'rediss'], 'redis://host:7000'), {
              error: 'comma-separated URLs like redis://host:7000,redis://host:7001',
            })
            .min(1, 'comma-separated URLs like redis://host:7000,redis://host:7001'),
        ),
    ),
    REDIS_KEY_PREFIX: optional(z.string().regex(/^[\w.-]+$/, 'letters, digits, ".", "_" or "-"')).default(
      'relevo',
    ),
    MicrosoftAppId: optional(z.string()),
    MicrosoftAppPassword: optional(z.string()),
    MicrosoftAppTenantId: optional(z.string()),
    MicrosoftAppType: optional(z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI'])),
    // Where the channel's JWT signing keys and issuer come from (botbuilder's ToBotFromChannel*
    // settings), for a private or test token service: only incoming tokens are checked there; replies
    // still get their token from public Azure AD, so a sovereign cloud (Azure Government) is not served.
    // Plain http would let anyone on the path swap the metadata: only a service on this machine may use
    // it (the JWKS address the metadata names is not checked: docs/security.md, known gaps).
    BOTFRAMEWORK_OPENID_METADATA_URL: optional(
      z.string().refine((value) => isHttpsOrLoopbackUrl(value), {
        error:
          'an https URL (http only on this machine) like https://login.botframework.com/v1/.well-known/openidconfiguration',
      }),
    ),
    BOTFRAMEWORK_TOKEN_ISSUER: optional(
      z.string().trim().min(1, 'a token issuer like https://api.botframework.com'),
    ),
    DIRECTLINE_SECRET: optional(z.string().min(16, 'a secret of at least 16 characters')),
    SLACK_SIGNING_SECRET: optional(z.string()),
    SLACK_BOT_TOKEN: optional(z.string()),
    SLACK_API_URL: optional(urlWithScheme(['http', 'https'], 'https://slack.com/api/')),
    X_CONSUMER_KEY: optional(z.string()),
    X_CONSUMER_SECRET: optional(z.string()),
    X_ACCESS_TOKEN: optional(z.string()),
    X_ACCESS_SECRET: optional(z.string()),
    X_USER_ID: optional(z.string().regex(/^\d+$/, 'the numeric id of our own X account')),
    X_API_URL: optional(urlWithScheme(['https'], 'https://api.x.com/')),
    IMAP_URL: optional(urlWithScheme(['imap', 'imaps'], 'imap://user:pass@host:143')),
    SMTP_URL: optional(urlWithScheme(['smtp', 'smtps'], 'smtp://user:pass@host:587')),
    EMAIL_FROM: optional(z.email({ error: 'an email address' })),
    RELEVO_API_TOKEN: optional(z.string().min(16, 'a token of at least 16 characters')),
    WAYPOINT_RULES_FILE: optional(
      z
        .string()
        .refine(isReadableJson, { error: 'a readable JSON file of waypoint rules (see docs/identity.md)' }),
    ),
    LOYALTY_CONFIG_FILE: optional(
      z.string().refine(isReadableJson, {
        error: 'a readable JSON file of loyalty rules, tiers and badges (see docs/gamification.md)',
      }),
    ),
    AGENT_ACCOUNTS: optional(
      z.string().refine(isJsonArray, { error: 'a JSON array of agent accounts (see docs/handoff.md)' }),
    ),
    AGENT_COOKIE_SECURE: optional(
      z.enum(['true', 'false'], { error: 'true or false' }).transform((v) => v === 'true'),
    ).default(false),
    HANDOFF_HUB_URL: optional(urlWithScheme(['http', 'https'], 'https://hub.example.com/handoffs')),
    HANDOFF_HUB_SECRET: optional(z.string().min(32, 'a secret of at least 32 characters')),
    HANDOFF_WAITING_MS: optional(
      z.coerce.number({ error: 'a number of milliseconds' }).int().min(1_000),
    ).default(60_000),
    HANDOFF_CONFIDENCE_THRESHOLD: optional(
      z.coerce.number({ error: 'a number from 0 to 1' }).min(0).max(1),
    ).default(0.5),
    HANDOFF_LOW_CONFIDENCE_TURNS: optional(
      z.coerce.number({ error: 'a whole number of turns' }).int().min(1),
    ).default(2),
    HANDOFF_NEGATIVE_SCORE: optional(
      z.coerce.number({ error: 'a number from -1 to 0' }).min(-1).max(0),
    ).default(-0.6),
    // Largest body a channel route (Direct Line, /api/messages, Slack, X) reads: Azure caps an
    // activity at 256 KB, Slack's and X's payloads are far smaller.
    MAX_BODY_BYTES: optional(
      z.coerce
        .number({ error: 'a whole number of bytes from 1024 to 10485760' })
        .int('a whole number of bytes from 1024 to 10485760')
        .min(1024, 'a whole number of bytes from 1024 to 10485760')
        .max(10 * 1024 * 1024, 'a whole number of bytes from 1024 to 10485760'),
    ).default(256 * 1024),
    REDIS_COMMAND_TIMEOUT_MS: optional(
      z.coerce
        .number({ error: 'a whole number of milliseconds from 0 (none) to 600000' })
        .int('a whole number of milliseconds from 0 (none) to 600000')
        .min(0, 'a whole number of milliseconds from 0 (none) to 600000')
        .max(600_000, 'a whole number of milliseconds from 0 (none) to 600000'),
    ).default(0),
    ANALYTICS_FLUSH_MS: optional(
      z.coerce
        .number({ error: 'a whole number of milliseconds from 0 to 60000' })
        .int('a whole number of milliseconds from 0 to 60000')
        .min(0, 'a whole number of milliseconds from 0 to 60000')
        .max(60_000, 'a whole number of milliseconds from 0 to 60000'),
    ).default(100),
    // A process killed mid-turn holds its conversations' queued turns this long before another
    // process takes them over (storage/inbound-queue.ts).
    INBOUND_VISIBILITY_MS: optional(
      z.coerce
        .number({ error: 'a number of milliseconds from 1000 to 600000' })
        .int('a number of milliseconds from 1000 to 600000')
        .min(1_000, 'a number of milliseconds from 1000 to 600000')
        .max(600_000, 'a number of milliseconds from 1000 to 600000'),
    ).default(10_000),
    RATE_LIMIT_PER_MINUTE: optional(
      z.coerce
        .number({ error: 'a whole number of messages from 0 (off) to 10000' })
        .int('a whole number of messages from 0 (off) to 10000')
        .min(0, 'a whole number of messages from 0 (off) to 10000')
        .max(10_000, 'a whole number of messages from 0 (off) to 10000'),
    ).default(30),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_CLUSTER_URLS !== undefined && env.REDIS_URL !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_CLUSTER_URLS'],
        message:
          'unset when REDIS_URL is set (REDIS_URL is one Redis server, REDIS_CLUSTER_URLS a Redis Cluster: choose one)',
      });
    }
    if (env.HANDOFF_HUB_URL && !env.HANDOFF_HUB_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['HANDOFF_HUB_SECRET'],
        message: 'set whenever HANDOFF_HUB_URL is set',
      });
    }
    // Without an app id no channel token is checked, so these would be silently ignored.
    for (const name of ['BOTFRAMEWORK_OPENID_METADATA_URL', 'BOTFRAMEWORK_TOKEN_ISSUER'] as const) {
      if (env[name] !== undefined && !env.MicrosoftAppId) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'unset unless MicrosoftAppId is set (without an app id no channel token is checked)',
        });
      }
    }
    if (env.MicrosoftAppId && !env.MicrosoftAppPassword && env.MicrosoftAppType !== 'UserAssignedMSI') {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppPassword'],
        message: 'set whenever MicrosoftAppId is set',
      });
    }
  });

export type Config = z.infer<typeof schema>;

/** Thrown when the environment is invalid; `message` is one line per bad variable. */
export class ConfigError extends RelevoError {
  constructor(readonly problems: string[]) {
    super('RELEVO_CONFIG_INVALID', problems.join('\n'), { details: { problems } });
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws {@link ConfigError} naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'configuration');
    const got = env[name];
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(shownValue(name, got))})`;
    return `Invalid configuration: ${name} must be ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}

/** What an error may echo of a bad value: never a secret, and URLs without their password. */
function shownValue(name: string, value: string): string {
  if (/SECRET|PASSWORD|TOKEN|ACCOUNTS/.test(name)) return '***';
  if (name.endsWith('_URLS'))
    return value
      .split(',')
      .map((url) => redactUrl(url.trim()))
      .join(',');
  return name.endsWith('_URL') ? redactUrl(value) : value;
}

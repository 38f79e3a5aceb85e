import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { requireApiToken } from '../core/api-auth.js';
import { RelevoError } from '../core/errors.js';
import type { OpenApiOperation, OpenApiRegistry } from '../core/openapi.js';
import { parseJsonBody, readRawBody } from '../connectors/shared/read-body.js';
import type { Gamification, LeaderboardName } from './gamification.js';
import type { LedgerResult } from './ledger/types.js';
import type { RewardStore } from './rewards/types.js';

export interface GamificationRoutesOptions {
  gamification: Gamification;
  rewards: RewardStore;
  /** `RELEVO_API_TOKEN`; absent closes these routes (503), never opens them. */
  apiToken: string | undefined;
  openapi: OpenApiRegistry;
  /**
   * Told every manual credit, debit and reversal the API applied, replays included (same result,
   * `replayed: true`), so a recorder keyed by the idempotency key counts each one once even when the
   * first answer was lost. Must not throw.
   */
  onPointsWritten?: (write: PointsWrite) => Promise<void>;
}

/** A ledger write made through the admin API. */
export interface PointsWrite {
  memberId: string;
  idempotencyKey: string;
  result: LedgerResult;
}

const MAX_BODY_BYTES = 16 * 1024;

export const RoutesErrorCode = {
  invalidRequest: 'RELEVO_GAMIFICATION_INVALID_REQUEST',
  idempotencyKeyRequired: 'RELEVO_IDEMPOTENCY_KEY_REQUIRED',
  leaderboardNotFound: 'RELEVO_LEADERBOARD_NOT_FOUND',
} as const;

const pointsBody = z
  .object({
    /** Positive credits, negative debits. */
    delta: z
      .number()
      .int()
      .refine((n) => n !== 0, 'must not be 0'),
    reason: z.string().min(1).max(500),
    validForDays: z.number().int().min(0).optional(),
  })
  .strict();
const reversalBody = z.object({ entryId: z.string().min(1), reason: z.string().min(1).max(500) }).strict();
const redemptionBody = z.object({ rewardId: z.string().min(1) }).strict();
const optOutBody = z.object({ isOptedOut: z.boolean() }).strict();

async function body<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(parseJsonBody(await readRawBody(req, MAX_BODY_BYTES)));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
  throw new RelevoError(RoutesErrorCode.invalidRequest, problems.join('; '), {
    statusCode: 400,
    details: { problems },
  });
}

/** The `Idempotency-Key` header every write needs (https://docs.stripe.com/api/idempotent_requests). */
function idempotencyKey(req: Request): string {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
    throw new RelevoError(
      RoutesErrorCode.idempotencyKeyRequired,
      'Send an Idempotency-Key header (1–255 characters)',
      {
        statusCode: 400,
      },
    );
  }
  return key;
}

function wrote(res: Response, result: { replayed: boolean }, body: unknown): void {
  // A replay answers what the first request answered; the header says it is a replay, as Stripe does.
  if (result.replayed) res.header('Idempotent-Replayed', 'true');
  res.status(result.replayed ? 200 : 201);
  res.json(body);
}

function points(result: LedgerResult) {
  return {
    entry: result.entry ?? null,
    balance: result.balance,
    lifetime: result.lifetime,
    replayed: result.replayed,
  };
}

function integer(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RelevoError(
      RoutesErrorCode.invalidRequest,
      'limit, offset and size must be whole numbers ≥ 0',
      {
        statusCode: 400,
      },
    );
  }
  return n;
}

/**
 * Mounts the loyalty admin API (`/api/members/{id}/points`, redemptions, `/api/rewards`,
 * `/api/leaderboards/{name}`) behind the API token and registers each path in `/openapi.json`.
 * Errors are RelevoErrors; the server renders them as `{code, message}` with their status.
 */
export function mountGamificationRoutes(server: Server, options: GamificationRoutesOptions): void {
  const { gamification, rewards } = options;
  const guarded =
    (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
      requireApiToken(req, options.apiToken);
      await handler(req, res);
    };

  server.get(
    '/api/members/:id/points',
    guarded(async (req, res) => {
      const memberId = String(req.params.id);
      const [profile, history] = await Promise.all([
        gamification.profile(memberId),
        gamification.ledger.history(memberId, {
          limit: integer(req.query?.limit, 50) || 50,
          offset: integer(req.query?.offset, 0),
        }),
      ]);
      res.json({ ...profile, history });
    }),
  );

  server.post(
    '/api/members/:id/points',
    guarded(async (req, res) => {
      const key = idempotencyKey(req);
      const { delta, reason, validForDays } = await body(req, pointsBody);
      const memberId = String(req.params.id);
      const request = { memberId, amount: Math.abs(delta), reason, idempotencyKey: key };
      const result =
        delta > 0
          ? await gamification.ledger.credit({
              ...request,
              ...(validForDays === undefined ? {} : { validForDays }),
            })
          : await gamification.ledger.debit(request);
      await options.onPointsWritten?.({ memberId, idempotencyKey: key, result });
      wrote(res, result, points(result));
    }),
  );

  server.post(
    '/api/members/:id/points/reversals',
    guarded(async (req, res) => {
      const key = idempotencyKey(req);
      const { entryId, reason } = await body(req, reversalBody);
      const memberId = String(req.params.id);
      const result = await gamification.ledger.reverse({ memberId, entryId, reason, idempotencyKey: key });
      await options.onPointsWritten?.({ memberId, idempotencyKey: key, result });
      wrote(res, result, points(result));
    }),
  );

  server.get(
    '/api/members/:id/redemptions',
    guarded(async (req, res) => {
      res.json({ redemptions: await rewards.redemptions(String(req.params.id)) });
    }),
  );

  server.post(
    '/api/members/:id/redemptions',
    guarded(async (req, res) => {
      const key = idempotencyKey(req);
      const { rewardId } = await body(req, redemptionBody);
      const result = await rewards.redeem({ memberId: String(req.params.id), rewardId, idempotencyKey: key });
      wrote(res, result, result);
    }),
  );

  server.del(
    '/api/members/:id/redemptions/:code',
    guarded(async (req, res) => {
      res.json(await rewards.cancel(String(req.params.id), String(req.params.code)));
    }),
  );

  server.put(
    '/api/members/:id/leaderboards/opt-out',
    guarded(async (req, res) => {
      const { isOptedOut } = await body(req, optOutBody);
      await gamification.leaderboards.setOptOut(String(req.params.id), isOptedOut);
      res.json({ memberId: String(req.params.id), isOptedOut });
    }),
  );

  server.get(
    '/api/rewards',
    guarded(async (_req, res) => {
      res.json({ rewards: await rewards.catalogue() });
    }),
  );

  server.get(
    '/api/leaderboards/:name',
    guarded(async (req, res) => {
      const name = String(req.params.name);
      if (name !== 'weekly' && name !== 'all-time') {
        throw new RelevoError(
          RoutesErrorCode.leaderboardNotFound,
          'Leaderboards are "weekly" and "all-time"',
          {
            statusCode: 404,
          },
        );
      }
      const member = typeof req.query?.member === 'string' ? req.query.member : undefined;
      const size = Math.min(integer(req.query?.size, 10) || 10, 100);
      res.json(await gamification.standings(name as LeaderboardName, member, size));
    }),
  );

  registerOpenApi(options.openapi);
}

function registerOpenApi(openapi: OpenApiRegistry): void {
  const security = [{ apiToken: [] }];
  const errors = Object.fromEntries(
    [
      ['400', 'Invalid request'],
      ['401', 'Missing or wrong API token'],
      ['404', 'Not found'],
      ['409', 'Conflict: idempotency key reused with other parameters, insufficient points, out of stock'],
      ['503', 'RELEVO_API_TOKEN is not set'],
    ].map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Member id' };
  const key = {
    name: 'Idempotency-Key',
    in: 'header',
    required: true,
    schema: { type: 'string', maxLength: 255 },
    description:
      'Same key twice applies once and answers the first result; with other parameters it is a 409',
  };
  const json = (schema: Record<string, unknown>) => ({ content: { 'application/json': { schema } } });
  const op = (summary: string, extra: Partial<OpenApiOperation>): OpenApiOperation => ({
    summary,
    tags: ['loyalty'],
    security,
    responses: { '200': { description: 'OK' }, ...errors },
    ...extra,
    ...(extra.responses ? { responses: { ...extra.responses, ...errors } } : {}),
  });
  const written = {
    '201': { description: 'Applied' },
    '200': { description: 'Replay of an earlier request with this key' },
  };

  openapi.add('/api/members/{id}/points', {
    get: op('Balance, tier, badges, streak and ledger history (newest first)', {
      parameters: [
        id,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
      ],
    }),
    post: op('Manual credit (positive delta) or debit (negative delta)', {
      parameters: [id, key],
      requestBody: json({
        type: 'object',
        required: ['delta', 'reason'],
        properties: {
          delta: { type: 'integer' },
          reason: { type: 'string' },
          validForDays: { type: 'integer', minimum: 0 },
        },
      }),
      responses: written,
    }),
  });
  openapi.add('/api/members/{id}/points/reversals', {
    post: op('Reverse a credit or a debit with a compensating entry', {
      parameters: [id, key],
      requestBody: json({
        type: 'object',
        required: ['entryId', 'reason'],
        properties: { entryId: { type: 'string' }, reason: { type: 'string' } },
      }),
      responses: written,
    }),
  });
  openapi.add('/api/members/{id}/redemptions', {
    get: op("The member's redemptions, newest first", { parameters: [id] }),
    post: op('Redeem a reward: points and stock in one step; answers a unique code', {
      parameters: [id, key],
      requestBody: json({
        type: 'object',
        required: ['rewardId'],
        properties: { rewardId: { type: 'string' } },
      }),
      responses: written,
    }),
  });
  openapi.add('/api/members/{id}/redemptions/{code}', {
    delete: op('Cancel a redemption: points and stock back', {
      parameters: [id, { name: 'code', in: 'path', required: true, schema: { type: 'string' } }],
    }),
  });
  openapi.add('/api/members/{id}/leaderboards/opt-out', {
    put: op('Leave (or rejoin) every leaderboard', {
      parameters: [id],
      requestBody: json({
        type: 'object',
        required: ['isOptedOut'],
        properties: { isOptedOut: { type: 'boolean' } },
      }),
    }),
  });
  openapi.add('/api/rewards', { get: op('The rewards catalogue with prices and live stock', {}) });
  openapi.add('/api/leaderboards/{name}', {
    get: op('Top N and, with ?member=, that member’s rank', {
      parameters: [
        {
          name: 'name',
          in: 'path',
          required: true,
          schema: { type: 'string', enum: ['weekly', 'all-time'] },
        },
        { name: 'member', in: 'query', schema: { type: 'string' } },
        { name: 'size', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
      ],
    }),
  });
}

import type { IncomingMessage } from 'node:http';
import type { Storage, TranscriptStore } from 'botbuilder';
import type { Request, Response, Server } from 'restify';
import { BodyErrorCode, parseJsonBody, readRawBody } from '../connectors/shared/read-body.js';
import { requireApiToken } from '../core/api-auth.js';
import { hasCode } from '../core/errors.js';
import type { OpenApiOperation, OpenApiRegistry } from '../core/openapi.js';
import { IdentityErrorCode, identityError } from './errors.js';
import type { Journey } from './journey/journey.js';
import type { LinkService } from './link-service.js';
import type { MemberRecord } from './member-record.js';
import type { Members } from './members.js';
import { unmergeMembers } from './merge.js';
import { type ConversationErasers, eraseMember, exportMember } from './privacy.js';
import { buildProfile, type ProfileSection } from './profile.js';

export interface IdentityRouteOptions {
  members: Members;
  /** Transcripts for the 360° profile, the export and the erase (`stores.transcripts`). */
  transcripts?: TranscriptStore | undefined;
  /** The agent's botbuilder `Storage`: the erase deletes the member's state and references there. */
  storage?: Storage | undefined;
  /** The channels' own data of the member's conversations, erased too (web chat's Direct Line log). */
  conversationErasers?: ConversationErasers | undefined;
  /** Absent: the link routes are not mounted (no SMTP configured). */
  linkService?: LinkService | undefined;
  /** `RELEVO_API_TOKEN`; without it every route answers 503 (closed, never open). */
  apiToken: string | undefined;
  openapi?: OpenApiRegistry | undefined;
  /** Extra profile sections (points, tier, badges…) from other folders. */
  profileSections?: readonly ProfileSection[];
  /** Absent: `POST /api/journey/events` is not mounted. */
  journey?: Journey | undefined;
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * Mounts the member REST API for agents and automation, every route behind the API token, and
 * registers each path in the OpenAPI document: the 360° profile by id or by identity key, export,
 * erase, unmerge, and (with a LinkService) asking for and checking a link code.
 */
export function mountIdentityRoutes(server: Server, options: IdentityRouteOptions): void {
  const { members } = options;
  const guard = (req: Request) => requireApiToken(req, options.apiToken);
  const profile = async (res: Response, member: MemberRecord) => {
    res.json(
      200,
      await buildProfile(members, member, {
        transcripts: options.transcripts,
        sections: options.profileSections ?? [],
      }),
    );
  };

  server.get('/api/members/by-key/:key', async (req: Request, res: Response) => {
    guard(req);
    const key = String(req.params.key ?? '');
    const member = await members.findByKey(key);
    if (!member)
      throw identityError(IdentityErrorCode.memberNotFound, 'No member owns that identity key', 404);
    await profile(res, member);
  });

  server.get('/api/members/:id', async (req: Request, res: Response) => {
    guard(req);
    await profile(res, await members.require(String(req.params.id)));
  });

  server.get('/api/members/:id/export', async (req: Request, res: Response) => {
    guard(req);
    const data = await exportMember(members, String(req.params.id), options.transcripts);
    res.header('Content-Disposition', `attachment; filename="member-${data.member.id}.json"`);
    res.json(200, data);
  });

  server.del('/api/members/:id', async (req: Request, res: Response) => {
    guard(req);
    const body = await readJson(req);
    res.json(
      200,
      await eraseMember(members, String(req.params.id), {
        actor: stringField(body, 'actor') ?? 'api',
        reason: stringField(body, 'reason') ?? 'erase requested through the API',
        transcripts: options.transcripts,
        storage: options.storage,
        conversationErasers: options.conversationErasers,
      }),
    );
  });

  server.post('/api/members/:id/unmerge', async (req: Request, res: Response) => {
    guard(req);
    const body = await readJson(req);
    const member = await members.require(String(req.params.id));
    const auditId = stringField(body, 'auditId') ?? (await latestMerge(members, member));
    const audit = await unmergeMembers(members, auditId, stringField(body, 'actor') ?? 'api');
    res.json(200, {
      auditId: audit.id,
      unmergedAt: new Date(audit.unmergedAt ?? 0).toISOString(),
      members: [audit.fromMemberId, audit.toMemberId],
    });
  });

  const link = options.linkService;
  if (link) {
    server.post('/api/members/:id/link/code', async (req: Request, res: Response) => {
      guard(req);
      const email = stringField(await readJson(req), 'email');
      if (!email) throw identityError(IdentityErrorCode.invalidRequest, 'Send {"email": "…"}', 400);
      const { expiresAt } = await link.requestCode({ memberId: String(req.params.id), email });
      res.json(202, { expiresAt: new Date(expiresAt).toISOString() });
    });
    server.post('/api/members/:id/link/verify', async (req: Request, res: Response) => {
      guard(req);
      const code = stringField(await readJson(req), 'code');
      if (!code) throw identityError(IdentityErrorCode.invalidRequest, 'Send {"code": "123456"}', 400);
      const result = await link.verifyCode({ memberId: String(req.params.id), code });
      res.json(200, { memberId: result.member.id, auditId: result.auditId });
    });
  }

  const journey = options.journey;
  if (journey) {
    server.post('/api/journey/events', async (req: Request, res: Response) => {
      guard(req);
      res.json(202, await journey.record(await readJson(req)));
    });
  }

  if (options.openapi) registerOpenApi(options.openapi, link !== undefined, journey !== undefined);
}

/** The most recent merge this member survived or was merged by, still in force. */
async function latestMerge(members: Members, member: MemberRecord): Promise<string> {
  for (const id of [...member.auditIds].reverse()) {
    const audit = await members.store.getAudit(id);
    if (audit?.kind === 'merge' && audit.unmergedAt === undefined && audit.fromBefore) return audit.id;
  }
  throw identityError(IdentityErrorCode.auditNotFound, 'This member has no merge to undo', 404);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  try {
    return parseJsonBody(await readRawBody(req, MAX_BODY_BYTES));
  } catch (error) {
    if (hasCode(error, BodyErrorCode.tooLarge))
      throw identityError(IdentityErrorCode.invalidRequest, 'The body is too large', 413);
    if (hasCode(error, BodyErrorCode.invalidJson))
      throw identityError(IdentityErrorCode.invalidRequest, 'The body is not valid JSON', 400);
    throw error;
  }
}

function stringField(body: unknown, name: string): string | undefined {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function registerOpenApi(openapi: OpenApiRegistry, hasLink: boolean, hasJourney: boolean): void {
  const security = [{ apiToken: [] }];
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const errors = (...statuses: number[]) =>
    Object.fromEntries(
      statuses.map((s) => [
        String(s),
        {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      ]),
    );
  const json = (description: string) => ({ description, content: { 'application/json': {} } });
  const op = (summary: string, ok: string, statuses: number[], extra: Partial<OpenApiOperation> = {}) => ({
    summary,
    tags: ['members'],
    security,
    parameters: [id],
    responses: { [ok.split(' ')[0] ?? '200']: json(ok), ...errors(401, 503, ...statuses) },
    ...extra,
  });
  const body = (properties: Record<string, unknown>, required: string[] = []) => ({
    requestBody: {
      required: required.length > 0,
      content: { 'application/json': { schema: { type: 'object', properties, required } } },
    },
  });
  openapi.add('/api/members/{id}', {
    get: op(
      '360° profile of a member: keys, contacts per channel, conversations, transcript',
      '200 profile',
      [404],
    ),
    delete: op(
      'Erase a member: keys, transcripts, link codes, personal data in audits',
      '200 erasure report',
      [404],
      {
        ...body({ actor: { type: 'string' }, reason: { type: 'string' } }),
      },
    ),
  });
  openapi.add('/api/members/by-key/{key}', {
    get: {
      ...op('360° profile of the member owning an identity key (URL-encoded)', '200 profile', [404]),
      parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }],
    },
  });
  openapi.add('/api/members/{id}/export', { get: op('All data of a member as JSON', '200 export', [404]) });
  openapi.add('/api/members/{id}/unmerge', {
    post: op('Undo a merge (the latest one unless auditId is given)', '200 unmerged', [404, 409], {
      ...body({ auditId: { type: 'string' }, actor: { type: 'string' } }),
    }),
  });
  if (hasJourney) {
    openapi.add('/api/journey/events', {
      post: {
        ...op('Record a journey event; starts or cancels waypoint timers', '202 recorded', [400]),
        tags: ['journey'],
        parameters: [],
        ...body(
          {
            identityKey: { type: 'string' },
            type: { enum: ['page_view', 'cart_add', 'cart_remove', 'checkout', 'purchase', 'custom'] },
            data: { type: 'object' },
            at: { oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }] },
          },
          ['identityKey', 'type'],
        ),
      },
    });
  }
  if (!hasLink) return;
  openapi.add('/api/members/{id}/link/code', {
    post: op('Email a 6-digit code to prove an address', '202 code sent', [400, 403, 429, 502], {
      ...body({ email: { type: 'string', format: 'email' } }, ['email']),
    }),
  });
  openapi.add('/api/members/{id}/link/verify', {
    post: op(
      'Check a code; merges the member into the verified one',
      '200 linked',
      [400, 404, 409, 410, 429],
      {
        ...body({ code: { type: 'string', pattern: '^[0-9]{6}$' } }, ['code']),
      },
    ),
  });
}

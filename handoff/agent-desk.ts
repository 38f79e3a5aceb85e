import type { Request, Response, Server } from 'restify';
import type { OpenApiRegistry } from '../core/openapi.js';
import { parseJsonBody, readRawBody } from '../connectors/shared/read-body.js';
import type { AgentSessions } from './agent-sessions.js';
import {
  authenticateDesk,
  type DeskPrincipal,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from './desk-auth.js';
import { HandoffErrorCode, handoffError } from './errors.js';
import type { HandoffRecord } from './handoff-record.js';
import type { Handoffs } from './handoffs.js';
import { registerDeskOpenApi } from './desk-openapi.js';
import { verifyHubRequest } from './hub-webhook.js';
import { HANDOFF_STATUSES, type HandoffStatus, nextFor } from './queue.js';

/** Ready answers agents pick in the console, per language. */
export type CannedResponses = Record<string, string[]>;

export const defaultCannedResponses: CannedResponses = {
  en: [
    'Hi, I am here to help. Let me look at your conversation.',
    'Thanks, one moment while I check that for you.',
    'Is there anything else I can help you with?',
  ],
  es: [
    'Hola, estoy aquí para ayudarte. Déjame revisar tu conversación.',
    'Gracias, dame un momento mientras lo compruebo.',
    '¿Hay algo más en lo que pueda ayudarte?',
  ],
};

export interface AgentDeskOptions {
  handoffs: Handoffs;
  sessions: AgentSessions;
  /** `RELEVO_API_TOKEN`: automation access; absent = only console sessions. */
  apiToken?: string | undefined;
  canned?: CannedResponses;
  /** Set the `Secure` flag on the session cookie (serve the console over HTTPS in production). */
  secureCookies?: boolean;
  /** How long an agent stays online after the console's last heartbeat (default 60 s). */
  presenceTtlMs?: number;
  /**
   * The member's 360° profile (identity's `buildProfile`: contacts per channel, conversations, points,
   * tier…), shown beside the conversation. Its `transcript` field is dropped: the desk has its own.
   */
  profileOf?: (memberId: string) => Promise<Record<string, unknown> | undefined>;
  /** `HANDOFF_HUB_SECRET`: a hub's signed `POST /api/handoffs/{id}/status` callbacks are accepted. */
  hubSecret?: string | undefined;
}

const MAX_BODY = 64 * 1024;

/**
 * The agent desk's REST API on `/api/agent/…` and `/api/handoffs/…`: login, presence, the queue by
 * status, one handoff with its packet and live transcript, and the actions on it (accept, reply,
 * typing, notes, transfer, resolve). Every route but login needs a session or the API token.
 */
export class AgentDesk {
  readonly handoffs: Handoffs;
  readonly sessions: AgentSessions;

  constructor(private readonly options: AgentDeskOptions) {
    this.handoffs = options.handoffs;
    this.sessions = options.sessions;
  }

  /** Authenticates a request as the desk does (for the console's WebSocket too). */
  authenticate(request: {
    method?: string | undefined;
    headers: Request['headers'];
  }): Promise<DeskPrincipal> {
    return authenticateDesk(request, this.sessions, this.options.apiToken);
  }

  /** Mounts the routes on the server and describes them in the OpenAPI registry. */
  mount(server: Server, openapi?: OpenApiRegistry): void {
    const route =
      (handler: (req: Request, res: Response, principal: DeskPrincipal) => Promise<unknown>) =>
      async (req: Request, res: Response) => {
        const principal = await this.authenticate(req);
        const body = await handler(req, res, principal);
        if (!res.headersSent) res.json(body ?? { ok: true });
      };

    server.post('/api/agent/login', async (req: Request, res: Response) => {
      const body = await readBody(req);
      const { token, session } = await this.sessions.login(text(body, 'agentId'), text(body, 'password'));
      res.header(
        'set-cookie',
        sessionCookie(
          token,
          (session.expiresAt - this.handoffs.clock.now()) / 1000,
          !!this.options.secureCookies,
        ),
      );
      res.json({ agent: publicAccount(session.account), csrfToken: session.csrfToken });
    });
    server.post(
      '/api/agent/logout',
      route(async (req, res, principal) => {
        await this.sessions.logout(readCookie(req.headers, SESSION_COOKIE) ?? '');
        await this.handoffs.queue.goOffline(principal.agentId);
        res.header('set-cookie', sessionCookie('', 0, !!this.options.secureCookies));
      }),
    );
    server.get('/api/agent/me', async (req: Request, res: Response) => {
      const session = await this.sessions.resolve(readCookie(req.headers, SESSION_COOKIE) ?? '');
      if (!session) throw handoffError(HandoffErrorCode.unauthorized, 'Not logged in', 401);
      res.json({ agent: publicAccount(session.account), csrfToken: session.csrfToken });
    });
    server.post(
      '/api/agent/presence',
      route(async (req, _res, principal) => {
        const online = (await readBody(req)).online !== false;
        if (!online) return this.handoffs.queue.goOffline(principal.agentId);
        await this.heartbeat(principal);
        return { online: true, next: (await this.nextFor(principal))?.handoffId ?? null };
      }),
    );
    server.get(
      '/api/agent/agents',
      route(async () => ({ agents: await this.handoffs.queue.onlineAgents(this.handoffs.clock.now()) })),
    );
    server.get(
      '/api/agent/canned',
      route(async () => ({ canned: this.options.canned ?? defaultCannedResponses })),
    );

    server.get(
      '/api/handoffs',
      route(async (req) => {
        const status = (req.query?.status ?? 'pending') as HandoffStatus;
        if (!HANDOFF_STATUSES.includes(status)) {
          throw handoffError(
            HandoffErrorCode.badRequest,
            `status must be one of ${HANDOFF_STATUSES.join(', ')}`,
            400,
          );
        }
        const handoffs = await this.handoffs.list(status);
        if (status !== 'pending') return { handoffs };
        // Where each waiting conversation stands in the queue (1 = served next), for the console.
        const order = new Map(
          (await this.handoffs.queue.waiting()).map((entry, i) => [entry.handoffId, i + 1]),
        );
        return { handoffs: handoffs.map((each) => ({ ...each, queuePosition: order.get(each.id) ?? null })) };
      }),
    );
    server.get(
      '/api/handoffs/:id',
      route(async (req) => {
        const record = await this.handoffs.records.get(req.params.id);
        const [packet, profile] = await Promise.all([
          this.handoffs.records.packet(record.id),
          this.profileOf(record.member.id),
        ]);
        return { ...this.handoffs.summarize(record), packet: packet ?? null, profile };
      }),
    );
    server.get(
      '/api/handoffs/:id/transcript',
      route(async (req) => {
        const record = await this.handoffs.records.get(req.params.id);
        const [activities, turns] = await Promise.all([
          this.handoffs.transcriptOf(record),
          this.handoffs.annotationsOf(record),
        ]);
        return { activities, turns };
      }),
    );
    server.post(
      '/api/handoffs/:id/accept',
      route(async (req, _res, principal) => {
        await this.heartbeat(principal);
        return this.handoffs.summarize(
          await this.handoffs.accept(req.params.id, principal.agentId, principal.maxChats),
        );
      }),
    );
    server.post(
      '/api/handoffs/:id/messages',
      route(async (req, res, principal) => {
        const message = text(await readBody(req), 'text', 4_000);
        await this.holder(req.params.id, principal);
        await this.handoffs.reply(req.params.id, { id: principal.agentId, name: principal.name }, message);
        res.status(201);
        return { ok: true };
      }),
    );
    server.post(
      '/api/handoffs/:id/typing',
      route(async (req, _res, principal) => {
        await this.holder(req.params.id, principal);
        await this.handoffs.typing(req.params.id);
      }),
    );
    server.post(
      '/api/handoffs/:id/notes',
      route(async (req, res, principal) => {
        const note = text(await readBody(req), 'text', 4_000);
        const record = await this.handoffs.note(req.params.id, principal.agentId, note);
        res.status(201);
        return { notes: record.notes };
      }),
    );
    server.post(
      '/api/handoffs/:id/transfer',
      route(async (req, _res, principal) => {
        const body = await readBody(req);
        await this.holder(req.params.id, principal);
        if (typeof body.agentId === 'string' && body.agentId) {
          const target = this.sessions.account(body.agentId);
          if (!target) throw handoffError(HandoffErrorCode.badRequest, `No agent "${body.agentId}"`, 400);
          return this.handoffs.summarize(
            await this.handoffs.transfer(req.params.id, { agentId: target.id, maxChats: target.maxChats }),
          );
        }
        const target: { language?: string; topic?: string } = {};
        if (typeof body.language === 'string') target.language = body.language;
        if (typeof body.topic === 'string') target.topic = body.topic;
        return this.handoffs.summarize(await this.handoffs.transfer(req.params.id, target));
      }),
    );
    server.post(
      '/api/handoffs/:id/resolve',
      route(async (req, _res, principal) => {
        await this.holder(req.params.id, principal);
        return this.handoffs.summarize(await this.handoffs.resolve(req.params.id));
      }),
    );

    // A hub answers our packet with handoff.status, signed with the shared secret (or the API token).
    server.post('/api/handoffs/:id/status', async (req: Request, res: Response) => {
      const raw = (await readRawBody(req, MAX_BODY)).toString('utf8');
      const { hubSecret } = this.options;
      const signed = !!hubSecret && verifyHubRequest(hubSecret, req.headers, raw, this.handoffs.clock.now());
      if (!signed) await this.authenticate(req);
      const body = asObject(parseJsonBody(Buffer.from(raw)));
      const state = text(body, 'state', 20);
      if (!['accepted', 'failed', 'completed'].includes(state)) {
        throw handoffError(HandoffErrorCode.badRequest, 'state must be accepted, failed or completed', 400);
      }
      const record = await this.handoffs.records.get(req.params.id);
      await this.handoffs.applyHubStatusTo(record, state);
      res.json(this.handoffs.summarize(await this.handoffs.records.get(record.id)));
    });

    if (openapi) registerDeskOpenApi(openapi);
  }

  private async profileOf(memberId: string): Promise<Record<string, unknown> | null> {
    const profile = await this.options.profileOf?.(memberId);
    if (!profile) return null;
    const { transcript: _transcript, ...rest } = profile;
    return rest;
  }

  /** Marks the agent online with their skills for `presenceTtlMs`. */
  heartbeat(principal: DeskPrincipal): Promise<void> {
    return this.handoffs.queue.heartbeat(
      {
        agentId: principal.agentId,
        languages: principal.languages,
        topics: principal.topics,
        maxChats: principal.maxChats,
      },
      this.handoffs.clock.now() + (this.options.presenceTtlMs ?? 60_000),
    );
  }

  /** The first waiting conversation this agent's skills cover. */
  nextFor(principal: DeskPrincipal) {
    return nextFor(this.handoffs.queue, {
      agentId: principal.agentId,
      languages: principal.languages,
      topics: principal.topics,
      maxChats: principal.maxChats,
    });
  }

  /** Only the agent holding a conversation, or a supervisor, acts on it. */
  private async holder(id: string, principal: DeskPrincipal): Promise<HandoffRecord> {
    const record = await this.handoffs.records.get(id);
    if (principal.role !== 'supervisor' && record.agentId !== principal.agentId) {
      throw handoffError(HandoffErrorCode.notAssigned, `Handoff "${id}" is held by another agent`, 403);
    }
    return record;
  }
}

function publicAccount(account: {
  id: string;
  name: string;
  role: string;
  languages: string[];
  topics: string[];
  maxChats: number;
}) {
  const { id, name, role, languages, topics, maxChats } = account;
  return { id, name, role, languages, topics, maxChats };
}

async function readBody(req: Request): Promise<Record<string, unknown>> {
  return asObject(parseJsonBody(await readRawBody(req, MAX_BODY)));
}

function asObject(parsed: unknown): Record<string, unknown> {
  if (parsed === undefined) return {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw handoffError(HandoffErrorCode.badRequest, 'The body must be a JSON object', 400);
  }
  return parsed as Record<string, unknown>;
}

function text(body: Record<string, unknown>, field: string, maxLength = 200): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '' || value.length > maxLength) {
    throw handoffError(
      HandoffErrorCode.badRequest,
      `"${field}" must be a non-empty string of at most ${maxLength} characters`,
      400,
    );
  }
  return value;
}

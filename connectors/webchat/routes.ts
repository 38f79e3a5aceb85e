import type { Request, Response, Server } from 'restify';
import type { Logger } from '../../core/logger.js';
import { onUpgrade } from '../../core/upgrade.js';
import type { ConversationGrant, DirectLineService } from './direct-line.js';
import { DirectLineError } from './errors.js';
import { directLineRoute, readJson, webSocketBase } from './http.js';
import type { DirectLineStreams } from './stream.js';

const BASE = '/v3/directline';

/**
 * Mounts the Direct Line 3.0 REST API under `/v3/directline` and its WebSocket stream on the server's
 * upgrade event. https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-direct-line-3-0-api-reference
 */
export function mountDirectLine(
  server: Server,
  service: DirectLineService,
  streams: DirectLineStreams,
  logger: Logger,
  maxBodyBytes?: number,
): void {
  const readBody = (req: Request) => readJson(req, maxBodyBytes);
  const route = (handler: (req: Request, res: Response) => Promise<void>) => directLineRoute(logger, handler);
  const caller = (req: Request) => service.authenticate(req.headers.authorization);
  const withStream = (req: Request, grant: ConversationGrant, watermark?: string) => ({
    ...grant,
    streamUrl: streamUrl(req, grant, watermark),
  });

  server.post(
    `${BASE}/conversations`,
    route(async (req, res) => {
      const { grant, created } = await service.start(await caller(req), await readBody(req));
      res.status(created ? 201 : 200);
      res.json(withStream(req, grant));
    }),
  );

  server.get(
    `${BASE}/conversations/:conversationId`,
    route(async (req, res) => {
      const conversation = await service.conversationFor(await caller(req), req.params.conversationId);
      const watermark = typeof req.query.watermark === 'string' ? req.query.watermark : undefined;
      res.json(withStream(req, await service.grant(conversation), watermark));
    }),
  );

  server.post(
    `${BASE}/conversations/:conversationId/activities`,
    route(async (req, res) => {
      const conversation = await service.conversationFor(await caller(req), req.params.conversationId);
      const id = await service.post(conversation, await readBody(req));
      res.json({ id });
    }),
  );

  server.get(
    `${BASE}/conversations/:conversationId/activities`,
    route(async (req, res) => {
      const conversation = await service.conversationFor(await caller(req), req.params.conversationId);
      const watermark = typeof req.query.watermark === 'string' ? req.query.watermark : undefined;
      const set = await service.since(conversation, watermark);
      res.json({ activities: set.activities, watermark: String(set.watermark) });
    }),
  );

  server.post(
    `${BASE}/tokens/generate`,
    route(async (req, res) => {
      res.json(await service.generateToken(await caller(req), await readBody(req)));
    }),
  );

  server.post(
    `${BASE}/tokens/refresh`,
    route(async (req, res) => {
      res.json(await service.refreshToken(await caller(req)));
    }),
  );

  // Anything else under the Direct Line base answers in Direct Line's error shape, not restify's.
  const unknown = route(async (req) => {
    throw new DirectLineError(
      'NotFound',
      `${req.method} ${req.getPath()} is not part of Direct Line 3.0 here`,
    );
  });
  for (const method of ['get', 'post', 'put', 'del', 'patch'] as const) server[method](`${BASE}/*`, unknown);

  onUpgrade(server, (req, socket, head) => streams.handleUpgrade(req, socket, head));
}

function streamUrl(req: Request, grant: ConversationGrant, watermark?: string): string {
  const query = new URLSearchParams({ t: grant.token });
  if (watermark) query.set('watermark', watermark);
  return `${webSocketBase(req)}${BASE}/conversations/${encodeURIComponent(grant.conversationId)}/stream?${query}`;
}

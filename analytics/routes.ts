import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { requireApiToken } from '../core/api-auth.js';
import { RelevoError } from '../core/errors.js';
import type { OpenApiRegistry } from '../core/openapi.js';
import type { AnalyticsService } from './analytics.js';
import { kpisToCsv } from './csv.js';
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from './dashboard-page.js';
import { AnalyticsErrorCode } from './events.js';

/** Who may read KPIs through a console session: the desk's `authenticate` (handoff/AgentDesk). */
export type DeskAuthenticate = (request: {
  method?: string | undefined;
  headers: Request['headers'];
}) => Promise<{ role: string; agentId: string }>;

export interface AnalyticsRoutesOptions {
  openapi?: OpenApiRegistry | undefined;
  /** `RELEVO_API_TOKEN`: automation reads `/api/kpis` with it. */
  apiToken?: string | undefined;
  /** The agent console's session check (`desk.authenticate`); supervisors see KPIs and the dashboard. */
  authenticate?: DeskAuthenticate | undefined;
  /** Conversations waiting for a person now (shown live on the dashboard). */
  queueLength?: (() => Promise<number>) | undefined;
  /** Require the API token on `/metrics` too (default: open, as Prometheus scrapers usually are on a private network). */
  protectMetrics?: boolean;
}

const MAX_WINDOW_MS = 400 * 24 * 60 * 60 * 1000;
const DEFAULT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

// Same-origin only, like the agent console: no framing, no foreign scripts, no inline script.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Chart.js's self-contained UMD bundle from the installed npm package (no CDN, no build step). */
function chartBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return path.join(path.dirname(entry), 'chart.umd.min.js');
}

/** A time as a query gives it: epoch milliseconds or an ISO 8601 date. */
function parseTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new RelevoError(AnalyticsErrorCode.invalidQuery, `"${name}" must be epoch ms or an ISO 8601 date`, {
      statusCode: 400,
    });
  }
  return ms;
}

function segmentParam(value: unknown, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(text)) {
    throw new RelevoError(AnalyticsErrorCode.invalidQuery, `"${name}" is not a valid ${name}`, {
      statusCode: 400,
    });
  }
  return text;
}

/**
 * Mounts `GET /api/kpis` (JSON or CSV), `GET /metrics` (Prometheus text format) and the supervisors'
 * `/dashboard` with its script, stylesheet and Chart.js bundle, and describes them in OpenAPI. KPIs need
 * the API token or a supervisor's console session (the console's own login: no second one here).
 */
export function mountAnalyticsRoutes(
  server: Server,
  analytics: AnalyticsService,
  options: AnalyticsRoutesOptions,
) {
  const authorize = async (req: Request) => {
    if (req.headers.authorization) {
      requireApiToken(req, options.apiToken);
      return;
    }
    if (!options.authenticate) {
      throw new RelevoError('RELEVO_API_UNAUTHORIZED', 'Send "Authorization: Bearer <RELEVO_API_TOKEN>"', {
        statusCode: 401,
      });
    }
    const principal = await options.authenticate({ method: req.method, headers: req.headers });
    if (principal.role !== 'supervisor') {
      throw new RelevoError(AnalyticsErrorCode.forbidden, 'Only supervisors see the KPIs', {
        statusCode: 403,
      });
    }
  };

  server.get('/api/kpis', async (req: Request, res: Response) => {
    await authorize(req);
    const query = (req.query ?? {}) as Record<string, unknown>;
    const to = parseTime(query.to, 'to') ?? analytics.clock.now();
    const from = parseTime(query.from, 'from') ?? to - DEFAULT_WINDOW_MS;
    if (!(from < to) || to - from > MAX_WINDOW_MS) {
      throw new RelevoError(
        AnalyticsErrorCode.invalidQuery,
        '"from" must be before "to", at most 400 days apart',
        {
          statusCode: 400,
        },
      );
    }
    const kpis = await analytics.kpis({
      from,
      to,
      channel: segmentParam(query.channel, 'channel'),
      language: segmentParam(query.language, 'language'),
    });
    if (query.format === 'csv') {
      const name = `relevo-kpis-${new Date(from).toISOString().slice(0, 10)}-${new Date(to).toISOString().slice(0, 10)}.csv`;
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'no-store',
      });
      res.end(kpisToCsv(kpis));
      return;
    }
    const queueLength = options.queueLength ? await options.queueLength().catch(() => null) : null;
    res.header('cache-control', 'no-store');
    res.json({ ...kpis, live: { queueLength } });
  });

  server.get('/metrics', async (req: Request, res: Response) => {
    if (options.protectMetrics) requireApiToken(req, options.apiToken);
    const { contentType, body } = await analytics.metrics.exposition();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  });

  const page = (type: string, body: string) => async (_req: Request, res: Response) => {
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, ...SECURITY_HEADERS });
    res.end(body);
  };
  server.get('/dashboard', async (req: Request, res: Response) => {
    // Not logged in: the agent console is where supervisors log in (one login for both pages).
    try {
      await authorize(req);
    } catch (error) {
      const status = error instanceof RelevoError ? error.statusCode : 500;
      if (status === 401) {
        res.writeHead(303, { location: '/agent', 'cache-control': 'no-store' });
        res.end();
        return;
      }
      throw error;
    }
    await page('text/html', DASHBOARD_HTML)(req, res);
  });
  server.get('/dashboard/dashboard.js', page('text/javascript', DASHBOARD_JS));
  server.get('/dashboard/dashboard.css', page('text/css', DASHBOARD_CSS));
  server.get('/dashboard/chart.umd.js', async (_req: Request, res: Response) => {
    res.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
      'x-content-type-options': 'nosniff',
    });
    createReadStream(chartBundlePath()).pipe(res);
  });

  options.openapi?.add('/api/kpis', {
    get: {
      summary:
        'Contact-centre KPIs of a time window, overall, per channel and per language, with a trend series',
      tags: ['analytics'],
      parameters: [
        {
          name: 'from',
          in: 'query',
          schema: { type: 'string' },
          description: 'Epoch ms or ISO 8601; default: to − 7 days',
        },
        {
          name: 'to',
          in: 'query',
          schema: { type: 'string' },
          description: 'Epoch ms or ISO 8601 (exclusive); default: now',
        },
        { name: 'channel', in: 'query', schema: { type: 'string' } },
        { name: 'language', in: 'query', schema: { type: 'string' } },
        { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] } },
      ],
      responses: {
        '200': {
          description: 'The KPIs (JSON), or the KPI table as CSV with format=csv',
          content: {
            'application/json': { schema: { type: 'object' } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        '400': { description: 'Bad window or segment', content: errorContent },
        '401': { description: 'No API token or console session', content: errorContent },
        '403': { description: 'Logged in, but not a supervisor', content: errorContent },
      },
      security: [{ apiToken: [] }],
    },
  });
  options.openapi?.add('/metrics', {
    get: {
      summary:
        'Prometheus metrics: turns, turn latency, handoffs, queue length, NLU confidence, outcome events',
      tags: ['analytics'],
      responses: {
        '200': {
          description: 'Prometheus text format 0.0.4',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  });
  options.openapi?.add('/dashboard', {
    get: {
      summary: "Supervisors' KPI dashboard (log in at /agent first)",
      tags: ['analytics'],
      responses: {
        '200': {
          description: 'The dashboard page',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        '303': { description: 'Not logged in: to the agent console login' },
        '403': { description: 'Logged in, but not a supervisor', content: errorContent },
      },
    },
  });
}

const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

import type { IncomingHttpHeaders } from 'node:http';
import { requireApiToken } from '../core/api-auth.js';
import type { AgentRole } from './agent-accounts.js';
import type { AgentSessions } from './agent-sessions.js';
import { HandoffErrorCode, handoffError } from './errors.js';

/** Name of the HTTP-only session cookie of the agent console. */
export const SESSION_COOKIE = 'relevo_agent';
/** Header in which the console echoes its CSRF token on every state-changing request. */
export const CSRF_HEADER = 'x-relevo-csrf';
/** Header naming the agent an automation (Bearer token) request acts as. */
export const AGENT_HEADER = 'x-relevo-agent';

/** Who is calling the desk. */
export interface DeskPrincipal {
  agentId: string;
  name: string;
  role: AgentRole;
  maxChats: number;
  languages: string[];
  topics: string[];
  via: 'session' | 'token';
}

/** Reads one cookie from a Cookie header. */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      // Malformed percent-encoding (`%E0%A4%A`) is no session, not a server error.
      return undefined;
    }
  }
  return undefined;
}

/** The `Set-Cookie` value of a session (HTTP-only, SameSite=Strict, `Secure` behind HTTPS). */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * Authenticates a desk request: `Authorization: Bearer $RELEVO_API_TOKEN` (automation, acting as the
 * agent named in `X-Relevo-Agent`, with supervisor rights), or the console's session cookie. A
 * cookie-authenticated request that changes state must echo the session's CSRF token in
 * `X-Relevo-CSRF`: a cross-site form cannot read it, and SameSite=Strict keeps the cookie home too.
 */
export async function authenticateDesk(
  request: { method?: string | undefined; headers: IncomingHttpHeaders },
  sessions: AgentSessions,
  apiToken: string | undefined,
): Promise<DeskPrincipal> {
  if (request.headers.authorization) {
    requireApiToken({ headers: request.headers } as Parameters<typeof requireApiToken>[0], apiToken);
    const named = String(request.headers[AGENT_HEADER] ?? 'api');
    const account = sessions.account(named);
    return {
      agentId: named,
      name: account?.name ?? named,
      role: 'supervisor',
      maxChats: account?.maxChats ?? 3,
      languages: account?.languages ?? [],
      topics: account?.topics ?? [],
      via: 'token',
    };
  }
  const session = await sessions.resolve(readCookie(request.headers, SESSION_COOKIE) ?? '');
  if (!session) throw handoffError(HandoffErrorCode.unauthorized, 'Log in to the agent console first', 401);
  const changes = !['GET', 'HEAD', 'OPTIONS'].includes((request.method ?? 'GET').toUpperCase());
  if (changes && request.headers[CSRF_HEADER] !== session.csrfToken) {
    throw handoffError(HandoffErrorCode.csrf, `Send the session's CSRF token in ${CSRF_HEADER}`, 403);
  }
  const { account } = session;
  return {
    agentId: account.id,
    name: account.name,
    role: account.role,
    maxChats: account.maxChats,
    languages: account.languages,
    topics: account.topics,
    via: 'session',
  };
}

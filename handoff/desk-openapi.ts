import type { OpenApiOperation, OpenApiRegistry } from '../core/openapi.js';

// The console's session cookie works too; the registry declares only the Bearer scheme.
const security: Record<string, string[]>[] = [{ apiToken: [] }];
const error = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const ok = (description: string): OpenApiOperation['responses'] => ({
  '200': { description },
  '401': error,
  '403': error,
  '404': error,
  '409': error,
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const jsonBody = (properties: Record<string, unknown>, required: string[] = []) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', properties, required } } },
});
const action = (summary: string, body?: Record<string, unknown>): OpenApiOperation => ({
  summary,
  tags: ['handoff'],
  security,
  parameters: [idParam],
  ...(body ? { requestBody: body } : {}),
  responses: ok(summary),
});

/** Describes the agent desk's routes in `/openapi.json`, next to the code that mounts them. */
export function registerDeskOpenApi(openapi: OpenApiRegistry): void {
  const tags = ['agent'];
  openapi.add('/api/agent/login', {
    post: {
      summary: 'Log an agent in: sets the HTTP-only session cookie and returns the CSRF token',
      tags,
      requestBody: jsonBody({ agentId: { type: 'string' }, password: { type: 'string' } }, [
        'agentId',
        'password',
      ]),
      responses: { '200': { description: 'Logged in' }, '401': error, '429': error },
    },
  });
  openapi.add('/api/agent/logout', {
    post: { summary: 'Log out and go offline', tags, security, responses: ok('Logged out') },
  });
  openapi.add('/api/agent/me', {
    get: { summary: 'The logged-in agent and CSRF token', tags, responses: ok('The agent') },
  });
  openapi.add('/api/agent/presence', {
    post: {
      summary: 'Go online (heartbeat) or offline',
      tags,
      security,
      requestBody: jsonBody({ online: { type: 'boolean' } }),
      responses: ok('Presence recorded'),
    },
  });
  openapi.add('/api/agent/agents', {
    get: { summary: 'Agents online', tags, security, responses: ok('Agents') },
  });
  openapi.add('/api/agent/canned', {
    get: { summary: 'Canned responses per language', tags, security, responses: ok('Canned') },
  });
  openapi.add('/api/handoffs', {
    get: {
      summary: 'Handoffs of one status, newest first, with reason, signals, identity keys and waiting time',
      tags: ['handoff'],
      security,
      parameters: [
        {
          name: 'status',
          in: 'query',
          schema: { type: 'string', enum: ['pending', 'active', 'resolved', 'failed'] },
        },
      ],
      responses: ok('Handoffs'),
    },
  });
  openapi.add('/api/handoffs/{id}', {
    get: action('One handoff with its packet (the handoff.initiate activity)'),
  });
  openapi.add('/api/handoffs/{id}/transcript', {
    get: action("The member's live transcript on every channel, with the NLU per turn"),
  });
  openapi.add('/api/handoffs/{id}/accept', { post: action('Take a waiting conversation') });
  openapi.add('/api/handoffs/{id}/messages', {
    post: action(
      "Reply to the customer through the customer's channel",
      jsonBody({ text: { type: 'string' } }, ['text']),
    ),
  });
  openapi.add('/api/handoffs/{id}/typing', { post: action('Show the customer that the agent is typing') });
  openapi.add('/api/handoffs/{id}/notes', {
    post: action('Add an internal note', jsonBody({ text: { type: 'string' } }, ['text'])),
  });
  openapi.add('/api/handoffs/{id}/transfer', {
    post: action(
      'Transfer to another agent, or back to the queue (optionally for another language or topic)',
      jsonBody({ agentId: { type: 'string' }, language: { type: 'string' }, topic: { type: 'string' } }),
    ),
  });
  openapi.add('/api/handoffs/{id}/status', {
    post: action(
      "A hub's handoff.status (accepted, failed, completed); signed with x-relevo-signature or the API token",
      jsonBody(
        { state: { type: 'string', enum: ['accepted', 'failed', 'completed'] }, message: { type: 'string' } },
        ['state'],
      ),
    ),
  });
  openapi.add('/api/handoffs/{id}/resolve', { post: action('Resolve: the bot resumes and asks for CSAT') });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xSignature } from '../../connectors/twitter/verify.js';
import { FUZZ_MAX_BODY_BYTES, FUZZ_SECRETS, type FuzzServer, startFuzzServer } from './fuzz-server.js';
import { type RawRequest, sendRaw } from './raw-http.js';

// Each case here is one the fuzz found answering a 5xx, a bare 400 or nothing at all; kept as a
// named regression so a failure says which promise broke.

let fuzz: FuzzServer;
beforeAll(async () => {
  fuzz = await startFuzzServer();
}, 60_000);
afterAll(() => fuzz?.close());

async function answer(request: RawRequest) {
  const response = await sendRaw(fuzz.context.port, request);
  return { status: response.status, json: JSON.parse(response.body.toString('utf8') || 'null') };
}

const api = { Authorization: `Bearer ${FUZZ_SECRETS.apiToken}` };
const headers = (values: Record<string, string>) => Object.entries(values) as [string, string][];

describe('requests the fuzz found mishandled', () => {
  it('treats a session cookie with broken percent-encoding as no session (401, not 500)', async () => {
    const result = await answer({
      method: 'GET',
      path: '/api/agent/me',
      headers: [['Cookie', 'relevo_agent=%E0%A4%A']],
    });
    expect(result).toMatchObject({ status: 401, json: { code: 'RELEVO_HANDOFF_UNAUTHORIZED' } });
  });

  it('answers what the HTTP parser refuses with a JSON reason: a bad method, a NUL in a header, huge headers', async () => {
    for (const request of [
      { method: 'FOO', path: '/healthz', headers: [] },
      { method: 'GET', path: '/healthz', headers: headers({ 'X-Bad': 'a\u0000b' }) },
    ] satisfies RawRequest[]) {
      expect(await answer(request)).toEqual({
        status: 400,
        json: { code: 'RELEVO_MALFORMED_REQUEST', message: 'The request is not valid HTTP/1.1' },
      });
    }
    const huge = await answer({
      method: 'GET',
      path: '/healthz',
      headers: headers({ 'X-Long': 'a'.repeat(20_000) }),
    });
    expect(huge).toMatchObject({ status: 431, json: { code: 'RELEVO_HEADERS_TOO_LARGE' } });
  });

  it('answers 413 to a chunked body that outgrows the limit, on every kind of route', async () => {
    const body = Buffer.alloc(FUZZ_MAX_BODY_BYTES * 2, 'a');
    const chunked = Buffer.concat([
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const te: [string, string] = ['Transfer-Encoding', 'chunked'];
    const dl = await answer({
      method: 'POST',
      path: '/v3/directline/conversations',
      headers: [te, ['Authorization', `Bearer ${FUZZ_SECRETS.directLine}`]],
      body: chunked,
    });
    expect(dl).toMatchObject({ status: 413, json: { error: { code: 'MessageSizeTooBig' } } });
    const slack = await answer({ method: 'POST', path: '/slack/events', headers: [te], body: chunked });
    expect(slack).toMatchObject({ status: 413, json: { code: 'RELEVO_BODY_TOO_LARGE' } });
  });

  it('refuses a member-API body whose Content-Length is beyond the limit without waiting for it', async () => {
    const result = await answer({
      method: 'POST',
      path: '/api/journey/events',
      headers: [...headers(api), ['Content-Length', String(50 * 1024 * 1024)]],
      body: Buffer.from('{}'),
    });
    expect(result).toMatchObject({ status: 413, json: { code: 'RELEVO_IDENTITY_INVALID_REQUEST' } });
  });

  it('answers a Direct Line body cut off by a parser error as a client error, logging no server failure', async () => {
    const result = await answer({
      method: 'POST',
      path: `/v3/directline/conversations/${fuzz.context.conversationId}/activities`,
      headers: [
        ['Authorization', `Bearer ${fuzz.context.token}`],
        ['Transfer-Encoding', 'chunked'],
      ],
      body: Buffer.from('zz\r\nnot chunked'),
    });
    expect(result.status).toBe(400);
    expect(fuzz.errors.filter(({ msg }) => / request failed$/.test(msg ?? ''))).toEqual([]);
  });

  it('answers a signed X webhook whose events are not a list with 400 naming the field, not 500', async () => {
    const body = '{"direct_message_events": {}}';
    const result = await answer({
      method: 'POST',
      path: '/twitter/webhook',
      headers: headers({ 'X-Twitter-Webhooks-Signature': xSignature(FUZZ_SECRETS.xConsumer, body) }),
      body: Buffer.from(body),
    });
    expect(result).toMatchObject({ status: 400, json: { code: 'RELEVO_X_MALFORMED' } });
    expect(result.json.message).toContain('direct_message_events');
  });
});

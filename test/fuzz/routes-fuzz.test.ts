import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirectLine } from '../support/directline-client.js';
import { FUZZ_SECRETS, type FuzzServer, startFuzzServer } from './fuzz-server.js';
import { type FuzzCase, generateCase, INPUT_KINDS, type RouteSpec, seededRandom } from './generators.js';
import { type RawResponse, sendRaw } from './raw-http.js';

/** Change to reproduce another run; a failure message names the seed and the case. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_612);
const REQUESTS = 10_000;
const CONCURRENCY = 32;

let fuzz: FuzzServer;
let routes: RouteSpec[];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  fuzz = await startFuzzServer();
  routes = Object.values(fuzz.relevo.server.router.getRoutes()).map((route) => ({
    method: String(route.method),
    path: String(route.path),
  }));
}, 60_000);

afterAll(async () => {
  await fuzz?.close();
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

/** What a bad request must get: a 4xx (or a plain success where the route accepts anything), never a 5xx. */
function problemWith(fuzzCase: FuzzCase, response: RawResponse): string | undefined {
  if (response.status === 0) return 'the connection closed without an answer';
  if (response.status >= 500)
    return `answered ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`;
  for (const name of Object.keys(response.headers))
    if (name === 'x-injected' || response.headers['set-cookie']?.includes('injected'))
      return 'a header from the request came back as a header of the answer';
  if (response.status < 400 || fuzzCase.request.method === 'HEAD') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch {
    return `answered ${response.status} without a JSON reason: ${JSON.stringify(response.body.toString('utf8').slice(0, 200))}`;
  }
  const reason = (json as { error?: unknown }).error ?? json;
  const { code, message } = (reason ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string')
    return `answered ${response.status} with ${JSON.stringify(json).slice(0, 200)}, not {code, message}`;
  return undefined;
}

describe('the composed server under ten thousand malformed requests', () => {
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const byKind = new Map<string, number>();
  const covered = new Set<string>();
  /** The answers to structurally valid but forged or expired channel JWTs at /api/messages. */
  const channelTokenStatuses: number[] = [];

  it('answers every one with a 4xx and a JSON reason, never a 5xx, and never crashes', async () => {
    const random = seededRandom(SEED);
    const cases = Array.from({ length: REQUESTS }, () => generateCase(random, routes, fuzz.context));
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const fuzzCase = cases[index] as FuzzCase;
        const response = await sendRaw(fuzz.context.port, fuzzCase.request).catch(
          (error: Error): RawResponse => ({ status: 0, headers: {}, body: Buffer.from(error.message) }),
        );
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        byKind.set(fuzzCase.kind, (byKind.get(fuzzCase.kind) ?? 0) + 1);
        covered.add(`${fuzzCase.route.method} ${fuzzCase.route.path}`);
        if (
          fuzzCase.request.path === '/api/messages' &&
          fuzzCase.request.method === 'POST' &&
          ['forged-signature', 'expired-credential'].includes(fuzzCase.kind)
        )
          channelTokenStatuses.push(response.status);
        const problem = problemWith(fuzzCase, response);
        if (problem) {
          const { method, path } = fuzzCase.request;
          failures.push(
            `seed ${SEED} case ${index} [${fuzzCase.kind}] ${method} ${path.slice(0, 120)}: ${problem}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedMs = Date.now() - started;
    // One summary line, so a run shows its pace and the spread of answers.
    process.stdout.write(
      `fuzz: seed ${SEED}, ${REQUESTS} requests in ${elapsedMs} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(unhandled).toEqual([]);
    // A request the server failed on is logged as one: none may be, even if the client saw a 4xx.
    const serverFailures = fuzz.errors.filter(({ msg }) => / request failed$/.test(msg ?? ''));
    expect(serverFailures.map(({ obj }) => String((obj as { err?: unknown }).err))).toEqual([]);
  }, 180_000);

  it('threw every kind of bad input at every mounted route', () => {
    expect([...byKind.keys()].sort()).toEqual([...INPUT_KINDS].sort());
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.map((route) => `${route.method} ${route.path}`).filter((r) => !covered.has(r))).toEqual([]);
    expect(channelTokenStatuses.length).toBeGreaterThan(10);
    expect(new Set(channelTokenStatuses)).toEqual(new Set([401]));
  });

  it('still holds a real conversation afterwards: Direct Line gets the agent’s reply', async () => {
    const base = `http://127.0.0.1:${fuzz.context.port}`;
    const session = openDirectLine({ domain: `${base}/v3/directline`, secret: FUZZ_SECRETS.directLine });
    try {
      await session.say('Where is my order?');
      const reply = await session.waitFor(
        (activity) => activity.type === 'message' && /order number/i.test(activity.text ?? ''),
      );
      expect(reply.from.role).not.toBe('user');
    } finally {
      session.end();
    }
  });

  it('still answers a message signed by the Bot Framework channel afterwards', async () => {
    const { activity, validToken } = fuzz.context.botFramework;
    const response = await fetch(`http://127.0.0.1:${fuzz.context.port}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${validToken}` },
      body: JSON.stringify({ ...activity, id: 'fuzz-after', deliveryMode: 'expectReplies' }),
    });
    expect(response.status).toBe(200);
    const { activities } = (await response.json()) as { activities: { text?: string }[] };
    expect(activities.some((reply) => /order number/i.test(reply.text ?? ''))).toBe(true);
  });
});

import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../../bots/http-server.js';
import { silentLogger } from '../../core/logger.js';
import { OpenApiRegistry } from '../../core/openapi.js';
import { loadGamificationConfig } from '../../gamification/config/schema.js';
import { createGamification, type GamificationPlugin } from '../../gamification/create-gamification.js';
import { mountGamificationRoutes } from '../../gamification/routes.js';
import { manualClock } from '../contract/ledger-contract.js';

const TOKEN = 'test-token-123';
let server: HttpServer;
let base: string;
let plugin: GamificationPlugin;
const openapi = new OpenApiRegistry();

beforeAll(async () => {
  plugin = await createGamification({
    stores: { kind: 'memory', prefix: 'x', redis: undefined },
    config: loadGamificationConfig(),
    clock: manualClock(),
  });
  server = createHttpServer(silentLogger);
  mountGamificationRoutes(server, { ...plugin, apiToken: TOKEN, openapi });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field below
type Json = any;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, json: () => response.json() as Promise<Json> };
}

describe('loyalty admin API', () => {
  it('refuses callers without the API token', async () => {
    const response = await fetch(`${base}/api/members/ana/points`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'RELEVO_API_UNAUTHORIZED', message: expect.any(String) });
  });

  it('credits and debits by hand with an Idempotency-Key, replaying a repeated request', async () => {
    const credit = await call(
      'POST',
      '/api/members/ana/points',
      { delta: 300, reason: 'goodwill' },
      { 'idempotency-key': 'k1' },
    );
    expect(credit.status).toBe(201);
    expect(await credit.json()).toMatchObject({
      balance: 300,
      entry: { id: 'k1', delta: 300, kind: 'credit' },
    });
    const replay = await call(
      'POST',
      '/api/members/ana/points',
      { delta: 300, reason: 'goodwill' },
      { 'idempotency-key': 'k1' },
    );
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const reused = await call(
      'POST',
      '/api/members/ana/points',
      { delta: 5, reason: 'goodwill' },
      { 'idempotency-key': 'k1' },
    );
    expect(reused.status).toBe(409);
    expect((await reused.json()).code).toBe('RELEVO_LEDGER_IDEMPOTENCY_CONFLICT');
    const debit = await call(
      'POST',
      '/api/members/ana/points',
      { delta: -100, reason: 'correction' },
      { 'idempotency-key': 'k2' },
    );
    expect(await debit.json()).toMatchObject({ balance: 200 });
    const overdraw = await call(
      'POST',
      '/api/members/ana/points',
      { delta: -1000, reason: 'x' },
      { 'idempotency-key': 'k3' },
    );
    expect(overdraw.status).toBe(409);
    expect((await overdraw.json()).code).toBe('RELEVO_LEDGER_INSUFFICIENT_POINTS');

    const points = await (await call('GET', '/api/members/ana/points?limit=10')).json();
    expect(points).toMatchObject({
      memberId: 'ana',
      points: 200,
      lifetimePoints: 300,
      tier: { id: 'bronze' },
    });
    expect(points.history.map((e: { id: string }) => e.id)).toEqual(['k2', 'k1']);
  });

  it('answers bad requests with a code and a message', async () => {
    const noKey = await call('POST', '/api/members/ana/points', { delta: 1, reason: 'x' });
    expect(noKey.status).toBe(400);
    expect((await noKey.json()).code).toBe('RELEVO_IDEMPOTENCY_KEY_REQUIRED');
    const badBody = await call(
      'POST',
      '/api/members/ana/points',
      { delta: 'lots' },
      { 'idempotency-key': 'b1' },
    );
    expect(badBody.status).toBe(400);
    expect(await badBody.json()).toMatchObject({ code: 'RELEVO_GAMIFICATION_INVALID_REQUEST' });
    const board = await call('GET', '/api/leaderboards/monthly');
    expect(board.status).toBe(404);
    expect((await board.json()).code).toBe('RELEVO_LEADERBOARD_NOT_FOUND');
  });

  it('lists rewards, redeems one for a code and cancels it', async () => {
    await call(
      'POST',
      '/api/members/ben/points',
      { delta: 500, reason: 'seed' },
      { 'idempotency-key': 'ben-seed' },
    );
    const before = await (await call('GET', '/api/rewards')).json();
    expect(before.rewards[0]).toMatchObject({ id: 'free-shipping', price: 200, stock: 1000 });
    const redeemed = await call(
      'POST',
      '/api/members/ben/redemptions',
      { rewardId: 'free-shipping' },
      { 'idempotency-key': 'ben-r1' },
    );
    expect(redeemed.status).toBe(201);
    const { redemption, balance } = await redeemed.json();
    expect(balance).toBe(300);
    expect((await (await call('GET', '/api/rewards')).json()).rewards[0].stock).toBe(999);
    const cancelled = await call('DELETE', `/api/members/ben/redemptions/${redemption.code}`);
    expect(await cancelled.json()).toMatchObject({ balance: 500, redemption: { status: 'cancelled' } });
    expect((await (await call('GET', '/api/members/ben/redemptions')).json()).redemptions).toHaveLength(1);
  });

  it('shows the top of a leaderboard and the asking member’s rank, without those who opted out', async () => {
    for (const [member, type] of [
      ['cy', 'account.linked'],
      ['dee', 'game.won'],
    ] as const) {
      await plugin.gamification.award({ id: `${member}-1`, type, memberId: member });
    }
    const board = await (await call('GET', '/api/leaderboards/all-time?member=dee')).json();
    expect(board.top.map((row: { memberId: string }) => row.memberId)).toEqual(['cy', 'dee']);
    expect(board.you).toMatchObject({ rank: 2, memberId: 'dee' });
    await call('PUT', '/api/members/cy/leaderboards/opt-out', { isOptedOut: true });
    const after = await (await call('GET', '/api/leaderboards/all-time?member=dee')).json();
    expect(after.you).toMatchObject({ rank: 1 });
  });

  it('documents every path in the OpenAPI registry', () => {
    const paths = Object.keys((openapi.document('test') as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/members/{id}/points', '/api/rewards', '/api/leaderboards/{name}']),
    );
  });
});

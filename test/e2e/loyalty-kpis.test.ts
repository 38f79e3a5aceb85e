import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';

const TOKEN = 'loyalty-kpis-token-0123456789';

describe('points on the running agent, as the KPIs count them', () => {
  let relevo: Relevo;
  let base: string;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    relevo = await createRelevo({
      config: loadConfig({ PORT: '0', HOST: '127.0.0.1', RELEVO_API_TOKEN: TOKEN }),
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${(await relevo.listen()).port}`;
  });
  afterAll(() => relevo?.close());

  it('counts points issued, debited and redeemed once in the KPIs, even when the admin requests are replayed', async () => {
    // A customer writes on web chat: a member exists, with the first-message-of-the-day points.
    const grant = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
      conversationId: string;
      token: string;
    };
    const activities = `${base}/v3/directline/conversations/${grant.conversationId}/activities`;
    const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
    await fetch(activities, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'message', text: 'hello' }),
    });
    const { activities: seen } = (await (await fetch(activities, { headers })).json()) as {
      activities: { from: { id: string; role: string } }[];
    };
    const key = `webchat:${seen.find((a) => a.from.role === 'user')?.from.id}`;
    const member = (await (await api(`/api/members/by-key/${encodeURIComponent(key)}`)).json()) as {
      id: string;
    };

    const before = (await (await api('/api/kpis')).json()) as { points: { issued: number } };
    const write = (path: string, key: string, body: unknown) =>
      api(`/api/members/${member.id}${path}`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    let creditEntry = '';
    for (let i = 0; i < 2; i++) {
      const credit = await write('/points', 'goodwill-1', { delta: 300, reason: 'goodwill gesture' });
      expect(credit.status).toBe(i === 0 ? 201 : 200);
      const mistaken = await write('/points', 'mistake-1', { delta: 40, reason: 'typo' });
      creditEntry = ((await mistaken.json()) as { entry: { id: string } }).entry.id;
      expect((await write('/points', 'fix-1', { delta: -15, reason: 'manual fix' })).status).toBeLessThan(
        300,
      );
    }
    for (let i = 0; i < 2; i++) {
      const reversed = await write('/points/reversals', 'undo-1', { entryId: creditEntry, reason: 'typo' });
      expect(reversed.status).toBe(i === 0 ? 201 : 200);
    }
    for (let i = 0; i < 2; i++) {
      const redeemed = await api(`/api/members/${member.id}/redemptions`, {
        method: 'POST',
        headers: { 'idempotency-key': 'redeem-1' },
        body: JSON.stringify({ rewardId: 'free-shipping' }),
      });
      expect(redeemed.status).toBeLessThan(300);
    }

    const kpis = (await (await api('/api/kpis')).json()) as {
      points: { issued: number; debited: number; redeemed: number };
    };
    expect(kpis.points.redeemed).toBe(200);
    // 300 goodwill + 40 mistaken, on top of what chatting earned; 15 debited and the 40 reversed.
    expect(kpis.points.issued).toBe(before.points.issued + 340);
    expect(kpis.points.debited).toBe(55);
  });
});

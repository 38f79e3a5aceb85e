import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';

const TOKEN = 'journey-test-token-0123456789';
const OFFER = 'Still here? 10% off with STAY10.';

interface Grant {
  conversationId: string;
  token: string;
}

describe('journey waypoints on the running agent', () => {
  let relevo: Relevo;
  let base: string;

  beforeAll(async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'relevo-waypoints-'));
    const rules = path.join(folder, 'waypoints.json');
    await writeFile(
      rules,
      JSON.stringify({
        rules: [
          {
            name: 'abandoned-cart',
            after: 'cart_remove',
            unless: 'checkout',
            withinMs: 1_000,
            message: { en: OFFER },
          },
        ],
      }),
    );
    relevo = await createRelevo({
      config: loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        RELEVO_API_TOKEN: TOKEN,
        WAYPOINT_RULES_FILE: rules,
      }),
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${(await relevo.listen()).port}`;
  });
  afterAll(() => relevo?.close());

  /** A web chat customer who said hello, and their identity key. */
  async function visitor(): Promise<{ grant: Grant; identityKey: string; texts: () => Promise<string[]> }> {
    const grant = (await (
      await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })
    ).json()) as Grant;
    const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
    const activities = `${base}/v3/directline/conversations/${grant.conversationId}/activities`;
    await fetch(activities, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'message', text: 'hello', locale: 'en-US' }),
    });
    const read = async () =>
      (
        (await (await fetch(activities, { headers })).json()) as {
          activities: { text?: string; from: { id: string; role: string } }[];
        }
      ).activities;
    const userId = (await read()).find((a) => a.from.role === 'user')?.from.id;
    return {
      grant,
      identityKey: `webchat:${userId}`,
      texts: async () => (await read()).map((a) => a.text ?? ''),
    };
  }

  const journey = (identityKey: string, type: string) =>
    fetch(`${base}/api/journey/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identityKey, type }),
    });

  it('sends the offer in the web chat of a customer who abandoned their cart', async () => {
    const customer = await visitor();
    expect((await journey(customer.identityKey, 'cart_remove')).status).toBeLessThan(300);
    await expect.poll(() => customer.texts(), { timeout: 8_000, interval: 200 }).toContain(OFFER);
  });

  it('sends nothing to a customer who checked out in time', async () => {
    const customer = await visitor();
    await journey(customer.identityKey, 'cart_remove');
    await journey(customer.identityKey, 'checkout');
    await sleep(2_500);
    expect(await customer.texts()).not.toContain(OFFER);
  });

  it('refuses journey events without the API token', async () => {
    const response = await fetch(`${base}/api/journey/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identityKey: 'webchat:x', type: 'cart_remove' }),
    });
    expect(response.status).toBe(401);
  });
});

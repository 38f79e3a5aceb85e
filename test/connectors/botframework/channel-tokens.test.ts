import type { Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bots/config.js';
import { createRelevo, type Relevo } from '../../../bots/relevo.js';
import { silentLogger } from '../../../core/logger.js';
import { type Reply, startConnector } from '../../support/fake-bot-connector.js';
import {
  type ChannelTokenOptions,
  type FakeBotFrameworkTokens,
  startFakeBotFrameworkTokens,
} from '../../support/fake-botframework-tokens.js';

const APP_ID = '6b1f3c2e-0d4a-4f7e-9a51-2f8d0c7b9e11';

// The token service endorses its key for Web Chat only, as Microsoft's keys name their channels.
let tokens: FakeBotFrameworkTokens;
beforeAll(async () => {
  tokens = await startFakeBotFrameworkTokens(['webchat']);
});
afterAll(() => tokens.close());

let relevo: Relevo | undefined;
let connector: { url: string; replies: Reply[]; server: Server };
/** The `aud` claim each turn ran with: a turn that ran shows up here. */
let turns: unknown[] = [];
beforeAll(async () => {
  connector = await startConnector();
});
afterAll(() => connector.server.close());
afterEach(async () => {
  await relevo?.close();
  relevo = undefined;
  turns = [];
  connector.replies.length = 0;
});

function settings(env: Record<string, string> = {}) {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: 'app-password',
    BOTFRAMEWORK_OPENID_METADATA_URL: tokens.metadataUrl,
    ...env,
  };
}

async function startAgent(env: Record<string, string> = {}): Promise<string> {
  relevo = await createRelevo({
    config: loadConfig(settings(env)),
    logger: silentLogger,
    bot: async (context) => {
      if (context.activity.type !== 'message') return;
      const identity = context.turnState.get(context.adapter.BotIdentityKey);
      turns.push(identity?.getClaimValue('aud'));
      // Replies in the response only: a reply through the Bot Connector would first need an Azure AD
      // token for the app id, which no loopback test can get.
      if (context.activity.deliveryMode === 'expectReplies') {
        await context.sendActivity(`echo: ${context.activity.text}`);
      }
    },
  });
  const { port } = await relevo.listen();
  return `http://127.0.0.1:${port}`;
}

function message(text: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'message',
    id: `act-${text.replaceAll(' ', '-')}-${Math.random().toString(36).slice(2)}`,
    text,
    channelId: 'webchat',
    serviceUrl: connector.url,
    conversation: { id: 'webchat-conv-1' },
    from: { id: 'user-7', name: 'Ana' },
    recipient: { id: APP_ID, name: 'Relevo' },
    ...extra,
  };
}

function post(base: string, body: unknown, token: string): Promise<Response> {
  return fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

const valid = (): ChannelTokenOptions => ({ audience: APP_ID, serviceUrl: connector.url });

/** Sends a token as a queued message and as one whose replies come in the response: both refused. */
async function expectRefused(
  token: string,
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
): Promise<void> {
  const base = await startAgent(env);
  for (const deliveryMode of ['normal', 'expectReplies']) {
    const response = await post(base, message('let me in', { deliveryMode, ...extra }), token);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 'RELEVO_BOTFRAMEWORK_UNAUTHORIZED',
      message: 'The request is not signed by the Bot Framework',
    });
  }
  expect(turns).toEqual([]);
  expect(connector.replies).toEqual([]);
}

describe('Bot Framework channel tokens at POST /api/messages', () => {
  it("answers a message signed with the channel service's published key", async () => {
    const base = await startAgent();
    const response = await post(
      base,
      message('hello', { deliveryMode: 'expectReplies' }),
      tokens.sign(valid()),
    );
    expect(response.status).toBe(200);
    const { activities } = (await response.json()) as { activities: { text?: string }[] };
    expect(activities.map((activity) => activity.text)).toEqual(['echo: hello']);
    expect(turns).toEqual([APP_ID]);
  });

  it('answers 503, running nothing, while the token service is down, and takes the retry once it is back', async () => {
    // A token service of its own: botbuilder caches the keys it fetched per metadata URL.
    const down = await startFakeBotFrameworkTokens(['webchat']);
    try {
      down.setUnavailable(true);
      const base = await startAgent({ BOTFRAMEWORK_OPENID_METADATA_URL: down.metadataUrl });
      const activity = message('where is my parcel');
      const token = down.sign(valid());
      const refused = await post(base, activity, token);
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { code: string }).code).toBe('RELEVO_BOTFRAMEWORK_AUTH_UNAVAILABLE');
      expect(turns).toEqual([]);

      down.setUnavailable(false);
      expect((await post(base, activity, token)).status).toBe(200);
      await expect.poll(() => turns).toEqual([APP_ID]);
    } finally {
      await down.close();
    }
  });

  it("queues a signed message and runs its turn with its token's claims", async () => {
    const base = await startAgent();
    const response = await post(base, message('where is my order'), tokens.sign(valid()));
    expect(response.status).toBe(200);
    await expect.poll(() => turns).toEqual([APP_ID]);
  });

  it('refuses a token signed with a key the channel service never published, and runs no turn', async () => {
    await expectRefused(tokens.sign({ ...valid(), key: tokens.forgedKey() }));
  });

  it('refuses an expired token', async () => {
    // botbuilder allows five minutes of clock skew.
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    await expectRefused(tokens.sign({ ...valid(), expiresAt: tenMinutesAgo }));
  });

  it('refuses a token issued for another bot', async () => {
    await expectRefused(tokens.sign({ ...valid(), audience: 'another-bots-app-id' }));
  });

  it('refuses a token whose service URL is not the activity’s, so replies cannot be redirected', async () => {
    await expectRefused(tokens.sign({ ...valid(), serviceUrl: 'https://smba.trafficmanager.net/emea/' }));
  });

  it('refuses a token from a key not endorsed for the activity’s channel', async () => {
    await expectRefused(tokens.sign(valid()), { channelId: 'msteams' });
  });

  it('takes the issuer from BOTFRAMEWORK_TOKEN_ISSUER, refusing tokens of any other', async () => {
    const env = { BOTFRAMEWORK_TOKEN_ISSUER: 'https://api.botframework.example' };
    await expectRefused(tokens.sign(valid()), {}, env);
    await relevo?.close();
    const base = await startAgent(env);
    const token = tokens.sign({ ...valid(), issuer: 'https://api.botframework.example' });
    const response = await post(base, message('hello', { deliveryMode: 'expectReplies' }), token);
    expect(response.status).toBe(200);
    expect(turns).toEqual([APP_ID]);
  });

  it('stops at start-up on a metadata URL that is not https (or http on this machine) or a blank issuer, naming the variable', () => {
    const plainHttp = 'http://login.botframework.com/v1/.well-known/openidconfiguration';
    for (const [url, shown] of [
      ['login.botframework.com/v1', '<not a URL>'],
      [plainHttp, plainHttp],
    ] as const) {
      expect(() => loadConfig(settings({ BOTFRAMEWORK_OPENID_METADATA_URL: url }))).toThrow(
        `Invalid configuration: BOTFRAMEWORK_OPENID_METADATA_URL must be an https URL (http only on this machine) like https://login.botframework.com/v1/.well-known/openidconfiguration (got "${shown}")`,
      );
    }
    expect(() => loadConfig(settings({ BOTFRAMEWORK_TOKEN_ISSUER: '  ' }))).toThrow(
      'Invalid configuration: BOTFRAMEWORK_TOKEN_ISSUER must be a token issuer like https://api.botframework.com',
    );
  });

  it('stops at start-up on either setting without MicrosoftAppId, where it would change nothing', () => {
    const withoutAppId = { ...settings(), MicrosoftAppId: '', MicrosoftAppPassword: '' };
    expect(() => loadConfig(withoutAppId)).toThrow(
      `Invalid configuration: BOTFRAMEWORK_OPENID_METADATA_URL must be unset unless MicrosoftAppId is set (without an app id no channel token is checked) (got "${tokens.metadataUrl}")`,
    );
    expect(() => loadConfig({ BOTFRAMEWORK_TOKEN_ISSUER: 'https://api.botframework.example' })).toThrow(
      'Invalid configuration: BOTFRAMEWORK_TOKEN_ISSUER must be unset unless MicrosoftAppId is set (without an app id no channel token is checked)',
    );
  });
});

import { afterEach, describe, expect, inject, it } from 'vitest';
import { echoBot, startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';
import { useRedis } from '../../support/redis-fixture.js';

const SECRET = 'site-secret-0123456789abcdef';
const redis = useRedis();

// Each server stands for one Relevo process; all share one Redis and key prefix.
const servers: WebChatServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function process(prefix: string, secret?: string): Promise<WebChatServer> {
  const server = await startWebChatServer({
    bot: echoBot(),
    redisUrl: inject('redisUrl'),
    prefix,
    ...(secret ? { secret } : {}),
  });
  servers.push(server);
  return server;
}

/** A browser's token for a new conversation, from `server` (the secret holder asks when one is set). */
async function newToken(server: WebChatServer, secret?: string): Promise<string> {
  const response = await fetch(`${server.domain}/${secret ? 'tokens/generate' : 'conversations'}`, {
    method: 'POST',
    headers: secret ? { authorization: `Bearer ${secret}` } : {},
  });
  expect(response.ok).toBe(true);
  return ((await response.json()) as { token: string }).token;
}

/** The status `server` answers a browser opening its token's conversation with. */
async function opens(server: WebChatServer, token: string): Promise<number> {
  const response = await fetch(`${server.domain}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

describe('Direct Line tokens when Redis loses the signing key', () => {
  it('without a secret, a process that had read the old key accepts tokens of the new key and of the old one', async () => {
    const prefix = `${redis.prefix}-anonymous`;
    const [first, second] = [await process(prefix), await process(prefix)];
    const before = await newToken(first);
    expect(await opens(second, before)).toBe(200);

    // Redis lost the key (restarted before its AOF was synced); a process started since creates another.
    await (await redis.connect()).del(`${prefix}:dl:signing-key`);
    const third = await process(prefix);
    const after = await newToken(third);

    // `second` still had the old key in its minute-long cache: it re-reads Redis once and knows both.
    expect(await opens(second, after)).toBe(200);
    expect(await opens(second, before)).toBe(200);
    // A forged token is still refused.
    expect(await opens(second, `${after.slice(0, -4)}AAAA`)).toBe(403);
  });

  it('with a secret, tokens stay valid on every process, also one started after Redis lost its data', async () => {
    const prefix = `${redis.prefix}-secret`;
    const first = await process(prefix, SECRET);
    const before = await newToken(first, SECRET);
    await (await redis.connect()).del(`${prefix}:dl:signing-key`);
    const fresh = await process(prefix, SECRET);
    expect(await opens(fresh, before)).toBe(200);
    expect(await opens(first, await newToken(fresh, SECRET))).toBe(200);
  });
});

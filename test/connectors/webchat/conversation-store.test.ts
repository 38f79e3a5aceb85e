import { describe, expect, it } from 'vitest';
import {
  RedisConversationStore,
  SIGNING_KEY_CACHE_MS,
} from '../../../connectors/webchat/conversation-store.js';
import { useRedis } from '../../support/redis-fixture.js';

const redis = useRedis();

describe('RedisConversationStore signing key', () => {
  it('gives every process the same key and reads it from Redis again only after a minute', async () => {
    const client = await redis.connect();
    let now = 1_000_000;
    const clock = { now: () => now };
    const first = new RedisConversationStore(client, { prefix: redis.prefix, clock });
    const second = new RedisConversationStore(client, { prefix: redis.prefix, clock });
    const key = await first.signingKey();
    expect(key).toHaveLength(32);
    expect(await second.signingKey()).toEqual(key);

    // Redis lost its data and another process minted a new key: the cached one is used until it expires.
    const keyName = `${redis.prefix}:dl:signing-key`;
    await client.set(keyName, Buffer.alloc(32, 7).toString('base64'));
    expect(await first.signingKey()).toEqual(key);
    now += SIGNING_KEY_CACHE_MS;
    expect(await first.signingKey()).toEqual(Buffer.alloc(32, 7));
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { RedisOutcomeEvents } from '../../analytics/redis-outcome-events.js';
import { connectRedis } from '../../storage/redis-connection.js';
import { startRedisServer } from '../support/redis-server.js';
import { spawnRelevo } from '../support/spawn-relevo.js';

describe('the Relevo server process', () => {
  it('serves /healthz on embedded memory stores and warns that data is lost on restart', async () => {
    const relevo = spawnRelevo({ PORT: '0' });
    const port = await relevo.listening();
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', storage: 'memory' });
    expect(relevo.output()).toContain('all data is lost on restart');
    relevo.child.kill('SIGTERM');
    expect(await relevo.exited()).toBe(0);
  });

  it('reports redis storage when REDIS_URL is set', async () => {
    const relevo = spawnRelevo({
      PORT: '0',
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: 'process-test',
    });
    const port = await relevo.listening();
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toMatchObject({
      status: 'ok',
      storage: 'redis',
    });
    expect(relevo.output()).not.toContain('all data is lost');
    relevo.child.kill('SIGINT');
    expect(await relevo.exited()).toBe(0);
  });

  it('refuses to start on a bad PORT with one line naming the variable and what is expected', async () => {
    const relevo = spawnRelevo({ PORT: 'abc' });
    expect(await relevo.exited()).toBe(1);
    expect(relevo.output().trim()).toBe(
      'Invalid configuration: PORT must be an integer port number from 0 to 65535 (got "abc")',
    );
  });

  it('names every bad variable at once, without echoing secrets', async () => {
    const relevo = spawnRelevo({ REDIS_URL: 'http://user:hunter2@localhost', DIRECTLINE_SECRET: 'short' });
    expect(await relevo.exited()).toBe(1);
    const lines = relevo.output().trim().split('\n');
    expect(lines).toEqual([
      'Invalid configuration: REDIS_URL must be a URL like redis://host:6379 (got "http://user:***@localhost/")',
      'Invalid configuration: DIRECTLINE_SECRET must be a secret of at least 16 characters (got "***")',
    ]);
  });

  it('exits 0 well within 10 s of SIGTERM', async () => {
    const relevo = spawnRelevo({ PORT: '0' });
    const port = await relevo.listening();
    // An idle keep-alive connection must not hold the shutdown up.
    await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'keep-alive' } });
    const started = Date.now();
    relevo.child.kill('SIGTERM');
    expect(await relevo.exited()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('exits 0 within its shutdown deadline when told to stop while its Redis is unreachable', async () => {
    const redis = await startRedisServer();
    const relevo = spawnRelevo({ PORT: '0', REDIS_URL: redis.url, SHUTDOWN_TIMEOUT_MS: '1000' });
    try {
      await relevo.listening();
      await redis.stop();
      relevo.child.kill('SIGTERM');
      // The last-resort timer (deadline + 1.5 s) would exit 1: a 0 means the shutdown itself gave up in time.
      expect(await relevo.exited(), relevo.output()).toBe(0);
      expect(relevo.output()).toContain('shutdown timeout: abandoning unfinished work');
    } finally {
      await relevo.stop();
      await redis.stop();
    }
  });

  it('writes the outcome events its last turns queued before it exits on SIGTERM', async () => {
    const prefix = `sigterm-${randomUUID().slice(0, 8)}`;
    // A batch that would wait a minute: only the shutdown can have written it.
    const relevo = spawnRelevo({
      PORT: '0',
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: prefix,
      ANALYTICS_FLUSH_MS: '60000',
    });
    const base = `http://127.0.0.1:${await relevo.listening()}`;
    const startedAt = Date.now();
    const grant = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
      conversationId: string;
      token: string;
    };
    const posted = await fetch(`${base}/v3/directline/conversations/${grant.conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'where is my order ORD-100001', locale: 'en-US' }),
    });
    expect(posted.status).toBe(200);
    relevo.child.kill('SIGTERM');
    expect(await relevo.exited()).toBe(0);
    const client = await connectRedis({ url: inject('redisUrl') });
    try {
      const events = await new RedisOutcomeEvents(client, { prefix }).range(
        startedAt - 1000,
        Date.now() + 1000,
      );
      expect(events.map((event) => event.type)).toEqual(
        expect.arrayContaining(['conversation.started', 'intent.recognized']),
      );
    } finally {
      await client.close();
    }
  });
});

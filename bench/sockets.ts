/**
 * `tsx bench/sockets.ts [--sockets N]`: memory the Relevo server holds per open web chat WebSocket.
 * N conversations (default 10,000) are written to Redis the way `POST /conversations` stores them, with
 * tokens signed by the server's own key (so opening them costs no greeting turn); then one Direct Line
 * stream per conversation is opened on loopback through the real upgrade route (token check,
 * conversation lookup, pub/sub subscription, catch-up from the log). The server's heap and RSS after a
 * full GC, before and after, divided by N, is the cost of one socket. Opening them needs more than N
 * file descriptors in both processes: run.ts and bench-server.ts raise `ulimit -n` to the hard limit.
 * The last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { RedisConversationStore } from '../connectors/webchat/redis-conversation-store.js';
import { signToken, TOKEN_LIFETIME_MS } from '../connectors/webchat/verify.js';
import { connectRedis } from '../storage/redis-connection.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { assertBuilt, startBenchServer } from './support/bench-server.js';
import { flag } from './support/flags.js';

const SOCKETS = flag('--sockets', 10_000);
const WARM_UP_SOCKETS = 200;
const OPENING_AT_ONCE = 200;
const OPEN_TIMEOUT_MS = 120_000;

assertBuilt();
const redis = await startRedisServer();
const client = await connectRedis({ url: redis.url });
const server = await startBenchServer('relevo', { REDIS_URL: redis.url });
const sockets: WebSocket[] = [];
try {
  const store = new RedisConversationStore(client, { prefix: 'bench' });
  const key = await store.signingKey();
  const streamUrls: string[] = [];
  for (let i = 0; i < SOCKETS + WARM_UP_SOCKETS; i += 1) {
    const id = randomBytes(12).toString('base64url');
    const userId = `anon-${randomBytes(9).toString('base64url')}`;
    await store.create({ id, userId, locale: 'en-US', createdAt: Date.now() });
    const token = signToken({ conversationId: id, userId, expiresAt: Date.now() + TOKEN_LIFETIME_MS }, key);
    streamUrls.push(`ws://127.0.0.1:${server.port}/v3/directline/conversations/${id}/stream?t=${token}`);
  }

  /** Opens every URL, `OPENING_AT_ONCE` handshakes at a time; rejects on the first failure. */
  const openAll = async (urls: string[]): Promise<WebSocket[]> => {
    const opened: WebSocket[] = [];
    let next = 0;
    const deadline = Date.now() + OPEN_TIMEOUT_MS;
    await Promise.all(
      Array.from({ length: OPENING_AT_ONCE }, async () => {
        while (next < urls.length) {
          if (Date.now() > deadline) throw new Error(`opened only ${opened.length} sockets in time`);
          const url = urls[next] as string;
          next += 1;
          const ws = new WebSocket(url);
          sockets.push(ws);
          await new Promise<void>((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
          });
          opened.push(ws);
        }
      }),
    );
    return opened;
  };

  // Warm the upgrade path, then let the warm-up sockets go, so the baseline has the code loaded.
  const warm = await openAll(streamUrls.slice(0, WARM_UP_SOCKETS));
  for (const ws of warm) ws.close();
  await sleep(1_000);
  const before = await server.memory();
  const startedAt = performance.now();
  const open = await openAll(streamUrls.slice(WARM_UP_SOCKETS));
  const openSeconds = (performance.now() - startedAt) / 1000;
  await sleep(2_000);
  const after = await server.memory();
  const stillOpen = open.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const kb = (bytes: number) => Math.round((bytes / SOCKETS / 1024) * 10) / 10;
  const heapPerSocketKb = kb(after.heapUsed - before.heapUsed);
  const rssPerSocketKb = kb(after.rss - before.rss);
  const externalPerSocketKb = kb(after.external - before.external);
  process.stdout.write(
    `${SOCKETS} Direct Line WebSocket streams open on one server process (${stillOpen} still open after 2 s), opened in ${openSeconds.toFixed(1)} s\n` +
      `  heap ${(before.heapUsed / 2 ** 20).toFixed(0)} -> ${(after.heapUsed / 2 ** 20).toFixed(0)} MiB: ${heapPerSocketKb} KB per socket\n` +
      `  RSS  ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB: ${rssPerSocketKb} KB per socket (goal < 50)\n` +
      `  external (buffers) ${externalPerSocketKb} KB per socket\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ sockets: SOCKETS, stillOpen, heapPerSocketKb, rssPerSocketKb, externalPerSocketKb, openSeconds: Number(openSeconds.toFixed(1)) })}\n`,
  );
  if (stillOpen < SOCKETS) process.exitCode = 1;
} finally {
  for (const ws of sockets) ws.terminate();
  await server.stop();
  await client.close();
  await redis.stop();
}

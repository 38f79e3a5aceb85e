/**
 * `tsx bench/throughput.ts [--conversations N] [--seconds S]`: peak messages per second through the
 * whole Relevo server (Direct Line in → dedupe, lock, identity, loyalty, state, transcript, handoff
 * policy, NLU → the Relevo agent's dialogs → Redis state, transcript and ledger → the replies in the
 * conversation log and on pub/sub), beside a bare botbuilder echo bot (CloudAdapter on restify replying
 * to a local Bot Connector) measured in the same run on the same machine. Each server runs in its own
 * process; autocannon drives N conversations at once, each sending retail messages one after another.
 * Prints a table, then one JSON object as the last line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRedisServer } from '../test/support/redis-server.js';
import { startBenchServer } from './support/bench-server.js';
import { type Grant, messageBody, openConversations, RETAIL_MESSAGES } from './support/directline.js';
import { type ClosedLoopResult, type ConversationRequests, closedLoop } from './support/load.js';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const CONVERSATIONS = flag('--conversations', 64);
const SECONDS = flag('--seconds', 10);
const WARM_UP_SECONDS = 3;
const MAX_REQUESTS = 200_000;

/** The requests of one Direct Line conversation: the retail messages, in order, with its token. */
export function directLineRequests(grant: Grant): ConversationRequests {
  return {
    requests: RETAIL_MESSAGES.map((text) => ({
      method: 'POST' as const,
      path: `/v3/directline/conversations/${grant.conversationId}/activities`,
      headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(messageBody(text)),
    })),
  };
}

async function measureEcho(): Promise<ClosedLoopResult> {
  // The Bot Connector the echo bot replies to (Azure's, in production): answers every reply at once.
  const connector = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"r"}');
    });
  });
  await new Promise<void>((resolve) => connector.listen(0, '127.0.0.1', () => resolve()));
  const serviceUrl = `http://127.0.0.1:${(connector.address() as AddressInfo).port}`;
  const server = await startBenchServer('echo');
  try {
    const conversations = Array.from({ length: CONVERSATIONS }, (_, c) => ({
      requests: RETAIL_MESSAGES.map((text, m) => ({
        method: 'POST' as const,
        path: '/api/messages',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: `${c}-${m}`,
          text,
          channelId: 'bench',
          serviceUrl,
          conversation: { id: `conv-${c}` },
          from: { id: `user-${c}` },
          recipient: { id: 'bot' },
        }),
      })),
    }));
    const url = `http://127.0.0.1:${server.port}`;
    await closedLoop({ url, conversations, durationS: WARM_UP_SECONDS, maxRequests: MAX_REQUESTS });
    return await closedLoop({ url, conversations, durationS: SECONDS, maxRequests: MAX_REQUESTS });
  } finally {
    await server.stop();
    connector.close();
  }
}

async function measureRelevo(): Promise<ClosedLoopResult> {
  const redis = await startRedisServer();
  const server = await startBenchServer('relevo', { REDIS_URL: redis.url });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const grants = await openConversations(url, CONVERSATIONS);
    const conversations = grants.map(directLineRequests);
    await closedLoop({ url, conversations, durationS: WARM_UP_SECONDS, maxRequests: MAX_REQUESTS });
    return await closedLoop({ url, conversations, durationS: SECONDS, maxRequests: MAX_REQUESTS });
  } finally {
    await server.stop();
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const echo = await measureEcho();
  const relevo = await measureRelevo();
  const ratio = relevo.messagesPerSecond / echo.messagesPerSecond;
  const row = (name: string, r: ClosedLoopResult) =>
    `  ${name.padEnd(40)} ${String(r.messagesPerSecond).padStart(6)} msg/s   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms   failed ${r.failed}\n`;
  process.stdout.write(
    `peak throughput: ${CONVERSATIONS} conversations at once, ${SECONDS} s each, retail messages, loopback\n` +
      row('bare botbuilder echo bot (restify)', echo) +
      row('Relevo, full pipeline on Redis', relevo) +
      `  ratio ${ratio.toFixed(2)} (goal >= 0.5)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      relevoMessagesPerSecond: relevo.messagesPerSecond,
      echoMessagesPerSecond: echo.messagesPerSecond,
      ratio: Number(ratio.toFixed(3)),
      relevoFailed: relevo.failed,
      echoFailed: echo.failed,
      conversations: CONVERSATIONS,
      seconds: SECONDS,
    })}\n`,
  );
  if (relevo.failed > 0 || echo.failed > 0) process.exitCode = 1;
}

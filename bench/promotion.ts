/**
 * `tsx bench/promotion.ts [--messages 40] [--rounds 3]`: what a message leaves for the old generation
 * once its turn is over, for the full pipeline and the bare echo bot. Each server (its own process,
 * `--trace-gc-nvp`) takes 300 warm-up messages; then, per round: a full GC, `--messages` messages
 * sent one at a time (30 ms apart, so no turn is in flight when a collection runs), and two forced
 * scavenges half a second after the last reply. What those collections promote is garbage a finished
 * turn still reached through some old-generation object: it is copied twice, then kept until a
 * mark-compact (see docs/benchmarks.md, "What a message promotes"). Unlike the load benchmarks this
 * figure hardly moves with the machine's load (±5 %), so it shows a change's effect on the GC at once.
 * Prints each round and, last, one JSON object `{relevoPromotedKbPerMessage, echoPromotedKbPerMessage}`
 * (the median round of each).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer } from '../test/support/redis-server.js';
import { assertBuilt, type BenchServer, startBenchServer } from './support/bench-server.js';
import { messageBody, openConversations, postJson, RETAIL_MESSAGES } from './support/directline.js';
import { flag } from './support/flags.js';

const MESSAGES = flag('--messages', 40);
const ROUNDS = flag('--rounds', 3);
const WARM_UP = 300;
const CONVERSATIONS = 10;

/** Sends message `n` of the run (conversations in turn, each cycling through the retail messages). */
type Send = (n: number) => Promise<void>;

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  return postJson(url, body, headers).then(({ status }) => {
    if (status >= 300) throw new Error(`${url} answered ${status}`);
  });
}

function textOf(n: number): string {
  return RETAIL_MESSAGES[Math.floor(n / CONVERSATIONS) % RETAIL_MESSAGES.length] ?? '';
}

async function measure(name: string, server: BenchServer, send: Send): Promise<number> {
  for (let n = 0; n < WARM_UP; n += 1) await send(n);
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    await server.memory(); // a full GC: the old generation holds only live data
    const before = server.gcTotals().promotedBytes;
    for (let n = 0; n < MESSAGES; n += 1) {
      await send(WARM_UP + round * MESSAGES + n);
      await sleep(30);
    }
    await sleep(500);
    await server.scavenge();
    await server.scavenge();
    const kb = (server.gcTotals().promotedBytes - before) / 1024 / MESSAGES;
    perRound.push(Math.round(kb * 10) / 10);
  }
  process.stdout.write(`${name}: promoted KB per message after its turn, by round: ${perRound.join(' ')}\n`);
  return [...perRound].sort((a, b) => a - b)[Math.floor(perRound.length / 2)] ?? 0;
}

async function relevo(): Promise<number> {
  const redis = await startRedisServer();
  const server = await startBenchServer('relevo', { REDIS_URL: redis.url }, { traceGc: true });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const grants = await openConversations(url, CONVERSATIONS);
    return await measure('full pipeline', server, (n) => {
      const grant = grants[n % grants.length];
      if (!grant) throw new Error('no conversation');
      return post(
        `${url}/v3/directline/conversations/${grant.conversationId}/activities`,
        messageBody(textOf(n)),
        { authorization: `Bearer ${grant.token}` },
      );
    });
  } finally {
    await server.stop();
    await redis.stop();
  }
}

async function echo(): Promise<number> {
  // The Bot Connector the echo bot replies to: answers every reply at once.
  const connector = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"r"}'));
  });
  await new Promise<void>((resolve) => connector.listen(0, '127.0.0.1', () => resolve()));
  const serviceUrl = `http://127.0.0.1:${(connector.address() as AddressInfo).port}`;
  const server = await startBenchServer('echo', {}, { traceGc: true });
  try {
    return await measure('echo bot', server, (n) =>
      post(`http://127.0.0.1:${server.port}/api/messages`, {
        type: 'message',
        id: `m-${n}`,
        text: textOf(n),
        channelId: 'bench',
        serviceUrl,
        conversation: { id: `conv-${n % CONVERSATIONS}` },
        from: { id: `user-${n % CONVERSATIONS}` },
        recipient: { id: 'bot' },
      }),
    );
  } finally {
    await server.stop();
    connector.close();
  }
}

assertBuilt();
const relevoKb = await relevo();
const echoKb = await echo();
process.stdout.write(
  `${JSON.stringify({ relevoPromotedKbPerMessage: relevoKb, echoPromotedKbPerMessage: echoKb })}\n`,
);

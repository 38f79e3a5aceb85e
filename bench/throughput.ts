/**
 * `tsx bench/throughput.ts [--conversations N] [--seconds S] [--cluster]`: peak messages per second through the
 * whole Relevo server (Direct Line in → dedupe, lock, identity, loyalty, state, transcript, handoff
 * policy, NLU → the Relevo agent's dialogs → Redis state, transcript and ledger → the replies in the
 * conversation log and on pub/sub), beside a bare botbuilder echo bot (CloudAdapter on restify replying
 * to a local Bot Connector) measured in the same run on the same machine. Each server runs in its own
 * process; autocannon drives N conversations at once, each sending retail messages one after another,
 * in alternating rounds (echo, Relevo, echo, …); each server's best round counts. Relevo runs on one
 * private redis-server, or with `--cluster` on a private 3-master Redis Cluster (REDIS_CLUSTER_URLS).
 * Beside the rates, the CPU time each server spent per message over all its rounds (Relevo's with its
 * Redis's): the rate of a server waiting on many round trips drops on a busy machine, its CPU per
 * message much less.
 * Prints a table, then one JSON object as the last line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectRedis } from '../storage/redis-connection.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { redisCpuMs } from './support/redis-cpu.js';
import { assertBuilt, startBenchServer } from './support/bench-server.js';
import { type Grant, messageBody, openConversations, RETAIL_MESSAGES } from './support/directline.js';
import { type ClosedLoopResult, type ConversationRequests, closedLoop } from './support/load.js';
import { flag } from './support/flags.js';

const CONVERSATIONS = flag('--conversations', 64);
const SECONDS = flag('--seconds', 12);
const ROUNDS = 3;
const WARM_UP_SECONDS = 3;
const MAX_REQUESTS = 200_000;
const CLUSTER = process.argv.includes('--cluster');

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

/** A server under load and how to drive it: its URL and its conversations' requests. */
interface Target {
  url: string;
  conversations: ConversationRequests[];
  /** CPU time (ms) used so far by the server process and, for Relevo, by its Redis. */
  cpuMs: () => Promise<{ server: number; redis: number }>;
  stop: () => Promise<void>;
}

/** CPU used per message over a server's measured rounds. */
export interface CpuPerMessage {
  serverMs: number;
  redisMs: number;
  totalMs: number;
}

async function startEcho(): Promise<Target> {
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
  return {
    url: `http://127.0.0.1:${server.port}`,
    conversations,
    cpuMs: async () => ({ server: await server.cpuMs(), redis: 0 }),
    stop: async () => {
      await server.stop();
      connector.close();
    },
  };
}

async function startRelevo(): Promise<Target> {
  const redis = CLUSTER
    ? await startRedisCluster().then((nodes) => ({
        env: { REDIS_CLUSTER_URLS: nodes.urls.join(',') },
        ...nodes,
      }))
    : await startRedisServer().then((one) => ({ env: { REDIS_URL: one.url }, ...one }));
  const server = await startBenchServer('relevo', redis.env);
  const url = `http://127.0.0.1:${server.port}`;
  const grants = await openConversations(url, CONVERSATIONS);
  // Every Redis node's CPU counts (a cluster's masters; its CLUSTER commands too, a small share).
  const infos = await Promise.all(
    ('urls' in redis ? redis.urls : [redis.url]).map((nodeUrl) => connectRedis({ url: nodeUrl })),
  );
  const allRedisCpuMs = async () => {
    let ms = 0;
    for (const info of infos) ms += await redisCpuMs(info);
    return ms;
  };
  return {
    url,
    conversations: grants.map(directLineRequests),
    cpuMs: async () => ({ server: await server.cpuMs(), redis: await allRedisCpuMs() }),
    stop: async () => {
      for (const info of infos) await info.close();
      await server.stop();
      await redis.stop();
    },
  };
}

/**
 * Measures both servers in alternating rounds and keeps each one's best round: the machine is shared,
 * and a burst of someone else's work during one round should not decide the ratio.
 */
async function measureBoth(): Promise<{
  echo: ClosedLoopResult;
  relevo: ClosedLoopResult;
  cpu: { echo: CpuPerMessage; relevo: CpuPerMessage };
}> {
  const echo = await startEcho();
  const relevo = await startRelevo();
  try {
    const run = (target: Target, durationS: number) =>
      closedLoop({
        url: target.url,
        conversations: target.conversations,
        durationS,
        maxRequests: MAX_REQUESTS,
      });
    await run(echo, WARM_UP_SECONDS);
    await run(relevo, WARM_UP_SECONDS);
    const best = {
      echo: undefined as ClosedLoopResult | undefined,
      relevo: undefined as ClosedLoopResult | undefined,
    };
    const used = { echo: { server: 0, redis: 0, messages: 0 }, relevo: { server: 0, redis: 0, messages: 0 } };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const name of ['echo', 'relevo'] as const) {
        const target = name === 'echo' ? echo : relevo;
        const before = await target.cpuMs();
        const result = await run(target, SECONDS / ROUNDS);
        const after = await target.cpuMs();
        used[name].server += after.server - before.server;
        used[name].redis += after.redis - before.redis;
        used[name].messages += result.messages;
        const failed = (best[name]?.failed ?? 0) + result.failed;
        if (!best[name] || result.messagesPerSecond > best[name].messagesPerSecond) best[name] = result;
        best[name].failed = failed;
      }
    }
    if (!best.echo || !best.relevo) throw new Error('no rounds measured');
    const perMessage = (u: { server: number; redis: number; messages: number }): CpuPerMessage => ({
      serverMs: round2(u.server / u.messages),
      redisMs: round2(u.redis / u.messages),
      totalMs: round2((u.server + u.redis) / u.messages),
    });
    return {
      echo: best.echo,
      relevo: best.relevo,
      cpu: { echo: perMessage(used.echo), relevo: perMessage(used.relevo) },
    };
  } finally {
    await echo.stop();
    await relevo.stop();
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  assertBuilt();
  const { echo, relevo, cpu } = await measureBoth();
  const ratio = relevo.messagesPerSecond / echo.messagesPerSecond;
  const cpuRatio = cpu.echo.totalMs / cpu.relevo.totalMs;
  const row = (name: string, r: ClosedLoopResult) =>
    `  ${name.padEnd(40)} ${String(r.messagesPerSecond).padStart(6)} msg/s   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms   failed ${r.failed}\n`;
  process.stdout.write(
    `peak throughput: ${CONVERSATIONS} conversations at once, best of ${ROUNDS} alternating rounds of ${SECONDS / ROUNDS} s each, retail messages, loopback\n` +
      row('bare botbuilder echo bot (restify)', echo) +
      row(`Relevo, full pipeline on ${CLUSTER ? 'a Redis Cluster' : 'Redis'}`, relevo) +
      `  ratio ${ratio.toFixed(2)} (goal >= 0.5)\n` +
      `CPU per message over all rounds: echo bot ${cpu.echo.totalMs} ms, Relevo ${cpu.relevo.totalMs} ms (server ${cpu.relevo.serverMs} + Redis ${cpu.relevo.redisMs})\n` +
      `  echo / Relevo CPU per message ${cpuRatio.toFixed(2)} (the throughput ratio the CPU alone would allow)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      relevoMessagesPerSecond: relevo.messagesPerSecond,
      echoMessagesPerSecond: echo.messagesPerSecond,
      ratio: Number(ratio.toFixed(3)),
      echoCpuMsPerMessage: cpu.echo.totalMs,
      relevoCpuMsPerMessage: cpu.relevo.totalMs,
      relevoServerCpuMsPerMessage: cpu.relevo.serverMs,
      relevoRedisCpuMsPerMessage: cpu.relevo.redisMs,
      cpuRatio: Number(cpuRatio.toFixed(3)),
      relevoFailed: relevo.failed,
      echoFailed: echo.failed,
      conversations: CONVERSATIONS,
      seconds: SECONDS,
      cluster: CLUSTER,
    })}\n`,
  );
  if (relevo.failed > 0 || echo.failed > 0) process.exitCode = 1;
}

/**
 * `tsx bench/redis-round-trips.ts [--messages N] [--cluster]`: Redis round trips and commands the Relevo
 * server sends per web chat message while N retail messages go through Direct Line one after another
 * (conversations already greeted and warm). The server talks to its private redis-server through a
 * counting proxy (bench/support/redis-proxy.ts): a round trip is a burst of commands written on one
 * connection before a reply came back, so commands node-redis pipelines count as one and commands that
 * wait for each other count one each. With `--cluster` it talks to a private 3-master Redis Cluster
 * through a proxy per master (bench/support/proxied-redis.ts); there a message's own round trips are
 * phases: bursts sent to several masters before any of them answered wait together, as one. Commands run inside Lua scripts are not round trips; they are
 * `INFO commandstats` minus what was sent. Commands are grouped by name and key shape, and round trips
 * by the stage of their keys, so the tables show which stage sends what, and the bytes Redis sent back
 * (replies) are summed. The last line is one JSON object.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis } from '../storage/redis-connection.js';
import { assertBuilt, startBenchServer } from './support/bench-server.js';
import { proxiedRedisCluster, proxiedRedisServer } from './support/proxied-redis.js';
import { isBackgroundBurst } from './support/redis-proxy.js';
import { messageBody, openConversations, postJson, RETAIL_MESSAGES } from './support/directline.js';
import { flag } from './support/flags.js';

const MESSAGES = flag('--messages', 120);
const CLUSTER = process.argv.includes('--cluster');
const CONVERSATIONS = 10;
const SETTLE_MS = 500;

/** Which pipeline stage a key belongs to, from its prefix (storage/keys.ts and each store's own). */
export function stageOf(key: string): string {
  const rest = key.replace(/^bench:/, '');
  const stages: [RegExp, string][] = [
    [/^dl:signing-key/, 'Direct Line token check (signing key)'],
    [/^dl:.*:meta$/, 'Direct Line conversation record'],
    [/^(dl:.*:log|bus:webchat)/, 'echo + replies out (log append, pub/sub)'],
    [/^inq:/, 'durable inbound queue (log, wake-up stream)'],
    [/^once:/, 'dedupe'],
    [/^rate:/, 'rate limit (per identity key)'],
    [/^lock:/, 'conversation lock'],
    [/^identity:/, 'identity (key -> member, timers)'],
    [/^(progress:|ledger:|lb:)/, 'loyalty (progress, ledger, leaderboards)'],
    [/^state:handoff/, 'handoff policy state'],
    [/^state:analytics/, 'analytics session state'],
    [/^state:/, 'turn state (conversation, user, member)'],
    [/^(tx|txindex)/, 'transcript'],
    [/^analytics:/, 'analytics events'],
  ];
  return stages.find(([pattern]) => pattern.test(rest))?.[1] ?? `other (${rest.slice(0, 30)})`;
}

const KEYLESS = new Set(['multi', 'exec', 'discard', 'ping', 'hello', 'client', 'select', 'info', 'script']);

/** A command's name, its first key (none for MULTI, EXEC, PING…) and its key shape (ids replaced). */
export function shapeOf(args: string[]): { command: string; key: string | undefined; shape: string } {
  const command = (args[0] ?? '?').toLowerCase();
  const isScript = command === 'evalsha' || command === 'eval';
  // XREADGROUP GROUP g c [COUNT n] [BLOCK ms] STREAMS key… id…: the key follows STREAMS.
  const streams = args.findIndex((arg) => arg.toUpperCase() === 'STREAMS');
  const key = KEYLESS.has(command)
    ? undefined
    : isScript
      ? Number(args[2]) > 0
        ? args[3]
        : undefined
      : command === 'xreadgroup' || command === 'xread'
        ? args[streams + 1]
        : args[1];
  const shape = `${key ?? ''}${isScript ? `  (script ${(args[1] ?? '').slice(0, 8)})` : ''}`
    .replace(/[A-Za-z0-9_-]{12,}/g, '<id>')
    .replace(/\d+/g, '<n>')
    .slice(0, 70);
  return { command, key, shape };
}

/** Calls per command, summed over every node. */
async function commandStats(urls: string[]): Promise<Map<string, number>> {
  const stats = new Map<string, number>();
  for (const url of urls) {
    const client = await connectRedis({ url });
    try {
      const info = await client.info('commandstats');
      for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g))
        stats.set(match[1] ?? '', (stats.get(match[1] ?? '') ?? 0) + Number(match[2]));
    } finally {
      await client.close();
    }
  }
  return stats;
}

assertBuilt();
const redis = CLUSTER ? await proxiedRedisCluster() : await proxiedRedisServer();
const server = await startBenchServer('relevo', redis.env);
try {
  const base = `http://127.0.0.1:${server.port}`;
  const grants = await openConversations(base, CONVERSATIONS, CONVERSATIONS);
  const post = (i: number) => {
    const grant = grants[i % CONVERSATIONS];
    if (!grant) throw new Error('no conversation');
    const text = RETAIL_MESSAGES[Math.floor(i / CONVERSATIONS) % RETAIL_MESSAGES.length] ?? 'hi';
    return postJson(
      `${base}/v3/directline/conversations/${grant.conversationId}/activities`,
      messageBody(text),
      {
        authorization: `Bearer ${grant.token}`,
      },
    );
  };
  // Warm: every conversation past its greeting and through each kind of message once.
  for (let i = 0; i < CONVERSATIONS * RETAIL_MESSAGES.length; i += 1) await post(i);
  await sleep(500);

  // Background: what the server sends with no message at all (timers, pollers), over the same time.
  redis.take();
  const idleStartedAt = performance.now();
  await sleep(2_000);
  const idle = redis.take();
  const idleMs = performance.now() - idleStartedAt;

  const before = await commandStats(redis.nodeUrls);
  const startedAt = performance.now();
  for (let i = 0; i < MESSAGES; i += 1) {
    const { status } = await post(i);
    if (status !== 200) throw new Error(`message ${i} answered ${status}`);
  }
  const busyMs = performance.now() - startedAt;
  // Work a turn leaves behind (batched writes) lands shortly after its answer.
  await sleep(SETTLE_MS);
  const bursts = redis.take();
  const after = await commandStats(redis.nodeUrls);

  const byShape = new Map<string, number>();
  const byStage = new Map<string, { commands: number; roundTrips: number }>();
  const stage = (name: string) => {
    const entry = byStage.get(name) ?? { commands: 0, roundTrips: 0 };
    byStage.set(name, entry);
    return entry;
  };
  let sent = 0;
  for (const burst of bursts) {
    const keyed: string[] = [];
    for (const args of burst.commands) {
      const { command, key, shape } = shapeOf(args);
      sent += 1;
      byShape.set(`${command.padEnd(10)} ${shape}`, (byShape.get(`${command.padEnd(10)} ${shape}`) ?? 0) + 1);
      if (key !== undefined) keyed.push(stageOf(key));
    }
    // The burst's round trip is shared by the stages of its keyed commands (MULTI, EXEC ride along).
    const owners = keyed.length > 0 ? keyed : ['other (keyless)'];
    for (const owner of owners) stage(owner).roundTrips += 1 / owners.length;
    for (const args of burst.commands) {
      const { key } = shapeOf(args);
      stage(key === undefined ? (owners[0] ?? 'other (keyless)') : stageOf(key)).commands += 1;
    }
  }
  // The messages' own chains: bursts no message waits for (polls, timers, leftovers) set apart. On a
  // cluster, bursts to several masters in one phase are one round trip.
  const own = bursts.filter((burst) => !isBackgroundBurst(burst));
  const ownRoundTrips = CLUSTER ? new Set(own.map((burst) => burst.phase)).size : own.length;
  const roundTrips = CLUSTER ? new Set(bursts.map((burst) => burst.phase)).size : bursts.length;
  const backgroundPerMessage = (idle.length * (busyMs / idleMs)) / MESSAGES;
  let statsTotal = 0;
  for (const [name, calls] of after) statsTotal += calls - (before.get(name) ?? 0);
  // INFO commandstats also counts commands run inside scripts; the first INFO counts itself, on each node.
  const inLua = Math.max(0, statsTotal - sent - redis.nodeUrls.length);

  const perMessage = sent / MESSAGES;
  const replyBytes = bursts.reduce((sum, burst) => sum + burst.replyBytes, 0) / MESSAGES;
  process.stdout.write(
    `${MESSAGES} messages, one at a time over ${CONVERSATIONS} warm conversations: commands sent per message, by command and key shape\n`,
  );
  for (const [name, calls] of [...byShape].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`  ${(calls / MESSAGES).toFixed(2).padStart(6)}  ${name}\n`);
  process.stdout.write(
    `by stage: commands / round trips per message (a round trip = a burst written before a reply${CLUSTER ? ', on one connection to one master' : ''}; shared bursts split)\n`,
  );
  for (const [name, figures] of [...byStage].sort((a, b) => b[1].roundTrips - a[1].roundTrips))
    process.stdout.write(
      `  ${(figures.commands / MESSAGES).toFixed(2).padStart(6)} / ${(figures.roundTrips / MESSAGES).toFixed(2).padStart(5)}  ${name}\n`,
    );
  process.stdout.write(
    `  total ${perMessage.toFixed(1)} commands, ${(roundTrips / MESSAGES).toFixed(1)} round trips per message (goal <= 4); ` +
      `${(ownRoundTrips / MESSAGES).toFixed(2)} of them the messages' own (without polls, timers and leftovers); ` +
      `${(inLua / MESSAGES).toFixed(1)} more run inside Lua scripts; ` +
      `background with no traffic ${backgroundPerMessage.toFixed(2)} round trips/message; ` +
      `${Math.round(replyBytes)} bytes of replies from Redis per message\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      commandsPerMessage: Number(perMessage.toFixed(2)),
      roundTripsPerMessage: Number((roundTrips / MESSAGES).toFixed(2)),
      ownRoundTripsPerMessage: Number((ownRoundTrips / MESSAGES).toFixed(2)),
      luaInternalPerMessage: Number((inLua / MESSAGES).toFixed(2)),
      backgroundPerMessage: Number(backgroundPerMessage.toFixed(2)),
      commandStatsPerMessage: Number((statsTotal / MESSAGES).toFixed(2)),
      replyBytesPerMessage: Math.round(replyBytes),
      messages: MESSAGES,
      cluster: CLUSTER,
    })}\n`,
  );
} finally {
  await server.stop();
  await redis.stop();
}

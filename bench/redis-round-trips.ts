/**
 * `tsx bench/redis-round-trips.ts [--messages N]`: Redis commands the Relevo server sends per web chat
 * message, read with `MONITOR` on the bench's private redis-server while N retail messages go through
 * Direct Line one after another (conversations already greeted and warm). Commands run inside a Lua
 * script are not round trips and are counted apart; `INFO commandstats` before and after is printed as a
 * cross-check. Commands are grouped by name and key shape, so the table shows which stage sends what.
 * The last line is one JSON object.
 */
import { createConnection, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis } from '../storage/redis-connection.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { startBenchServer } from './support/bench-server.js';
import { messageBody, openConversations, postJson, RETAIL_MESSAGES } from './support/directline.js';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const MESSAGES = flag('--messages', 120);
const CONVERSATIONS = 10;

/** One `MONITOR` connection collecting the command lines it is sent until stopped. */
async function monitor(port: number): Promise<{ lines: string[]; stop: () => Promise<void> }> {
  const socket: Socket = createConnection({ port, host: '127.0.0.1' });
  const lines: string[] = [];
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\r\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) if (part.startsWith('+') && part !== '+OK') lines.push(part.slice(1));
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('MONITOR\r\n');
  await sleep(100);
  return {
    lines,
    stop: async () => {
      await sleep(300);
      socket.destroy();
    },
  };
}

/** Which pipeline stage a key belongs to, from its prefix (storage/keys.ts and each store's own). */
export function stageOf(key: string): string {
  const rest = key.replace(/^bench:/, '');
  const stages: [RegExp, string][] = [
    [/^dl:signing-key/, 'Direct Line token check (signing key)'],
    [/^dl:.*:meta$/, 'Direct Line conversation record'],
    [/^(dl:.*:log|bus:webchat)/, 'echo + replies out (log append, pub/sub)'],
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

/** `"evalsha" "ab12…" "2" "bench:x:abc"` → command, its first key and the key's shape (ids replaced). */
export function shapeOf(line: string): {
  command: string;
  key: string;
  shape: string;
  isLua: boolean;
  client: string;
} {
  const isLua = / \[\d+ lua\] /.test(line);
  const client = /\[\d+ ([^\]]+)\]/.exec(line)?.[1] ?? '';
  const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1] ?? '');
  const command = (args[0] ?? '?').toLowerCase();
  let key = args[1] ?? '';
  if (command === 'evalsha' || command === 'eval')
    key = `${args[3] ?? ''}  (script ${(args[1] ?? '').slice(0, 8)})`;
  const shape = key
    .replace(/[A-Za-z0-9_-]{12,}/g, '<id>')
    .replace(/\d+/g, '<n>')
    .slice(0, 70);
  const firstKey = command === 'evalsha' || command === 'eval' ? (args[3] ?? '') : (args[1] ?? '');
  return { command, key: firstKey, shape, isLua, client };
}

async function commandStats(url: string): Promise<Map<string, number>> {
  const client = await connectRedis({ url });
  try {
    const info = await client.info('commandstats');
    const stats = new Map<string, number>();
    for (const match of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g))
      stats.set(match[1] ?? '', Number(match[2]));
    return stats;
  } finally {
    await client.close();
  }
}

const redis = await startRedisServer();
const server = await startBenchServer('relevo', { REDIS_URL: redis.url });
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
  const idle = await monitor(redis.port);
  const idleStartedAt = performance.now();
  await sleep(2_000);
  await idle.stop();
  const idleMs = performance.now() - idleStartedAt;

  const before = await commandStats(redis.url);
  const busy = await monitor(redis.port);
  const startedAt = performance.now();
  for (let i = 0; i < MESSAGES; i += 1) {
    const { status } = await post(i);
    if (status !== 200) throw new Error(`message ${i} answered ${status}`);
  }
  const busyMs = performance.now() - startedAt;
  await busy.stop();
  const after = await commandStats(redis.url);

  const byShape = new Map<string, number>();
  const byStage = new Map<string, { commands: number; roundTrips: number }>();
  const openBlocks = new Map<string, { stage: string; commands: number }>();
  let sent = 0;
  let inLua = 0;
  let roundTrips = 0;
  const count = (stage: string, commands: number, trips: number) => {
    const entry = byStage.get(stage) ?? { commands: 0, roundTrips: 0 };
    entry.commands += commands;
    entry.roundTrips += trips;
    byStage.set(stage, entry);
  };
  for (const line of busy.lines) {
    const { command, shape, isLua, client, key } = shapeOf(line);
    if (isLua) {
      inLua += 1;
      continue;
    }
    sent += 1;
    const name = `${command.padEnd(10)} ${shape}`;
    byShape.set(name, (byShape.get(name) ?? 0) + 1);
    // MULTI … EXEC leaves in one write: its commands are one round trip, of the stage of its keys.
    const block = openBlocks.get(client);
    if (command === 'multi') openBlocks.set(client, { stage: '?', commands: 1 });
    else if (command === 'exec' && block) {
      openBlocks.delete(client);
      count(block.stage, block.commands + 1, 1);
      roundTrips += 1;
    } else if (block) {
      block.commands += 1;
      if (block.stage === '?') block.stage = stageOf(key);
    } else {
      count(stageOf(key), 1, 1);
      roundTrips += 1;
    }
  }
  const idleSent = idle.lines.filter((line) => !shapeOf(line).isLua).length;
  const backgroundPerMessage = (idleSent * (busyMs / idleMs)) / MESSAGES;
  let statsTotal = 0;
  for (const [name, calls] of after) statsTotal += calls - (before.get(name) ?? 0);

  const perMessage = sent / MESSAGES;
  process.stdout.write(
    `${MESSAGES} messages, one at a time over ${CONVERSATIONS} warm conversations: commands sent per message, by command and key shape\n`,
  );
  for (const [name, calls] of [...byShape].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`  ${(calls / MESSAGES).toFixed(2).padStart(6)}  ${name}\n`);
  process.stdout.write('by stage: commands / round trips per message (MULTI...EXEC = one round trip)\n');
  for (const [stage, figures] of [...byStage].sort((a, b) => b[1].commands - a[1].commands))
    process.stdout.write(
      `  ${(figures.commands / MESSAGES).toFixed(2).padStart(6)} / ${(figures.roundTrips / MESSAGES).toFixed(2).padStart(5)}  ${stage}\n`,
    );
  process.stdout.write(
    `  total ${perMessage.toFixed(1)} commands, ${(roundTrips / MESSAGES).toFixed(1)} round trips per message (goal <= 4); ` +
      `${(inLua / MESSAGES).toFixed(1)} more run inside Lua scripts; ` +
      `background with no traffic ${backgroundPerMessage.toFixed(2)}/message; ` +
      `INFO commandstats delta ${(statsTotal / MESSAGES).toFixed(1)}/message (counts script-internal calls too, and INFO itself)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      commandsPerMessage: Number(perMessage.toFixed(2)),
      roundTripsPerMessage: Number((roundTrips / MESSAGES).toFixed(2)),
      luaInternalPerMessage: Number((inLua / MESSAGES).toFixed(2)),
      backgroundPerMessage: Number(backgroundPerMessage.toFixed(2)),
      commandStatsPerMessage: Number((statsTotal / MESSAGES).toFixed(2)),
      messages: MESSAGES,
    })}\n`,
  );
} finally {
  await server.stop();
  await redis.stop();
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';
import {
  expectEveryPromiseKept,
  loyaltyPayingEveryMessage,
  orderCustomers,
} from '../support/order-customers.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type RoundRobinProxy, startRoundRobinProxy } from '../support/round-robin-proxy.js';
import { type RelevoProcess, spawnRelevo } from '../support/spawn-relevo.js';

// The figures: 10,000 messages from 500 conversations. CHAOS_CONVERSATIONS shrinks a local run.
const CONVERSATIONS = Number(process.env.CHAOS_CONVERSATIONS ?? 500);
const MESSAGES_EACH = 20;
const KILL_EVERY_MS = 2_000;
/**
 * Fresh processes kept started ahead of the kills (ready or starting): a start costs ~1.5 s of CPU and
 * takes 2–10 s under the test's own load, so a kill every 2 s needs several in the pipeline at once.
 */
const SPARES = Number(process.env.CHAOS_SPARES ?? 6);
/**
 * How many start at the same time. The customers take all the CPU the servers leave, and the scheduler
 * shares it per process: four starting beside two servers, Redis and the test get about half of two
 * cores, enough for one start every 2 s; more would slow the servers for little gain.
 */
const STARTING_AT_ONCE = 4;

/** A server process behind the balancer, and since when it has been serving. */
interface Server {
  process: RelevoProcess;
  port: number;
  since: number;
}

describe('chaos: processes killed every 2 s and a Redis restart while 500 customers chat', () => {
  let dataDir: string;
  let redis: RedisServer;
  let client: RedisConnection;
  let proxy: RoundRobinProxy;
  /** The two serving processes; the balancer reads `ports` on every request. */
  const servers: Server[] = [];
  const ports: number[] = [];
  /** Every process the test started (servers, spares, killed ones): none may outlive it. */
  const spawned: RelevoProcess[] = [];
  const prefix = `chaos-${Date.now().toString(36)}`;
  let env: Record<string, string>;

  const start = async (): Promise<Server> => {
    // From the build test/setup/build-once.ts made for this run, as `npm start` runs dist/.
    const process = spawnRelevo({ ...env, PORT: '0' }, { built: inject('relevoBuild') });
    spawned.push(process);
    const port = await process.listening();
    return { process, port, since: Date.now() };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'relevo-chaos-'));
    redis = await startRedisServer(undefined, { appendOnlyDir: dataDir });
    client = await connectRedis({ url: redis.url });
    env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'info',
      // A killed process's conversations are taken over within 2 s.
      INBOUND_VISIBILITY_MS: '2000',
      // 500 customers on one machine: the limiter is on but never in the way.
      RATE_LIMIT_PER_MINUTE: '10000',
      // The shipped programme plus a rule that pays every message, so each message's credit is checked.
      LOYALTY_CONFIG_FILE: await loyaltyPayingEveryMessage(dataDir),
    };
    servers.push(...(await Promise.all([start(), start()])));
    ports.push(...servers.map((server) => server.port));
    proxy = await startRoundRobinProxy(ports);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    // Before Redis stops: a process told to stop drains towards Redis.
    await Promise.all(spawned.map((process) => process.stop()));
    if (client?.isOpen) await client.close();
    await redis?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /**
   * SIGKILLs the server that has been serving longest, mid-turn, every 2 s on average over the run, and
   * puts a fresh process in its place at once. Replacements are started ahead (SPARES of them); a kill
   * whose tick found no spare ready is made up as soon as one is (at most one kill a second), so the
   * count follows the clock, and the balancer always has two live processes.
   */
  function chaos(customers: ReturnType<typeof orderCustomers>): {
    warm: () => Promise<void>;
    begin: () => void;
    end: () => Promise<{ kills: number; seconds: number }>;
  } {
    let done = false;
    let began = 0;
    let kills = 0;
    let lastKill = 0;
    let starting = 0;
    const ready: Server[] = [];
    const refill = () => {
      while (!done && ready.length + starting < SPARES && starting < STARTING_AT_ONCE) {
        starting++;
        start().then(
          (server) => {
            starting--;
            ready.push(server);
            refill();
          },
          () => {
            // A start that failed (say, while Redis restarted) is dropped and another one started.
            starting--;
            refill();
          },
        );
      }
    };
    const killDue = () => {
      const due = Math.floor((Date.now() - began) / KILL_EVERY_MS);
      if (kills >= due || Date.now() - lastKill < 1_000) return;
      const fresh = ready.shift();
      if (!fresh) return;
      const oldest = servers.reduce((a, b) => (a.since <= b.since ? a : b));
      const slot = servers.indexOf(oldest);
      fresh.since = Date.now();
      servers[slot] = fresh;
      ports[slot] = fresh.port;
      oldest.process.child.kill('SIGKILL');
      kills++;
      lastKill = Date.now();
      refill();
    };
    let ticker: NodeJS.Timeout | undefined;
    let progress: NodeJS.Timeout | undefined;
    return {
      warm: async () => {
        refill();
        while (ready.length < SPARES) await sleep(100);
      },
      begin: () => {
        began = Date.now();
        ticker = setInterval(killDue, 100);
        // A slow run shows where it is, not only that it timed out.
        progress = setInterval(() => {
          const seconds = Math.round((Date.now() - began) / 1000);
          process.stdout.write(
            `chaos: ${seconds} s, ${customers.acknowledged()} messages acknowledged, ${kills} kills, ${ready.length} spares ready, ${starting} starting\n`,
          );
        }, 10_000);
      },
      end: async () => {
        done = true;
        clearInterval(ticker);
        clearInterval(progress);
        const seconds = (Date.now() - began) / 1000;
        // Spares not needed any more are stopped (afterAll stops those still starting).
        for (const spare of ready) spare.process.child.kill('SIGTERM');
        return { kills, seconds };
      },
    };
  }

  it('answers every message exactly once and in order, loses and doubles no points, and keeps every transcript whole', async () => {
    const customers = orderCustomers(proxy.url, MESSAGES_EACH);
    const killer = chaos(customers);
    // Spares ready before the first customer, so the first kills need not wait for a start.
    await killer.warm();
    const began = Date.now();
    killer.begin();
    const chats = Array.from({ length: CONVERSATIONS }, (_, index) => customers.chat(index));
    // Redis restarts (same port, same AOF folder) once the customers are well under way.
    await sleep(8_000);
    await redis.restart();
    const conversations = await Promise.all(chats);
    const { kills, seconds } = await killer.end();
    // The rate the machine allowed: each kill needs a fresh process, ~1.5 s of CPU from the build.
    process.stdout.write(
      `chaos: ${CONVERSATIONS * MESSAGES_EACH} messages in ${Math.round((Date.now() - began) / 1000)} s, ` +
        `${kills} processes killed: one every ${(seconds / kills).toFixed(2)} s on average ` +
        `(target ${(KILL_EVERY_MS / 1000).toFixed(2)} s)\n`,
    );
    expect(kills).toBeGreaterThan(0);

    // Every acknowledged message is answered, however its turn was interrupted.
    await expectEveryPromiseKept(customers, conversations, client, {
      prefix,
      messagesEach: MESSAGES_EACH,
      redisFlags: ['--redis-url', redis.url],
      answeredWithinMs: 120_000,
    });
  }, 600_000);
});
